// Reads `terraform show -json <planfile>` and says what the plan does to the tenant: counts as
// Terraform prints them (imports, moves and forgets included), one line per resource, and the
// changes that break Auth0's rules (the 409 on deleting a bound Action, a post-login flow emptied
// or rebuilt). Pure: no I/O.

/** "forget" is `removed { lifecycle { destroy = false } }`; "unknown" is an action this code does not know yet. */
export type ChangeKind = "create" | "update" | "delete" | "replace" | "forget" | "read" | "no-op" | "unknown";

export interface ResourceChange {
  address: string;
  type: string;
  kind: ChangeKind;
  /** Attributes that force the replacement, when Terraform says. */
  replacePaths: string[];
  /** Set when the plan imports this object (import block or `terraform plan -generate-config-out`). */
  importId?: string;
  /** The address this object had in state before a `moved` block. */
  movedFrom?: string;
  /** The raw actions, kept for "unknown". */
  actions?: string[];
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
  import: number;
  move: number;
  forget: number;
  /** Things in the plan this code could not interpret (read the full plan). */
  warnings: string[];
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
  previous_address?: unknown;
  change?: { actions?: unknown; replace_paths?: unknown; importing?: { id?: unknown } | null };
}

export class PlanFormatError extends Error {}

function kindOf(actions: unknown, address: string): ChangeKind {
  if (!Array.isArray(actions)) throw new PlanFormatError(`${address}: change.actions is not a list`);
  const has = (a: string) => actions.includes(a);
  if (has("delete") && has("create")) return "replace";
  if (actions.length !== 1) return "unknown";
  for (const kind of ["create", "update", "delete", "forget", "read", "no-op"] as const) if (has(kind)) return kind;
  // A newer Terraform may add actions: say so instead of failing the whole plan.
  return "unknown";
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
      const kind = kindOf(raw.change?.actions, address);
      const change: ResourceChange = { address, type: raw.type, kind, replacePaths: paths.map((p) => (Array.isArray(p) ? p.join(".") : String(p))) };
      const importing = raw.change?.importing;
      if (importing && typeof importing === "object") change.importId = String(importing.id ?? "");
      if (typeof raw.previous_address === "string" && raw.previous_address !== address) change.movedFrom = raw.previous_address;
      if (kind === "unknown") change.actions = (raw.change!.actions as unknown[]).map(String);
      return change;
    });
}

/** A change the reader must see: anything but a plain no-op or data read. */
function matters(c: ResourceChange): boolean {
  return (c.kind !== "no-op" && c.kind !== "read") || c.importId !== undefined || c.movedFrom !== undefined;
}

export function summarizePlan(plan: unknown): PlanSummary {
  if (plan === null || typeof plan !== "object" || !("format_version" in plan)) {
    throw new PlanFormatError("not a Terraform JSON plan (expected the output of `terraform show -json <planfile>`)");
  }
  const raw = plan as { resource_changes?: unknown; resource_drift?: unknown };
  const all = readChanges(raw.resource_changes, "resource_changes");
  const changes = all.filter(matters);
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
    import: changes.filter((c) => c.importId !== undefined).length,
    move: changes.filter((c) => c.movedFrom !== undefined).length,
    forget: count("forget"),
    warnings: changes
      .filter((c) => c.kind === "unknown")
      .map((c) => `${c.address}: Terraform plans actions ${JSON.stringify(c.actions)}, which this summary does not know; read the full plan before applying`),
    changes,
    drifted,
    hazards,
    unbindFirst,
  };
}

/** Terraform's own "Plan:" line, plus the forgets and moves it leaves out. */
export function countsLine(summary: PlanSummary): string {
  if (summary.changes.length === 0) return "no changes";
  const parts = [`${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`];
  if (summary.import > 0) parts.unshift(`${summary.import} to import`);
  if (summary.forget > 0) parts.push(`${summary.forget} to forget`);
  if (summary.move > 0) parts.push(`${summary.move} moved`);
  const unknown = summary.changes.filter((c) => c.kind === "unknown").length;
  if (unknown > 0) parts.push(`${unknown} not understood`);
  return parts.join(", ");
}
