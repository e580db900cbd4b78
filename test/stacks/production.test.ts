// `production: true` names the production environment (instead of "the last one"): never planned
// on a pull request, its domain required, no smoke test. Each mistake is one problem line naming
// the environment and the field.
import { generateKeyPairSync } from "crypto";
import { ConfigError, resolveEnvironments } from "../../stacks/config";
import { githubMatrix } from "../../scripts/environments";

const PUBLIC = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } }).publicKey;

const problems = (configs: unknown[]): string[] => {
  try {
    resolveEnvironments(configs);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test("off unless said; resolved as a boolean", () => {
  const [dev, live] = resolveEnvironments([{ name: "dev", tenant: "d" }, { name: "live", tenant: "l", production: true, domain: "live.eu.auth0.com" }]);
  expect([dev.production, live.production]).toEqual([false, true]);
});

test("production needs its domain, refuses smoke, and takes only true or false", () => {
  expect(problems([{ name: "live", tenant: "l", production: true }])).toEqual([
    'environment "live": domain is required for a production environment (so plan, deploy, verify and backfill refuse another tenant\'s credentials)',
  ]);
  expect(problems([{ name: "live", tenant: "l", production: true, domain: "live.eu.auth0.com", policy: { connections: { github: "trusted" } }, smoke: { publicKey: PUBLIC } }])).toEqual([
    'environment "live": smoke is not allowed on a production environment: the smoke test creates and deletes users (docs/rollout.md)',
  ]);
  expect(problems([{ name: "live", tenant: "l", production: "yes", domain: "live.eu.auth0.com" }])).toEqual(['environment "live": production must be true or false, got "yes"']);
  // Smoke on an environment that is not production stays allowed.
  expect(problems([{ name: "dev", tenant: "d", policy: { connections: { github: "trusted" } }, smoke: { publicKey: PUBLIC } }])).toEqual([]);
});

test("pull requests plan every environment not marked production, wherever it stands in the list", () => {
  const configured = resolveEnvironments([
    { name: "dev", tenant: "d" },
    { name: "live", tenant: "l", production: true, domain: "live.eu.auth0.com" },
    { name: "sandbox", tenant: "s" },
  ]);
  expect(githubMatrix({ pullRequest: true }, configured).map((e) => e.name)).toEqual(["dev", "sandbox"]);
  expect(githubMatrix({}, configured).map((e) => [e.name, e.production])).toEqual([["dev", false], ["live", true], ["sandbox", false]]);
  // No production environment: every environment is planned (the last is no longer assumed to be it).
  expect(githubMatrix({ pullRequest: true }, resolveEnvironments([{ name: "a", tenant: "a" }, { name: "b", tenant: "b" }])).map((e) => e.name)).toEqual(["a", "b"]);
});

test("the team's production environment is marked, so no pull request plans it", () => {
  expect(githubMatrix().filter((e) => e.production).length).toBeGreaterThan(0);
  expect(githubMatrix({ pullRequest: true }).some((e) => e.production)).toBe(false);
});
