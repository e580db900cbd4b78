// One entry per Auth0 tenant. Adding an environment is adding an entry here.
// Validated at synth (stacks/config.ts): a mistake fails `npm run synth` with the
// environment and field named. Credentials never go here (README, "Deploying to a tenant").
import type { EnvironmentConfig } from "./config";

export const environments: EnvironmentConfig[] = [
  {
    name: "dev",
    tenant: "development tenant",
    // The connections this tenant's examples use link silently; any other connection's accounts
    // need the person to sign in to the existing account first (the default, "confirm").
    policy: {
      connections: { github: "trusted", "google-oauth2": "trusted", "Username-Password-Authentication": "trusted" },
    },
  },
  {
    // Roll out safely: log what would be linked, change nothing.
    name: "staging",
    tenant: "staging tenant",
    policy: { reportOnly: true },
  },
  {
    // The default policy: every connection at "confirm", nothing links without the person.
    name: "prod",
    tenant: "production tenant",
    // Never planned on a pull request; needs `domain`; no smoke test (docs/configuration.md).
    production: true,
    // The tenant's own domain: plan, deploy, verify and backfill refuse another tenant's
    // credentials. Replace this placeholder with yours before the first production deploy.
    domain: "your-production-tenant.eu.auth0.com",
    // Move state off the laptop before the first production deploy, e.g.
    // backend: { type: "s3", bucket: "my-terraform-state", region: "eu-west-1" },
  },
];
