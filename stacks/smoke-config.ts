// The opt-in smoke test setup of one environment (`smoke` in stacks/environments.ts): validated
// at synth like every other field, one problem per line. No cdktf import: the smoke command
// reads the resolved values too.
import { createPublicKey } from "crypto";

/** Auth0's private_key_jwt credentials take these algorithms (all RSA). */
export const SMOKE_ALGORITHMS = ["RS256", "RS384", "PS256"] as const;
export type SmokeAlgorithm = (typeof SMOKE_ALGORITHMS)[number];

/** The connection names used when the configuration gives none. */
export const DEFAULT_SMOKE_CONNECTIONS: readonly [string, string] = ["linking-smoke-older", "linking-smoke-newer"];

/** The app_metadata key the smoke test gives its newer user (it must be neither carried nor protected). */
export const SMOKE_METADATA_KEY = "linking_smoke";

export interface SmokeConfig {
  /**
   * Recommended: the PUBLIC half (PEM, "-----BEGIN PUBLIC KEY-----") of the RSA key pair the smoke
   * admin application authenticates with (private_key_jwt); the stack creates that application.
   * The private half stays with the operator and CI (SMOKE_PRIVATE_KEY); it never goes here.
   * Auth0 documents private key JWT for Enterprise plans: on other plans use adminClientId.
   */
  publicKey?: string;
  /**
   * For any plan, instead of publicKey: the client id of a machine-to-machine application you
   * create yourself (outside the stack), granted exactly create:users read:users delete:users on
   * the Management API. Its client secret is given only at run time (SMOKE_ADMIN_CLIENT_SECRET),
   * never here, in state or in a plan.
   */
  adminClientId?: string;
  /** Signing algorithm of the client assertions (default RS256). */
  algorithm?: SmokeAlgorithm;
  /** The two dedicated database connections [older, newer] (default linking-smoke-older, linking-smoke-newer). */
  connections?: [string, string];
}

/** How the smoke admin (the application that creates and deletes the test users) signs in. */
export type SmokeAdmin =
  /** Created by the stack; authenticates with a client assertion (private key JWT). */
  | { kind: "private_key_jwt"; publicKey: string; algorithm: SmokeAlgorithm }
  /** Created outside the stack; its client secret comes from SMOKE_ADMIN_CLIENT_SECRET at run time. */
  | { kind: "client_secret"; clientId: string };

export interface ResolvedSmoke {
  admin: SmokeAdmin;
  /** [older, newer]: the first holds the account that must stay primary. */
  connections: [string, string];
}

// The policy's rule for connection names (action-src/policy.ts), repeated so the message can say "smoke".
const CONNECTION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$/;
const SMOKE_FIELDS = ["publicKey", "adminClientId", "algorithm", "connections"];
/** Auth0 client ids: letters, digits, "-" and "_". */
const CLIENT_ID = /^[A-Za-z0-9_-]{16,64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What is wrong with a PEM public key for private_key_jwt, or undefined. */
function publicKeyProblem(pem: string): string | undefined {
  if (/PRIVATE KEY-----/.test(pem)) {
    return "is a PRIVATE key: put only the public half here (openssl pkey -in smoke.key -pubout) and make a new key pair, since this one has been written into the configuration";
  }
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) return 'must be a PEM public key starting with "-----BEGIN PUBLIC KEY-----"';
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== "rsa") return `must be an RSA key (Auth0 verifies ${SMOKE_ALGORITHMS.join(", ")}), got ${key.asymmetricKeyType}`;
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return `must be an RSA key of at least 2048 bits, got ${bits}`;
  } catch (err) {
    return `is not a readable PEM public key (${(err as Error).message})`;
  }
  return undefined;
}

/**
 * Checks `smoke` against the rest of the environment's configuration: its connections become
 * `trusted` in the policy, so the policy must not already say something about them.
 */
export function checkSmoke(value: unknown, policy: unknown, problem: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (!isRecord(value)) return problem("smoke", "must be { publicKey, algorithm?, connections? } or { adminClientId, connections? } (leave it out to turn the smoke test off)");
  for (const key of Object.keys(value)) if (!SMOKE_FIELDS.includes(key)) problem(`smoke.${key}`, `is not a smoke field (known: ${SMOKE_FIELDS.join(", ")})`);
  if (value.publicKey !== undefined && value.adminClientId !== undefined) {
    problem("smoke", "takes publicKey (the stack's private-key-JWT admin, recommended) or adminClientId (an admin application you created, any plan), not both");
  } else if (value.adminClientId !== undefined) {
    if (typeof value.adminClientId !== "string" || !CLIENT_ID.test(value.adminClientId)) {
      problem("smoke.adminClientId", `must be the client id of the admin application you created (letters, digits, - and _), got ${JSON.stringify(value.adminClientId)}`);
    }
    if (value.algorithm !== undefined) problem("smoke.algorithm", "is for publicKey (private key JWT); an adminClientId application signs in with its client secret");
  } else if (typeof value.publicKey !== "string" || value.publicKey.trim() === "") {
    problem("smoke.publicKey", "is required: the PEM public key of the smoke admin application's key pair, or give adminClientId instead (docs/rollout.md, \"Smoke test on a real tenant\")");
  } else {
    const wrong = publicKeyProblem(value.publicKey);
    if (wrong) problem("smoke.publicKey", wrong);
  }
  if (value.algorithm !== undefined && !(SMOKE_ALGORITHMS as readonly unknown[]).includes(value.algorithm)) {
    problem("smoke.algorithm", `must be one of ${SMOKE_ALGORITHMS.join(", ")}, got ${JSON.stringify(value.algorithm)}`);
  }
  const connections = value.connections;
  let names: string[] = [...DEFAULT_SMOKE_CONNECTIONS];
  if (connections !== undefined) {
    if (!Array.isArray(connections) || connections.length !== 2 || !connections.every((c) => typeof c === "string" && CONNECTION_NAME.test(c))) {
      problem("smoke.connections", `must be two connection names [older, newer] (letters, digits and dashes), got ${JSON.stringify(connections)}`);
      names = [];
    } else if (connections[0] === connections[1]) {
      problem("smoke.connections", `must be two different connections, got "${connections[0]}" twice`);
      names = [];
    } else {
      names = connections as string[];
    }
  }
  const p = isRecord(policy) ? policy : {};
  const trust = isRecord(p.connections) ? p.connections : {};
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(trust, name)) {
      problem(`policy.connections.${name}`, `is a smoke test connection: the stack declares it "trusted" itself; remove it here or give smoke.connections other names`);
    }
    if (Array.isArray(p.primaryConnectionOrder) && p.primaryConnectionOrder.includes(name)) {
      problem("policy.primaryConnectionOrder", `lists the smoke test connection "${name}": the smoke test needs the older account to be primary; remove it`);
    }
  }
  if (p.reportOnly === true) problem("smoke", "needs policy.reportOnly false: the smoke test checks a real link, and a report-only Action links nothing");
  for (const list of ["protectedAppMetadataKeys", "carriedAppMetadataKeys"] as const) {
    if (Array.isArray(p[list]) && (p[list] as unknown[]).includes(SMOKE_METADATA_KEY)) {
      problem(`policy.${list}`, `lists "${SMOKE_METADATA_KEY}", the smoke test's own app_metadata key; remove it`);
    }
  }
}

/** The validated `smoke` with its defaults, or undefined when the smoke test is off. */
export function resolveSmoke(value: SmokeConfig | undefined): ResolvedSmoke | undefined {
  if (value === undefined) return undefined;
  return {
    admin: value.adminClientId !== undefined ? { kind: "client_secret", clientId: value.adminClientId } : { kind: "private_key_jwt", publicKey: value.publicKey!.trim() + "\n", algorithm: value.algorithm ?? "RS256" },
    connections: value.connections ? [value.connections[0], value.connections[1]] : [DEFAULT_SMOKE_CONNECTIONS[0], DEFAULT_SMOKE_CONNECTIONS[1]],
  };
}

/** The policy as written, with the smoke connections declared trusted. */
export function withSmokeConnections<T extends { connections?: Record<string, unknown> }>(policy: T | undefined, smoke: ResolvedSmoke | undefined): T | undefined {
  if (!smoke) return policy;
  const base = (policy ?? {}) as T;
  return { ...base, connections: { ...(base.connections ?? {}), [smoke.connections[0]]: "trusted", [smoke.connections[1]]: "trusted" } };
}

/** The grant the smoke test's own users need: create, read, delete. Nothing else. */
export const SMOKE_ADMIN_SCOPES = ["create:users", "read:users", "delete:users"] as const;
/** The only grant the smoke application may use. */
export const PASSWORD_REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm";

/** Fixed names: `npm run smoke` finds the applications by them (client ids are the tenant's). */
export const smokeApplicationName = (environment: string): string => `Account linking smoke test (${environment})`;
export const smokeAdminName = (environment: string): string => `Account linking smoke admin (${environment})`;
