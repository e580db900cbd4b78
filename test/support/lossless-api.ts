// The emulation's part for lossless links (issue 18): tenant roles, direct permissions,
// Organizations and their members' roles, authentication methods, unlinking, and the metadata
// rules. Kept apart from management-api.ts so that file only routes here. Each behaviour cites
// the Auth0 documentation it follows.
import { HttpError, type EmulatedUser } from "./management-api";

export interface EmulatedRole {
  id: string;
  name: string;
  /** Permissions the role grants ("<resource_server_identifier> <permission_name>"). */
  permissions?: string[];
}

export interface EmulatedFactor {
  id: string;
  type: string;
  confirmed: boolean;
}

type Authorize = (...scopes: string[]) => void;
type Answer = { status: number; body: unknown };

const API_ROUTE = /^\/api\/v2\//;

function permissionParts(permission: string): { resource_server_identifier: string; permission_name: string } {
  const space = permission.indexOf(" ");
  return { resource_server_identifier: permission.slice(0, space), permission_name: permission.slice(space + 1) };
}

export class LosslessState {
  readonly roles = new Map<string, EmulatedRole>();
  readonly userRoles = new Map<string, Set<string>>();
  readonly userPermissions = new Map<string, Set<string>>();
  readonly organizations = new Map<string, { id: string; name: string; members: Map<string, Set<string>> }>();
  readonly factors = new Map<string, EmulatedFactor[]>();
  /**
   * Auth0: profiles over 10 KB "succeed for now, but may start to fail" after the 2026-08-04
   * deprecation, end of life 2027-03-04 (Auth0 docs, "Metadata field names and data types").
   * "accept" (today): the write succeeds and the user is listed in `oversized` (the tenant log's
   * warning); "refuse" (after end of life): 400.
   */
  profileLimit: "accept" | "refuse" = "accept";
  readonly oversized: string[] = [];

  reset(): void {
    this.roles.clear();
    this.userRoles.clear();
    this.userPermissions.clear();
    this.organizations.clear();
    this.factors.clear();
    this.profileLimit = "accept";
    this.oversized.length = 0;
  }

  // ---- Set-up helpers for tests ----
  addRole(role: EmulatedRole): void {
    this.roles.set(role.id, { ...role });
  }

  assignRoles(userId: string, roleIds: string[]): void {
    const set = this.userRoles.get(userId) ?? new Set<string>();
    for (const id of roleIds) {
      if (!this.roles.has(id)) this.addRole({ id, name: id });
      set.add(id);
    }
    this.userRoles.set(userId, set);
  }

  grantPermissions(userId: string, permissions: string[]): void {
    const set = this.userPermissions.get(userId) ?? new Set<string>();
    for (const p of permissions) set.add(p);
    this.userPermissions.set(userId, set);
  }

  addMember(orgId: string, userId: string, roleIds: string[] = []): void {
    const org = this.organizations.get(orgId) ?? { id: orgId, name: orgId, members: new Map<string, Set<string>>() };
    this.organizations.set(orgId, org);
    const roles = org.members.get(userId) ?? new Set<string>();
    for (const id of roleIds) {
      if (!this.roles.has(id)) this.addRole({ id, name: id });
      roles.add(id);
    }
    org.members.set(userId, roles);
  }

  enroll(userId: string, type: string, confirmed = true): void {
    const list = this.factors.get(userId) ?? [];
    list.push({ id: `${type}|dev_${list.length + 1}`, type, confirmed });
    this.factors.set(userId, list);
  }

  /** What a user holds, in the shape the decision reads (for assertions). */
  holdingsOf(userId: string): { roles: string[]; permissions: string[]; organizations: { id: string; roles: string[] }[]; factors: string[] } {
    return {
      roles: [...(this.userRoles.get(userId) ?? [])].sort(),
      permissions: [...(this.userPermissions.get(userId) ?? [])].sort(),
      organizations: [...this.organizations.values()].filter((o) => o.members.has(userId)).map((o) => ({ id: o.id, roles: [...o.members.get(userId)!].sort() })),
      factors: (this.factors.get(userId) ?? []).map((f) => f.type).sort(),
    };
  }

  /**
   * A user object is deleted (DELETE /users/{id}, or a link making it a secondary): everything
   * that hangs on its user_id goes with it (Auth0 docs, "User Account Linking": the secondary is
   * removed as a user). UNCONFIRMED on a real tenant for each kind; the emulation follows the doc.
   */
  forget(userId: string): void {
    this.userRoles.delete(userId);
    this.userPermissions.delete(userId);
    for (const org of this.organizations.values()) org.members.delete(userId);
    this.factors.delete(userId);
  }

  /**
   * Auth0: "Field names must not contain the . (dot) or $ (dollar sign) characters" (Auth0 docs,
   * "Metadata field names and data types"). Checked at any depth; answered 400 as a payload error.
   */
  checkFieldNames(field: string, value: unknown, path = field): void {
    if (Array.isArray(value)) value.forEach((v, i) => this.checkFieldNames(field, v, `${path}[${i}]`));
    else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key.includes(".") || key.includes("$")) {
          throw new HttpError(400, "Bad Request", `Payload validation error: invalid field name in ${path}: field names must not contain '.' or '$'`, "invalid_body");
        }
        this.checkFieldNames(field, v, `${path}.${key}`);
      }
    }
  }

  /** The 10 KB profile rule (see profileLimit), on the user as it would be stored. */
  checkProfileSize(user: EmulatedUser): void {
    const bytes = Buffer.byteLength(JSON.stringify(user), "utf8");
    if (bytes <= 10_240) return;
    if (this.profileLimit === "refuse") throw new HttpError(400, "Bad Request", "Payload validation error: the user profile exceeds the 10 KB limit", "invalid_body");
    this.oversized.push(user.user_id);
  }

  /** Routes for the endpoints above; undefined when the path is not one of them. */
  route(method: string, path: string, raw: string, users: Map<string, EmulatedUser>, authorize: Authorize, query = new URLSearchParams()): Answer | undefined {
    if (!API_ROUTE.test(path)) return undefined;
    // User search by identity (Auth0 user search v3 supports identities.user_id; read:users): how
    // unlink finds the primary holding a secondary's identity. Other searches fall through.
    const byIdentity = /^identities\.user_id:"((?:[^"\\]|\\.)*)"$/.exec(query.get("q") ?? "");
    if (method === "GET" && path === "/api/v2/users" && byIdentity) {
      authorize("read:users");
      const wanted = byIdentity[1].replace(/\\(.)/g, "$1");
      const found = [...users.values()].filter((u) => u.identities.some((i) => i.user_id === wanted)).map((u) => JSON.parse(JSON.stringify(u)));
      // include_totals=true answers { users, start, limit, length, total } (Auth0 Management API, "List or search users").
      return { status: 200, body: query.get("include_totals") === "true" ? { users: found, start: 0, limit: 50, length: found.length, total: found.length } : found };
    }
    const body = () => JSON.parse(raw || "{}") as Record<string, unknown>;
    const user = (encoded: string): string => {
      const id = decodeURIComponent(encoded);
      if (!users.has(id)) throw new HttpError(404, "Not Found", "The user does not exist.", "inexistent_user");
      return id;
    };
    const list = (value: unknown, what: string): string[] => {
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string")) throw new HttpError(400, "Bad Request", `Payload validation error: '${what}' must be a non-empty list of strings`);
      return value as string[];
    };

    // Users' tenant roles (Auth0 Management API: GET/POST/DELETE /api/v2/users/{id}/roles).
    let m = /^\/api\/v2\/users\/([^/]+)\/roles$/.exec(path);
    if (m) {
      const id = user(m[1]);
      if (method === "GET") {
        authorize("read:users", "read:roles");
        return { status: 200, body: [...(this.userRoles.get(id) ?? [])].map((r) => ({ id: r, name: this.roles.get(r)?.name ?? r, description: "" })) };
      }
      const roles = list(body().roles, "roles");
      if (roles.some((r) => !this.roles.has(r))) throw new HttpError(404, "Not Found", "The role does not exist.");
      if (method === "POST") {
        authorize("create:role_members");
        this.assignRoles(id, roles);
        return { status: 204, body: undefined };
      }
      if (method === "DELETE") {
        authorize("delete:role_members");
        for (const r of roles) this.userRoles.get(id)?.delete(r);
        return { status: 204, body: undefined };
      }
    }

    // Direct permissions; GET also lists those from directly assigned roles, with their sources
    // (Auth0 Management API, "Get a User's Permissions": direct assignments and directly assigned roles).
    m = /^\/api\/v2\/users\/([^/]+)\/permissions$/.exec(path);
    if (m) {
      const id = user(m[1]);
      if (method === "GET") {
        authorize("read:users");
        const out = new Map<string, { source_id: string; source_type: string }[]>();
        for (const p of this.userPermissions.get(id) ?? []) out.set(p, [{ source_id: "", source_type: "DIRECT" }]);
        for (const r of this.userRoles.get(id) ?? []) {
          for (const p of this.roles.get(r)?.permissions ?? []) out.set(p, [...(out.get(p) ?? []), { source_id: r, source_type: "ROLE" }]);
        }
        return { status: 200, body: [...out].map(([p, sources]) => ({ ...permissionParts(p), resource_server_name: "", description: "", sources })) };
      }
      const permissions = body().permissions;
      if (!Array.isArray(permissions) || permissions.length === 0) throw new HttpError(400, "Bad Request", "Payload validation error: 'permissions' is required");
      const names = permissions.map((p) => `${(p as Record<string, string>).resource_server_identifier} ${(p as Record<string, string>).permission_name}`);
      authorize("update:users");
      if (method === "POST") {
        this.grantPermissions(id, names);
        return { status: 201, body: undefined };
      }
      if (method === "DELETE") {
        for (const n of names) this.userPermissions.get(id)?.delete(n);
        return { status: 204, body: undefined };
      }
    }

    // A user's Organizations (Auth0 docs, "Retrieve User Membership": read:organizations).
    m = /^\/api\/v2\/users\/([^/]+)\/organizations$/.exec(path);
    if (m && method === "GET") {
      const id = user(m[1]);
      authorize("read:organizations");
      return { status: 200, body: [...this.organizations.values()].filter((o) => o.members.has(id)).map((o) => ({ id: o.id, name: o.name, display_name: o.name })) };
    }

    // Enrolled authentication methods (Auth0 docs, "Manage Authentication Methods with Management API": read:authentication_methods).
    m = /^\/api\/v2\/users\/([^/]+)\/authentication-methods$/.exec(path);
    if (m && method === "GET") {
      const id = user(m[1]);
      authorize("read:authentication_methods");
      return { status: 200, body: (this.factors.get(id) ?? []).map((f) => ({ ...f, created_at: "2024-01-01T00:00:00.000Z" })) };
    }

    // Organization members (POST/DELETE /api/v2/organizations/{id}/members).
    m = /^\/api\/v2\/organizations\/([^/]+)\/members$/.exec(path);
    if (m && (method === "POST" || method === "DELETE")) {
      const org = this.organizations.get(decodeURIComponent(m[1]));
      authorize(method === "POST" ? "create:organization_members" : "delete:organization_members");
      if (!org) throw new HttpError(404, "Not Found", "No organization found by that id.");
      const members = list(body().members, "members");
      for (const id of members) {
        if (!users.has(id)) throw new HttpError(400, "Bad Request", "One or more users do not exist.");
        if (method === "POST") org.members.set(id, org.members.get(id) ?? new Set<string>());
        else org.members.delete(id);
      }
      return { status: 204, body: undefined };
    }

    // An Organization member's roles (read:/create:/delete:organization_member_roles).
    m = /^\/api\/v2\/organizations\/([^/]+)\/members\/([^/]+)\/roles$/.exec(path);
    if (m) {
      const org = this.organizations.get(decodeURIComponent(m[1]));
      const id = decodeURIComponent(m[2]);
      const scope = { GET: "read", POST: "create", DELETE: "delete" }[method];
      if (!scope) return undefined;
      authorize(`${scope}:organization_member_roles`);
      const roles = org?.members.get(id);
      if (!org || !roles) throw new HttpError(404, "Not Found", "The user is not a member of the organization.");
      if (method === "GET") return { status: 200, body: [...roles].map((r) => ({ id: r, name: this.roles.get(r)?.name ?? r, description: "" })) };
      const wanted = list(body().roles, "roles");
      if (wanted.some((r) => !this.roles.has(r))) throw new HttpError(404, "Not Found", "The role does not exist.");
      for (const r of wanted) {
        if (method === "POST") roles.add(r);
        else roles.delete(r);
      }
      return { status: 204, body: undefined };
    }

    // Unlink (Auth0 docs, "Unlink User Accounts"; scope update:users): the identity leaves the
    // primary and is re-created as a standalone user with no metadata; the answer is the primary's
    // remaining identities.
    m = /^\/api\/v2\/users\/([^/]+)\/identities\/([^/]+)\/([^/]+)$/.exec(path);
    if (m && method === "DELETE") {
      authorize("update:users");
      const primary = users.get(user(m[1]))!;
      const provider = decodeURIComponent(m[2]);
      const identityId = decodeURIComponent(m[3]);
      const index = primary.identities.findIndex((i, n) => n > 0 && i.provider === provider && i.user_id === identityId);
      if (index < 0) throw new HttpError(400, "Bad Request", "The identity is not linked to this user.");
      const [identity] = primary.identities.splice(index, 1);
      const profile = (identity.profileData ?? {}) as Record<string, unknown>;
      const { profileData: _dropped, ...plain } = identity;
      const recreated: EmulatedUser = {
        user_id: `${provider}|${identityId}`,
        ...(typeof profile.email === "string" ? { email: profile.email } : {}),
        email_verified: profile.email_verified ?? false,
        created_at: new Date().toISOString(),
        identities: [plain],
        app_metadata: {},
        user_metadata: {},
      };
      users.set(recreated.user_id, recreated);
      return { status: 200, body: JSON.parse(JSON.stringify(primary.identities)) };
    }
    return undefined;
  }
}
