// Auth0 post-login Action, bound right after the linking Action: when the person chose "Sign in
// to link" on the linking Action's Form, send them to sign in to the existing account (the
// confirmation application: PKCE, nonce, prompt=login, max_age=0), and on their return check the
// ID token and link exactly as the silent path does.
// Source: action-src/ in the account-linking repository (bundled with esbuild).
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { authorizeQuery, checkNonce, upstreamFreshness, nestedSignInProblem, openTicket, pkceVerifier, TICKET_METADATA_KEY, TokenError, verifyIdToken, type Browser, type Ticket } from "./confirm";
import { emailDigest, MARKER_KEY, markerDigest, markerFor, precheck } from "./decide";
import { linkingPass } from "./linking";
import { markerSalt } from "./marker-salt";
import { snoozeMs } from "./policy";
import { logDecision } from "./log";
import { exchangeCode, OidcError, PROOF_BUDGET_MS, signingKeys } from "./oidc";
import { confirmationHosts, loadSettings, type ActionSettings } from "./settings";

/** Skips that only say "already looked at": they do not stop a confirmation in progress. */
const MARKER_SKIPS = new Set(["skip.decided", "skip.snoozed", "skip.reported"]);

interface Context {
  settings: ActionSettings & { confirmation: NonNullable<ActionSettings["confirmation"]> };
  ticket: Ticket;
  key: Buffer;
  /** undefined: the request names a host that is not the tenant's. */
  host: string | undefined;
}

/** Shown when the nested sign-in is refused; says what to do, nothing about accounts. */
export const OTHER_BROWSER_MESSAGE = "This sign-in was started in another browser. Go back to the app and sign in again from this browser.";

function browserOf(event: PostLoginEvent): Browser {
  return { ip: event.request?.ip, userAgent: event.request?.user_agent };
}

/** The accepted ticket for this login, if the linking Action handed one on. */
function context(event: PostLoginEvent, now: number): Context | undefined {
  const settings = loadSettings(event);
  if (!settings?.confirmation || event.client?.client_id === settings.confirmation.clientId) return undefined;
  const key = settings.keys.confirm;
  const ticket = openTicket(event.transaction?.metadata?.[TICKET_METADATA_KEY], key, {
    current: event.user.user_id,
    tx: event.transaction?.id ?? "",
    now,
  });
  if (!ticket) return undefined;
  return { settings: settings as Context["settings"], ticket, key, host: loginHost(event, settings) };
}

/**
 * The host this login uses, if it is one of the tenant's own (canonical or configured custom
 * domain; settings.ts, confirmationHosts). The sign-in must go through the host the person's
 * browser is on (Auth0's guidance for Authentication API calls under a custom domain), but the
 * request only chooses among the fixed hosts: any other name gets no redirect, no exchange and
 * no trust in the issuer it would name.
 */
function loginHost(event: PostLoginEvent, settings: ActionSettings): string | undefined {
  const hosts = confirmationHosts(settings);
  const asked = typeof event.request?.hostname === "string" ? event.request.hostname.toLowerCase() : undefined;
  if (asked === undefined) return hosts[0];
  return hosts.includes(asked) ? asked : undefined;
}

/*
 * What binds the nested sign-in to the person's own browser and transaction.
 * - Auth0 (actions/redirect-with-actions): the paused login resumes at /continue with the `state`
 *   Auth0 appended to the redirect; a missing or wrong state fails with invalid_request. The state
 *   is "an opaque value used to prevent CSRF". Auth0 does not document that /continue also checks
 *   a cookie of the browser that started the login (its cookies: auth0, auth0_compat, did, ...,
 *   manage-users/cookies/authentication-api-cookies): UNCONFIRMED. So the state alone is taken to
 *   resume the login in whichever browser presents it.
 * - Hence the attack: someone starts a login with an account carrying the victim's address, takes
 *   the nested /authorize URL (login_hint pre-filled) and hands it to the victim, who signs in to
 *   their own account in their own browser; the code then resumes the attacker's login (followed
 *   in the victim's browser, or carried back to the attacker's).
 * - What the Action adds: the nonce carries a keyed tag of the browser redirected (IP address and
 *   user agent, event.request) and the redirect's time. (1) The nested sign-in's own post-login
 *   run (client = the confirmation application) refuses a nonce made for another browser
 *   (confirm.other_browser) when Auth0 gives it the /authorize query (event.request.query:
 *   UNCONFIRMED for Universal Login; without it this check is skipped and (2) remains). (2) At
 *   /continue the ID token's nonce must name this transaction, this user, the account asked for
 *   and the browser now at /continue (token.other_browser), and its auth_time must not be older
 *   than the redirect. PKCE and the single-use code bind the code to this transaction's verifier.
 *   Not covered where (1) cannot run: a code carried back by hand from the victim's browser to the
 *   attacker's, which then presents it at /continue as the browser that was redirected.
 * - Cost: a person whose address changes between the redirect and the return (a phone moving
 *   from Wi-Fi to mobile data) fails the check: nothing linked, snoozed, asked again later.
 */
export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const settings = loadSettings(event);
  if (settings?.confirmation && event.client?.client_id === settings.confirmation.clientId) {
    // The nested sign-in itself: refuse it in a browser other than the one that was redirected.
    if (nestedSignInProblem(event.request?.query, settings.keys.confirm, browserOf(event))) {
      api.access.deny(OTHER_BROWSER_MESSAGE);
      logDecision({ reason: "confirm.other_browser", user: event.user.user_id });
    }
    return;
  }
  const ctx = context(event, Date.now());
  if (!ctx) return; // nothing to confirm in this login
  if (api.redirect?.canRedirect() !== true) {
    logDecision({ reason: "confirm.unavailable", user: event.user.user_id });
    return;
  }
  if (!ctx.host) {
    logDecision({ reason: "confirm.bad_token", user: event.user.user_id, error: "host" });
    return;
  }
  const query = authorizeQuery({
    clientId: ctx.settings.confirmation.clientId,
    host: ctx.host,
    ticket: ctx.ticket,
    key: ctx.key,
    loginHint: typeof event.user.email === "string" ? event.user.email : undefined,
    browser: browserOf(event),
    now: Date.now(),
  });
  api.redirect.sendUserTo(`https://${ctx.host}/authorize`, { query });
  // Which confirmations could rest on an existing session at the other provider (see upstreamFreshness).
  logDecision({ reason: "confirm.redirected", user: event.user.user_id, primary: ctx.ticket.target, upstream: upstreamFreshness(ctx.ticket.target) });
}

export async function onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const started = Date.now();
  const ctx = context(event, started);
  if (!ctx) {
    logDecision({ reason: "confirm.bad_ticket", user: event.user.user_id });
    return;
  }
  const { settings, ticket, key, host } = ctx;
  const email = typeof event.user.email === "string" ? event.user.email.trim() : "";
  const digest = emailDigest(email, settings.keys.digest);
  // Minutes may have passed since the Form: the account must still be one that may be linked
  // (not blocked or protected since, its email still verified). Markers do not matter here.
  const recheck = precheck(
    { user: event.user, connection: event.connection?.name, protocol: event.transaction?.protocol },
    settings.policy,
    { now: started, digest: () => digest, salt: markerSalt },
  );
  const marked = markerDigest(email, markerSalt());
  const snooze = (reason: string, error?: string) => {
    api.user.setAppMetadata(MARKER_KEY, markerFor(marked, "snoozed", started + snoozeMs(settings.policy)));
    logDecision({ reason, email: digest, user: event.user.user_id, primary: ticket.target, ...(error ? { error } : {}) });
  };
  // Ineligible now: snoozed like every other failed confirmation, never decided.
  if (!recheck.proceed && !MARKER_SKIPS.has(recheck.reason)) return snooze("confirm.failed", recheck.reason);
  if (!host) return snooze("confirm.bad_token", "host");
  const query = event.request?.query ?? {};
  if (typeof query.code !== "string" || query.error !== undefined) return snooze("confirm.cancelled");
  const proofDeadline = started + PROOF_BUDGET_MS;
  try {
    const idToken = await exchangeCode(host, {
      clientId: settings.confirmation.clientId,
      code: query.code,
      verifier: pkceVerifier(key, ticket.tx, ticket.current),
      redirectUri: `https://${host}/continue`,
    }, proofDeadline);
    const expect = {
      issuer: `https://${host}/`,
      audience: settings.confirmation.clientId,
      nonce: (claimed: string) => checkNonce(claimed, key, ticket, browserOf(event)),
      subject: ticket.target,
      now: Math.floor(Date.now() / 1000),
    };
    try {
      verifyIdToken(idToken, await signingKeys(host, started, proofDeadline), expect);
    } catch (err) {
      // Keys rotate: one fresh copy before calling a token unsigned.
      if (!(err instanceof TokenError && err.problem === "unknown_key")) throw err;
      verifyIdToken(idToken, await signingKeys(host, started, proofDeadline, true), expect);
    }
  } catch (err) {
    const code = err instanceof TokenError ? `token.${err.problem}` : err instanceof OidcError ? err.code : "unexpected";
    // A token from an issuer other than the tenant's host is not a failed proof but a foreign one.
    return snooze(code === "token.issuer" ? "confirm.bad_token" : "confirm.failed", code);
  }
  // Proven: the person signed in to the existing account just now. Link as the silent path does.
  // The link gets the Management API's whole budget from here, not what the proof left of it.
  const line = await linkingPass(event, api, settings, { email, digest, markerDigest: marked, started: Date.now(), confirmed: ticket.target });
  line.confirmed = true;
  logDecision(line);
}
