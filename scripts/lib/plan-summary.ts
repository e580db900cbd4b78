// Reads `terraform show -json <planfile>` and says what the plan does to the tenant: counts as
// Terraform prints them, one line per resource, and the changes that break Auth0's rules (the 409
// on deleting a bound Action, a post-login flow emptied or rebuilt). Pure: no I/O.

export type ChangeKind = "create" | "update" | "delete" | "replace" | "read" | "no-op";

export interface ResourceChange {
  address: string;
  type: string;
  kind: ChangeKind;
  /** Attributes that force the replacement, when Terraform says. */
  replacePaths: string[];
}

export interface Hazard {
  code: "bound_action_destroyed" | "bound_action_replaced" | "binding_destroyed" | "binding_replaced";
  address: string;
  message: string;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  changes: ResourceChange[];
  /** Resources Terraform found changed outside Terraform (dashboard edits, other tools). */
  drifted: ResourceChange[];
  hazards: Hazard[];
  /** Addresses of bindings to apply first (-target) so a bound Action can then be removed. */
  unbindFirst: string[];
}

const BINDING_TYPES = new Set(["auth0_trigger_actions", "auth0_trigger_action"]);

interface RawChange {
  address?: unknown;
  type?: unknown;
  mode?: unknown;
  change?: { actions?: unknown; replace_paths?: unknown };
}

export class PlanFormatError extends Error {}

function kindOf(actions: unknown, address: string): ChangeKind {
  if (!Array.isArray(actions)) throw new PlanFormatError(`${address}: change.actions is not a list`);
  const has = (a: string) => actions.includes(a);
  if (has("delete") && has("create")) return "replace";
  for (const kind of ["create", "update", "delete", "read", "no-op"] as const) if (has(kind)) return kind;
  throw new PlanFormatError(`${address}: unknown change actions ${JSON.stringify(actions)}`);
}

function readChanges(list: unknown, field: string): ResourceChange[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new PlanFormatError(`${field} is not a list`);
  return (list as RawChange[])
    .filter((raw) => raw.mode !== "data")
    .map((raw) => {
      const address = String(raw.address ?? "");
      if (!address || typeof raw.type !== "string") throw new PlanFormatError(`${field}: an entry has no address or type`);
      const paths = Array.isArray(raw.change?.replace_paths) ? (raw.change!.replace_paths as unknown[]) : [];
      return {
        address,
        type: raw.type,
        kind: kindOf(raw.change?.actions, address),
        replacePaths: paths.map((p) => (Array.isArray(p) ? p.join(".") : String(p))),
      };
    });
}

export function summarizePlan(plan: unknown): PlanSummary {
  if (plan === null || typeof plan !== "object" || !("format_version" in plan)) {
    throw new PlanFormatError("not a Terraform JSON plan (expected the output of `terraform show -json <planfile>`)");
  }
  const raw = plan as { resource_changes?: unknown; resource_drift?: unknown };
  const all = readChanges(raw.resource_changes, "resource_changes");
  const changes = all.filter((c) => c.kind !== "no-op" && c.kind !== "read");
  const drifted = readChanges(raw.resource_drift, "resource_drift").filter((c) => c.kind !== "no-op" && c.kind !== "read");
  const count = (...kinds: ChangeKind[]) => changes.filter((c) => kinds.includes(c.kind)).length;

  const hazards: Hazard[] = [];
  const actionsGoing = changes.filter((c) => c.type === "auth0_action" && (c.kind === "delete" || c.kind === "replace"));
  const bindingsChanging = changes.filter((c) => BINDING_TYPES.has(c.type));
  for (const c of actionsGoing) {
    if (c.kind === "replace") {
      const why = c.replacePaths.length > 0 ? ` (forced by ${c.replacePaths.join(", ")})` : "";
      hazards.push({
        code: "bound_action_replaced",
        address: c.address,
        message: `replaces the post-login Action ${c.address}${why}. Auth0 refuses to delete an Action that is still bound (409), so this apply fails half-way: unbind it first, then apply`,
      });
    } else {
      hazards.push({
        code: "bound_action_destroyed",
        address: c.address,
        message: `destroys the post-login Action ${c.address}. Auth0 refuses to delete an Action that is still bound (409): apply the binding change first, then the rest`,
      });
    }
  }
  for (const c of bindingsChanging) {
    if (c.kind === "delete") {
      hazards.push({
        code: "binding_destroyed",
        address: c.address,
        message: `destroys the post-login binding ${c.address}: ${c.type === "auth0_trigger_actions" ? "the whole post-login flow is emptied" : "the linking Action stops running"}, and logins are no longer linked`,
      });
    } else if (c.kind === "replace") {
      hazards.push({
        code: "binding_replaced",
        address: c.address,
        message: `re-creates the post-login binding ${c.address}: between the delete and the create, logins run without it`,
      });
    }
  }
  // A bound Action being destroyed (not replaced) with its binding updated in the same plan is the
  // case a two-step apply fixes: apply the binding first, then everything else.
  const unbindFirst =
    actionsGoing.some((c) => c.kind === "delete") && !actionsGoing.some((c) => c.kind === "replace")
      ? bindingsChanging.filter((c) => c.kind === "update" || c.kind === "delete").map((c) => c.address)
      : [];

  return {
    add: count("create", "replace"),
    change: count("update"),
    destroy: count("delete", "replace"),
    changes,
    drifted,
    hazards,
    unbindFirst,
  };
}

export function countsLine(summary: PlanSummary): string {
  if (summary.changes.length === 0) return "no changes";
  return `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`;
}
