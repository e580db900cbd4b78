// The smoke admin's client authentication: a short-lived JWT signed with SMOKE_PRIVATE_KEY
// (private_key_jwt), so the tenant holds no secret for it, only the public key.
import { constants, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from "crypto";
import type { SmokeAlgorithm } from "../../../stacks/smoke-config";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Reads a PEM private key; undefined when it is not one. Never echoes the key. */
export function readPrivateKey(pem: string): KeyObject | undefined {
  try {
    // CI secrets sometimes arrive with literal "\n" instead of line breaks.
    return createPrivateKey(pem.includes("\\n") && !pem.includes("\n") ? pem.replace(/\\n/g, "\n") : pem);
  } catch {
    return undefined;
  }
}

/** Whether `privateKey` is the private half of the PEM public key `publicPem`. */
export function matchesPublicKey(privateKey: KeyObject, publicPem: string): boolean {
  const der = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  return der(createPublicKey(privateKey)).equals(der(createPublicKey(publicPem)));
}

/** The client assertion Auth0 expects: iss = sub = client id, aud = https://<domain>/, one minute, unique jti. */
export function clientAssertion(clientId: string, domain: string, key: KeyObject, algorithm: SmokeAlgorithm, now = Date.now()): string {
  const seconds = Math.floor(now / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: algorithm, typ: "JWT" })}.${part({ iss: clientId, sub: clientId, aud: `https://${domain}/`, iat: seconds, exp: seconds + 60, jti: randomUUID() })}`;
  const hash = algorithm === "RS384" ? "sha384" : "sha256";
  const signer = algorithm === "PS256" ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
  return `${input}.${sign(hash, Buffer.from(input), signer).toString("base64url")}`;
}
