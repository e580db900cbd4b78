// One Auth0 tenant's account-linking setup: provider, tenant data, the Action's write-only
// secret, its application, the Action and its binding. Instantiated once per environment by main.ts.
import { Auth0Provider, DataAuth0Tenant, TerraformOutput, TerraformStack } from "./engine";
import { Construct } from "constructs";
import type { ActionBundles } from "./action-bundle";
import { ConfirmationApplication, ConfirmationForm } from "./confirmation";
import { configureBackend } from "./backend";
import type { ResolvedEnvironment } from "./config";
import { CONFIRMATION_ACTION_NAME, LinkingAction } from "./linking-action";
import { LinkingApplication } from "./linking-application";
import { addClientSecret } from "./linking-secret";
import { PostLoginBinding } from "./post-login-binding";
import { SmokeSetup } from "./smoke";

export class TenantStack extends TerraformStack {
  readonly application: LinkingApplication;
  readonly linking: LinkingAction;
  readonly confirmation?: { application: ConfirmationApplication; form: ConfirmationForm; action: LinkingAction };
  readonly binding: PostLoginBinding;
  /** Only where the environment opts in to the smoke test. */
  readonly smoke?: SmokeSetup;

  constructor(scope: Construct, readonly environment: ResolvedEnvironment, bundles: ActionBundles) {
    super(scope, environment.stackName);
    configureBackend(this, environment.name, environment.backend);

    // No arguments: credentials come from AUTH0_* variables at plan/apply time, never from code.
    new Auth0Provider(this, "auth0", {});
    const tenant = new DataAuth0Tenant(this, "tenant");
    tenant.overrideLogicalId("tenant");

    const secret = addClientSecret(this);
    const secretVersion = environment.secretVersion;
    this.application = new LinkingApplication(this, "application", { environment: environment.name, tenant, secret, secretVersion, authorization: environment.policy.authorization });
    const common = { policy: environment.policy, application: this.application, tenant, secret, secretVersion };
    let confirm: { client: ConfirmationApplication["client"]; form: ConfirmationForm["form"]; customDomain?: string } | undefined;
    if (environment.confirmation) {
      const application = new ConfirmationApplication(this, "confirmation-application", { environment: environment.name, tenant, customDomain: environment.customDomain });
      const form = new ConfirmationForm(this, "confirmation-form");
      // The custom domain reaches the Actions too: with the tenant's domain, the only hosts the confirmation trusts.
      confirm = { client: application.client, form: form.form, ...(environment.customDomain ? { customDomain: environment.customDomain } : {}) };
      this.linking = new LinkingAction(this, "linking", { ...common, bundle: bundles.linking, confirmation: confirm });
      // An Action cannot both render a Form and redirect: the sign-in is this second Action's.
      const action = new LinkingAction(this, "confirmation-action", {
        ...common,
        bundle: bundles.confirmation,
        confirmation: confirm,
        name: CONFIRMATION_ACTION_NAME,
        logicalId: "linking_confirmation_action",
      });
      this.confirmation = { application, form, action };
    } else {
      this.linking = new LinkingAction(this, "linking", { ...common, bundle: bundles.linking });
    }
    this.binding = new PostLoginBinding(this, "binding", {
      mode: environment.binding,
      action: this.linking.action,
      confirmationAction: this.confirmation?.action.action,
      extraActions: environment.extraPostLoginActions,
    });

    if (environment.smoke) this.smoke = new SmokeSetup(this, "smoke", { environment: environment.name, tenant, smoke: environment.smoke });

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description }).overrideLogicalId(id);
    output("linking_client_id", this.application.client.clientId, "Client id of the Action's Management API application");
    output("linking_action_id", this.linking.action.id, "Id of the account-linking Action");
    output("linking_action_version_id", this.linking.action.versionId, "Deployed version of the account-linking Action");
    if (this.confirmation) {
      output("confirmation_client_id", this.confirmation.application.client.clientId, "Client id of the confirmation application (public, PKCE)");
      output("confirmation_form_id", this.confirmation.form.form.id, "Id of the confirmation Form");
      output("confirmation_action_id", this.confirmation.action.action.id, "Id of the confirmation Action");
    }
  }
}
