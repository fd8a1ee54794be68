/** The table of users, on the Users page and on a tenant's page. */
import type { ReactNode } from "react";
import { UserState, type User } from "../../../../gen/keyward/v1/user_pb.js";
import { DataTable } from "../components/data-table.js";
import { TimeText } from "../components/time-text.js";
import { hrefOf } from "../router.js";

/** Props of {@link UsersTable}. */
export interface UsersTableProps {
  readonly users: readonly User[];
  /** Whether to show each user's tenant (not for a tenant admin, whose users share one). */
  readonly showTenant: boolean;
  /** Whether a tenant links to its page (for callers who can manage tenants). */
  readonly linkTenants: boolean;
  /** A row across the table ("No users."), when given. */
  readonly message?: ReactNode;
  /** The region's name; "Users" when omitted. */
  readonly name?: string;
}

/** Users with their id (a link to their page), name, email, role, state and creation time. */
export function UsersTable({ users, showTenant, linkTenants, message, name = "Users" }: UsersTableProps) {
  const columns = ["User id", ...(showTenant ? ["Tenant"] : []), "Name", "Email", "Role", "State", "Created"];
  return (
    <DataTable name={name} columns={columns} message={message}>
      {users.map((user) => (
        <tr key={user.userId} data-user-id={user.userId}>
          <td data-label="User id">
            <a href={hrefOf({ screen: "user", userId: user.userId, tab: "profile" })}>{user.userId}</a>
          </td>
          {showTenant && (
            <td data-label="Tenant">
              {user.tenantId === "" ? (
                <span className="muted">—</span>
              ) : linkTenants ? (
                <a href={hrefOf({ screen: "tenant", tenantId: user.tenantId })}>{user.tenantId}</a>
              ) : (
                user.tenantId
              )}
            </td>
          )}
          <td data-label="Name">{user.name || <span className="muted">—</span>}</td>
          <td data-label="Email">{user.email || <span className="muted">—</span>}</td>
          <td data-label="Role">{user.admin ? <span className="badge">{user.tenantId ? "tenant admin" : "admin"}</span> : "user"}</td>
          <td data-label="State">
            <span className={user.state === UserState.SUSPENDED ? "status status-disabled" : "status status-active"}>
              {user.state === UserState.SUSPENDED ? "Suspended" : "Active"}
            </span>
          </td>
          <td data-label="Created">
            <TimeText value={user.createdAt} fallback="—" />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
