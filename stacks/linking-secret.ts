// The Action's client secret: an ephemeral `random_password` (hashicorp/random >= 3.7.1), opened
// anew in every plan and apply and never stored. Only write-only attributes read it
// (auth0_client_credentials.client_secret_wo and the Action's secrets_wo), so neither state nor a
// saved plan holds the secret. Both are written only when their *_wo_version changes (or the
// resource is created), which is why one number per environment drives both.
//
// cdktf 0.21 predates ephemeral blocks and has no class for them: the block is written into the
// synthesized JSON with an override on the stack, exactly as Terraform reads it
// (`ephemeral.random_password.<name>`), and its shape is checked against schema/random.json by
// the schema conformance test.
import * as fs from "fs";
import * as path from "path";
import type { TerraformStack } from "./engine";

const RANDOM_SCHEMA = path.join(__dirname, "..", "schema", "random.json");
export const RANDOM_PROVIDER = "registry.terraform.io/hashicorp/random";
export const SECRET_EPHEMERAL = "linking_client_secret";

/** The exact hashicorp/random version pinned in schema/random.json (like auth0's in schema/auth0.json). */
export function randomProviderVersion(file = RANDOM_SCHEMA): string {
  const schema = JSON.parse(fs.readFileSync(file, "utf8")) as { provider_versions?: Record<string, string> };
  const version = schema.provider_versions?.[RANDOM_PROVIDER];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`${file} pins no exact version of ${RANDOM_PROVIDER}`);
  return version;
}

/**
 * Declares the random provider and an ephemeral password on the stack, and returns the reference
 * for write-only attributes. 64 letters and digits: the length of the secrets Auth0 generates,
 * and nothing that needs escaping in a form body or a Basic header. Any other credential the
 * stack creates gets its own `name` here, the same way.
 */
export function addClientSecret(stack: TerraformStack, name = SECRET_EPHEMERAL): string {
  stack.addOverride("terraform.required_providers.random", { source: "hashicorp/random", version: randomProviderVersion() });
  stack.addOverride(`ephemeral.random_password.${name}`, { length: 64, special: false });
  return `\${ephemeral.random_password.${name}.result}`;
}
