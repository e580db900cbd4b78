// What confirmed linking needs in the tenant: the confirmation application the person signs in to
// the existing account with, and the Form that asks them first. The confirmation Action itself is
// a second LinkingAction (see tenant-stack.ts).
import { Construct } from "constructs";
import { Client, ClientCredentials, DataAuth0Tenant, Form } from "./engine";

export const CONFIRMATION_FORM_NAME = "Account linking confirmation";

export interface ConfirmationProps {
  environment: string;
  tenant: DataAuth0Tenant;
  /** The tenant's custom domain, if logins use one: its /continue is a callback too. */
  customDomain?: string;
}

/**
 * A public client (authorization code with PKCE, no secret at all: nothing to keep out of state).
 * Its only callback is the tenant's /continue, where the paused login resumes.
 */
export class ConfirmationApplication extends Construct {
  readonly client: Client;
  readonly credentials: ClientCredentials;

  constructor(scope: Construct, id: string, props: ConfirmationProps) {
    super(scope, id);
    this.client = new Client(this, "client", {
      name: `Account linking confirmation (${props.environment})`,
      description: "Signs a person in to their existing account to confirm a link. Used only by the account-linking Actions. Managed by Terraform.",
      appType: "spa",
      oidcConformant: true,
      isFirstParty: true,
      grantTypes: ["authorization_code"],
      callbacks: [`https://${props.tenant.domain}/continue`, ...(props.customDomain ? [`https://${props.customDomain}/continue`] : [])],
      crossOriginAuth: false,
    });
    this.client.overrideLogicalId("confirmation_client");
    // Explicitly public: PKCE instead of a secret (the code exchange happens in the Action).
    this.credentials = new ClientCredentials(this, "credentials", {
      clientId: this.client.clientId,
      authenticationMethod: "none",
    });
    this.credentials.overrideLogicalId("confirmation_client_credentials");
  }
}

/** The Form's ids are the contract with action-src/confirm.ts (FORM_FIELDS). */
export const FORM_COMPONENTS = { choice: "link_choice", ticket: "link_ticket" } as const;

/** "An account with this email already exists; it signs in with {{vars.method}}": Sign in to link / Not now. */
export class ConfirmationForm extends Construct {
  readonly form: Form;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const step = "step_confirm_link";
    this.form = new Form(this, "form", {
      name: CONFIRMATION_FORM_NAME,
      languages: [{ primary: "en", default: "en" }],
      start: JSON.stringify({ next_node: step, coordinates: { x: 0, y: 0 } }),
      nodes: JSON.stringify([
        {
          id: step,
          type: "STEP",
          alias: "Confirm the link",
          coordinates: { x: 400, y: 0 },
          config: {
            next_node: "$ending",
            components: [
              {
                id: "link_intro",
                category: "BLOCK",
                type: "RICH_TEXT",
                config: {
                  content:
                    "<h2>You already have an account</h2><p>An account with this email address already exists. It signs in with {{vars.method}}.</p>" +
                    "<p>Sign in to it once to link the two, so that either way of signing in opens the same account.</p>",
                },
              },
              {
                id: FORM_COMPONENTS.choice,
                category: "FIELD",
                type: "CHOICE",
                label: "What would you like to do?",
                required: true,
                config: { multiple: false, options: [{ value: "link", label: "Sign in to link" }, { value: "later", label: "Not now" }] },
              },
              { id: FORM_COMPONENTS.ticket, category: "FIELD", type: "HIDDEN", required: false, config: {} },
              { id: "link_continue", category: "BLOCK", type: "NEXT_BUTTON", config: { text: "Continue" } },
            ],
          },
        },
      ]),
      // Back to the paused login: the linking Action resumes in onContinuePostLogin.
      ending: JSON.stringify({ resume_flow: true, coordinates: { x: 800, y: 0 } }),
    });
    this.form.overrideLogicalId("confirmation_form");
  }
}
