// What `npm run smoke` needs in a tenant, and nothing more (opt-in per environment):
// - the smoke application: public (no credential at all), allowed only the password-realm grant;
// - two dedicated database connections, sign-ups closed, enabled for the smoke application only
//   (the stack declares them trusted in the policy: see smoke-config.ts);
// - the smoke admin application: client credentials authenticated with private_key_jwt against
//   the PUBLIC key in the configuration, granted exactly create:users read:users delete:users.
//   No secret exists on Auth0's side or in state: the admin's private key never leaves the operator.
//   With `adminClientId` instead (plans without private key JWT), the admin is an application the
//   operator created outside the stack; the stack makes no admin and its secret is never in state.
import { Construct } from "constructs";
import { Client, ClientCredentials, ClientGrant, Connection, ConnectionClients, DataAuth0Tenant } from "./engine";
import { PASSWORD_REALM_GRANT, SMOKE_ADMIN_SCOPES, smokeAdminName, smokeApplicationName, type ResolvedSmoke } from "./smoke-config";

/** Every address the smoke setup adds (fixed logical ids: renaming one re-creates it). */
export const SMOKE_ADDRESSES = [
  "auth0_client.smoke_client",
  "auth0_client_credentials.smoke_client_credentials",
  "auth0_connection.smoke_connection_older",
  "auth0_connection.smoke_connection_newer",
  "auth0_connection_clients.smoke_connection_older_clients",
  "auth0_connection_clients.smoke_connection_newer_clients",
  "auth0_client.smoke_admin_client",
  "auth0_client_credentials.smoke_admin_client_credentials",
  "auth0_client_grant.smoke_admin_client_grant",
] as const;

/** The addresses a smoke setup has: without the admin's three when the admin is the operator's (adminClientId). */
export function smokeAddresses(smoke: ResolvedSmoke): string[] {
  return SMOKE_ADDRESSES.filter((a) => smoke.admin.kind === "private_key_jwt" || !a.startsWith("auth0_client") || !a.includes(".smoke_admin_"));
}

export interface SmokeProps {
  environment: string;
  tenant: DataAuth0Tenant;
  smoke: ResolvedSmoke;
}

export class SmokeSetup extends Construct {
  readonly client: Client;
  /** Only with `publicKey`: an `adminClientId` application is the operator's, not the stack's. */
  readonly admin?: Client;
  readonly connections: Connection[];

  constructor(scope: Construct, id: string, props: SmokeProps) {
    super(scope, id);
    this.client = new Client(this, "client", {
      name: smokeApplicationName(props.environment),
      description: "Logs in the smoke test's own users (npm run smoke). Password-realm only, on the two smoke connections only. Managed by Terraform.",
      appType: "native",
      isFirstParty: true,
      oidcConformant: true,
      grantTypes: [PASSWORD_REALM_GRANT],
      crossOriginAuth: false,
      // The test checks the ID token against the tenant's JWKS: asymmetric, whatever the tenant's default.
      jwtConfiguration: { alg: "RS256" },
    });
    this.client.overrideLogicalId("smoke_client");
    // Public: a resource-owner password login from a native application needs no client secret,
    // so there is none to keep anywhere. The passwords are random per run, for users that live
    // only while the test runs, on connections nobody can sign up to.
    new ClientCredentials(this, "client-credentials", { clientId: this.client.clientId, authenticationMethod: "none" }).overrideLogicalId("smoke_client_credentials");

    const [older, newer] = props.smoke.connections;
    this.connections = (
      [
        ["older", older],
        ["newer", newer],
      ] as const
    ).map(([role, name]) => {
      const connection = new Connection(this, `connection-${role}`, {
        name,
        displayName: `Account linking smoke test (${role})`,
        strategy: "auth0",
        options: {
          // Users come only from the smoke admin (Management API): a sign-up here would be a
          // verified-by-nobody account on a trusted connection.
          disableSignup: true,
          bruteForceProtection: true,
          requiresUsername: false,
          importMode: false,
          disableSelfServiceChangePassword: true,
        },
      });
      connection.overrideLogicalId(`smoke_connection_${role}`);
      // The whole list: any other application Auth0 enables it for (new applications get every
      // connection by default) is removed again by the next apply.
      new ConnectionClients(this, `connection-${role}-clients`, {
        connectionId: connection.id,
        enabledClients: [this.client.clientId],
      }).overrideLogicalId(`smoke_connection_${role}_clients`);
      return connection;
    });

    if (props.smoke.admin.kind !== "private_key_jwt") return;
    const { publicKey, algorithm } = props.smoke.admin;
    this.admin = new Client(this, "admin", {
      name: smokeAdminName(props.environment),
      description: "Creates, reads and deletes the smoke test's own users (npm run smoke). Private key JWT; the private key stays with the operator. Managed by Terraform.",
      appType: "non_interactive",
      grantTypes: ["client_credentials"],
    });
    this.admin.overrideLogicalId("smoke_admin_client");
    // Only the PUBLIC key is in the configuration, the plan and state; Auth0 holds nothing secret
    // for this application.
    new ClientCredentials(this, "admin-credentials", {
      clientId: this.admin.clientId,
      authenticationMethod: "private_key_jwt",
      privateKeyJwt: {
        credentials: [{ name: "smoke-admin", credentialType: "public_key", pem: publicKey, algorithm }],
      },
    }).overrideLogicalId("smoke_admin_client_credentials");
    new ClientGrant(this, "admin-grant", {
      clientId: this.admin.clientId,
      audience: props.tenant.managementApiIdentifier,
      scopes: [...SMOKE_ADMIN_SCOPES],
    }).overrideLogicalId("smoke_admin_client_grant");
  }
}
