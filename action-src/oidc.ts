// The confirmation's I/O against the tenant's authorization server: the code exchange (public
// client, PKCE) and the signing keys. As thin as management.ts, with the same per-request timeout.
import type { JsonWebKey } from "crypto";

const REQUEST_TIMEOUT_MS = 4_000;
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
export async function exchangeCode(host: string, params: { clientId: string; code: string; verifier: string; redirectUri: string }): Promise<string> {
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
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
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
export async function signingKeys(host: string, now: number, fresh = false): Promise<{ keys?: JsonWebKey[] }> {
  if (!fresh && jwksCache?.host === host && now - jwksCache.at < JWKS_TTL_MS) return jwksCache.keys;
  try {
    const response = await fetch(`https://${host}/.well-known/jwks.json`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) throw new Error(String(response.status));
    const keys = (await response.json()) as { keys?: JsonWebKey[] };
    jwksCache = { host, keys, at: now };
    return keys;
  } catch {
    throw new OidcError("jwks_unavailable");
  }
}
