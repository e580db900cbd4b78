// Checks a live tenant against the synthesized stack: the linking Action (and the confirmation
// Action, when the stack has confirmation) exists and runs the
// synthesized code behind the settings prologue this tenant should get (the configuration's policy,
// the tenant's domain and audience, the id of the linking application found in the tenant), its
// secret names are exactly the write-only ones, it is bound to post-login where the stack puts it,
// and its application holds exactly the synthesized Management API grant. Never needs a secret
// value. Reading goes through the auth0 SDK; the comparison is pure so its wording is tested directly.
import { createHash } from "crypto";
import type { ManagementClient } from "auth0";
import { customDomainOf, readDeployedCode, renderSettingsPrologue, SETTINGS_VARIABLE, splitCodeTemplate } from "../../stacks/action-settings";
import { CliError, type SynthesizedJson } from "./target";

export interface ExpectedAction {
  name: string;
  /** The synthesized bundle (the code after the settings prologue). */
  bundle: string;
  /** Settings every login gets, but the client ids, which are the live applications'. */
  settings: { domain: string; audience: string; policy: unknown; customDomain?: string };
  runtime: string;
  dependencies: string[];
  secretNames: string[];
}

export interface ExpectedTenant {
  action: ExpectedAction;
  /** Confirmed linking: the second Action and the public application it signs people in with. */
  confirmation?: { action: ExpectedAction; clientName: string };
  binding: { mode: "owned"; order: Array<{ id: string | "linking" | "confirmation"; displayName: string }> } | { mode: "additive" };
  client: { name: string };
  grant: { audience: string; scopes: string[] };
}

export interface LiveAction {
  id: string;
  deployed?: { code: string; runtime?: string; dependencies: string[]; secretNames: string[]; deployed: boolean };
  allChangesDeployed?: boolean;
}

export interface LiveTenant {
  actions: Array<{ id: string; name: string }>;
  action?: LiveAction;
  bindings: Array<{ actionId: string; name: string }>;
  clients: Array<{ clientId: string; name: string }>;
  grants: Array<{ id: string; audience: string; scopes: string[] }>;
  confirmation?: {
    action?: LiveAction;
    clients: Array<{ clientId: string; name: string }>;
    grants: Array<{ id: string; audience: string; scopes: string[] }>;
  };
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
export const CONFIRMATION_REF = "${auth0_action.linking_confirmation_action.id}";
const CONFIRMATION_NAME_REF = "${auth0_action.linking_confirmation_action.name}";

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
  const expectedAction = (spec: Record<string, any>): ExpectedAction => {
    const split = splitCodeTemplate(String(spec.code));
    if (!split || spec.secrets !== undefined) throw new CliError(`the synthesized Action predates write-only secrets (no ${SETTINGS_VARIABLE} prologue); run "npm run synth" again`);
    return {
      name: String(spec.name),
      bundle: split.bundle,
      settings: { domain: tenant.domain, audience: tenant.audience, policy, ...(customDomainOf(split.prologueTemplate) ? { customDomain: customDomainOf(split.prologueTemplate) } : {}) },
      runtime: String(spec.runtime),
      dependencies: ((spec.dependencies ?? []) as Array<{ name: string; version: string }>).map((d) => `${d.name}@${d.version}`).sort(),
      secretNames: ((spec.secrets_wo ?? []) as Array<{ name: string }>).map((s) => s.name).sort(),
    };
  };
  const confirmAction = resource(json, "auth0_action", "linking_confirmation_action");
  const confirmClient = resource(json, "auth0_client", "confirmation_client");
  return {
    action: expectedAction(action!),
    ...(confirmAction && confirmClient ? { confirmation: { action: expectedAction(confirmAction), clientName: String(confirmClient.name) } } : {}),
    binding: owned
      ? {
          mode: "owned",
          order: (owned.actions as Array<{ id: string; display_name: string }>).map((a) => ({
            id: a.id === LINKING_REF ? "linking" : a.id === CONFIRMATION_REF ? "confirmation" : a.id,
            displayName: a.display_name === LINKING_NAME_REF ? String(action!.name) : a.display_name === CONFIRMATION_NAME_REF ? String(confirmAction?.name) : a.display_name,
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
function compareCode(
  expectedAction: ExpectedAction,
  code: string,
  clients: Array<{ clientId: string }>,
  confirmationClients: Array<{ clientId: string }> | undefined,
  what = "deployed code is the synthesized bundle behind this tenant's settings",
): Check[] {
  if (clients.length !== 1 || (confirmationClients && confirmationClients.length !== 1)) {
    return [{ ok: false, what, detail: ["- cannot be checked: an application the Action names is not found exactly once (see below)"] }];
  }
  // The Form's id cannot be read without read:forms: it is taken as deployed (and must be there).
  const deployedForm = (readDeployedCode(code)?.settings.confirmation as { formId?: unknown } | undefined)?.formId;
  const customDomain = expectedAction.settings.customDomain ? { customDomain: expectedAction.settings.customDomain } : {};
  const settings: { domain: string; audience: string; clientId: string; policy: unknown; confirmation?: { clientId: string; formId: string; customDomain?: string } } = {
    domain: expectedAction.settings.domain,
    audience: expectedAction.settings.audience,
    clientId: clients[0].clientId,
    policy: expectedAction.settings.policy,
    ...(confirmationClients ? { confirmation: { clientId: confirmationClients[0].clientId, formId: typeof deployedForm === "string" && deployedForm ? deployedForm : "(the confirmation Form's id)", ...customDomain } } : {}),
  };
  const want = renderSettingsPrologue(settings) + expectedAction.bundle;
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
    if (found.bundle !== expectedAction.bundle) {
      detail.push(`- synthesized bundle: sha256 ${short(sha256(expectedAction.bundle))}… (${Buffer.byteLength(expectedAction.bundle)} bytes)`, `+ deployed bundle:    sha256 ${short(sha256(found.bundle))}… (${Buffer.byteLength(found.bundle)} bytes)`);
    }
  }
  return [{ ok: false, what, detail }];
}

export function compareTenant(expected: ExpectedTenant, live: LiveTenant): Check[] {
  const checks: Check[] = [];
  const check = (ok: boolean, what: string, detail: string[] = []) => checks.push({ ok, what, detail });
  const name = expected.action.name;

  const linkingClients = live.clients.filter((c) => c.name === expected.client.name);
  const confirmationClients = expected.confirmation ? (live.confirmation?.clients ?? []).filter((c) => c.name === expected.confirmation!.clientName) : undefined;
  const actionChecks = (want: ExpectedAction, found: LiveAction | undefined) => {
    const named = live.actions.filter((a) => a.name === want.name);
    check(named.length === 1, `Action "${want.name}" exists once`, named.length === 0 ? ["- not found in the tenant (never deployed, or renamed or deleted outside Terraform)"] : named.length > 1 ? [`+ ${named.length} Actions share the name: ${named.map((a) => a.id).join(", ")}`] : []);
    const deployed = found?.deployed;
    if (!found) return;
    const of = want.name === name ? "" : ` (${want.name})`;
    if (!deployed) {
      check(false, `Action has a deployed version${of}`, ["- no deployed version: the Action was created but never deployed"]);
      return;
    }
    for (const c of compareCode(want, deployed.code, linkingClients, confirmationClients, `deployed code is the synthesized bundle behind this tenant's settings${of}`)) checks.push(c);
    check(deployed.deployed && found.allChangesDeployed !== false, `no undeployed draft${of}`, deployed.deployed ? (found.allChangesDeployed === false ? ["+ the Action has a draft that differs from its deployed version (edited in the dashboard?)"] : []) : ["- the latest version is not deployed"]);
    check(deployed.runtime === want.runtime, `runtime ${want.runtime}${of}`, deployed.runtime === want.runtime ? [] : [`- ${want.runtime}`, `+ ${deployed.runtime ?? "(none)"}`]);
    const depDiff = setDiff("dependency", want.dependencies, [...deployed.dependencies].sort());
    check(depDiff.length === 0, `npm dependencies${of}`, depDiff);
    const secretDiff = setDiff("secret", want.secretNames, [...deployed.secretNames].sort());
    check(secretDiff.length === 0, `secret names (values are not readable)${of}`, secretDiff);
  };
  actionChecks(expected.action, live.action);
  if (expected.confirmation) actionChecks(expected.confirmation.action, live.confirmation?.action);

  const actionId = live.action?.id;
  const confirmationId = live.confirmation?.action?.id;
  const boundIds = live.bindings.map((b) => b.actionId);
  const describeFlow = (ids: string[]) =>
    ids.length === 0 ? "(empty)" : ids.map((id) => (id === actionId ? `${id} (${name})` : id === confirmationId && expected.confirmation ? `${id} (${expected.confirmation.action.name})` : id)).join(" → ");
  if (expected.binding.mode === "owned") {
    const want = expected.binding.order.map((b) =>
      b.id === "linking" ? actionId ?? "(the linking Action)" : b.id === "confirmation" ? confirmationId ?? "(the confirmation Action)" : b.id,
    );
    const same = want.length === boundIds.length && want.every((id, i) => id === boundIds[i]);
    check(same, `post-login flow is exactly the stack's: ${name} first${want.length > 1 ? `, then ${want.length - 1} more` : ""}`, same ? [] : [`- stack:  ${describeFlow(want)}`, `+ tenant: ${describeFlow(boundIds)}`]);
  } else {
    const bound = actionId !== undefined && boundIds.includes(actionId);
    check(bound, `${name} is bound to post-login (additive: appended to the flow)`, bound ? [] : [`- expected in the flow`, `+ tenant: ${describeFlow(boundIds)}`]);
    if (expected.confirmation) {
      const after = confirmationId !== undefined && bound && boundIds.indexOf(confirmationId) > boundIds.indexOf(actionId!);
      check(after, `${expected.confirmation.action.name} is bound after ${name}`, after ? [] : [`- expected after ${name}`, `+ tenant: ${describeFlow(boundIds)}`]);
    }
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
  if (expected.confirmation && confirmationClients) {
    const clientName = expected.confirmation.clientName;
    check(confirmationClients.length === 1, `application "${clientName}" exists once`, confirmationClients.length === 0 ? ["- not found in the tenant"] : confirmationClients.length > 1 ? [`+ ${confirmationClients.length} applications share the name: ${confirmationClients.map((c) => c.clientId).join(", ")}`] : []);
    const grants = live.confirmation?.grants ?? [];
    // It only signs people in: a grant to any API would turn a sign-in into API access.
    check(grants.length === 0, `"${clientName}" has no API grant`, grants.map((g) => `+ grant ${g.id} to ${g.audience}: ${g.scopes.join(" ") || "(no scopes)"}`));
  }
  return checks;
}

/** Reads what compareTenant needs; the Action's application is found by its synthesized name. */
export async function readTenant(client: ManagementClient, expected: ExpectedTenant): Promise<LiveTenant> {
  const actions: LiveTenant["actions"] = [];
  for await (const a of await client.actions.list({ actionName: expected.action.name, triggerId: "post-login", per_page: 50 })) {
    if (a.id && a.name) actions.push({ id: a.id, name: a.name });
  }
  if (expected.confirmation) {
    for await (const a of await client.actions.list({ actionName: expected.confirmation.action.name, triggerId: "post-login", per_page: 50 })) {
      if (a.id && a.name) actions.push({ id: a.id, name: a.name });
    }
  }
  const readAction = async (name: string): Promise<LiveAction | undefined> => {
    const named = actions.filter((a) => a.name === name);
    if (named.length !== 1) return undefined;
    const full = await client.actions.get(named[0].id);
    const d = full.deployed_version;
    return {
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
  };
  const action = await readAction(expected.action.name);
  const bindings: LiveTenant["bindings"] = [];
  for await (const b of await client.actions.triggers.bindings.list("post-login", { per_page: 50 })) {
    bindings.push({ actionId: String(b.action?.id), name: String(b.display_name ?? b.action?.name) });
  }
  const clients: LiveTenant["clients"] = [];
  const confirmationClients: LiveTenant["clients"] = [];
  for await (const c of await client.clients.list({ fields: "client_id,name", include_fields: true, per_page: 100 })) {
    if (c.name === expected.client.name && c.client_id) clients.push({ clientId: c.client_id, name: c.name });
    if (expected.confirmation && c.name === expected.confirmation.clientName && c.client_id) confirmationClients.push({ clientId: c.client_id, name: c.name });
  }
  const grantsOf = async (clientId: string) => {
    const grants: LiveTenant["grants"] = [];
    for await (const g of await client.clientGrants.list({ client_id: clientId })) grants.push({ id: String(g.id), audience: String(g.audience), scopes: g.scope ?? [] });
    return grants;
  };
  const grants = clients.length === 1 ? await grantsOf(clients[0].clientId) : [];
  const confirmation = expected.confirmation
    ? { action: await readAction(expected.confirmation.action.name), clients: confirmationClients, grants: confirmationClients.length === 1 ? await grantsOf(confirmationClients[0].clientId) : [] }
    : undefined;
  return { actions, action, bindings, clients, grants, ...(confirmation ? { confirmation } : {}) };
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
