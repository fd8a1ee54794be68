/**
 * "Create user" with a first password, from the users list and from a tenant's page. Where the user lands
 * is shown before it is created: a system admin picks a tenant (or none, a system user), the tenant's page
 * creates in that tenant, and a tenant admin's users land in its own tenant (the server puts them there).
 */
import type { FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { UserRegistry } from "../../../../gen/keyward/v1/user_pb.js";
import { TenantRegistry } from "../../../../gen/keyward/v1/tenant_pb.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { useRefresh } from "../refresh.js";
import { hrefOf } from "../router.js";

/** Where a new user lands. */
export type NewUserPlace =
  /** A system admin chooses: a tenant, or none. */
  | { readonly kind: "choose" }
  /** In this tenant, named in the request (a system admin on the tenant's page). */
  | { readonly kind: "tenant"; readonly tenantId: string }
  /** In the caller's own tenant, which the server chooses (a tenant admin). */
  | { readonly kind: "own-tenant"; readonly tenantId: string }
  /** A system user (a caller who cannot manage tenants). */
  | { readonly kind: "system" };

/** Tenants offered in the choice, newest first; a tenant's own page creates users in any tenant. */
const TENANT_CHOICES = 200;

/** Props of {@link CreateUserDialog}. */
export interface CreateUserDialogProps {
  readonly place: NewUserPlace;
  readonly onClose: () => void;
}

/** The dialog; on success it opens the new user's page. */
export function CreateUserDialog({ place, onClose }: CreateUserDialogProps) {
  const refresh = useRefresh(UserRegistry);
  const create = useMutation(UserRegistry.method.createUser);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const tenantId = place.kind === "choose" ? String(form.get("tenantId") ?? "").trim() : place.kind === "tenant" ? place.tenantId : "";
    const answer = await create
      .mutateAsync({
        user: {
          userId: String(form.get("userId")).trim(),
          name: String(form.get("name")).trim(),
          email: String(form.get("email")).trim(),
          admin: form.get("admin") === "on",
          password: String(form.get("password")),
          tenantId,
        },
      })
      .catch(() => undefined);
    if (answer?.user) {
      await refresh();
      onClose();
      window.location.hash = hrefOf({ screen: "user", userId: answer.user.userId, tab: "profile" });
    }
  };
  const inTenant = place.kind === "tenant" || place.kind === "own-tenant" ? place.tenantId : undefined;
  return (
    <Dialog title={inTenant ? `Create user in ${inTenant}` : "Create user"} name="create-user" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        {inTenant !== undefined && (
          <p className="muted">
            The user is created in the tenant <strong>{inTenant}</strong> and stays there.
          </p>
        )}
        <label>
          User id
          <input name="userId" required autoFocus spellCheck={false} autoCapitalize="off" pattern="[a-z0-9](-?[a-z0-9])+" aria-describedby="user-id-hint" />
        </label>
        <p className="hint" id="user-id-hint">
          3 to 36 lower-case letters, digits and single dashes. It cannot be changed later.
        </p>
        {place.kind === "choose" && <TenantField />}
        <label>
          Name
          <input name="name" maxLength={100} />
        </label>
        <label>
          Email
          <input name="email" type="email" maxLength={254} />
        </label>
        <label>
          First password
          <input name="password" type="password" autoComplete="new-password" minLength={12} maxLength={256} aria-describedby="password-hint" />
        </label>
        <p className="hint" id="password-hint">
          12 to 256 characters. Leave empty to create a user who cannot sign in until a password is set.
        </p>
        <label className="check">
          <input name="admin" type="checkbox" />
          <span className="check-label">
            {inTenant !== undefined ? `Admin of ${inTenant} (may manage the other users of this tenant and their keys)` : "Admin (may manage other users and their keys)"}
          </span>
        </label>
        <ErrorText error={create.error} />
        <DialogActions onCancel={onClose} label="Create user" pending={create.isPending} />
      </form>
    </Dialog>
  );
}

/** A system admin's choice of tenant, or none: a system user. */
function TenantField() {
  const tenants = useQuery(TenantRegistry.method.listTenants, { pageSize: TENANT_CHOICES });
  return (
    <>
      <label>
        Tenant
        <select name="tenantId" defaultValue="" aria-describedby="tenant-hint">
          <option value="">None: a system user</option>
          {(tenants.data?.tenants ?? []).map((tenant) => (
            <option key={tenant.tenantId} value={tenant.tenantId}>
              {tenant.name ? `${tenant.name} (${tenant.tenantId})` : tenant.tenantId}
            </option>
          ))}
        </select>
      </label>
      <p className="hint" id="tenant-hint">
        A tenant's users are managed by its own admins too. A user stays in the tenant it is created in.
      </p>
      <ErrorText error={tenants.error} />
    </>
  );
}
