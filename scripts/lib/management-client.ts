// An auth0 SDK client from the operator's credentials (the same AUTH0_* variables as Terraform).
import type { ManagementClient } from "auth0";
import type { Credentials } from "./target";

export function managementClient(credentials: Credentials, options: { maxRetries?: number; timeoutInSeconds?: number } = {}): ManagementClient {
  // Loaded on first use: the SDK takes about a second to load, which a command that stops at a
  // usage, configuration or freshness error (or --help) should not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ManagementClient } = require("auth0") as typeof import("auth0");
  const common = { domain: credentials.domain, timeoutInSeconds: options.timeoutInSeconds ?? 20, maxRetries: options.maxRetries ?? 3 };
  switch (credentials.kind) {
    case "api_token":
      return new ManagementClient({ ...common, token: credentials.token });
    case "client_secret":
      return new ManagementClient({ ...common, clientId: credentials.clientId, clientSecret: credentials.clientSecret });
    case "private_key_jwt":
      return new ManagementClient({ ...common, clientId: credentials.clientId, clientAssertionSigningKey: credentials.privateKey, clientAssertionSigningAlg: credentials.algorithm });
  }
}
