// Auth0 post-login Action, bound right after the linking Action: when the person chose "Sign in
// to link" on the linking Action's Form, send them to sign in to the existing account (the
// confirmation application: PKCE, nonce, prompt=login, max_age=0), and on their return check the
// ID token and link exactly as the silent path does.
// Source: action-src/ in the account-linking repository (bundled with esbuild).
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { authorizeQuery, nonceFor, openTicket, pkceVerifier, TICKET_METADATA_KEY, TokenError, verifyIdToken, type Ticket } from "./confirm";
import { emailDigest, MARKER_KEY, markerDigest, markerFor, precheck } from "./decide";
import { linkingPass } from "./linking";
import { markerSalt } from "./marker-salt";
import { snoozeMs } from "./policy";
import { logDecision } from "./log";
import { exchangeCode, OidcError, signingKeys } from "./oidc";
import { loadSettings, type ActionSettings } from "./settings";

/** Skips that only say "already looked at": they do not stop a confirmation in progress. */
const MARKER_SKIPS = new Set(["skip.decided", "skip.snoozed", "skip.reported"]);

interface Context {
  settings: ActionSettings & { confirmation: NonNullable<ActionSettings["confirmation"]> };
  ticket: Ticket;
  key: Buffer;
  host: string;
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
  // Custom domain or tenant domain: the one this login uses (Auth0's guidance for Authentication API calls).
  const host = event.request?.hostname ?? settings.domain;
  return { settings: settings as Context["settings"], ticket, key, host };
}

export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const ctx = context(event, Date.now());
  if (!ctx) return; // nothing to confirm in this login
  if (api.redirect?.canRedirect() !== true) {
    logDecision({ reason: "confirm.unavailable", user: event.user.user_id });
    return;
  }
  const query = authorizeQuery({
    clientId: ctx.settings.confirmation.clientId,
    host: ctx.host,
    ticket: ctx.ticket,
    key: ctx.key,
    loginHint: typeof event.user.email === "string" ? event.user.email : undefined,
  });
  api.redirect.sendUserTo(`https://${ctx.host}/authorize`, { query });
  logDecision({ reason: "confirm.redirected", user: event.user.user_id, primary: ctx.ticket.target });
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
    { now: started, digest: () => digest, salt: markerSalt() },
  );
  if (!recheck.proceed && !MARKER_SKIPS.has(recheck.reason)) {
    logDecision({ reason: "confirm.failed", email: digest, user: event.user.user_id, error: recheck.reason });
    return;
  }
  const marked = markerDigest(email, markerSalt());
  const snooze = (reason: string, error?: string) => {
    api.user.setAppMetadata(MARKER_KEY, markerFor(marked, "snoozed", started + snoozeMs(settings.policy)));
    logDecision({ reason, email: digest, user: event.user.user_id, primary: ticket.target, ...(error ? { error } : {}) });
  };
  const query = event.request?.query ?? {};
  if (typeof query.code !== "string" || query.error !== undefined) return snooze("confirm.cancelled");
  try {
    const idToken = await exchangeCode(host, {
      clientId: settings.confirmation.clientId,
      code: query.code,
      verifier: pkceVerifier(key, ticket.tx, ticket.current),
      redirectUri: `https://${host}/continue`,
    });
    const expect = {
      issuer: `https://${host}/`,
      audience: settings.confirmation.clientId,
      nonce: nonceFor(key, ticket.tx, ticket.current, ticket.target),
      subject: ticket.target,
      now: Math.floor(Date.now() / 1000),
    };
    try {
      verifyIdToken(idToken, await signingKeys(host, started), expect);
    } catch (err) {
      // Keys rotate: one fresh copy before calling a token unsigned.
      if (!(err instanceof TokenError && err.problem === "unknown_key")) throw err;
      verifyIdToken(idToken, await signingKeys(host, started, true), expect);
    }
  } catch (err) {
    const code = err instanceof TokenError ? `token.${err.problem}` : err instanceof OidcError ? err.code : "unexpected";
    return snooze("confirm.failed", code);
  }
  // Proven: the person signed in to the existing account just now. Link as the silent path does.
  const line = await linkingPass(event, api, settings, { email, digest, markerDigest: marked, started, confirmed: ticket.target });
  line.confirmed = true;
  logDecision(line);
}
