/**
 * System admins: one tenant's page: its name (renamed here), its users (paged by the API, filtered in its
 * query), "Create user" in this tenant, and deleting the tenant, which the API refuses while it has users.
 */
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { TenantRegistry, type Tenant } from "../../../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../../../gen/keyward/v1/user_pb.js";
import { Right } from "../../../../gen/keyward/v1/rights_pb.js";
import { reasonOf } from "../api-error.js";
import { useCaller } from "../caller.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { TimeText } from "../components/time-text.js";
import { useRefresh } from "../refresh.js";
import { hrefOf } from "../router.js";
import { CreateUserDialog } from "../users/create-user-dialog.js";
import { UsersTable } from "../users/users-table.js";

const TENANT_USERS_PAGE_SIZE = 50;

/** Props of {@link TenantPage}. */
export interface TenantPageProps {
  readonly tenantId: string;
}

/** A tenant's page. */
export function TenantPage({ tenantId }: TenantPageProps) {
  const got = useQuery(TenantRegistry.method.getTenant, { tenantId });
  const tenant = got.data?.tenant;
  return (
    <>
      <div className="page-head">
        <p className="breadcrumb">
          <a href={hrefOf({ screen: "tenants" })}>Tenants</a> <span aria-hidden="true">›</span>
        </p>
        <h1>{tenant?.name || tenantId}</h1>
        {tenant?.name && <p className="muted mono">{tenant.tenantId}</p>}
      </div>
      <ErrorText error={got.error} />
      {tenant && (
        <>
          <TenantUsers tenant={tenant} />
          <div className="grid-2">
            <TenantProfile tenant={tenant} />
            <TenantDeletion tenant={tenant} />
          </div>
        </>
      )}
    </>
  );
}

function TenantUsers({ tenant }: { readonly tenant: Tenant }) {
  const caller = useCaller();
  const paging = usePaging();
  const [creating, setCreating] = useState(false);
  const list = useQuery(
    UserRegistry.method.listUsers,
    { tenantId: tenant.tenantId, pageSize: TENANT_USERS_PAGE_SIZE, pageToken: paging.token },
    { placeholderData: keepPreviousData },
  );
  const users = list.data?.users ?? [];
  return (
    <section className="panel" aria-labelledby="tenant-users-title">
      <div className="toolbar">
        <h2 id="tenant-users-title" className="grow">
          Users of {tenant.tenantId}
        </h2>
        {caller.rights.has(Right.ADMIN_USERS_WRITE) && (
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            Create user
          </button>
        )}
      </div>
      <ErrorText error={list.error} />
      <UsersTable
        name={`Users of ${tenant.tenantId}`}
        users={users}
        showTenant={false}
        linkTenants={false}
        message={list.isSuccess && users.length === 0 && "No users in this tenant yet. Create one, and make them an admin to let them manage the others."}
      />
      <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={TENANT_USERS_PAGE_SIZE} shown={users.length} noun={["user", "users"]} />
      {creating && <CreateUserDialog place={{ kind: "tenant", tenantId: tenant.tenantId }} onClose={() => setCreating(false)} />}
    </section>
  );
}

function TenantProfile({ tenant }: { readonly tenant: Tenant }) {
  const refresh = useRefresh(TenantRegistry);
  const update = useMutation(TenantRegistry.method.updateTenant, { onSuccess: () => void refresh() });
  const [saved, setSaved] = useState(false);
  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name")).trim();
    setSaved(false);
    if (name === tenant.name) return;
    const answer = await update.mutateAsync({ tenant: { tenantId: tenant.tenantId, name }, updateMask: { paths: ["name"] } }).catch(() => undefined);
    if (answer) setSaved(true);
  };
  return (
    <section className="panel" aria-labelledby="tenant-profile-title">
      <h2 id="tenant-profile-title">Tenant</h2>
      <form className="form" onSubmit={save} key={`${tenant.updatedAt?.seconds}`}>
        <label>
          Name
          <input name="name" defaultValue={tenant.name} maxLength={100} />
        </label>
        <dl className="facts">
          <dt>Tenant id</dt>
          <dd className="mono">{tenant.tenantId}</dd>
          <dt>Created</dt>
          <dd>
            <TimeText value={tenant.createdAt} fallback="—" />
          </dd>
        </dl>
        <ErrorText error={update.error} />
        <div className="dialog-actions">
          <span role="status" className="muted">
            {saved ? "Saved." : ""}
          </span>
          <button type="submit" className="button button-primary" disabled={update.isPending}>
            Save name
          </button>
        </div>
      </form>
    </section>
  );
}

function TenantDeletion({ tenant }: { readonly tenant: Tenant }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="panel" aria-labelledby="tenant-delete-title">
      <h2 id="tenant-delete-title">Delete tenant</h2>
      <p>A tenant can be deleted once it has no users: delete its users first.</p>
      <div className="button-row">
        <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
          Delete tenant
        </button>
      </div>
      {confirming && <DeleteTenantDialog tenant={tenant} onClose={() => setConfirming(false)} />}
    </section>
  );
}

function DeleteTenantDialog({ tenant, onClose }: { readonly tenant: Tenant; readonly onClose: () => void }) {
  const refresh = useRefresh(TenantRegistry);
  const remove = useMutation(TenantRegistry.method.deleteTenant);
  const confirm = async () => {
    const answer = await remove.mutateAsync({ tenantId: tenant.tenantId }).catch(() => undefined);
    if (answer) {
      onClose();
      window.location.hash = hrefOf({ screen: "tenants" });
      void refresh();
    }
  };
  const notEmpty = reasonOf(remove.error) === "TENANT_NOT_EMPTY";
  return (
    <Dialog title="Delete tenant?" name="delete-tenant" onClose={onClose}>
      <p>
        Delete the tenant <strong>{tenant.tenantId}</strong>? This cannot be undone.
      </p>
      <ErrorText error={remove.error} />
      {notEmpty && (
        <p>
          This tenant still has users, so it was not deleted. Delete each of its users (listed on this page) first, then delete the tenant.
        </p>
      )}
      <DialogActions onCancel={onClose} label="Delete tenant" pending={remove.isPending} onConfirm={() => void confirm()} />
    </Dialog>
  );
}
