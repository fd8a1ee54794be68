/**
 * `keyward.v1.TenantRegistry` (ARCHITECTURE.md, "Tenants"). Every method needs `RIGHT_ADMIN_TENANTS`,
 * which the authorization interceptor checks from the proto before any of these run; only system admins
 * can hold it. The not-empty guard of a delete spans records, so the store decides it inside the
 * delete's write (`not_empty`, answered as `TENANT_NOT_EMPTY`).
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { TenantRegistry, TenantSchema } from "../../gen/keyward/v1/tenant_pb.js";
import type { TenantRecord } from "../store/store.js";
import { tenantToMessage } from "./convert.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkUpdateMask } from "./update-mask.js";
import { checkPageSize, checkTenantId, checkText, TENANT_NAME_MAX, Violations } from "./validation.js";

export function createTenantRegistry(deps: Pick<ServiceDeps, "store" | "now">): ServiceImpl<typeof TenantRegistry> {
  const { store } = deps;

  return {
    async createTenant(request) {
      const tenant = request.tenant ?? create(TenantSchema);
      const v = new Violations();
      checkTenantId(v, "tenant.tenant_id", tenant.tenantId);
      checkText(v, "tenant.name", tenant.name, TENANT_NAME_MAX);
      v.done();
      const now = new Date(deps.now());
      const record: TenantRecord = { tenantId: tenant.tenantId, name: tenant.name, createdAt: now, updatedAt: now };
      await store.createTenant(record);
      return { tenant: tenantToMessage(record) };
    },

    async getTenant(request) {
      const v = new Violations();
      checkTenantId(v, "tenant_id", request.tenantId);
      v.done();
      return { tenant: tenantToMessage(await store.getTenant(request.tenantId)) };
    },

    async listTenants(request) {
      const v = new Violations();
      const pageSize = checkPageSize(v, request.pageSize);
      v.done();
      const page = await store.listTenants({ pageSize, pageToken: request.pageToken });
      return { tenants: page.items.map(tenantToMessage), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async updateTenant(request) {
      const given = request.tenant;
      const v = new Violations();
      const paths = checkUpdateMask(v, request.updateMask, TenantSchema);
      const tenantId = given?.tenantId ?? "";
      checkTenantId(v, "tenant.tenant_id", tenantId);
      if (paths.includes("name")) checkText(v, "tenant.name", given?.name ?? "", TENANT_NAME_MAX);
      v.done();
      const updated = await store.updateTenant(tenantId, (tenant) => ({
        ...tenant,
        name: paths.includes("name") ? given!.name : tenant.name,
        updatedAt: new Date(deps.now()),
      }));
      return { tenant: tenantToMessage(updated) };
    },

    async deleteTenant(request) {
      const v = new Violations();
      checkTenantId(v, "tenant_id", request.tenantId);
      v.done();
      await store.deleteTenant(request.tenantId);
      return {};
    },
  };
}
