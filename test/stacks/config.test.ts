import { Testing } from "../../stacks/engine";
import * as fs from "fs";
import * as path from "path";
import { buildApp } from "../../main";
import { ConfigError, resolveEnvironments, selectEnvironments } from "../../stacks/config";
import { TEAM_LIKE } from "./fixtures";

function problemsOf(configs: unknown[]): string[] {
  try {
    resolveEnvironments(configs);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

const ok = { name: "qa", tenant: "qa tenant" };

describe("environment configuration", () => {
  test("defaults: local state, owned binding, the default policy, secret version 1", () => {
    const [qa] = resolveEnvironments([ok]);
    expect(qa).toMatchObject({ stackName: "auth0-qa", backend: { type: "local" }, binding: "owned", extraPostLoginActions: [], secretVersion: 1, domain: undefined });
    expect(qa.policy).toEqual(resolveEnvironments([{ ...ok, policy: {} }])[0].policy);
  });

  test("a domain is kept lower-cased; a secret version as given", () => {
    expect(resolveEnvironments([{ ...ok, domain: "ACME-QA.eu.auth0.com", secretVersion: 3 }])[0]).toMatchObject({ domain: "acme-qa.eu.auth0.com", secretVersion: 3 });
  });

  test.each([
    [{ ...ok, name: "QA" }, 'environment "QA": name must be lower-case letters'],
    [{ name: "qa" }, 'environment "qa": tenant must be a non-empty label'],
    [{ ...ok, region: "eu" }, 'environment "qa": region is not an environment field'],
    [{ ...ok, domain: "https://qa.eu.auth0.com" }, 'environment "qa": domain must be the tenant\'s domain such as acme-dev.eu.auth0.com (no https://), got "https://qa.eu.auth0.com"'],
    [{ ...ok, backend: { type: "gcs" } }, 'environment "qa": backend.type must be "local", "s3" or "cloud", got "gcs"'],
    [{ ...ok, backend: { type: "s3", region: "eu-west-1" } }, 'environment "qa": backend.bucket is required for the s3 backend'],
    [{ ...ok, backend: { type: "s3", bucket: "Bad_Bucket", region: "eu-west-1" } }, 'environment "qa": backend.bucket must be an S3 bucket name, got "Bad_Bucket"'],
    [{ ...ok, backend: { type: "s3", bucket: "b-1", region: "europe" } }, 'environment "qa": backend.region must be an AWS region'],
    [{ ...ok, backend: { type: "s3", bucket: "b-1", region: "eu-west-1", workspace: "x" } }, 'environment "qa": backend.workspace is not a setting of the s3 backend'],
    [{ ...ok, backend: { type: "cloud", organization: "acme" } }, 'environment "qa": backend.workspace is required for the cloud backend'],
    [{ ...ok, backend: { type: "local", path: "state.json" } }, 'environment "qa": backend.path must be a file path ending in .tfstate'],
    [{ ...ok, binding: "append" }, 'environment "qa": binding must be "owned" or "additive", got "append"'],
    [{ ...ok, secretVersion: 0 }, 'environment "qa": secretVersion must be a positive whole number (1, 2, ...; raise it by one to rotate the Action\'s secret), got 0'],
    [{ ...ok, secretVersion: 1.5 }, 'environment "qa": secretVersion must be a positive whole number'],
    [{ ...ok, secretVersion: "2" }, 'environment "qa": secretVersion must be a positive whole number (1, 2, ...; raise it by one to rotate the Action\'s secret), got "2"'],
    [{ ...ok, extraPostLoginActions: [{ id: "not-a-uuid", displayName: "x" }] }, 'environment "qa": extraPostLoginActions[0].id must be an Action id (a lower-case UUID), got "not-a-uuid"'],
    [
      { ...ok, extraPostLoginActions: [{ id: "11111111-2222-4333-8444-555555555555", displayName: "a" }, { id: "11111111-2222-4333-8444-555555555555", displayName: "b" }] },
      'environment "qa": extraPostLoginActions[1].id "11111111-2222-4333-8444-555555555555" is listed twice',
    ],
    [{ ...ok, extraPostLoginActions: [{ id: "11111111-2222-4333-8444-555555555555" }] }, 'environment "qa": extraPostLoginActions[0].displayName must be a non-empty string'],
    [
      { ...ok, binding: "additive", extraPostLoginActions: [{ id: "11111111-2222-4333-8444-555555555555", displayName: "a" }] },
      'environment "qa": extraPostLoginActions needs binding "owned"',
    ],
    [{ ...ok, policy: { failClosed: "yes" } }, 'environment "qa": policy.failClosed must be true or false'],
    [{ ...ok, policy: { authorization: "union" } }, 'environment "qa": policy.authorization must be "refuse" or "carry", not "union"'],
    [{ ...ok, policy: { maxProfileBytes: 50_000 } }, 'environment "qa": policy.maxProfileBytes must be a whole number of bytes between 2000 and 10240'],
    [{ ...ok, policy: { undoRetentionDays: 0.5 } }, 'environment "qa": policy.undoRetentionDays must be a whole number of days between 1 and 3650'],
    [{ ...ok, policy: { reportonly: true } }, 'environment "qa": policy.reportonly is not a policy field'],
    [{ ...ok, policy: { connections: "github" } }, 'environment "qa": policy.connections must map connection names to "trusted", "confirm" or "excluded"'],
    [{ ...ok, policy: { connections: { github: "yes" } } }, 'environment "qa": policy.connections.github must be "trusted", "confirm" or "excluded", not "yes"'],
    [{ ...ok, policy: { primaryConnectionOrder: ["github", "github"] } }, 'environment "qa": policy.primaryConnectionOrder[1] "github" is listed twice'],
    [{ ...ok, policy: { trustedEmailConnections: ["corp"] } }, 'environment "qa": policy.trustedEmailConnections was replaced by per-connection trust: write connections: { "<name>": "trusted" } (unlisted connections need confirmation)'],
    [
      { ...ok, policy: { connections: { legacy: "excluded" }, primaryConnectionOrder: ["legacy"] } },
      'environment "qa": policy.primaryConnectionOrder[0] "legacy" is excluded in connections',
    ],
  ])("rejects %j", (config, message) => {
    const problems = problemsOf([config]);
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });

  test("duplicate environment names", () => {
    expect(problemsOf([ok, ok])).toEqual(['environment "qa": name is used by more than one environment']);
  });

  test("reports every problem at once, each with its environment", () => {
    const problems = problemsOf([{ ...ok, binding: "x" }, { name: "b", tenant: "", policy: { failClosed: 1 } }]);
    expect(problems).toEqual([
      'environment "qa": binding must be "owned" or "additive", got "x"',
      'environment "b": tenant must be a non-empty label for the tenant',
      'environment "b": policy.failClosed must be true or false',
    ]);
  });

  test("no environments", () => {
    expect(problemsOf([])).toEqual(["no environments are configured"]);
  });
});

describe("selecting environments", () => {
  const all = resolveEnvironments(TEAM_LIKE);

  test("all by default, a comma-separated subset on request", () => {
    expect(selectEnvironments(all, undefined).map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
    expect(selectEnvironments(all, " prod,dev ").map((e) => e.name)).toEqual(["dev", "prod"]);
  });

  test("an unknown environment fails with the known ones listed", () => {
    expect(() => selectEnvironments(all, "dev,qa")).toThrow('unknown environment "qa" selected in LINKING_ENVIRONMENTS (known: dev, staging, prod)');
  });

  test("an unknown selection fails before anything is synthesized", () => {
    const app = Testing.app();
    expect(() => buildApp(app, "no-such-environment")).toThrow(ConfigError);
    expect(app.node.children).toHaveLength(0);
    app.synth();
    const stacks = path.join(app.outdir, "stacks");
    expect(fs.existsSync(stacks) ? fs.readdirSync(stacks) : []).toEqual([]);
  });
});
