// private_key_jwt client authentication at the emulation's token endpoint, as Auth0 checks it:
// a JWT signed with the key registered for the application (RS256, RS384 or PS256), iss and sub
// the client id, aud the tenant's https://<domain>/, not expired, and each jti used once.
import { createPublicKey, verify as verifySignature, constants } from "crypto";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface RegisteredKey {
  /** PEM public key (what auth0_client_credentials.private_key_jwt registers). */
  pem: string;
  algorithm: "RS256" | "RS384" | "PS256";
}

const seenJti = new Set<string>();

/** Why the assertion is refused, or undefined when it authenticates `clientId`. */
export function assertionProblem(assertion: string, clientId: string, key: RegisteredKey, domain: string, now = Date.now()): string | undefined {
  const parts = assertion.split(".");
  if (parts.length !== 3) return "client_assertion is not a JWT";
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return "client_assertion is not a JWT";
  }
  if (header.alg !== key.algorithm) return `client_assertion must be signed with ${key.algorithm}`;
  const hash = key.algorithm === "RS384" ? "sha384" : "sha256";
  const options = key.algorithm === "PS256" ? { key: createPublicKey(key.pem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : createPublicKey(key.pem);
  const ok = verifySignature(hash, Buffer.from(`${parts[0]}.${parts[1]}`), options, Buffer.from(parts[2], "base64url"));
  if (!ok) return "Invalid client assertion signature";
  if (claims.iss !== clientId || claims.sub !== clientId) return "client_assertion iss and sub must be the client id";
  if (claims.aud !== `https://${domain}/`) return "client_assertion aud must be the tenant's domain";
  const seconds = Math.floor(now / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= seconds) return "client_assertion expired";
  if (typeof claims.jti !== "string" || seenJti.has(claims.jti)) return "client_assertion jti already used";
  seenJti.add(claims.jti);
  return undefined;
}
