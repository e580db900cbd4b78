// The smoke test proper: two users with one fresh email on the two smoke connections (the older
// first), a password-realm login as the newer, and what must hold afterwards. Whatever happens
// (a failed check, a tenant that answers otherwise, Ctrl-C) the users it made are deleted.
import { randomBytes } from "crypto";
import { findUndoEntry, MARKER_KEY, UNDO_KEY, type Account, type UndoEntry } from "../../../action-src/decide";
import { SMOKE_METADATA_KEY } from "../../../stacks/smoke-config";
import { Interrupted, Unreachable } from "./http";
import { checkIdToken } from "./id-token";
import { Assumption, type SmokeTenant, type TenantUser } from "./tenant";

/** A check that the linking itself did not pass. */
class CheckFailed extends Error {}

export interface SmokeOptions {
  tenant: SmokeTenant;
  /** [older, newer] connection names. */
  connections: [string, string];
  out: (line: string) => void;
  /** Aborted on Ctrl-C. */
  interrupt: AbortSignal;
  /** Test seam: the run's id (random by default). */
  runId?: string;
}

export interface SmokeResult {
  outcome: "passed" | "failed" | "error" | "interrupted";
  cleanedUp: boolean;
  checks: number;
  ms: number;
}

const ms = (started: number) => `${Math.round(performance.now() - started)} ms`;

/** Long, random, and with every character class a password policy may ask for. */
const password = () => `${randomBytes(24).toString("base64url")}Aa1!`;

/** JSON with sorted keys: two reads of one record compare equal whatever order Auth0 sends. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const { tenant, out } = options;
  const [olderConnection, newerConnection] = options.connections;
  const runId = options.runId ?? randomBytes(6).toString("hex");
  const email = `linking-smoke+${runId}@example.com`;
  const created: string[] = [];
  let creating = false;
  let checks = 0;
  const started = performance.now();
  const ok = (text: string, since: number) => {
    checks++;
    out(`  ok    ${text}  (${ms(since)})`);
  };
  const expect = (condition: boolean, what: string, got: string) => {
    if (!condition) throw new CheckFailed(`${what}: ${got}`);
  };

  out(`  run ${runId}: test email ${email}`);
  let outcome: SmokeResult["outcome"] = "passed";
  try {
    let t = performance.now();
    const scopes = await tenant.adminToken();
    ok(`smoke admin token (${tenant.authMethod}), scope ${scopes.join(" ")}`, t);

    t = performance.now();
    creating = true;
    const olderPassword = password();
    const older = await tenant.createUser({ connection: olderConnection, email, password: olderPassword, user_metadata: { linking_smoke_shared: "older" } });
    created.push(older.user_id);
    const newerPassword = password();
    const newer = await tenant.createUser({
      connection: newerConnection,
      email,
      password: newerPassword,
      user_metadata: { linking_smoke_shared: "newer", linking_smoke_newer: runId },
      app_metadata: { [SMOKE_METADATA_KEY]: runId },
    });
    created.push(newer.user_id);
    creating = false;
    if (!(String(older.created_at) < String(newer.created_at))) {
      throw new Assumption("the user created first is the older one (created_at)", `created_at ${older.created_at} and ${newer.created_at}`);
    }
    ok(`older user ${older.user_id} on ${olderConnection}, newer ${newer.user_id} on ${newerConnection}, same verified email`, t);

    const jwks = await tenant.jwks();
    t = performance.now();
    const first = await tenant.login(newerConnection, email, newerPassword);
    const firstMs = performance.now() - t;
    const checked = checkIdToken(first, jwks, { issuer: `https://${tenant.ids.domain}/`, audience: tenant.ids.clientId });
    if ("problem" in checked) throw new Assumption("the login answers a valid ID token for the smoke application", checked.problem);
    const sub = checked.claims.sub;
    expect(sub === older.user_id, "login as the newer user ends as the older one", sub === newer.user_id ? `the ID token's sub is the newer user ${sub}: nothing was linked, or the login was not switched` : `the ID token's sub is ${sub}`);
    ok(`login as the newer user ends as the older: ID token sub ${sub} (signature, iss, aud checked)`, t);

    t = performance.now();
    const primary = await tenant.getUser(older.user_id);
    expect(primary !== undefined, "the older user still exists", "GET answered 404");
    const newerId = newer.user_id.slice(newer.user_id.indexOf("|") + 1);
    const linked = (primary!.identities ?? []).some((i) => i.connection === newerConnection && `${i.provider}|${i.user_id}` === newer.user_id && i.user_id === newerId);
    expect(linked, `the newer identity is linked into the older user`, `its identities are ${(primary!.identities ?? []).map((i) => `${i.provider}|${i.user_id} (${i.connection})`).join(", ")}`);
    expect((await tenant.getUser(newer.user_id)) === undefined, "the newer user no longer exists on its own", "GET still finds it");
    ok(`the Management API shows ${newer.user_id} linked into ${older.user_id}, and no longer a user of its own`, t);

    t = performance.now();
    const um = primary!.user_metadata ?? {};
    const am = primary!.app_metadata ?? {};
    const undo: Partial<UndoEntry> = findUndoEntry(primary as Account, newer.user_id) ?? {};
    expect(um.linking_smoke_newer === runId, "the newer user's user_metadata is merged into the primary", `user_metadata.linking_smoke_newer is ${JSON.stringify(um.linking_smoke_newer)}`);
    expect(um.linking_smoke_shared === "older", "the primary's own user_metadata wins", `user_metadata.linking_smoke_shared is ${JSON.stringify(um.linking_smoke_shared)}`);
    expect(am[SMOKE_METADATA_KEY] === undefined, "app_metadata is not carried (the policy carries no key of the test)", `app_metadata.${SMOKE_METADATA_KEY} is ${JSON.stringify(am[SMOKE_METADATA_KEY])}`);
    expect(undo.app_metadata?.[SMOKE_METADATA_KEY] === runId, `the discarded app_metadata is kept in app_metadata.${UNDO_KEY}`, `the ${UNDO_KEY} entry for ${newer.user_id} is ${JSON.stringify(undo)}`);
    expect(undo.user_metadata?.linking_smoke_shared === "newer", `the losing user_metadata value is kept in app_metadata.${UNDO_KEY}`, `the ${UNDO_KEY} entry for ${newer.user_id} is ${JSON.stringify(undo)}`);
    ok(`kept: user_metadata merged (primary wins), the newer's app_metadata and losing user_metadata under ${UNDO_KEY}`, t);

    t = performance.now();
    const marker = am[MARKER_KEY];
    expect(marker?.state === "decided" && typeof marker?.email === "string", `the primary carries the Action's marker (app_metadata.${MARKER_KEY}.state "decided")`, `app_metadata.${MARKER_KEY} is ${JSON.stringify(marker)}`);
    ok(`marker: app_metadata.${MARKER_KEY}.state is "decided"`, t);

    t = performance.now();
    const second = await tenant.login(newerConnection, email, newerPassword);
    const secondMs = performance.now() - t;
    const again = checkIdToken(second, jwks, { issuer: `https://${tenant.ids.domain}/`, audience: tenant.ids.clientId });
    if ("problem" in again) throw new Assumption("the second login answers a valid ID token for the smoke application", again.problem);
    expect(again.claims.sub === older.user_id, "the second login ends as the older user", `the ID token's sub is ${again.claims.sub}`);
    const after = await tenant.getUser(older.user_id);
    const record = (u: TenantUser | undefined) => canonical({ identities: u?.identities, app_metadata: u?.app_metadata, user_metadata: u?.user_metadata });
    expect(record(after) === record(primary), "the second login changes nothing on the primary (the Action skipped it)", "its identities or metadata changed");
    ok(`second login: sub ${older.user_id} again, nothing written (login ${Math.round(secondMs)} ms, first ${Math.round(firstMs)} ms)`, t);
    // What a tenant lets a client see stops here: the Action's own Management API reads are not
    // visible from outside. Its decision line for this login is in the tenant's logs.
    out(`  note  the Action's reads are not visible from outside: its log line for the second login should start {"linking":"skip.decided"} (Monitoring > Logs)`);
  } catch (err) {
    // A create abandoned without an answer may still complete on Auth0's side.
    if (!(err instanceof Interrupted || err instanceof Unreachable)) creating = false;
    if (err instanceof CheckFailed) {
      outcome = "failed";
      out(`  FAIL  ${err.message}`);
    } else if (err instanceof Interrupted) {
      outcome = "interrupted";
      out("  interrupted: cleaning up (Ctrl-C again to leave the test users behind)");
    } else if (err instanceof Assumption) {
      outcome = "error";
      out(`error: the tenant answered differently than assumed: ${err.message}`);
    } else if (err instanceof Unreachable) {
      outcome = "error";
      out(`error: the tenant did not answer: ${err.message}`);
    } else {
      throw err;
    }
  }
  const cleanedUp = await cleanUp(options, email, created, creating);
  return { outcome, cleanedUp, checks, ms: performance.now() - started };

  async function cleanUp(opts: SmokeOptions, address: string, ids: string[], inFlight: boolean): Promise<boolean> {
    if (!opts.tenant.hasToken) return true; // no token: nothing can have been created
    const t = performance.now();
    // A fresh signal: the cleanup runs after Ctrl-C too (a second Ctrl-C exits without it).
    const controller = new AbortController();
    opts.tenant.signal = controller.signal;
    try {
      // A create interrupted in flight may still complete on Auth0's side: give it a moment.
      if (inFlight) await new Promise((r) => setTimeout(r, 2000));
      // The run's email is fresh and random: whoever holds it on a smoke connection is this run's.
      const ours = (users: TenantUser[]) => users.filter((u) => opts.connections.includes(String(u.identities?.[0]?.connection)));
      const holders = ours(await opts.tenant.usersByEmail(address));
      const targets = [...new Set([...holders.map((u) => u.user_id), ...ids])];
      const deleted: string[] = [];
      for (const id of targets) if ((await opts.tenant.deleteUser(id)) === "deleted") deleted.push(id);
      const left = ours(await opts.tenant.usersByEmail(address));
      if (left.length > 0) {
        opts.out(`cleanup FAILED: ${left.map((u) => u.user_id).join(", ")} still hold ${address}: delete them (Dashboard > User Management > Users)`);
        return false;
      }
      opts.out(`cleanup: deleted ${deleted.length > 0 ? deleted.join(", ") : "nothing (nothing was created)"}; no user with the test email remains  (${ms(t)})`);
      return true;
    } catch (err) {
      opts.out(`cleanup FAILED: ${(err as Error).message}. Left behind, maybe: ${ids.join(", ") || "users"} with email ${address}: delete them (Dashboard > User Management > Users)`);
      return false;
    }
  }
}
