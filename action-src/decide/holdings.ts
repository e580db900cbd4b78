// What an account holds off its profile, and what a link would take away.
//
// A link deletes the secondary user object; what hangs on its user_id and is not in its profile
// goes with it: tenant roles, direct permissions, Organization memberships and their roles,
// enrolled authentication methods (Auth0 docs, "User Account Linking": the secondary is removed
// as a user; its roles/memberships/factors are not moved to the primary. UNCONFIRMED on a real
// tenant: that nothing of these follows the identity into the primary).

/** The agreed input (issue 18): read by the I/O layer for the would-be primary and secondaries. */
export interface Holdings {
  /** Tenant role ids (GET /users/{id}/roles). */
  roles: string[];
  /** Direct permissions as "<resource_server_identifier> <permission_name>". */
  permissions: string[];
  /** Organization memberships and the member's roles in each (role ids). */
  organizations: { id: string; roles: string[] }[];
  /** Enrolled authentication method types (GET /users/{id}/authentication-methods). */
  factors: string[];
}

/** Authorization a link would move or take away; `joined`: the membership itself is new to the receiver. */
export interface Grants {
  roles: string[];
  permissions: string[];
  organizations: { id: string; roles: string[]; joined?: true }[];
}

/** The kinds named in refuse.authorization_differs (never ids or names). */
export type HoldingKind = "roles" | "permissions" | "organizations" | "organization_roles";

export const NO_GRANTS: Grants = { roles: [], permissions: [], organizations: [] };

/** What `secondary` holds that `primary` lacks. */
export function missingFrom(primary: Holdings, secondary: Holdings): Grants {
  const has = (list: string[]) => new Set(list);
  const roles = has(primary.roles);
  const permissions = has(primary.permissions);
  const orgs = new Map(primary.organizations.map((org) => [org.id, has(org.roles)]));
  const organizations: Grants["organizations"] = [];
  for (const org of secondary.organizations) {
    const mine = orgs.get(org.id);
    const lacking = [...new Set(org.roles)].filter((role) => !mine?.has(role));
    if (!mine) organizations.push({ id: org.id, roles: lacking, joined: true });
    else if (lacking.length > 0) organizations.push({ id: org.id, roles: lacking });
  }
  return {
    roles: [...new Set(secondary.roles)].filter((role) => !roles.has(role)),
    permissions: [...new Set(secondary.permissions)].filter((permission) => !permissions.has(permission)),
    organizations,
  };
}

/** The kinds of authorization in `grants`, in a fixed order. */
export function kindsOf(grants: Grants): HoldingKind[] {
  const kinds: HoldingKind[] = [];
  if (grants.roles.length > 0) kinds.push("roles");
  if (grants.permissions.length > 0) kinds.push("permissions");
  if (grants.organizations.some((org) => org.joined)) kinds.push("organizations");
  if (grants.organizations.some((org) => org.roles.length > 0)) kinds.push("organization_roles");
  return kinds;
}

/** Everything an account holds, as grants (what an unlink gives back to the re-created user). */
export function heldGrants(holdings: Holdings): Grants {
  return {
    roles: [...holdings.roles],
    permissions: [...holdings.permissions],
    organizations: holdings.organizations.map((org) => ({ id: org.id, roles: [...org.roles], joined: true as const })),
  };
}

export function isEmptyGrants(grants: Grants): boolean {
  return grants.roles.length === 0 && grants.permissions.length === 0 && grants.organizations.length === 0;
}

/** Adds `more` into `into` (same receiver): used for the union of what several secondaries bring. */
export function addGrants(into: Grants, more: Grants): Grants {
  const orgs = new Map(into.organizations.map((org) => [org.id, { ...org, roles: [...org.roles] }]));
  for (const org of more.organizations) {
    const seen = orgs.get(org.id);
    if (!seen) orgs.set(org.id, { ...org, roles: [...org.roles] });
    else {
      seen.roles = [...new Set([...seen.roles, ...org.roles])];
      if (org.joined) seen.joined = true;
    }
  }
  return {
    roles: [...new Set([...into.roles, ...more.roles])],
    permissions: [...new Set([...into.permissions, ...more.permissions])],
    organizations: [...orgs.values()],
  };
}

/**
 * Method types that are not a second factor: a password is the first factor (it stays with its
 * database identity), recovery codes only stand in for another factor.
 */
const NOT_A_FACTOR = new Set(["password", "recovery-code"]);

/** The factor kinds an account has that the primary lacks. */
export function factorsLost(primary: Holdings, secondary: Holdings): string[] {
  const mine = new Set(primary.factors);
  return [...new Set(secondary.factors)].filter((kind) => !NOT_A_FACTOR.has(kind) && !mine.has(kind));
}

/**
 * True when a would-be secondary holds anything a link could take away. When no secondary does,
 * the primary's holdings are not needed (nothing to compare): the I/O layer reads them only then.
 */
export function holdsAnything(holdings: Holdings): boolean {
  return holdings.roles.length > 0 || holdings.permissions.length > 0 || holdings.organizations.length > 0 || hasFactors(holdings);
}

/** What an account that was not read is taken to hold when nothing needed reading it. */
export const NOTHING_HELD: Holdings = { roles: [], permissions: [], organizations: [], factors: [] };

/** True when the account has any second factor enrolled. */
export function hasFactors(holdings: Holdings | undefined): boolean {
  return !!holdings && holdings.factors.some((kind) => !NOT_A_FACTOR.has(kind));
}
