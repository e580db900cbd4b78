// The confirmation's I/O against the tenant's authorization server: the code exchange (public
// client, PKCE) and the signing keys. As thin as management.ts, with the same per-request timeout.
import type { JsonWebKey } from "crypto";

const REQUEST_TIMEOUT_MS = 4_000;
/**
 * The proof's own budget at /continue (code exchange and JWKS, with one JWKS refresh), separate
 * from the Management API's BUDGET_MS (10 s) that the link gets after it: 8 + 10 s stays inside
 * the 20 s Auth0 gives the resumed Action (customize/actions/limitations: the limit applies
 * separately before and after a redirect), so a slow token endpoint cannot eat the link's time.
 */
export const PROOF_BUDGET_MS = 8_000;

/** A request's timeout: the per-request cap, or what is left of the deadline (none left: no request). */
function signalFor(deadline: number, code: OidcError["code"]): AbortSignal {
  const remaining = Math.min(REQUEST_TIMEOUT_MS, deadline - Date.now());
  if (remaining < 100) throw new OidcError(code);
  return AbortSignal.timeout(remaining);
}
/** Signing keys change rarely; a warm container keeps them for a while. */
const JWKS_TTL_MS = 10 * 60 * 1000;
let jwksCache: { host: string; keys: { keys?: JsonWebKey[] }; at: number } | undefined;

export class OidcError extends Error {
  constructor(readonly code: "exchange_refused" | "exchange_failed" | "jwks_unavailable") {
    super(code);
    this.name = "OidcError";
  }
}

/** Exchanges the authorization code; a refused or replayed code is `exchange_refused`. */
export async function exchangeCode(host: string, params: { clientId: string; code: string; verifier: string; redirectUri: string }, deadline: number): Promise<string> {
  const signal = signalFor(deadline, "exchange_failed");
  let response: Response;
  try {
    response = await fetch(`https://${host}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: params.clientId,
        code: params.code,
        code_verifier: params.verifier,
        redirect_uri: params.redirectUri,
      }).toString(),
      signal,
    });
  } catch {
    throw new OidcError("exchange_failed");
  }
  const body = (await response.json().catch(() => undefined)) as { id_token?: unknown } | undefined;
  if (response.status >= 400 && response.status < 500) throw new OidcError("exchange_refused");
  if (!response.ok || typeof body?.id_token !== "string") throw new OidcError("exchange_failed");
  return body.id_token;
}

/** The tenant's signing keys (JWKS), kept per container for a few minutes; `fresh` skips the copy. */
export async function signingKeys(host: string, now: number, deadline: number, fresh = false): Promise<{ keys?: JsonWebKey[] }> {
  if (!fresh && jwksCache?.host === host && now - jwksCache.at < JWKS_TTL_MS) return jwksCache.keys;
  const signal = signalFor(deadline, "jwks_unavailable");
  try {
    const response = await fetch(`https://${host}/.well-known/jwks.json`, { signal });
    if (!response.ok) throw new Error(String(response.status));
    const keys = (await response.json()) as { keys?: JsonWebKey[] };
    jwksCache = { host, keys, at: now };
    return keys;
  } catch {
    throw new OidcError("jwks_unavailable");
  }
}
