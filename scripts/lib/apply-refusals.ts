// What no apply may do without a person saying so, decided from the plan alone. `npm run deploy`
// checks it before applying; in CI the plan job checks it (`npm run plan -- --for-apply`), because
// the apply job runs Terraform alone: a refused plan is never sealed, so it is never applied.
import type { PlanSummary } from "./plan-summary";
import { isUnknown, type UnbindReport, type UnbindUnknown } from "./post-login-unbind";

export interface RefusalContext {
  /** The stack, as messages name it (auth0-<env>). */
  where: string;
  /** The environment's name, for the commands a message suggests. */
  environment: string;
  /** --allow-unbind: the operator accepts unbinding post-login Actions this stack did not bind. */
  allowUnbind: boolean;
}

/** Why this plan must not be applied as it is, or undefined when it may be. */
export function applyRefusal(summary: PlanSummary, unbind: UnbindReport | UnbindUnknown | undefined, context: RefusalContext): string | undefined {
  const { where, environment } = context;
  const replaced = summary.hazards.filter((h) => h.code === "bound_action_replaced");
  if (replaced.length > 0) {
    return `${where}: refusing to apply: the plan ${replaced.map((h) => h.message).join("; ")}. See docs/operations.md, "Removing or renaming the Action: two applies".`;
  }
  if (context.allowUnbind) return undefined;
  if (isUnknown(unbind)) {
    return `${where}: refusing to apply: this plan rewrites the post-login flow and ${unbind.error}. Give the credentials read:actions, or pass --allow-unbind to apply without knowing what it unbinds.`;
  }
  if (unbind && unbind.foreign.length > 0) {
    const names = unbind.foreign.map((b) => `"${b.name}" (${b.id})`).join(", ");
    return (
      `${where}: refusing to apply: it would unbind ${unbind.foreign.length} post-login Action(s) this stack did not bind: ${names}. ` +
      `To keep them, add them to extraPostLoginActions for "${environment}" in stacks/environments.ts; to remove them, run again with --allow-unbind (docs/operations.md, "The post-login trigger: who owns it").`
    );
  }
  return undefined;
}
