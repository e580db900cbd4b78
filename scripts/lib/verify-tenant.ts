// Checks a live tenant against the synthesized stack: the linking Action exists and runs the
// synthesized code behind the settings prologue this tenant should get (the configuration's policy,
// the tenant's domain and audience, the id of the linking application found in the tenant), its
// secret names are exactly the write-only ones, it is bound to post-login where the stack puts it,
// and its application holds exactly the synthesized Management API grant. Never needs a secret
// value. Reading goes through the auth0 SDK; the comparison is pure so its wording is tested directly.
import { createHash } from "crypto";
import type { ManagementClient } from "auth0";
import { readDeployedCode, renderSettingsPrologue, SETTINGS_VARIABLE, splitCodeTemplate } from "../../stacks/action-settings";
import { CliError, type SynthesizedJson } from "./target";

export interface ExpectedTenant {
  action: {
    name: string;
    /** The synthesized bundle (the code after the settings prologue). */
    bundle: string;
    /** Settings every login gets, but the client id, which is the live application's. */
    settings: { domain: string; audience: string; policy: unknown };
    runtime: string;
    dependencies: string[];
    secretNames: string[];
  };
  binding: { mode: "owned"; order: Array<{ id: string | "linking"; displayName: string }> } | { mode: "additive" };
  client: { name: string };
  grant: { audience: string; scopes: string[] };
}

export interface LiveTenant {
  actions: Array<{ id: string; name: string }>;
  action?: {
    id: string;
    deployed?: { code: string; runtime?: string; dependencies: string[]; secretNames: string[]; deployed: boolean };
    allChangesDeployed?: boolean;
  };
  bindings: Array<{ actionId: string; name: string }>;
  clients: Array<{ clientId: string; name: string }>;
  grants: Array<{ id: string; audience: string; scopes: string[] }>;
}

export interface Check {
  ok: boolean;
  what: string;
  /** Readable detail: for a drift, expected versus found. */
  detail: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** How the synthesized binding refers to the linking Action (resolved only at apply). */
export const LINKING_REF = "${auth0_action.linking_action.id}";
const LINKING_NAME_REF = "${auth0_action.linking_action.name}";

function resource(json: SynthesizedJson, type: string, name: string): Record<string, any> | undefined {
  return json.resource?.[type]?.[name] as Record<string, any> | undefined;
}

/**
 * What the synthesized stack says the tenant holds. `tenant` is what data.auth0_tenant reads
 * (stacks/action-settings.ts, tenantValues); `policy` the configuration's, as serializePolicy emits it.
 */
export function expectedFromSynth(json: SynthesizedJson, tenant: { domain: string; audience: string }, policy: unknown): ExpectedTenant {
  const action = resource(json, "auth0_action", "linking_action");
  const client = resource(json, "auth0_client", "linking_client");
  const grant = resource(json, "auth0_client_grant", "linking_client_grant");
  const owned = resource(json, "auth0_trigger_actions", "post_login_binding");
  const additive = resource(json, "auth0_trigger_action", "post_login_binding_additive");
  const missing = [
    !action && "auth0_action.linking_action",
    !client && "auth0_client.linking_client",
    !grant && "auth0_client_grant.linking_client_grant",
    !owned && !additive && "a post-login binding",
  ].filter(Boolean);
  if (missing.length > 0) throw new CliError(`the synthesized stack has no ${missing.join(", ")}; run "npm run synth" again`);
  const split = splitCodeTemplate(String(action!.code));
  if (!split || action!.secrets !== undefined) throw new CliError(`the synthesized Action predates write-only secrets (no ${SETTINGS_VARIABLE} prologue); run "npm run synth" again`);
  return {
    action: {
      name: String(action!.name),
      bundle: split.bundle,
      settings: { domain: tenant.domain, audience: tenant.audience, policy },
      runtime: String(action!.runtime),
      dependencies: ((action!.dependencies ?? []) as Array<{ name: string; version: string }>).map((d) => `${d.name}@${d.version}`).sort(),
      secretNames: ((action!.secrets_wo ?? []) as Array<{ name: string }>).map((s) => s.name).sort(),
    },
    binding: owned
      ? {
          mode: "owned",
          order: (owned.actions as Array<{ id: string; display_name: string }>).map((a) => ({
            id: a.id === LINKING_REF ? "linking" : a.id,
            displayName: a.display_name === LINKING_NAME_REF ? String(action!.name) : a.display_name,
          })),
        }
      : { mode: "additive" },
    client: { name: String(client!.name) },
    grant: { audience: tenant.audience, scopes: [...(grant!.scopes as string[])].sort() },
  };
}

function setDiff(label: string, expected: string[], found: string[]): string[] {
  const missing = expected.filter((x) => !found.includes(x));
  const extra = found.filter((x) => !expected.includes(x));
  return [...missing.map((x) => `- ${label} expected, not in the tenant: ${x}`), ...extra.map((x) => `+ ${label} in the tenant, not in the stack: ${x}`)];
}

const short = (hash: string) => hash.slice(0, 12);
/**
 * The deployed code must be exactly prologue(expected settings) + the synthesized bundle. The
 * client id is the live application's (a re-created client must have reached the Action). On a
 * difference, says which part: the settings (values shown: none is secret) or the bundle (hashes).
 */
function compareCode(expected: ExpectedTenant, code: string, clients: Array<{ clientId: string }>): Check[] {
  const what = "deployed code is the synthesized bundle behind this tenant's settings";
  if (clients.length !== 1) {
    return [{ ok: false, what, detail: ["- cannot be checked: the Action's application is not found exactly once (see below)"] }];
  }
  const settings = { domain: expected.action.settings.domain, audience: expected.action.settings.audience, clientId: clients[0].clientId, policy: expected.action.settings.policy };
  const want = renderSettingsPrologue(settings) + expected.action.bundle;
  if (code === want) return [{ ok: true, what, detail: [] }];
  const found = readDeployedCode(code);
  const detail: string[] = [];
  if (!found) {
    detail.push(`- a ${SETTINGS_VARIABLE} prologue with this tenant's settings`, "+ deployed code has no readable prologue (deployed before write-only secrets, or edited outside Terraform)");
  } else {
    const prologueOk = code.startsWith(renderSettingsPrologue(settings));
    for (const key of Object.keys(settings) as Array<keyof typeof settings>) {
      const want = JSON.stringify(settings[key]);
      const got = JSON.stringify(found.settings[key]);
      if (want !== got) detail.push(`- settings.${key}: ${want}`, `+ settings.${key}: ${got ?? "(missing)"}`);
    }
    for (const key of Object.keys(found.settings)) if (!(key in settings)) detail.push(`+ settings.${key}: not in the stack`);
    if (!prologueOk && detail.length === 0) detail.push("- the settings line as the stack renders it", "+ the same values, written differently (edited outside Terraform?)");
    if (found.bundle !== expected.action.bundle) {
      detail.push(`- synthesized bundle: sha256 ${short(sha256(expected.action.bundle))}… (${Buffer.byteLength(expected.action.bundle)} bytes)`, `+ deployed bundle:    sha256 ${short(sha256(found.bundle))}… (${Buffer.byteLength(found.bundle)} bytes)`);
    }
  }
  return [{ ok: false, what, detail }];
}

export function compareTenant(expected: ExpectedTenant, live: LiveTenant): Check[] {
  const checks: Check[] = [];
  const check = (ok: boolean, what: string, detail: string[] = []) => checks.push({ ok, what, detail });
  const name = expected.action.name;

  const named = live.actions.filter((a) => a.name === name);
  check(named.length === 1, `Action "${name}" exists once`, named.length === 0 ? ["- not found in the tenant (never deployed, or renamed or deleted outside Terraform)"] : named.length > 1 ? [`+ ${named.length} Actions share the name: ${named.map((a) => a.id).join(", ")}`] : []);
  const deployed = live.action?.deployed;
  if (live.action) {
    if (!deployed) {
      check(false, "Action has a deployed version", ["- no deployed version: the Action was created but never deployed"]);
    } else {
      for (const c of compareCode(expected, deployed.code, live.clients.filter((c) => c.name === expected.client.name))) checks.push(c);
      check(deployed.deployed && live.action.allChangesDeployed !== false, "no undeployed draft", deployed.deployed ? (live.action.allChangesDeployed === false ? ["+ the Action has a draft that differs from its deployed version (edited in the dashboard?)"] : []) : ["- the latest version is not deployed"]);
      check(deployed.runtime === expected.action.runtime, `runtime ${expected.action.runtime}`, deployed.runtime === expected.action.runtime ? [] : [`- ${expected.action.runtime}`, `+ ${deployed.runtime ?? "(none)"}`]);
      const depDiff = setDiff("dependency", expected.action.dependencies, [...deployed.dependencies].sort());
      check(depDiff.length === 0, "npm dependencies", depDiff);
      const secretDiff = setDiff("secret", expected.action.secretNames, [...deployed.secretNames].sort());
      check(secretDiff.length === 0, "secret names (values are not readable)", secretDiff);
    }
  }

  const actionId = live.action?.id;
  const boundIds = live.bindings.map((b) => b.actionId);
  const describeFlow = (ids: string[]) => (ids.length === 0 ? "(empty)" : ids.map((id) => (id === actionId ? `${id} (${name})` : id)).join(" → "));
  if (expected.binding.mode === "owned") {
    const want = expected.binding.order.map((b) => (b.id === "linking" ? actionId ?? "(the linking Action)" : b.id));
    const same = want.length === boundIds.length && want.every((id, i) => id === boundIds[i]);
    check(same, `post-login flow is exactly the stack's: ${name} first${want.length > 1 ? `, then ${want.length - 1} more` : ""}`, same ? [] : [`- stack:  ${describeFlow(want)}`, `+ tenant: ${describeFlow(boundIds)}`]);
  } else {
    const bound = actionId !== undefined && boundIds.includes(actionId);
    check(bound, `${name} is bound to post-login (additive: appended to the flow)`, bound ? [] : [`- expected in the flow`, `+ tenant: ${describeFlow(boundIds)}`]);
  }

  const clients = live.clients.filter((c) => c.name === expected.client.name);
  check(clients.length === 1, `application "${expected.client.name}" exists once`, clients.length === 0 ? ["- not found in the tenant"] : clients.length > 1 ? [`+ ${clients.length} applications share the name: ${clients.map((c) => c.clientId).join(", ")}`] : []);
  if (clients.length === 1) {
    const onApi = live.grants.filter((g) => g.audience === expected.grant.audience);
    const others = live.grants.filter((g) => g.audience !== expected.grant.audience);
    check(onApi.length === 1, "one grant on the Management API", onApi.length === 0 ? [`- no grant for ${expected.grant.audience}`] : onApi.length > 1 ? [`+ ${onApi.length} grants for ${expected.grant.audience}`] : []);
    if (onApi.length === 1) {
      const scopeDiff = setDiff("scope", expected.grant.scopes, [...onApi[0].scopes].sort());
      check(scopeDiff.length === 0, `scopes are exactly ${expected.grant.scopes.join(" ")}`, scopeDiff);
    }
    check(others.length === 0, "no grant to any other API", others.map((g) => `+ grant ${g.id} to ${g.audience}: ${g.scopes.join(" ") || "(no scopes)"}`));
  }
  return checks;
}

/** Reads what compareTenant needs; the Action's application is found by its synthesized name. */
export async function readTenant(client: ManagementClient, expected: ExpectedTenant): Promise<LiveTenant> {
  const actions: LiveTenant["actions"] = [];
  for await (const a of await client.actions.list({ actionName: expected.action.name, triggerId: "post-login", per_page: 50 })) {
    if (a.id && a.name) actions.push({ id: a.id, name: a.name });
  }
  const named = actions.filter((a) => a.name === expected.action.name);
  let action: LiveTenant["action"];
  if (named.length === 1) {
    const full = await client.actions.get(named[0].id);
    const d = full.deployed_version;
    action = {
      id: named[0].id,
      allChangesDeployed: full.all_changes_deployed,
      deployed: d?.code === undefined ? undefined : {
        code: d.code,
        runtime: d.runtime,
        dependencies: (d.dependencies ?? []).map((dep) => `${dep.name}@${dep.version}`),
        secretNames: (d.secrets ?? []).map((s) => String(s.name)),
        deployed: d.deployed !== false,
      },
    };
  }
  const bindings: LiveTenant["bindings"] = [];
  for await (const b of await client.actions.triggers.bindings.list("post-login", { per_page: 50 })) {
    bindings.push({ actionId: String(b.action?.id), name: String(b.display_name ?? b.action?.name) });
  }
  const clients: LiveTenant["clients"] = [];
  for await (const c of await client.clients.list({ fields: "client_id,name", include_fields: true, per_page: 100 })) {
    if (c.name === expected.client.name && c.client_id) clients.push({ clientId: c.client_id, name: c.name });
  }
  const grants: LiveTenant["grants"] = [];
  if (clients.length === 1) {
    for await (const g of await client.clientGrants.list({ client_id: clients[0].clientId })) {
      grants.push({ id: String(g.id), audience: String(g.audience), scopes: g.scope ?? [] });
    }
  }
  return { actions, action, bindings, clients, grants };
}

export function formatReport(stackName: string, checks: Check[]): string {
  const lines = checks.flatMap((c) => [`  ${c.ok ? "ok   " : "DRIFT"} ${c.what}`, ...c.detail.map((d) => `          ${d}`)]);
  const drifts = checks.filter((c) => !c.ok).length;
  lines.push(
    "",
    drifts === 0
      ? `${stackName}: the tenant matches the synthesized stack (${checks.length} checks).`
      : `${stackName}: ${drifts} of ${checks.length} checks found drift. "npm run plan -- ${stackName.replace(/^auth0-/, "")}" shows what a deploy would put back.`,
  );
  return lines.join("\n");
}
