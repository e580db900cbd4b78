// A generated tenant for the backfill: duplicate clusters of 2, 3 and 5 accounts across social,
// database and passwordless connections, mixed-case emails, unverified members, members on an
// excluded connection, already-linked users, conflicting primaries, singles and users without an
// email. Deterministic: the same spec seeds the same tenant (ids, dates, metadata).
import type { EmulatedUser, ManagementApiEmulator, NewUser } from "./management-api";

export const EXCLUDED = "legacy-db";

const CONNECTIONS: Array<{ connection: string; provider: string }> = [
  { connection: "github", provider: "github" },
  { connection: "google-oauth2", provider: "google-oauth2" },
  { connection: "Username-Password-Authentication", provider: "auth0" },
  { connection: "email", provider: "email" },
  { connection: "windowslive", provider: "windowslive" },
];

export interface TenantSpec {
  /** How many clusters of each kind. */
  pairs: number;
  triples: number;
  fives: number;
  withUnverified: number;
  withExcluded: number;
  alreadyLinked: number;
  conflicting: number;
  singles: number;
  withoutEmail: number;
}

export const SMALL: TenantSpec = { pairs: 6, triples: 4, fives: 2, withUnverified: 3, withExcluded: 3, alreadyLinked: 2, conflicting: 1, singles: 10, withoutEmail: 3 };

export interface GeneratedTenant {
  /** Clusters the policy (excluding EXCLUDED) links, by normalised email: the members that end linked. */
  linkable: Map<string, string[]>;
  /** Accounts that must stay standalone users. */
  untouched: string[];
}

export function seedTenant(tenant: ManagementApiEmulator, spec: TenantSpec = SMALL): GeneratedTenant {
  let n = 0;
  let day = 0;
  const created = () => new Date(Date.UTC(2020, 0, 1) + day++ * 86_400_000).toISOString();
  const linkable = new Map<string, string[]>();
  const untouched: string[] = [];
  const add = (email: string | undefined, i: number, extra: Partial<NewUser> = {}): EmulatedUser => {
    const c = CONNECTIONS[i % CONNECTIONS.length];
    n++;
    return tenant.createUser({
      user_id: `${c.provider}|u${String(n).padStart(5, "0")}`,
      connection: c.connection,
      email,
      email_verified: true,
      created_at: created(),
      user_metadata: { [`from_${n}`]: n, shared: `value-${n}` },
      app_metadata: { plan: n % 2 ? "pro" : "free" },
      ...extra,
    });
  };
  // Social providers keep the IdP's case; database and passwordless emails are lower-cased by Auth0.
  const mixed = (email: string, i: number) => (i % 2 === 0 ? email.replace(/^./, (ch) => ch.toUpperCase()) : email);
  const cluster = (prefix: string, count: number, size: number) => {
    for (let k = 0; k < count; k++) {
      const email = `${prefix}${k}@example.com`;
      linkable.set(email, Array.from({ length: size }, (_, i) => add(mixed(email, i), i + k).user_id));
    }
  };
  cluster("pair", spec.pairs, 2);
  cluster("triple", spec.triples, 3);
  cluster("five", spec.fives, 5);
  for (let k = 0; k < spec.withUnverified; k++) {
    const email = `unverified${k}@example.com`;
    linkable.set(email, [add(email, 0).user_id, add(email, 1).user_id]);
    untouched.push(add(email, 2, { email_verified: false }).user_id);
  }
  for (let k = 0; k < spec.withExcluded; k++) {
    const email = `excluded${k}@example.com`;
    linkable.set(email, [add(email, 0).user_id, add(email, 1).user_id]);
    n++;
    untouched.push(tenant.createUser({ user_id: `auth0|legacy${n}`, connection: EXCLUDED, email, email_verified: true, created_at: created() }).user_id);
  }
  const linkDirectly = (primaryId: string, secondaryId: string) => {
    const primary = tenant.users.get(primaryId)!;
    const secondary = tenant.users.get(secondaryId)!;
    tenant.users.delete(secondaryId);
    primary.identities.push({ ...secondary.identities[0], profileData: { email: secondary.email } });
  };
  for (let k = 0; k < spec.alreadyLinked; k++) {
    // Linked long ago (Rules era); a newer account with the same email joins it.
    const email = `linked${k}@example.com`;
    const primary = add(email, 0).user_id;
    linkDirectly(primary, add(email, 1).user_id);
    linkable.set(email, [primary, add(email, 2).user_id]);
  }
  for (let k = 0; k < spec.conflicting; k++) {
    const email = `conflict${k}@example.com`;
    const a = add(email, 0).user_id;
    linkDirectly(a, add(email, 1).user_id);
    const b = add(email, 2).user_id;
    linkDirectly(b, add(email, 3).user_id);
    untouched.push(a, b);
  }
  for (let k = 0; k < spec.singles; k++) untouched.push(add(`single${k}@example.com`, k).user_id);
  for (let k = 0; k < spec.withoutEmail; k++) untouched.push(add(undefined, k).user_id);
  return { linkable, untouched };
}

/** A comparable picture of the tenant's users: ids, identities, metadata. */
export function tenantState(tenant: ManagementApiEmulator): unknown {
  // Undo entries carry the time of their link (and are kept newest first): two runs compare equal
  // whatever their clock and whichever run linked which secondary.
  const timeless = (app: Record<string, unknown>) =>
    JSON.parse(
      JSON.stringify(app, (key, value) => {
        if (key === "at" && typeof value === "number") return "<time>";
        if (key === "entries" && Array.isArray(value)) return [...value].sort((a, b) => (a.user < b.user ? -1 : 1));
        return value;
      }),
    ) as unknown;
  return [...tenant.users.values()]
    .map((u) => ({ user_id: u.user_id, email: u.email, identities: u.identities.map((i) => `${i.provider}|${i.user_id}`).sort(), app_metadata: timeless(u.app_metadata), user_metadata: u.user_metadata }))
    .sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
}
