// One linking pass, shared by the linking Action (silent links, and the prompt) and the
// confirmation Action (after the person proved control of the other account): look up every
// account with the email, decide, act, and say what happened in one decision line.
import { snoozeMs } from "./policy";
import { carryOut } from "./act";
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { decideLinks, holdsAnything, lookupEmails, markerFor, MARKER_KEY, type Account, type Plan } from "./decide";
import { PROMPT_SNOOZE_MS } from "./confirm";
import type { DecisionLine } from "./log";
import { BUDGET_MS, ManagementApi, ManagementApiError, SEARCH_PAGE } from "./management";
import type { ActionSettings } from "./settings";

/** Shown to the user when a login is denied; deliberately says nothing about accounts. */
export const DENY_MESSAGE = "We could not complete your sign-in. Please try again.";

/** Failures that mean the Management API could not be used (failClosed denies on these only). */
const UNAVAILABLE = new Set(["timeout", "no_answer", "unavailable", "rate_limited", "budget_exhausted", "bad_response", "unauthorized", "forbidden", "configuration"]);

export interface PassOptions {
  email: string;
  /** The keyed digest for the decision line. */
  digest: string;
  /** What markers written in this login hold (markerDigest). */
  markerDigest: string;
  started: number;
  /** The person proved control of this account: it links whatever its connection's trust. */
  confirmed?: string;
  /** Called for a plan that needs confirmation; returns the reason code when it asked the person. */
  ask?: (plan: Extract<Plan, { kind: "confirm" }>, candidates: Account[]) => string | undefined;
}

export async function linkingPass(event: PostLoginEvent, api: PostLoginApi, settings: ActionSettings, options: PassOptions): Promise<DecisionLine> {
  const { policy } = settings;
  const line: DecisionLine = { reason: "error.unexpected", email: options.digest, user: event.user.user_id };
  const mgmt = new ManagementApi({ ...settings, sealKey: settings.keys.seal }, api.cache, options.started + BUDGET_MS);
  if (!mgmt.rateLimit.mayStart()) return deferred(line, mgmt, api, policy.failClosed, options.started);
  const end = mgmt.rateLimit.begin();
  try {
    const { candidates, incomplete } = await findCandidates(mgmt, options.email);
    const decideOptions = {
      incomplete,
      loginConnection: event.connection?.name,
      switchMarker: markerFor(options.markerDigest, "decided"),
      confirmed: options.confirmed,
      now: options.started,
    };
    let plan = decideLinks(event.user, candidates, policy, decideOptions);
    // Linking path only (ordinary logins never get here): what the would-be secondaries hold
    // off-profile and the primary's factors (its MFA challenges the switched login), in one
    // parallel round; the primary's roles and memberships (one more round) only when a secondary
    // holds anything to compare them with. Then the same decision again with it.
    if (plan.kind === "link") {
      const [primaryId, ...secondaryIds] = plan.accounts;
      const [holdings, primaryFactors] = await Promise.all([mgmt.holdingsOf(secondaryIds), mgmt.factors(primaryId)]);
      const primaryAuthorization = Object.values(holdings).some(holdsAnything) ? await mgmt.authorization(primaryId) : { roles: [], permissions: [], organizations: [] };
      holdings[primaryId] = { ...primaryAuthorization, factors: primaryFactors };
      plan = decideLinks(event.user, candidates, policy, { ...decideOptions, holdings });
    }
    if (plan.kind !== "none" || plan.primary) line.primary = plan.primary;
    if (plan.kind === "none" && plan.differs) line.differs = plan.differs;
    if (plan.ignored.length > 0) line.ignored = plan.ignored.map((entry) => entry.reason.slice("ineligible.".length));
    if (plan.kind === "link") line.secondaries = plan.links.map((step) => step.secondaryUserId);
    const asked = plan.kind === "confirm" && !policy.reportOnly ? options.ask?.(plan, candidates) : undefined;
    if (asked) {
      line.reason = asked;
      // A paused login writes no metadata until it completes, and one left at the Form never does:
      // so the short "asked" snooze goes through the API now (best effort), and an abandoned
      // Form is not looked up and shown again on every login.
      await mgmt
        .updateMetadata(event.user.user_id, { app_metadata: { [MARKER_KEY]: markerFor(options.markerDigest, "snoozed", options.started + PROMPT_SNOOZE_MS) } })
        .catch(() => undefined);
    } else if (policy.reportOnly) {
      // Say what would happen, once per person; change nothing else.
      line.reportOnly = true;
      line.reason = { link: "report.would_link", switch: "report.would_switch", confirm: "report.would_confirm", none: plan.reason }[plan.kind];
      if (plan.kind === "link" || plan.kind === "switch") line.wouldSwitch = plan.kind === "switch" || plan.switchToPrimary;
      api.user.setAppMetadata(MARKER_KEY, markerFor(options.markerDigest, "reported"));
    } else {
      const result = await carryOut(plan, mgmt, api, { digest: options.markerDigest, now: options.started, snoozeMs: snoozeMs(policy) });
      line.reason = result.reason;
      line.switched = result.switched;
      if (plan.kind === "link") line.secondaries = result.linked;
      if (result.error) line.error = result.error;
      if (result.deny || (result.unavailable && policy.failClosed)) {
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
  end();
  line.requests = mgmt.requests;
  line.ms = Date.now() - options.started;
  return line;
}

/**
 * The tenant's rate limit is spent (a 429, or the remainder under the reserve: rate-limit.ts):
 * this login goes on unlinked and unmarked, without a request, and is looked at again at a later
 * login. It needed the API and could not use it, so failClosed denies it. One line per window
 * and container: the other deferred logins of the window log nothing.
 */
function deferred(line: DecisionLine, mgmt: ManagementApi, api: PostLoginApi, failClosed: boolean, started: number): DecisionLine {
  line.reason = "defer.rate_limited";
  if (failClosed) {
    api.access.deny(DENY_MESSAGE);
    line.denied = true;
  }
  if (!mgmt.rateLimit.claimLog()) line.quiet = true;
  line.requests = 0;
  line.ms = Date.now() - started;
  return line;
}

/**
 * Every account with this email, whatever its case: the exact spellings (immediately consistent)
 * and the case-insensitive search (catches "Ada@Example.com" from a social provider), in parallel.
 * Any lookup failing fails the whole: a partial view must not be taken for "nobody else". The
 * search returns one page: a full page may hide an account (`incomplete`: decide snoozes). Paging
 * on would let anyone who creates accounts with an address multiply every such login's requests.
 */
async function findCandidates(mgmt: ManagementApi, email: string): Promise<{ candidates: Account[]; incomplete: boolean }> {
  const [searched, ...exact] = await Promise.all([mgmt.searchByEmail(email), ...lookupEmails(email).map((variant) => mgmt.usersByEmail(variant))]);
  const byId = new Map<string, Account>();
  for (const user of [...exact.flat(), ...searched]) if (!byId.has(user.user_id)) byId.set(user.user_id, user);
  return { candidates: [...byId.values()], incomplete: searched.length >= SEARCH_PAGE };
}
