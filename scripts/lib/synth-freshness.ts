// A synth older than action-src/ or than the configuration would deploy (or verify against)
// something that is not what the repository says. The synthesized Action code is compared with
// the template the current bundle and the environment's current configuration give, the
// write-only secret versions with the configured secretVersion, and the binding with the
// configured binding and extra Actions.
import { serializePolicy } from "../../action-src/policy";
import { buildActionBundle, CONFIRMATION_ENTRY } from "../../stacks/action-bundle";
import { settingsCodeTemplate, splitCodeTemplate } from "../../stacks/action-settings";
import type { ResolvedEnvironment } from "../../stacks/config";
import { CREDENTIALS_ID } from "../../stacks/linking-application";
import { CliError, configuredEnvironments, synthesizedStack, type SynthesizedStack } from "./target";

export interface CurrentInputs {
  /** The Action bundle built from action-src/ now. */
  bundleCode: string;
  /** The confirmation Action's bundle built now. */
  confirmationBundleCode?: string;
  /** The environment as stacks/environments.ts configures it now. */
  environment: ResolvedEnvironment;
}

function currentInputs(stackName: string): CurrentInputs {
  const environment = configuredEnvironments().find((e) => e.stackName === stackName);
  if (!environment) throw new CliError(`${stackName}: not configured in stacks/environments.ts`);
  // Only the bytes matter here: synth already type-checked these sources, so skip the compiler.
  return {
    bundleCode: buildActionBundle({ typeCheck: false }).code,
    confirmationBundleCode: environment.confirmation ? buildActionBundle({ entry: CONFIRMATION_ENTRY, typeCheck: false }).code : undefined,
    environment,
  };
}

export function checkSynthIsCurrent(stack: SynthesizedStack, stackName: string, current: CurrentInputs = currentInputs(stackName)): void {
  const resources = stack.json.resource ?? {};
  const action = resources.auth0_action?.linking_action as Record<string, unknown> | undefined;
  const code = action?.code;
  if (typeof code !== "string") throw new CliError(`${stackName}: the synthesized stack has no auth0_action.linking_action. Run "npm run synth" again.`);
  const split = splitCodeTemplate(code);
  if (!split || split.bundle !== current.bundleCode) {
    throw new CliError(`${stackName}: cdktf.out is older than action-src/ (the synthesized Action code differs from a fresh bundle). Run "npm run synth" first.`);
  }
  const { environment } = current;
  const refs = /\$\{jsonencode\(([a-z0-9_.]+)\)\}/g;
  const [domain, audience, clientId, confirmationClientId, formId] = [...split.prologueTemplate.matchAll(refs)].map((m) => m[1]);
  const stale = (what: string) =>
    new CliError(`${stackName}: cdktf.out is older than the configuration (${what} differs from environment "${environment.name}" in stacks/environments.ts). Run "npm run synth" first.`);
  const confirmAction = resources.auth0_action?.linking_confirmation_action as Record<string, unknown> | undefined;
  if (environment.confirmation !== (confirmAction !== undefined && formId !== undefined)) throw stale("confirmation (on or off)");
  const customDomain = environment.customDomain ? { customDomain: environment.customDomain } : {};
  const settingsRefs = { domain, audience, clientId, ...(environment.confirmation ? { confirmation: { clientId: confirmationClientId, formId, ...customDomain } } : {}) };
  const policy = JSON.parse(serializePolicy(environment.policy));
  if (settingsCodeTemplate(current.bundleCode, policy, settingsRefs) !== code) throw stale("the policy in the synthesized Action's settings");
  if (confirmAction) {
    const confirmationBundle = current.confirmationBundleCode ?? buildActionBundle({ entry: CONFIRMATION_ENTRY, typeCheck: false }).code;
    if (splitCodeTemplate(String(confirmAction.code))?.bundle !== confirmationBundle) {
      throw new CliError(`${stackName}: cdktf.out is older than action-src/ (the synthesized confirmation Action code differs from a fresh bundle). Run "npm run synth" first.`);
    }
    if (settingsCodeTemplate(confirmationBundle, policy, settingsRefs) !== confirmAction.code) throw stale("the policy in the synthesized confirmation Action's settings");
    if (confirmAction.secrets_wo_version !== environment.secretVersion) throw stale("the synthesized secret version");
  }
  const credentials = resources.auth0_client_credentials?.[CREDENTIALS_ID] as Record<string, unknown> | undefined;
  if (action!.secrets_wo_version !== environment.secretVersion || credentials?.client_secret_wo_version !== environment.secretVersion) {
    throw stale("the synthesized secret version");
  }
  const owned = resources.auth0_trigger_actions?.post_login_binding as { actions?: Array<{ id: string; display_name: string }> } | undefined;
  const ours = confirmAction ? 2 : 1;
  const bound = owned ? `owned:${JSON.stringify((owned.actions ?? []).slice(ours).map((a) => [a.id, a.display_name]))}` : resources.auth0_trigger_action?.post_login_binding_additive ? "additive:[]" : "none";
  const configured = `${environment.binding}:${JSON.stringify(environment.extraPostLoginActions.map((a) => [a.id, a.displayName]))}`;
  if (bound !== configured) throw stale("the synthesized post-login binding");
}

/**
 * The one way plan, deploy and verify read the synth: it must exist and be current (same bundle,
 * same configuration), or the command stops before Terraform or the tenant is touched.
 */
export function currentSynthesizedStack(environment: ResolvedEnvironment): SynthesizedStack {
  const stack = synthesizedStack(environment);
  checkSynthIsCurrent(stack, environment.stackName);
  return stack;
}
