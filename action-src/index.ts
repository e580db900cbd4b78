// Auth0 post-login Action: links accounts that share a verified email and ends the
// login as the primary account. Thin on purpose: read, decide, act, log.
// Source: action-src/ in the account-linking repository (bundled with esbuild).
import { carryOut } from "./act";
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { decideLinks, emailDigest, lookupEmails, precheck, type Account } from "./decide";
import { logDecision, type DecisionLine } from "./log";
import { BUDGET_MS, ManagementApi, ManagementApiError, settingsFromSecrets } from "./management";
import { parsePolicy, type LinkingPolicy } from "./policy";

/** Shown to the user when failClosed denies a login; deliberately says nothing about accounts. */
const DENY_MESSAGE = "We could not complete your sign-in. Please try again.";

export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const started = Date.now();
  let policy: LinkingPolicy;
  try {
    policy = parsePolicy(event.secrets.LINKING_POLICY);
  } catch {
    // Without a readable policy nothing is linked; the login goes on.
    logDecision({ reason: "error.policy", user: event.user.user_id });
    return;
  }

  const pre = precheck(
    { user: event.user, connection: event.connection?.name, protocol: event.transaction?.protocol },
    policy,
  );
  if (!pre.proceed) {
    logDecision({ reason: pre.reason, user: event.user.user_id });
    return;
  }

  const line: DecisionLine = { reason: "error.unexpected", email: emailDigest(pre.email), user: event.user.user_id };
  let mgmt: ManagementApi | undefined;
  try {
    mgmt = new ManagementApi(settingsFromSecrets(event.secrets), api.cache, started + BUDGET_MS);
    const candidates = await findCandidates(mgmt, pre.email);
    const plan = decideLinks(event.user, candidates, policy);
    if (plan.kind !== "none") line.primary = plan.primary;
    if (plan.kind === "link") line.secondaries = plan.links.map((step) => step.secondaryUserId);
    if (policy.reportOnly) {
      // Say what would happen; change nothing.
      line.reportOnly = true;
      line.reason = plan.kind === "link" ? "report.would_link" : plan.kind === "switch" ? "report.would_switch" : plan.reason;
      if (plan.kind !== "none") line.wouldSwitch = plan.kind === "switch" || plan.switchToPrimary;
    } else {
      const result = await carryOut(plan, pre.email, mgmt, api);
      line.reason = result.reason;
      line.switched = result.switched;
      if (plan.kind === "link") line.secondaries = result.linked;
    }
  } catch (err) {
    const code = err instanceof ManagementApiError ? err.code : "unexpected";
    line.reason = code === "configuration" || code === "unexpected" ? `error.${code}` : "error.management_api";
    line.error = code;
    if (policy.failClosed) {
      api.access.deny(DENY_MESSAGE);
      line.denied = true;
    }
  }
  line.requests = mgmt?.requests ?? 0;
  line.ms = Date.now() - started;
  logDecision(line);
}

/** Exact and lower-cased lookups in parallel, merged by user_id. */
async function findCandidates(mgmt: ManagementApi, email: string): Promise<Account[]> {
  const results = await Promise.all(lookupEmails(email).map((variant) => mgmt.usersByEmail(variant)));
  const byId = new Map<string, Account>();
  for (const user of results.flat()) if (!byId.has(user.user_id)) byId.set(user.user_id, user);
  return [...byId.values()];
}
