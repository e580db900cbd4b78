// Puts what a synthesized stack describes into the Management API emulation, as a successful
// `terraform apply` would leave the tenant, so `verify` can be run against it and then drifted.
import { createHash } from "crypto";
import { LINKING_REF } from "../../scripts/lib/verify-tenant";
import type { TerraformJson } from "./synth";
import type { EmulatedAction, ManagementApiEmulator } from "./management-api";

export const DEPLOYER = { clientId: "terraform-deployer", clientSecret: "deployer-secret-for-tests", scopes: ["read:actions", "read:clients", "read:client_grants"], name: "Terraform deploy" };


function uuidFrom(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface DeployedTenant {
  actionId: string;
  clientId: string;
}

export function deploySynthesizedStack(tenant: ManagementApiEmulator, tf: TerraformJson): DeployedTenant {
  const r = tf.resource as Record<string, Record<string, any>>;
  const spec = r.auth0_action.linking_action;
  const version = {
    id: uuidFrom(`version:${spec.code}`),
    code: spec.code as string,
    runtime: spec.runtime as string,
    dependencies: spec.dependencies as Array<{ name: string; version: string }>,
    secrets: (spec.secrets as Array<{ name: string }>).map((s) => ({ name: s.name })),
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
  const clientId = "linking-client-id";
  tenant.addClient({ clientId, clientSecret: "linking-client-secret", name: r.auth0_client.linking_client.name, scopes: [...r.auth0_client_grant.linking_client_grant.scopes] });
  tenant.addClient(DEPLOYER);
  const owned = r.auth0_trigger_actions?.post_login_binding;
  if (owned) {
    tenant.postLoginBindings = (owned.actions as Array<{ id: string; display_name: string }>).map((a) => {
      if (a.id === LINKING_REF) return { actionId: action.id, displayName: action.name };
      if (!tenant.actions.has(a.id)) {
        tenant.actions.set(a.id, { ...action, id: a.id, name: a.display_name, deployed_version: { ...version, id: uuidFrom(a.id), code: "exports.onExecutePostLogin = async () => {};" } });
      }
      return { actionId: a.id, displayName: a.display_name };
    });
  } else {
    tenant.postLoginBindings.push({ actionId: action.id, displayName: action.name });
  }
  return { actionId: action.id, clientId };
}
