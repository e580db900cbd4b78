// The Action's own machine-to-machine application: client credentials only, and a grant
// to the Management API with exactly the two scopes linking needs.
import { Construct } from "constructs";
import { Client } from "../.gen/providers/auth0/client";
import { ClientCredentials } from "../.gen/providers/auth0/client-credentials";
import { ClientGrant } from "../.gen/providers/auth0/client-grant";
import { DataAuth0Tenant } from "../.gen/providers/auth0/data-auth0-tenant";

/** read:users for GET /users-by-email and GET /users/{id}; update:users to PATCH metadata and link. */
export const MANAGEMENT_SCOPES = ["read:users", "update:users"] as const;

export interface LinkingApplicationProps {
  environment: string;
  tenant: DataAuth0Tenant;
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

    this.credentials = new ClientCredentials(this, "credentials", {
      clientId: this.client.clientId,
      authenticationMethod: "client_secret_post",
    });
    this.credentials.overrideLogicalId("linking_client_credentials");

    this.grant = new ClientGrant(this, "grant", {
      clientId: this.client.clientId,
      audience: props.tenant.managementApiIdentifier,
      scopes: [...MANAGEMENT_SCOPES],
    });
    this.grant.overrideLogicalId("linking_client_grant");
  }
}
