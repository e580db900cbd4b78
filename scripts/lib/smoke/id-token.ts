// Checks the login's ID token the way a relying party would before believing its `sub`: RS256
// signature against the tenant's JWKS, issuer, audience (the smoke application) and expiry.
import { createPublicKey, verify, type JsonWebKey } from "crypto";

export interface IdTokenClaims {
  sub: string;
  [claim: string]: unknown;
}

/** The claims, or why the token is not to be believed. */
export function checkIdToken(token: unknown, jwks: unknown, expected: { issuer: string; audience: string; now?: number }): { claims: IdTokenClaims } | { problem: string } {
  if (typeof token !== "string" || token.split(".").length !== 3) return { problem: "the answer has no id_token (was scope=openid ignored?)" };
  const [h, p, s] = token.split(".");
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    return { problem: "the id_token is not a JWT" };
  }
  if (header.alg !== "RS256") return { problem: `the id_token is signed with ${String(header.alg)}, expected RS256` };
  const keys = ((jwks as { keys?: Array<JsonWebKey & { kid?: string }> })?.keys ?? []).filter((k) => k.kty === "RSA");
  const key = keys.find((k) => k.kid === header.kid) ?? (header.kid === undefined && keys.length === 1 ? keys[0] : undefined);
  if (!key) return { problem: `no key ${String(header.kid)} in /.well-known/jwks.json` };
  if (!verify("sha256", Buffer.from(`${h}.${p}`), createPublicKey({ key, format: "jwk" }), Buffer.from(s, "base64url"))) {
    return { problem: "the id_token's signature does not verify against /.well-known/jwks.json" };
  }
  if (claims.iss !== expected.issuer) return { problem: `the id_token's iss is ${JSON.stringify(claims.iss)}, expected ${expected.issuer}` };
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(expected.audience)) return { problem: `the id_token's aud is ${JSON.stringify(claims.aud)}, expected the smoke application ${expected.audience}` };
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= (expected.now ?? Date.now())) return { problem: "the id_token has expired" };
  if (typeof claims.sub !== "string" || claims.sub === "") return { problem: "the id_token has no sub" };
  return { claims: claims as IdTokenClaims };
}
