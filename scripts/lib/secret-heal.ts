// A half-done secret write, found in the state a plan starts from, and the override that repairs it.
//
// One apply writes the Action's secret twice: to its application (auth0_client_credentials,
// client_secret_wo) and then to the Action (auth0_action, secrets_wo; it depends on the
// credentials). An apply stopped between the two (a cancelled job, a failed Action deploy) leaves
// the application at version N and the Action at N-1, or not created: they hold different values.
// A plain re-plan writes a fresh value to the Action only (its version is the one that changed), so
// they never match again. The repair: plan once more with both versions raised to the same new
// number, so the same apply writes one fresh value to both. It travels as a Terraform override
// file beside the stack, read by that plan and kept in the saved plan's configuration snapshot
// (so CI's apply job, which runs Terraform alone, applies it too), and removed afterwards.
import * as fs from "fs";
import * as path from "path";
import { CREDENTIALS_ID } from "../../stacks/linking-application";
import type { StackPlan } from "./stack-plan";

export const CREDENTIALS_ADDRESS = `auth0_client_credentials.${CREDENTIALS_ID}`;
export const ACTION_ADDRESS = "auth0_action.linking_action";
/** Terraform merges `*_override.tf.json` into the configuration of its directory. */
export const HEAL_OVERRIDE_FILE = "secret_heal_override.tf.json";

export interface HalfDoneSecret {
  /** The version both get in the repairing plan. */
  version: number;
  /** What the state holds, for the message. */
  reason: string;
}

interface StateResource {
  address?: unknown;
  values?: Record<string, unknown>;
}

function stateResources(plan: unknown): StateResource[] {
  const root = (plan as { prior_state?: { values?: { root_module?: { resources?: unknown } } } } | null)?.prior_state?.values?.root_module?.resources;
  return Array.isArray(root) ? (root as StateResource[]) : [];
}

function version(resource: StateResource | undefined, attribute: string): number | undefined {
  const value = resource?.values?.[attribute];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * The half-done write the plan's prior state shows, or undefined. `configured` is the environment's
 * secretVersion: the repair version is above it and above both versions in state.
 */
export function halfDoneSecret(plan: unknown, configured: number): HalfDoneSecret | undefined {
  const resources = stateResources(plan);
  const credentials = resources.find((r) => r.address === CREDENTIALS_ADDRESS);
  const application = version(credentials, "client_secret_wo_version");
  // No credentials in state: nothing was written yet (a first deploy), or the upgrade from the old
  // address, where both are created in the same apply.
  if (!credentials || application === undefined) return undefined;
  const actionResource = resources.find((r) => r.address === ACTION_ADDRESS);
  const action = version(actionResource, "secrets_wo_version");
  if (actionResource && action === application) return undefined;
  const reason = actionResource
    ? `the application's secret is at version ${application} and the Action's at ${action ?? "none"}`
    : `the application's secret is at version ${application} and the Action was never created`;
  return { version: Math.max(application, action ?? 0, configured) + 1, reason };
}

/** The override that sets both versions to `version` (both are then written in one apply). */
export function healOverride(version: number): unknown {
  const [credentialsType, credentialsName] = CREDENTIALS_ADDRESS.split(".");
  const [actionType, actionName] = ACTION_ADDRESS.split(".");
  return {
    resource: {
      [credentialsType]: { [credentialsName]: { client_secret_wo_version: version } },
      [actionType]: { [actionName]: { secrets_wo_version: version } },
    },
  };
}

/** Writes the override beside the stack; returns a function that removes it. */
export function writeHealOverride(stackDir: string, version: number): () => void {
  const file = path.join(stackDir, HEAL_OVERRIDE_FILE);
  fs.writeFileSync(file, `${JSON.stringify(healOverride(version), null, 2)}\n`);
  return () => fs.rmSync(file, { force: true });
}

/** The note for the terminal and the plan comment. */
export function healNote(environment: string, heal: HalfDoneSecret): string {
  return (
    `A secret write was left half-done (${heal.reason}): this plan writes one fresh secret to both, as version ${heal.version}. ` +
    `Set secretVersion: ${heal.version} for "${environment}" in stacks/environments.ts afterwards, or the next deploy writes a fresh pair once more (docs/operations.md, "A half-done apply").`
  );
}

/**
 * Plans again with the repair when `planned` starts from a half-done write; otherwise returns it.
 * The override is gone when this returns: the saved plan keeps it in its configuration snapshot.
 */
export async function replanIfHalfDone(
  planned: StackPlan,
  context: { stackDir: string; environment: string; configured: number },
  replan: () => Promise<StackPlan>,
): Promise<{ plan: StackPlan; note?: string }> {
  const heal = halfDoneSecret(planned.json, context.configured);
  if (!heal) return { plan: planned };
  const note = healNote(context.environment, heal);
  console.log(`\n${note}`);
  const remove = writeHealOverride(context.stackDir, heal.version);
  try {
    return { plan: await replan(), note };
  } finally {
    remove();
  }
}
