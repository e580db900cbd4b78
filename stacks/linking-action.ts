// The post-login Action: the bundled code behind a prologue of non-secret settings, its npm
// dependencies at locked versions, and its one secret, CLIENT_SECRET, write-only.
import { Construct } from "constructs";
import { Action, Client, DataAuth0Tenant, Form } from "./engine";
import { serializePolicy, type LinkingPolicy } from "../action-src/policy";
import type { ActionBundle } from "./action-bundle";
import { settingsCodeTemplate, type SettingsReferences } from "./action-settings";
import type { LinkingApplication } from "./linking-application";

export const ACTION_NAME = "Account linking";
export const CONFIRMATION_ACTION_NAME = "Account linking confirmation";
export const SECRET_NAME = "CLIENT_SECRET";

export interface LinkingActionProps {
  bundle: ActionBundle;
  policy: LinkingPolicy;
  application: LinkingApplication;
  tenant: DataAuth0Tenant;
  /** Reference to the ephemeral secret the application's credentials also receive. */
  secret: string;
  secretVersion: number;
  /** Default: the linking Action. The confirmation Action has its own name and fixed address. */
  name?: string;
  logicalId?: string;
  /** The confirmation application and Form, passed to the Action in its settings (with the custom domain, if any). */
  confirmation?: { client: Client; form: Form; customDomain?: string };
}

/** The Terraform expressions the settings prologue reads, from the constructs' fixed addresses. */
export function settingsReferences(tenant: DataAuth0Tenant, application: LinkingApplication, confirmation?: { client: Client; form: Form; customDomain?: string }): SettingsReferences {
  const data = `data.${tenant.terraformResourceType}.${tenant.friendlyUniqueId}`;
  const address = (r: { terraformResourceType: string; friendlyUniqueId: string }) => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
  return {
    domain: `${data}.domain`,
    audience: `${data}.management_api_identifier`,
    clientId: `${address(application.client)}.client_id`,
    ...(confirmation
      ? {
          confirmation: {
            clientId: `${address(confirmation.client)}.client_id`,
            formId: `${address(confirmation.form)}.id`,
            ...(confirmation.customDomain ? { customDomain: confirmation.customDomain } : {}),
          },
        }
      : {}),
  };
}

export class LinkingAction extends Construct {
  readonly action: Action;

  constructor(scope: Construct, id: string, props: LinkingActionProps) {
    super(scope, id);
    // Provider v1.55.0, internal/auth0/action/resource.go: secrets_wo ConflictsWith secrets, so
    // every setting that is not a secret lives in the code (stacks/action-settings.ts). expand.go,
    // expandAction: secrets_wo values are sent only when the names change or secrets_wo_version
    // does; flatten never reads a value back (the API returns none).
    this.action = new Action(this, "action", {
      name: props.name ?? ACTION_NAME,
      code: settingsCodeTemplate(props.bundle.code, JSON.parse(serializePolicy(props.policy)), settingsReferences(props.tenant, props.application, props.confirmation)),
      runtime: "node22",
      deploy: true,
      supportedTriggers: { id: "post-login", version: "v3" },
      dependencies: props.bundle.dependencies.map(({ name, version }) => ({ name, version })),
      secretsWo: [{ name: SECRET_NAME, value: props.secret }],
      secretsWoVersion: props.secretVersion,
      // The application's new secret first, then the Action's: a rotation's gap is the Action's
      // update and deploy (docs/operations.md, "Rotating the Action's secret").
      dependsOn: [props.application.credentials],
    });
    // Renaming this address destroys the bound Action (a 409 from Auth0): keep it fixed.
    this.action.overrideLogicalId(props.logicalId ?? "linking_action");
  }
}
