// Configurations the tests own. The project's behaviour is tested on these, never on what a team
// writes in stacks/environments.ts (that file is only checked for what holds for every valid
// configuration: test/stacks/team-config.test.ts).
import type { EnvironmentConfig } from "../../stacks/config";

/** The default policy, local state, owned binding. */
export const DEV: EnvironmentConfig = { name: "dev", tenant: "development tenant" };

/** Report-only rollout. */
export const STAGING: EnvironmentConfig = { name: "staging", tenant: "staging tenant", policy: { reportOnly: true } };

/** A production-like environment: named tenant, S3 state, extra Actions after linking, rotated once. */
export const PROD: EnvironmentConfig = {
  name: "prod",
  tenant: "production tenant",
  domain: "acme.eu.auth0.com",
  backend: { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" },
  extraPostLoginActions: [{ id: "11111111-2222-4333-8444-555555555555", displayName: "Add roles" }],
  secretVersion: 2,
};

export const TEAM_LIKE: EnvironmentConfig[] = [DEV, STAGING, PROD];

/**
 * Different valid configurations a team might write, swapped in for stacks/environments.ts by the
 * configuration-swap test: the contract must hold for each.
 */
export const SWAPPED_CONFIGURATIONS: Array<[string, EnvironmentConfig[]]> = [
  ["three environments, the README's way (domains, S3 state)", [
    { ...DEV, domain: "acme-dev.eu.auth0.com" },
    { ...STAGING, domain: "acme-staging.eu.auth0.com", backend: { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1" } },
    { ...PROD, backend: { type: "s3", bucket: "acme-terraform-state", region: "eu-west-1", key: "auth0/prod.tfstate", roleArn: "arn:aws:iam::123456789012:role/tf-state" } },
  ]],
  ["a qa environment, HCP Terraform state and an additive binding", [
    { name: "qa", tenant: "QA tenant (EU)", domain: "acme-qa.eu.auth0.com", backend: { type: "cloud", organization: "acme", workspace: "auth0-qa" }, binding: "additive" },
    { name: "live", tenant: "live", backend: { type: "cloud", organization: "acme", workspace: "auth0-live", hostname: "tfe.acme.example" }, policy: { failClosed: true } },
  ]],
  ["one environment, local state at a path, rotated", [
    { name: "sandbox", tenant: "sandbox", backend: { type: "local", path: "state/sandbox.tfstate" }, secretVersion: 7, policy: { reportOnly: true, failClosed: false } },
  ]],
];
