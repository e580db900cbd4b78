// The opt-in smoke setup: what the stack adds for `npm run smoke` (fixed ids, exactly the grants
// it needs, no secret anywhere) and what configuration validation refuses.
import { generateKeyPairSync } from "crypto";
import { ConfigError, resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { SMOKE_ADDRESSES, smokeAddresses } from "../../stacks/smoke";
import { PASSWORD_REALM_GRANT } from "../../stacks/smoke-config";
import { synthEnvironment } from "../support/synth";
import { DEV } from "./fixtures";
import { contractProblems } from "./stack-contract";

const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PUBLIC = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
const PRIVATE = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
/** An admin application created outside the stack (smoke.adminClientId). */
const ADMIN_ID = "Zk3Q9aXbYc2dEf4gHi5jKl6mNo7pQr8s";
const SMOKE_DEV: EnvironmentConfig = { ...DEV, policy: { connections: { github: "trusted" } }, smoke: { publicKey: PUBLIC } };

const problemsOf = (config: unknown): string[] => {
  try {
    resolveEnvironments([config]);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe("an environment with smoke on", () => {
  const env = resolveEnvironments([SMOKE_DEV])[0];
  const { json, tf } = synthEnvironment(env);
  const r = tf.resource as Record<string, Record<string, Record<string, any>>>;

  test("meets the stack contract, with the smoke resources at their fixed addresses", () => {
    expect(contractProblems(env, tf, json)).toEqual([]);
    for (const address of SMOKE_ADDRESSES) {
      const [type, name] = address.split(".");
      expect([address, r[type]?.[name] !== undefined]).toEqual([address, true]);
    }
  });

  test("the smoke application: public, password-realm only, nothing else", () => {
    expect(r.auth0_client.smoke_client).toMatchObject({ name: "Account linking smoke test (dev)", app_type: "native", is_first_party: true, grant_types: [PASSWORD_REALM_GRANT], jwt_configuration: { alg: "RS256" } });
    expect(r.auth0_client.smoke_client.callbacks).toBeUndefined();
    expect(r.auth0_client_credentials.smoke_client_credentials).toEqual({ client_id: "${auth0_client.smoke_client.client_id}", authentication_method: "none" });
  });

  test("two dedicated database connections, sign-ups closed, enabled for the smoke application only", () => {
    for (const [role, name] of [["older", "linking-smoke-older"], ["newer", "linking-smoke-newer"]]) {
      const connection = r.auth0_connection[`smoke_connection_${role}`];
      expect(connection).toMatchObject({ name, strategy: "auth0", options: { disable_signup: true, brute_force_protection: true } });
      expect(r.auth0_connection_clients[`smoke_connection_${role}_clients`]).toEqual({
        connection_id: `\${auth0_connection.smoke_connection_${role}.id}`,
        enabled_clients: ["${auth0_client.smoke_client.client_id}"],
      });
    }
  });

  test("the smoke admin: client credentials with the configured public key, exactly create, read and delete users", () => {
    expect(r.auth0_client.smoke_admin_client).toMatchObject({ name: "Account linking smoke admin (dev)", app_type: "non_interactive", grant_types: ["client_credentials"] });
    expect(r.auth0_client_credentials.smoke_admin_client_credentials).toEqual({
      client_id: "${auth0_client.smoke_admin_client.client_id}",
      authentication_method: "private_key_jwt",
      private_key_jwt: { credentials: [{ name: "smoke-admin", credential_type: "public_key", pem: PUBLIC, algorithm: "RS256" }] },
    });
    expect(r.auth0_client_grant.smoke_admin_client_grant).toEqual({
      client_id: "${auth0_client.smoke_admin_client.client_id}",
      audience: "${data.auth0_tenant.tenant.management_api_identifier}",
      scopes: ["create:users", "read:users", "delete:users"],
    });
  });

  test("no secret: no private key, no client secret, no new ephemeral value, no output", () => {
    expect(json).not.toContain("PRIVATE KEY");
    expect(json).not.toContain(PRIVATE.split("\n")[1]);
    const smokeBodies = JSON.stringify(SMOKE_ADDRESSES.map((a) => r[a.split(".")[0]][a.split(".")[1]]));
    expect(smokeBodies).not.toMatch(/client_secret|secrets|random_password/);
    expect(Object.keys(tf.ephemeral?.random_password ?? {})).toEqual(["linking_client_secret"]);
    expect(Object.keys(tf.output ?? {}).filter((k) => k.includes("smoke"))).toEqual([]);
  });

  test("its connections are trusted in the environment's policy, which the Action receives", () => {
    expect(env.policy.connections).toEqual({ github: "trusted", "linking-smoke-older": "trusted", "linking-smoke-newer": "trusted" });
    const code = String(r.auth0_action.linking_action.code);
    expect(code).toContain('"connections":{"github":"trusted","linking-smoke-newer":"trusted","linking-smoke-older":"trusted"}');
  });

  test("named connections and another algorithm", () => {
    const named = resolveEnvironments([{ ...SMOKE_DEV, smoke: { publicKey: PUBLIC, algorithm: "PS256", connections: ["smoke-a", "smoke-b"] } }])[0];
    const out = synthEnvironment(named).tf.resource as Record<string, Record<string, Record<string, any>>>;
    expect([out.auth0_connection.smoke_connection_older.name, out.auth0_connection.smoke_connection_newer.name]).toEqual(["smoke-a", "smoke-b"]);
    expect(out.auth0_client_credentials.smoke_admin_client_credentials.private_key_jwt.credentials[0].algorithm).toBe("PS256");
    expect(named.policy.connections).toMatchObject({ "smoke-a": "trusted", "smoke-b": "trusted" });
  });
});

test("for every plan: with adminClientId the stack makes no admin (the operator's application, its secret given at run time), the rest as with publicKey", () => {
  const env = resolveEnvironments([{ ...SMOKE_DEV, smoke: { adminClientId: ADMIN_ID } }])[0];
  expect(env.smoke!.admin).toEqual({ kind: "client_secret", clientId: ADMIN_ID });
  const { json, tf } = synthEnvironment(env);
  const addresses = Object.entries(tf.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
  expect(addresses.filter((a) => a.includes("smoke")).sort()).toEqual(SMOKE_ADDRESSES.filter((a) => !a.includes("smoke_admin")).sort());
  expect(smokeAddresses(env.smoke!).sort()).toEqual(addresses.filter((a) => a.includes("smoke")).sort());
  expect(contractProblems(env, tf, json)).toEqual([]);
  // Neither its id nor any secret is in the synthesized stack: the stack does not manage it.
  expect(json).not.toContain(ADMIN_ID);
  const r = tf.resource as Record<string, Record<string, Record<string, unknown>>>;
  const smokeBodies = JSON.stringify(addresses.filter((a) => a.includes("smoke")).map((a) => r[a.split(".")[0]][a.split(".")[1]]));
  expect(smokeBodies).not.toMatch(/private_key_jwt|client_secret|secrets/);
  expect(env.policy.connections).toEqual({ github: "trusted", "linking-smoke-older": "trusted", "linking-smoke-newer": "trusted" });
});

test("off by default: no smoke resource, the policy as written", () => {
  const env = resolveEnvironments([DEV])[0];
  expect(env.smoke).toBeUndefined();
  const { tf } = synthEnvironment(env);
  const addresses = Object.entries(tf.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
  expect(addresses.filter((a) => a.includes("smoke"))).toEqual([]);
  expect(env.policy.connections).toEqual({});
});

describe("configuration: one error per problem, naming the environment and the field", () => {
  const dev = (smoke: unknown, extra: Record<string, unknown> = {}) => ({ name: "dev", tenant: "t", smoke, ...extra });

  test.each<[string, unknown, string[]]>([
    ["not an object", dev(true), ['environment "dev": smoke must be { publicKey, algorithm?, connections? } or { adminClientId, connections? } (leave it out to turn the smoke test off)']],
    ["no public key", dev({}), ['environment "dev": smoke.publicKey is required: the PEM public key of the smoke admin application\'s key pair, or give adminClientId instead (docs/rollout.md, "Smoke test on a real tenant")']],
    ["both a public key and an admin client id", dev({ publicKey: PUBLIC, adminClientId: ADMIN_ID }), ['environment "dev": smoke takes publicKey (the stack\'s private-key-JWT admin, recommended) or adminClientId (an admin application you created, any plan), not both']],
    ["an admin client id that is not one, with an algorithm", dev({ adminClientId: "https://x", algorithm: "RS256" }), [
      'environment "dev": smoke.adminClientId must be the client id of the admin application you created (letters, digits, - and _), got "https://x"',
      'environment "dev": smoke.algorithm is for publicKey (private key JWT); an adminClientId application signs in with its client secret',
    ]],
    ["the private key", dev({ publicKey: PRIVATE }), ['environment "dev": smoke.publicKey is a PRIVATE key: put only the public half here (openssl pkey -in smoke.key -pubout) and make a new key pair, since this one has been written into the configuration']],
    ["not a PEM", dev({ publicKey: "ssh-rsa AAAA" }), ['environment "dev": smoke.publicKey must be a PEM public key starting with "-----BEGIN PUBLIC KEY-----"']],
    ["an unknown field and algorithm", dev({ publicKey: PUBLIC, algorithm: "HS256", secret: "x" }), [
      'environment "dev": smoke.secret is not a smoke field (known: publicKey, adminClientId, algorithm, connections)',
      'environment "dev": smoke.algorithm must be one of RS256, RS384, PS256, got "HS256"',
    ]],
    ["one connection twice", dev({ publicKey: PUBLIC, connections: ["a", "a"] }), ['environment "dev": smoke.connections must be two different connections, got "a" twice']],
    ["three connections", dev({ publicKey: PUBLIC, connections: ["a", "b", "c"] }), ['environment "dev": smoke.connections must be two connection names [older, newer] (letters, digits and dashes), got ["a","b","c"]']],
    ["a policy entry for a smoke connection", dev({ publicKey: PUBLIC }, { policy: { connections: { "linking-smoke-newer": "confirm" } } }), [
      'environment "dev": policy.connections.linking-smoke-newer is a smoke test connection: the stack declares it "trusted" itself; remove it here or give smoke.connections other names',
    ]],
    ["a smoke connection preferred as primary", dev({ publicKey: PUBLIC }, { policy: { primaryConnectionOrder: ["linking-smoke-newer"] } }), [
      'environment "dev": policy.primaryConnectionOrder lists the smoke test connection "linking-smoke-newer": the smoke test needs the older account to be primary; remove it',
    ]],
    ["report-only", dev({ publicKey: PUBLIC }, { policy: { reportOnly: true } }), ['environment "dev": smoke needs policy.reportOnly false: the smoke test checks a real link, and a report-only Action links nothing']],
    ["its metadata key carried", dev({ publicKey: PUBLIC }, { policy: { carriedAppMetadataKeys: ["linking_smoke"] } }), ['environment "dev": policy.carriedAppMetadataKeys lists "linking_smoke", the smoke test\'s own app_metadata key; remove it']],
  ])("%s", (_name, config, expected) => {
    expect(problemsOf(config)).toEqual(expected);
  });

  test("a key too short to be accepted", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(problemsOf(dev({ publicKey: small }))).toEqual(['environment "dev": smoke.publicKey must be an RSA key of at least 2048 bits, got 1024']);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(problemsOf(dev({ publicKey: ec }))).toEqual(['environment "dev": smoke.publicKey must be an RSA key (Auth0 verifies RS256, RS384, PS256), got ec']);
  });
});
