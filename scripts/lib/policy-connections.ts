// The connections an environment's policy names (trust entries, primaryConnectionOrder), checked
// against the tenant before anything is planned: a typo (`okta-workfroce`) would otherwise
// synthesize and deploy, and a misspelt `excluded` entry would leave the real connection linkable.
//
// Why here and not as `data "auth0_connection"` in the stack: the provider's data source stores
// the whole connection in Terraform state and in every saved plan, `options.client_secret` and
// signing keys included (terraform-provider-auth0 internal/auth0/connection/flatten.go,
// flattenConnectionForDataSource), and this project keeps secrets out of state and plans. The
// lookup below asks GET /api/v2/connections for names and strategies only (`fields`), so no
// connection secret is ever read. It needs `read:connections`
// (https://auth0.com/docs/api/management/v2/connections/get-connections), and that scope is one
// that CAN return connection secrets (options.client_secret): the applications CI holds are never
// given it (docs/delivery.md). Without it the check is skipped with one warning line saying so;
// an operator who accepts the scope on an application of their own gets the check.
import type { ManagementClient } from "auth0";
import type { ResolvedEnvironment } from "../../stacks/config";
import { CliError } from "./target";

export interface NamedConnection {
  name: string;
  /** Where the configuration names it, e.g. `policy.connections` (excluded). */
  where: string;
}

export interface TenantConnection {
  name: string;
  strategy: string;
}

/** Auth0 keeps connection names unique without ASCII case, and the policy compares them that way. */
const key = (name: string) => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * Every connection the policy names that must already exist. The smoke test's connections are
 * left out: the stack creates them.
 */
export function connectionsNamed(environment: ResolvedEnvironment): NamedConnection[] {
  const created = new Set((environment.smoke?.connections ?? []).map(key));
  const named: NamedConnection[] = [];
  for (const [name, level] of Object.entries(environment.policy.connections)) named.push({ name, where: `policy.connections (${level})` });
  for (const name of environment.policy.primaryConnectionOrder) named.push({ name, where: "policy.primaryConnectionOrder" });
  return named.filter((n) => !created.has(key(n.name)));
}

/** The named connections the tenant does not have. */
export function missingConnections(named: NamedConnection[], tenant: TenantConnection[]): NamedConnection[] {
  const present = new Set(tenant.map((c) => key(c.name)));
  return named.filter((n) => !present.has(key(n.name)));
}

/** The tenant's connections the policy does not mention (their accounts need confirmation, the default). */
export function unmentionedConnections(environment: ResolvedEnvironment, tenant: TenantConnection[]): TenantConnection[] {
  const mentioned = new Set([...Object.keys(environment.policy.connections), ...environment.policy.primaryConnectionOrder].map(key));
  return tenant.filter((c) => !mentioned.has(key(c.name)));
}

/** Names and strategies of every connection on the tenant (never `options`: they hold secrets). */
export async function readTenantConnections(client: ManagementClient): Promise<TenantConnection[]> {
  const found: TenantConnection[] = [];
  for await (const c of await client.connections.list({ fields: "name,strategy", include_fields: true, take: 100 })) {
    if (c.name) found.push({ name: c.name, strategy: String(c.strategy ?? "") });
  }
  return found;
}

export function describeMissing(environment: ResolvedEnvironment, missing: NamedConnection[], domain: string): string {
  const list = missing.map((m) => `"${m.name}" (${m.where})`).join(", ");
  return (
    `${environment.stackName} (${environment.tenant}): environment "${environment.name}" names ${missing.length === 1 ? "a connection" : "connections"} ` +
    `that ${domain} does not have: ${list}. Correct the name in stacks/environments.ts, or create the connection first.`
  );
}

/** One line for a failed request: the status and Auth0's own message (the SDK's spans lines). */
export function lookupError(err: unknown, needs = "read:connections"): string {
  const e = err as { statusCode?: number; message?: string; body?: { message?: unknown } };
  const said = typeof e.body?.message === "string" ? e.body.message : String(e.message ?? err).split("\n")[0];
  const hint = e.statusCode === 403 ? ` (the application needs ${needs})` : e.statusCode === 401 ? " (check the credentials)" : "";
  return `${e.statusCode ? `${e.statusCode} ` : ""}${said}${hint}`;
}

/** The check could not run: the credentials lack read:connections (deliberately, in CI). */
export function uncheckedNote(environment: ResolvedEnvironment, named: NamedConnection[]): string {
  return (
    `${environment.stackName}: the ${named.length} connection name(s) the policy uses were not checked against the tenant: ` +
    `these credentials lack read:connections, a scope that can also read connection secrets (docs/configuration.md, "Connection names are checked")`
  );
}

/** Why a lookup failed, with what to give the credentials. */
export function lookupFailure(environment: ResolvedEnvironment, domain: string, err: unknown): CliError {
  return new CliError(`${environment.stackName}: listing the connections of ${domain} failed: ${lookupError(err)}`);
}

/**
 * Fails, before Terraform runs, when the policy names a connection the tenant does not have. No
 * request when the policy names none.
 */
export async function checkNamedConnections(environment: ResolvedEnvironment, domain: string, client: () => ManagementClient): Promise<void> {
  const named = connectionsNamed(environment);
  if (named.length === 0) return;
  let tenant: TenantConnection[];
  try {
    tenant = await readTenantConnections(client());
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 403) {
      console.warn(`warning: ${uncheckedNote(environment, named)}`);
      return;
    }
    throw lookupFailure(environment, domain, err);
  }
  const missing = missingConnections(named, tenant);
  if (missing.length > 0) throw new CliError(describeMissing(environment, missing, domain));
}

/**
 * verify's view: every named connection exists (drift when not), and the tenant's connections the
 * policy does not mention, listed for review (not drift: they need confirmation, the default).
 */
export function connectionChecks(environment: ResolvedEnvironment, tenant: TenantConnection[] | { error: string; unchecked?: boolean }): Array<{ ok: boolean; what: string; detail: string[] }> {
  const what = "every connection the policy names exists";
  if ("error" in tenant && tenant.unchecked) {
    return [{ ok: true, what: "connection names not checked: these credentials lack read:connections (it can read connection secrets; see docs/configuration.md)", detail: [] }];
  }
  if ("error" in tenant) return [{ ok: false, what, detail: [`- cannot be checked: ${tenant.error}`] }];
  const missing = missingConnections(connectionsNamed(environment), tenant);
  const others = unmentionedConnections(environment, tenant);
  return [
    { ok: missing.length === 0, what, detail: missing.map((m) => `- ${m.name} (${m.where}): not a connection of this tenant`) },
    {
      ok: true,
      what: others.length === 0 ? "every connection of the tenant is named in the policy" : `${others.length} connection(s) of the tenant not named in the policy (their accounts link only when confirmed)`,
      detail: others.map((c) => `  ${c.name} (${c.strategy})`),
    },
  ];
}
