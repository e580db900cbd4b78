// Puts what a synthesized stack describes into the Management API emulation, as a successful
// `terraform apply` would leave the tenant, so `verify` can be run against it and then drifted.
// Like an apply, it evaluates the Action's code template with the tenant's values and the
// created client's id, and hands the application and the Action one fresh random secret (the
// ephemeral value), which only the emulation ever holds.
import { createHash, randomBytes } from "crypto";
import { CONFIRMATION_REF, LINKING_REF } from "../../scripts/lib/verify-tenant";
import { evaluateCodeTemplate, tenantValues } from "../../stacks/action-settings";
import type { TerraformJson } from "./synth";
import type { EmulatedAction, ManagementApiEmulator } from "./management-api";

export const DEPLOYER = { clientId: "terraform-deployer", clientSecret: "deployer-secret-for-tests", scopes: ["read:actions", "read:clients", "read:client_grants", "read:connections"], name: "Terraform deploy" };

function uuidFrom(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface DeployedTenant {
  actionId: string;
  /** The confirmation Action, application and Form, when the stack has confirmation. */
  confirmation?: { actionId: string; clientId: string; formId: string };
  clientId: string;
  /** The write-only value both the application and the Action received. */
  clientSecret: string;
  /** The Action's deployed code, as the apply evaluated it. */
  code: string;
}

/** Evaluates `${...}` references the way the apply would, for the values this loader creates. */
function resolve(value: string, refs: Record<string, string>): string {
  const match = /^\$\{([a-z0-9_.]+)\}$/.exec(value);
  if (!match) return value;
  if (!(match[1] in refs)) throw new Error(`the test loader cannot resolve ${value}`);
  return refs[match[1]];
}

export function deploySynthesizedStack(tenant: ManagementApiEmulator, tf: TerraformJson, options: { clientId?: string } = {}): DeployedTenant {
  const r = tf.resource as Record<string, Record<string, any>>;
  const e = (tf as { ephemeral?: Record<string, Record<string, any>> }).ephemeral ?? {};
  const clientId = options.clientId ?? "linking-client-id";
  const { domain, audience } = tenantValues(tenant.domain);
  const confirm = r.auth0_action.linking_confirmation_action ? { clientId: "confirmation-client-id", formId: "ap_confirmationForm" } : undefined;
  const refs: Record<string, string> = {
    "data.auth0_tenant.tenant.domain": domain,
    "data.auth0_tenant.tenant.management_api_identifier": audience,
    "auth0_client.linking_client.client_id": clientId,
    ...(confirm ? { "auth0_client.confirmation_client.client_id": confirm.clientId, "auth0_form.confirmation_form.id": confirm.formId } : {}),
  };
  // One ephemeral value per apply: the same for every write-only attribute that refers to it.
  for (const [name, body] of Object.entries(e.random_password ?? {})) {
    refs[`ephemeral.random_password.${name}.result`] = randomBytes(48).toString("base64url").slice(0, Number(body.length));
  }
  const credentials = r.auth0_client_credentials.linking_client_secret_wo as { client_secret_wo: string };
  const clientSecret = resolve(credentials.client_secret_wo, refs);

  /** Creates one Action as the apply would: code evaluated, secret names kept (values never readable). */
  const deployAction = (spec: Record<string, any>): EmulatedAction => {
    const code = evaluateCodeTemplate(spec.code as string, refs);
    const secrets = ((spec.secrets_wo ?? []) as Array<{ name: string; value: string }>).map((s) => ({ name: s.name, value: resolve(s.value, refs) }));
    // Both write-only attributes got the same value, as one ephemeral value per apply gives them.
    if (secrets.find((s) => s.name === "CLIENT_SECRET")?.value !== clientSecret) {
      throw new Error("the synthesized stack gives the application and the Action different secrets");
    }
    const version = {
      id: uuidFrom(`version:${code}`),
      code,
      runtime: spec.runtime as string,
      dependencies: spec.dependencies as Array<{ name: string; version: string }>,
      // The Management API never returns secret values; the emulation keeps only the names.
      secrets: secrets.map((s) => ({ name: s.name })),
      deployed: true,
    };
    const action: EmulatedAction = {
      id: uuidFrom(`action:${spec.name}`),
      name: spec.name,
      supported_triggers: [spec.supported_triggers],
      code: version.code,
      runtime: version.runtime,
      dependencies: version.dependencies,
      secrets: version.secrets,
      deployed_version: version,
      all_changes_deployed: true,
    };
    tenant.actions.set(action.id, action);
    return action;
  };
  const action = deployAction(r.auth0_action.linking_action);
  const confirmationAction = r.auth0_action.linking_confirmation_action ? deployAction(r.auth0_action.linking_confirmation_action) : undefined;
  const code = action.code;
  const version = action.deployed_version!;
  tenant.addClient({ clientId, clientSecret, name: r.auth0_client.linking_client.name, scopes: [...r.auth0_client_grant.linking_client_grant.scopes] });
  if (confirm) {
    // A public client: no secret, no grant (it only signs people in).
    tenant.addClient({ clientId: confirm.clientId, clientSecret: "", name: r.auth0_client.confirmation_client.name, scopes: [] });
    tenant.oauth.clients.set(confirm.clientId, { clientId: confirm.clientId, callbacks: [`https://${tenant.domain}/continue`] });
  }
  tenant.addClient(DEPLOYER);
  const owned = r.auth0_trigger_actions?.post_login_binding;
  if (owned) {
    tenant.postLoginBindings = (owned.actions as Array<{ id: string; display_name: string }>).map((a) => {
      if (a.id === LINKING_REF) return { actionId: action.id, displayName: action.name };
      if (a.id === CONFIRMATION_REF && confirmationAction) return { actionId: confirmationAction.id, displayName: confirmationAction.name };
      if (!tenant.actions.has(a.id)) {
        tenant.actions.set(a.id, { ...action, id: a.id, name: a.display_name, deployed_version: { ...version, id: uuidFrom(a.id), code: "exports.onExecutePostLogin = async () => {};" } });
      }
      return { actionId: a.id, displayName: a.display_name };
    });
  } else {
    tenant.postLoginBindings.push({ actionId: action.id, displayName: action.name });
    if (confirmationAction) tenant.postLoginBindings.push({ actionId: confirmationAction.id, displayName: confirmationAction.name });
  }
  return { actionId: action.id, clientId, clientSecret, code, ...(confirm && confirmationAction ? { confirmation: { actionId: confirmationAction.id, ...confirm } } : {}) };

}
