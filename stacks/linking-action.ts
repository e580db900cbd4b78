// The post-login Action: the bundled code, its npm dependencies at locked versions, and its
// secrets wired by reference (nothing secret is ever a literal here).
import { Construct } from "constructs";
import { Action } from "../.gen/providers/auth0/action";
import { DataAuth0Tenant } from "../.gen/providers/auth0/data-auth0-tenant";
import { serializePolicy, type LinkingPolicy } from "../action-src/policy";
import type { ActionBundle } from "./action-bundle";
import type { LinkingApplication } from "./linking-application";

export const ACTION_NAME = "Account linking";

export interface LinkingActionProps {
  bundle: ActionBundle;
  policy: LinkingPolicy;
  application: LinkingApplication;
  tenant: DataAuth0Tenant;
}

export class LinkingAction extends Construct {
  readonly action: Action;

  constructor(scope: Construct, id: string, props: LinkingActionProps) {
    super(scope, id);
    this.action = new Action(this, "action", {
      name: ACTION_NAME,
      code: props.bundle.code,
      runtime: "node22",
      deploy: true,
      supportedTriggers: { id: "post-login", version: "v3" },
      dependencies: props.bundle.dependencies.map(({ name, version }) => ({ name, version })),
      secrets: [
        { name: "AUTH0_DOMAIN", value: props.tenant.domain },
        { name: "MANAGEMENT_AUDIENCE", value: props.tenant.managementApiIdentifier },
        { name: "CLIENT_ID", value: props.application.client.clientId },
        { name: "CLIENT_SECRET", value: props.application.credentials.clientSecret },
        { name: "LINKING_POLICY", value: serializePolicy(props.policy) },
      ],
    });
    // Renaming this address destroys the bound Action (a 409 from Auth0): keep it fixed.
    this.action.overrideLogicalId("linking_action");
  }
}
