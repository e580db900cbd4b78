// Auth0 post-login Action: links accounts that share a verified email and ends the
// login as the primary account. Thin on purpose: read, decide, act, log.
// Source: action-src/ in the account-linking repository (bundled with esbuild).
import { carryOut } from "./act";
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { decideLinks, emailDigest, lookupEmails, markerFor, MARKER_KEY, precheck, type Account } from "./decide";
import { logDecision, type DecisionLine } from "./log";
import { BUDGET_MS, ManagementApi, ManagementApiError } from "./management";
import { deriveKey, readSettings, SettingsError, type ActionSettings } from "./settings";

/** Shown to the user when a login is denied; deliberately says nothing about accounts. */
const DENY_MESSAGE = "We could not complete your sign-in. Please try again.";

/** Failures that mean the Management API could not be used (failClosed denies on these only). */
const UNAVAILABLE = new Set(["timeout", "unavailable", "rate_limited", "budget_exhausted", "bad_response", "unauthorized", "forbidden", "configuration"]);

export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const started = Date.now();
  let settings: ActionSettings;
  try {
    settings = readSettings(event.secrets);
  } catch (err) {
    // Without a readable policy and credentials nothing is linked; the login goes on.
    logDecision({ reason: err instanceof SettingsError && err.code === "configuration" ? "error.configuration" : "error.policy", user: event.user.user_id });
    return;
  }
  const { policy } = settings;
  const digestKey = deriveKey(settings.clientSecret, "digest");
  const pre = precheck(
    { user: event.user, connection: event.connection?.name, protocol: event.transaction?.protocol },
    policy,
    { now: started, digest: (email) => emailDigest(email, digestKey) },
  );
  if (!pre.proceed) {
    logDecision({ reason: pre.reason, user: event.user.user_id });
    return;
  }

  const line: DecisionLine = { reason: "error.unexpected", email: pre.digest, user: event.user.user_id };
  const mgmt = new ManagementApi({ ...settings, sealKey: deriveKey(settings.clientSecret, "seal") }, api.cache, started + BUDGET_MS);
  try {
    const candidates = await findCandidates(mgmt, pre.email);
    const plan = decideLinks(event.user, candidates, policy, {
      loginConnection: event.connection?.name,
      switchMarker: markerFor(pre.digest, "decided"),
    });
    if (plan.kind !== "none") line.primary = plan.primary;
    if (plan.kind === "link") line.secondaries = plan.links.map((step) => step.secondaryUserId);
    if (policy.reportOnly) {
      // Say what would happen, once per person; change nothing else.
      line.reportOnly = true;
      line.reason = { link: "report.would_link", switch: "report.would_switch", confirm: "report.would_confirm", none: plan.reason }[plan.kind];
      if (plan.kind === "link" || plan.kind === "switch") line.wouldSwitch = plan.kind === "switch" || plan.switchToPrimary;
      api.user.setAppMetadata(MARKER_KEY, markerFor(pre.digest, "reported"));
    } else {
      const result = await carryOut(plan, mgmt, api, { digest: pre.digest, now: started, snoozeMs: policy.confirmSnoozeHours * 3_600_000 });
      line.reason = result.reason;
      line.switched = result.switched;
      if (plan.kind === "link") line.secondaries = result.linked;
      if (result.error) line.error = result.error;
      if (result.deny) {
        api.access.deny(DENY_MESSAGE);
        line.denied = true;
      }
    }
  } catch (err) {
    const code = err instanceof ManagementApiError ? err.code : "unexpected";
    line.reason = code === "timeout" ? "error.timeout" : code === "unexpected" ? "error.unexpected" : "error.management_api";
    line.error = code;
    if (policy.failClosed && (code === "unexpected" || UNAVAILABLE.has(code))) {
      api.access.deny(DENY_MESSAGE);
      line.denied = true;
    }
  }
  line.requests = mgmt.requests;
  line.ms = Date.now() - started;
  logDecision(line);
}

/**
 * Every account with this email, whatever its case: the exact spellings (immediately consistent)
 * and the case-insensitive search (catches "Ada@Example.com" from a social provider), in parallel.
 * Any lookup failing fails the whole: a partial view must not be taken for "nobody else".
 */
async function findCandidates(mgmt: ManagementApi, email: string): Promise<Account[]> {
  const lookups = [...lookupEmails(email).map((variant) => mgmt.usersByEmail(variant)), mgmt.searchByEmail(email)];
  const results = await Promise.all(lookups);
  const byId = new Map<string, Account>();
  for (const user of results.flat()) if (!byId.has(user.user_id)) byId.set(user.user_id, user);
  return [...byId.values()];
}
