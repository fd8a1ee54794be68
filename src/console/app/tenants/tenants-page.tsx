/**
 * System admins: the tenants (newest first, paged by the API) and "Create tenant". Each tenant's page
 * shows its users and creates users, tenant admins included, in it.
 */
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { TenantRegistry } from "../../../../gen/keyward/v1/tenant_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { TimeText } from "../components/time-text.js";
import { useRefresh } from "../refresh.js";
import { hrefOf } from "../router.js";

const TENANTS_PAGE_SIZE = 50;

/** The tenants screen. */
export function TenantsPage() {
  const caller = useCaller();
  const paging = usePaging();
  const [creating, setCreating] = useState(false);
  const list = useQuery(TenantRegistry.method.listTenants, { pageSize: TENANTS_PAGE_SIZE, pageToken: paging.token }, { placeholderData: keepPreviousData });
  const head = (
    <div className="page-head">
      <h1>Tenants</h1>
      <p className="muted">
        Customers of this Keyward, each with its own users. A tenant's admins manage that tenant's users and their keys, and nothing else.
      </p>
    </div>
  );
  // A caller who may not manage tenants gets the API's refusal as the whole page.
  if (!caller.canAdminTenants || (list.isError && list.data === undefined)) {
    return (
      <>
        {head}
        <ErrorText error={list.error} />
      </>
    );
  }
  const tenants = list.data?.tenants ?? [];
  return (
    <>
      {head}
      <section className="panel" aria-label="Tenants">
        <div className="toolbar">
          <span className="grow" />
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            Create tenant
          </button>
        </div>
        <ErrorText error={list.error} />
        <DataTable name="Tenants" columns={["Tenant id", "Name", "Created"]} message={list.isSuccess && tenants.length === 0 && "No tenants yet."}>
          {tenants.map((tenant) => (
            <tr key={tenant.tenantId} data-tenant-id={tenant.tenantId}>
              <td data-label="Tenant id">
                <a href={hrefOf({ screen: "tenant", tenantId: tenant.tenantId })}>{tenant.tenantId}</a>
              </td>
              <td data-label="Name">{tenant.name || <span className="muted">—</span>}</td>
              <td data-label="Created">
                <TimeText value={tenant.createdAt} fallback="—" />
              </td>
            </tr>
          ))}
        </DataTable>
        <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={TENANTS_PAGE_SIZE} shown={tenants.length} noun={["tenant", "tenants"]} />
      </section>
      {creating && <CreateTenantDialog onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateTenantDialog({ onClose }: { readonly onClose: () => void }) {
  const refresh = useRefresh(TenantRegistry);
  const create = useMutation(TenantRegistry.method.createTenant);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const answer = await create
      .mutateAsync({ tenant: { tenantId: String(form.get("tenantId")).trim(), name: String(form.get("name")).trim() } })
      .catch(() => undefined);
    if (answer?.tenant) {
      await refresh();
      onClose();
      window.location.hash = hrefOf({ screen: "tenant", tenantId: answer.tenant.tenantId });
    }
  };
  return (
    <Dialog title="Create tenant" name="create-tenant" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label>
          Tenant id
          <input name="tenantId" required autoFocus spellCheck={false} autoCapitalize="off" pattern="[a-z0-9](-?[a-z0-9])+" aria-describedby="tenant-id-hint" />
        </label>
        <p className="hint" id="tenant-id-hint">
          3 to 36 lower-case letters, digits and single dashes, for example acme. It cannot be changed later.
        </p>
        <label>
          Name
          <input name="name" maxLength={100} />
        </label>
        <p className="muted">Next, create the tenant's users on its page: make one of them an admin to let them manage the others.</p>
        <ErrorText error={create.error} />
        <DialogActions onCancel={onClose} label="Create tenant" pending={create.isPending} />
      </form>
    </Dialog>
  );
}
