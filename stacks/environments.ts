// One entry per Auth0 tenant. Adding an environment is adding an entry here.
// Validated at synth (stacks/config.ts): a mistake fails `npm run synth` with the
// environment and field named. Credentials never go here (see README, "Credentials").
import type { EnvironmentConfig } from "./config";

export const environments: EnvironmentConfig[] = [
  {
    // The default policy: link, fail open. The tests exercise exactly this.
    name: "dev",
    tenant: "development tenant",
  },
  {
    // Roll out safely: log what would be linked, change nothing.
    name: "staging",
    tenant: "staging tenant",
    policy: { reportOnly: true },
  },
  {
    name: "prod",
    tenant: "production tenant",
    // Name the tenant so plan, deploy, verify and backfill refuse another tenant's credentials:
    // domain: "acme.eu.auth0.com",
    // Move state off the laptop before the first production deploy, e.g.
    // backend: { type: "s3", bucket: "my-terraform-state", region: "eu-west-1" },
  },
];
