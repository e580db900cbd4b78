// Confirmed linking, as plain data and pure checks: the ticket that carries "this person chose
// to sign in to that account" from the Form to the redirect, the PKCE verifier and nonce (derived,
// so nothing has to be stored between the redirect and /continue), the /authorize request and
// the ID token checks. No I/O here; oidc.ts fetches, the entry points act.
//
// What the flow rests on (Auth0 docs: customize/forms/render, actions/redirect-with-actions,
// post-login event and api objects):
// - an Action cannot render a Form and redirect: the Form is the linking Action's, the redirect
//   the confirmation Action's, bound right after it;
// - after a Form, the same Action resumes in onContinuePostLogin with event.prompt.fields,
//   and the pipeline then goes on to the next Action's onExecutePostLogin;
// - sendUserTo appends the paused transaction's `state`; returning to /continue with it resumes
//   the Action that redirected, in onContinuePostLogin, with a new event.request (query holds
//   what /authorize sent back: code or error, and state);
// - api.transaction.setMetadata is read by later Actions of the same transaction as
//   event.transaction.metadata (how the Form's answer reaches the confirmation Action);
// - event.transaction.id is the same before and after a resume (UNCONFIRMED: the derived
//   verifier and nonce depend on it; if it changed, the exchange fails and nothing is linked).
import { createCipheriv, createDecipheriv, createHash, createHmac, createPublicKey, randomBytes, timingSafeEqual, verify, type JsonWebKey } from "crypto";

const PROBE_KEY = "account_linking_probe";

/**
 * Whether Actions Transaction Metadata works in this tenant. It is Early Access
 * (customize/actions/transaction-metadata); without it the Form's answer never reaches the
 * confirmation Action. Auth0 documents that a value set is readable at once in
 * event.transaction.metadata, so set a probe, read it back, remove it (null removes).
 */
export function transactionMetadataWorks(
  event: { transaction?: { metadata?: Record<string, unknown> } },
  api: { transaction?: { setMetadata(key: string, value: string | number | boolean | null): unknown } },
): boolean {
  if (typeof api.transaction?.setMetadata !== "function") return false;
  try {
    api.transaction.setMetadata(PROBE_KEY, true);
    const works = event.transaction?.metadata?.[PROBE_KEY] === true;
    if (works) api.transaction.setMetadata(PROBE_KEY, null);
    return works;
  } catch {
    return false;
  }
}

/** Key under which the linking Action hands the accepted ticket to the confirmation Action. */
export const TICKET_METADATA_KEY = "account_linking_ticket";
/** The Form's fields (see the stack's confirmation form). */
export const FORM_FIELDS = { choice: "link_choice", ticket: "link_ticket" } as const;
/** How long a person has from the prompt to coming back from the sign-in. */
export const TICKET_TTL_MS = 15 * 60 * 1000;
/** A login that showed the Form is not looked at again for this long (an abandoned Form). */
export const PROMPT_SNOOZE_MS = 15 * 60 * 1000;
/** How old the confirming sign-in may be (max_age=0 asks for a new one; allow clock skew). */
export const FRESH_AUTH_SECONDS = 300;
const SKEW_SECONDS = 60;

export interface Ticket {
  /** The account the person must sign in to. */
  target: string;
  /** Its root connection (the /authorize `connection`). */
  connection: string;
  /** The user logging in now. */
  current: string;
  /** The transaction (event.transaction.id). */
  tx: string;
  /** Expiry, epoch ms. */
  exp: number;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function mac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A ticket sealed (AES-256-GCM) with a key only the linking Actions hold: other Actions cannot
 * forge one, and the person who sees the Form's hidden field cannot read which account it names.
 */
export function sealTicket(ticket: Ticket, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from("account-linking/ticket"));
  const body = Buffer.concat([cipher.update(JSON.stringify(ticket), "utf8"), cipher.final()]);
  return b64url(Buffer.concat([iv, cipher.getAuthTag(), body]));
}

/** The ticket, if sealed by us, for this user and transaction, and not expired. */
export function openTicket(value: unknown, key: Buffer, expect: { current: string; tx: string; now: number }): Ticket | undefined {
  if (typeof value !== "string" || value.length > 4096) return undefined;
  try {
    const raw = Buffer.from(value, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from("account-linking/ticket"));
    decipher.setAuthTag(raw.subarray(12, 28));
    const ticket = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as Ticket;
    if (ticket.current !== expect.current || ticket.tx !== expect.tx || !(ticket.exp > expect.now)) return undefined;
    if (typeof ticket.target !== "string" || typeof ticket.connection !== "string") return undefined;
    return ticket;
  } catch {
    return undefined;
  }
}

/** PKCE verifier for this transaction and user: recomputed at /continue instead of stored. */
export function pkceVerifier(key: Buffer, tx: string, current: string): string {
  return mac(key, `pkce.${tx}.${current}`);
}

export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** The browser a request came from, as the Action sees it (event.request.ip and user_agent). */
export interface Browser {
  ip?: string;
  userAgent?: string;
}

/**
 * A keyed tag of the browser: the same browser gives the same tag, another one (another address
 * or user agent) a different tag, and nobody without the key can make the tag of a browser.
 */
export function browserTag(key: Buffer, browser: Browser): string {
  return mac(key, `browser.${browser.ip ?? ""}.${browser.userAgent ?? ""}`).slice(0, 22);
}

/**
 * The nonce binds the ID token to this transaction, this user, the account asked for, the time of
 * the redirect and the browser that was redirected: `<issued s>.<browser tag>.<mac>`. The browser
 * tag is readable on its own, so the nested sign-in itself can be refused in another browser.
 */
export function nonceFor(key: Buffer, ticket: Pick<Ticket, "tx" | "current" | "target">, issuedAt: number, tag: string): string {
  return `${issuedAt}.${tag}.${mac(key, `nonce.${ticket.tx}.${ticket.current}.${ticket.target}.${issuedAt}.${tag}`)}`;
}

/** The parts of a nonce of ours, or undefined. */
export function readNonce(value: unknown): { issuedAt: number; tag: string } | undefined {
  if (typeof value !== "string" || value.length > 200) return undefined;
  const parts = value.split(".");
  if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[0]) || !/^[\w-]{22}$/.test(parts[1])) return undefined;
  return { issuedAt: Number(parts[0]), tag: parts[1] };
}

/**
 * The nonce an ID token came back with, checked against this transaction and the browser now
 * at /continue: "nonce" when it is not ours for this ticket, "other_browser" when it is but
 * another browser was redirected.
 */
export function checkNonce(claimed: string, key: Buffer, ticket: Ticket, browser: Browser): { problem: TokenProblem } | { issuedAt: number } {
  const parsed = readNonce(claimed);
  if (!parsed || !sameText(claimed, nonceFor(key, ticket, parsed.issuedAt, parsed.tag))) return { problem: "nonce" };
  if (!sameText(parsed.tag, browserTag(key, browser))) return { problem: "other_browser" };
  return { issuedAt: parsed.issuedAt };
}

/**
 * For the nested sign-in itself (a login to the confirmation application): "other_browser" when
 * its /authorize carries a nonce of ours made for another browser (the URL was handed on).
 */
export function nestedSignInProblem(query: Record<string, unknown> | undefined, key: Buffer, browser: Browser): "other_browser" | undefined {
  const parsed = readNonce(query?.nonce);
  if (!parsed) return undefined;
  return sameText(parsed.tag, browserTag(key, browser)) ? undefined : "other_browser";
}

/** The query of the confirmation's /authorize request (Auth0 appends `state` itself). */
export function authorizeQuery(options: { clientId: string; host: string; ticket: Ticket; key: Buffer; loginHint?: string; browser: Browser; now: number }): Record<string, string> {
  const { ticket, key } = options;
  const query: Record<string, string> = {
    client_id: options.clientId,
    response_type: "code",
    redirect_uri: `https://${options.host}/continue`,
    scope: "openid",
    connection: ticket.connection,
    prompt: "login",
    max_age: "0",
    nonce: nonceFor(key, ticket, Math.floor(options.now / 1000), browserTag(key, options.browser)),
    code_challenge: pkceChallenge(pkceVerifier(key, ticket.tx, ticket.current)),
    code_challenge_method: "S256",
  };
  if (options.loginHint) query.login_hint = options.loginHint;
  return query;
}

/** How the existing account signs in, in words a person recognises; never its email or id. */
export function signInMethod(provider: string | undefined): string {
  const SOCIAL: Record<string, string> = {
    "google-oauth2": "Google",
    github: "GitHub",
    apple: "Apple",
    facebook: "Facebook",
    windowslive: "Microsoft",
    linkedin: "LinkedIn",
    twitter: "X (Twitter)",
    auth0: "email and password",
    email: "a code sent by email",
    sms: "a code sent by text message",
  };
  return (provider && SOCIAL[provider]) || "your organization's single sign-on";
}

/**
 * Whether `prompt=login` and `max_age=0` can make the existing account's identity provider ask
 * for its credentials again, by the provider of its root identity (the user_id prefix). They bind
 * Auth0; an upstream provider only sees them where the connection forwards them ("Pass Parameters
 * to Identity Providers": options.upstream_params, dynamic values aliased from the /authorize
 * `prompt` and `max_age`; not for SAML or WS-Fed). So:
 * - "auth0": Auth0 itself asks (database, passwordless, AD/LDAP): forced;
 * - "upstream_params": an OAuth2/OIDC enterprise or Microsoft provider that honours prompt=login
 *   and max_age: forced once the operator sets the connection's upstream_params (docs/trust-and-security.md);
 * - "unforced": no parameter makes it re-authenticate (GitHub, Google's prompt has no "login",
 *   Apple, Facebook's auth_type is not aliasable, SAML, WS-Fed, ...): an existing session there
 *   (a shared computer) may sign the person in without a password.
 */
export type UpstreamFreshness = "auth0" | "upstream_params" | "unforced";

const AUTH0_ASKS = new Set(["auth0", "email", "sms", "ad", "auth0-adldap"]);
const FORWARDS_PROMPT = new Set(["oidc", "okta", "waad", "windowslive", "pingfederate"]);

export function upstreamFreshness(targetUserId: string): UpstreamFreshness {
  const provider = targetUserId.slice(0, Math.max(0, targetUserId.indexOf("|")));
  if (AUTH0_ASKS.has(provider)) return "auth0";
  return FORWARDS_PROMPT.has(provider) ? "upstream_params" : "unforced";
}

export type TokenProblem =
  | "malformed"
  | "algorithm"
  | "unknown_key"
  | "signature"
  | "issuer"
  | "audience"
  | "expired"
  | "issued_in_future"
  | "nonce"
  | "other_browser"
  | "stale_auth"
  | "subject";

export class TokenError extends Error {
  constructor(readonly problem: TokenProblem) {
    super(problem);
    this.name = "TokenError";
  }
}

export interface IdTokenExpectations {
  issuer: string;
  audience: string;
  /** Checks the token's nonce; on success, the time (epoch s) of the redirect it was made for. */
  nonce: (claimed: string) => { problem: TokenProblem } | { issuedAt: number };
  subject: string;
  /** Epoch seconds. */
  now: number;
}

/** Checks an RS256 ID token against the tenant's JWKS and what this transaction asked for. */
export function verifyIdToken(token: string, jwks: { keys?: JsonWebKey[] }, expect: IdTokenExpectations): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new TokenError("malformed");
  let header: { alg?: string; kid?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw new TokenError("malformed");
  }
  if (header.alg !== "RS256") throw new TokenError("algorithm");
  const jwk = (jwks.keys ?? []).find((k) => (k as { kid?: string }).kid === header.kid && k.kty === "RSA");
  if (!jwk) throw new TokenError("unknown_key");
  const valid = verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(parts[2], "base64url"));
  if (!valid) throw new TokenError("signature");
  if (claims.iss !== expect.issuer) throw new TokenError("issuer");
  const aud = claims.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(expect.audience) || (audiences.length > 1 && claims.azp !== expect.audience)) throw new TokenError("audience");
  if (typeof claims.exp !== "number" || claims.exp <= expect.now) throw new TokenError("expired");
  if (typeof claims.iat !== "number" || claims.iat > expect.now + SKEW_SECONDS) throw new TokenError("issued_in_future");
  if (typeof claims.nonce !== "string") throw new TokenError("nonce");
  const nonce = expect.nonce(claims.nonce);
  if ("problem" in nonce) throw new TokenError(nonce.problem);
  // A sign-in from before this redirect (an old session's token) proves nothing about this ticket.
  const notBefore = Math.max(expect.now - FRESH_AUTH_SECONDS, nonce.issuedAt - SKEW_SECONDS);
  if (typeof claims.auth_time !== "number" || claims.auth_time < notBefore || claims.auth_time > expect.now + SKEW_SECONDS) {
    throw new TokenError("stale_auth");
  }
  if (claims.sub !== expect.subject) throw new TokenError("subject");
  return claims;
}
