// The Management API scopes the Action's application is granted (no cdktf here: the test
// runtime and verify read them too).

/**
 * read:users for GET /users-by-email and GET /users/{id}; update:users to PATCH metadata and link.
 * What a would-be secondary holds, read on the linking path only (Auth0 Management API v2 docs,
 * each endpoint's "Scopes"): read:roles (GET /users/{id}/roles, with read:users),
 * read:organizations (GET /users/{id}/organizations), read:organization_member_roles
 * (GET /organizations/{id}/members/{user_id}/roles), read:authentication_methods
 * (GET /users/{id}/authentication-methods). Direct permissions (GET /users/{id}/permissions) need read:users.
 */
export const MANAGEMENT_SCOPES = ["read:users", "update:users", "read:roles", "read:organizations", "read:organization_member_roles", "read:authentication_methods"] as const;

/**
 * authorization "carry" only: giving the primary what the secondary held. POST /users/{id}/roles
 * (create:role_members; UNCONFIRMED whether update:users alone is accepted), POST
 * /users/{id}/permissions (update:users), POST /organizations/{id}/members
 * (create:organization_members), POST /organizations/{id}/members/{user_id}/roles
 * (create:organization_member_roles).
 */
export const CARRY_SCOPES = ["create:role_members", "create:organization_members", "create:organization_member_roles"] as const;

/** The scopes the Action's grant holds for a policy: the carry writes only where the environment carries. */
export function managementScopes(authorization: "refuse" | "carry"): string[] {
  return authorization === "carry" ? [...MANAGEMENT_SCOPES, ...CARRY_SCOPES] : [...MANAGEMENT_SCOPES];
}
