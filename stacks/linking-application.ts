// The Action's own machine-to-machine application: client credentials only, and a grant
// to the Management API with exactly the scopes linking needs (more only for authorization "carry").
import { Construct } from "constructs";
import { Client, ClientCredentials, ClientGrant, DataAuth0Tenant } from "./engine";
import { managementScopes } from "./management-scopes";

export { CARRY_SCOPES, MANAGEMENT_SCOPES, managementScopes } from "./management-scopes";

/**
 * The credentials' address. It was `linking_client_credentials` while the secret was read back
 * into state; the new address makes the first plan after the upgrade destroy that state entry
 * (and the old secret it holds) and create this one, which never holds it (docs/operations.md, "Rotating the
 * Action's secret"). Keep it fixed from now on.
 */
export const CREDENTIALS_ID = "linking_client_secret_wo";

export interface LinkingApplicationProps {
  environment: string;
  tenant: DataAuth0Tenant;
  /** Reference to the ephemeral secret (write-only: never in state or plan). */
  secret: string;
  /** Raised to write a new secret (rotation). */
  secretVersion: number;
  /** The policy's authorization mode: "carry" adds the write scopes it needs. */
  authorization?: "refuse" | "carry";
}

export class LinkingApplication extends Construct {
  readonly client: Client;
  readonly credentials: ClientCredentials;
  readonly grant: ClientGrant;

  constructor(scope: Construct, id: string, props: LinkingApplicationProps) {
    super(scope, id);
    this.client = new Client(this, "client", {
      name: `Account linking Action (${props.environment})`,
      description: "Used only by the account-linking post-login Action to find and link users. Managed by Terraform.",
      appType: "non_interactive",
      grantTypes: ["client_credentials"],
    });
    this.client.overrideLogicalId("linking_client");

    // Provider v1.55.0, internal/auth0/client/resource_credentials.go: updateSecret writes
    // client_secret_wo only on create or when client_secret_wo_version changes; and
    // internal/auth0/client/flatten.go, flattenClientCredentials, sets client_secret from the API
    // only when client_secret_wo_version is NOT set, so with it set a refresh never reads the
    // secret into state. (client_secret is Optional+Computed: a value already in state stays
    // there, hence the new address above.)
    this.credentials = new ClientCredentials(this, "credentials", {
      clientId: this.client.clientId,
      authenticationMethod: "client_secret_post",
      clientSecretWo: props.secret,
      clientSecretWoVersion: props.secretVersion,
    });
    this.credentials.overrideLogicalId(CREDENTIALS_ID);

    this.grant = new ClientGrant(this, "grant", {
      clientId: this.client.clientId,
      audience: props.tenant.managementApiIdentifier,
      scopes: managementScopes(props.authorization ?? "refuse"),
    });
    this.grant.overrideLogicalId("linking_client_grant");
  }
}
