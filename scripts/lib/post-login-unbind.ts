// What an apply takes out of the post-login flow. With binding "owned" the stack's
// auth0_trigger_actions replaces the whole flow, so every Action bound now and not in the stack's
// list is unbound; the plan alone does not show it on a first deploy (a create has no "before").
// So: read what is bound now (read-only), compare with the list the plan applies.
import { managementClient } from "./management-client";
import type { Credentials } from "./target";

export interface BoundAction {
  id: string;
  name: string;
}

export interface UnbindReport {
  /** Bound now, gone after the apply. */
  unbound: Array<BoundAction & { placedByStack: boolean }>;
  /** Of those, the ones this stack never bound (dashboard, Deploy CLI, another state). */
  foreign: BoundAction[];
}

/** Why the flow could not be compared (the report is then unknown, never "nothing"). */
export interface UnbindUnknown {
  error: string;
}

interface RawChange {
  address?: unknown;
  type?: unknown;
  mode?: unknown;
  change?: { actions?: unknown; before?: unknown; after?: unknown; after_unknown?: unknown };
}

const OWNED = "auth0_trigger_actions";

function ids(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((a) => (a && typeof a === "object" ? (a as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === "string" && id !== "");
}

function ownedBinding(list: unknown): RawChange | undefined {
  if (!Array.isArray(list)) return undefined;
  // The stack binds only post-login; a plan without the trigger attribute (never Terraform's) counts too.
  return (list as RawChange[]).find((c) => c.type === OWNED && c.mode !== "data" && (triggerOf(c) ?? "post-login") === "post-login");
}

function triggerOf(c: RawChange): string | undefined {
  const value = (c.change?.after as { trigger?: unknown } | null)?.trigger ?? (c.change?.before as { trigger?: unknown } | null)?.trigger;
  return typeof value === "string" ? value : undefined;
}

/**
 * Whether this plan rewrites the post-login flow (an owned binding created, updated, replaced or
 * deleted). Only then can an apply unbind anything, and only then are the bindings read.
 */
export function rewritesPostLoginFlow(plan: unknown): boolean {
  const binding = ownedBinding((plan as { resource_changes?: unknown }).resource_changes);
  const actions = binding?.change?.actions;
  return Array.isArray(actions) && actions.some((a) => a === "create" || a === "update" || a === "delete");
}

/**
 * Compares the flow bound now with the plan's owned binding. Pure. The stack placed what its
 * state held before this plan refreshed it: `resource_drift`'s "before" when the flow was changed
 * outside Terraform, else the binding's "before" (nothing on a first deploy).
 */
export function unbindReport(plan: unknown, boundNow: BoundAction[]): UnbindReport {
  const raw = plan as { resource_changes?: unknown; resource_drift?: unknown };
  const binding = ownedBinding(raw.resource_changes);
  if (!binding || !rewritesPostLoginFlow(plan)) return { unbound: [], foreign: [] };
  const deleted = Array.isArray(binding.change?.actions) && (binding.change!.actions as unknown[]).includes("delete") && !(binding.change!.actions as unknown[]).includes("create");
  // Entries whose id is unknown until apply are the stack's own Action, created in this apply:
  // nothing bound now can be it.
  const kept = new Set(deleted ? [] : ids((binding.change?.after as { actions?: unknown } | null)?.actions));
  const drift = ownedBinding(raw.resource_drift);
  const placed = new Set(ids(((drift ?? binding).change?.before as { actions?: unknown } | null)?.actions));
  const unbound = boundNow.filter((b) => !kept.has(b.id)).map((b) => ({ ...b, placedByStack: placed.has(b.id) }));
  return { unbound, foreign: unbound.filter((b) => !b.placedByStack).map(({ id, name }) => ({ id, name })) };
}

/** GET /api/v2/actions/triggers/post-login/bindings (read:actions), in flow order. */
export async function readPostLoginBindings(credentials: Credentials): Promise<BoundAction[]> {
  const client = managementClient(credentials, { maxRetries: 1, timeoutInSeconds: 15 });
  const bound: BoundAction[] = [];
  for await (const b of await client.actions.triggers.bindings.list("post-login", { per_page: 50 })) {
    bound.push({ id: String(b.action?.id), name: String(b.display_name ?? b.action?.name ?? b.action?.id) });
  }
  return bound;
}

/** The flow compared with the plan, or why it could not be read (never a thrown error). */
export async function checkUnbinding(plan: unknown, credentials: Credentials, read = readPostLoginBindings): Promise<UnbindReport | UnbindUnknown | undefined> {
  if (!rewritesPostLoginFlow(plan)) return undefined;
  try {
    return unbindReport(plan, await read(credentials));
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    const status = e.statusCode ? `${e.statusCode}: ` : "";
    const hint = e.statusCode === 401 || e.statusCode === 403 ? " (the credentials need read:actions)" : "";
    return { error: `could not read the post-login bindings of ${credentials.domain}: ${status}${String(e.message ?? err).split("\n")[0]}${hint}` };
  }
}

export function isUnknown(report: UnbindReport | UnbindUnknown | undefined): report is UnbindUnknown {
  return report !== undefined && "error" in report;
}

/** Terminal lines (the comment uses the same facts). */
export function describeUnbinding(report: UnbindReport | UnbindUnknown | undefined): string[] {
  if (report === undefined) return [];
  if (isUnknown(report)) return [`post-login: ${report.error}; what the apply unbinds is not known.`];
  if (report.unbound.length === 0) return ["post-login: the apply unbinds nothing that is bound now."];
  return [
    `post-login: the apply unbinds ${report.unbound.length} Action(s) bound now (binding "owned" keeps only the stack's list):`,
    ...report.unbound.map((b) => `  - ${b.name} (${b.id})${b.placedByStack ? "" : ", not bound by this stack"}`),
  ];
}
