// The pull-request comment for one environment's plan. The first line is a hidden marker so CI
// updates the same comment on every push instead of adding a new one.
import { countsLine, type ChangeKind, type PlanSummary, type ResourceChange } from "./plan-summary";
import { isUnknown, type UnbindReport, type UnbindUnknown } from "./post-login-unbind";

/** GitHub rejects comments over 65,536 characters; keep room for everything around the plan. */
const PLAN_TEXT_LIMIT = 50_000;

const VERB: Record<ChangeKind, string> = {
  create: "create",
  update: "update in place",
  delete: "**destroy**",
  replace: "**replace** (destroy, then create)",
  forget: "forget (stays in the tenant, no longer managed by this stack)",
  read: "read",
  "no-op": "no change",
  unknown: "**not understood**: read the full plan",
};

/** What happens to one resource, in the words of Terraform's plan. */
export function describeChange(c: ResourceChange): string {
  const steps: string[] = [];
  if (c.importId !== undefined) steps.push(`import (id \`${c.importId}\`)`);
  if (c.movedFrom !== undefined) steps.push(`moved from \`${c.movedFrom}\``);
  if (c.kind !== "no-op" || steps.length === 0) steps.push(c.kind === "unknown" ? `${VERB.unknown} (${(c.actions ?? []).join(", ")})` : VERB[c.kind]);
  return steps.join(", then ");
}

export function commentMarker(stackName: string): string {
  return `<!-- auth0-account-linking plan: ${stackName} -->`;
}

export interface PlanCommentInput {
  environment: string;
  stackName: string;
  /** The plan's summary; undefined when the plan itself failed. */
  summary?: PlanSummary;
  /** `terraform show -no-color <planfile>`, or the failing command's output. */
  planText: string;
  /** Link to the CI run, and the commit planned. */
  runUrl?: string;
  commit?: string;
  /** Things the reader must know to read the plan right (for example, no state in CI). */
  notes?: string[];
  /** What the apply takes out of the post-login flow bound now (undefined: the flow is not rewritten). */
  unbind?: UnbindReport | UnbindUnknown;
  /** A title for what failed, when the plan never ran (credentials, synth, Terraform missing). */
  failure?: string;
}

function unbindLines(report: UnbindReport | UnbindUnknown): string[] {
  if (isUnknown(report)) {
    return ["", "> [!WARNING]", `> **Post-login flow:** ${report.error}, so what this apply unbinds is not known. \`npm run deploy\` reads it again and refuses without \`--allow-unbind\` if it cannot.`];
  }
  if (report.unbound.length === 0) return ["", "Post-login flow: the apply unbinds nothing that is bound now."];
  const lines = ["", "> [!WARNING]", `> **The apply unbinds ${report.unbound.length} Action(s) from post-login** (binding \`owned\` keeps only the stack's list):`];
  for (const b of report.unbound) lines.push(`> - \`${b.name.replace(/`/g, "'")}\` (\`${b.id}\`)${b.placedByStack ? "" : ", **not bound by this stack**"}`);
  if (report.foreign.length > 0) {
    lines.push("> To keep them, add them to `extraPostLoginActions`; `npm run deploy` removes Actions this stack did not bind only with `--allow-unbind`.");
  }
  return lines;
}

/** A code fence longer than any backtick run in the text, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

function truncate(text: string): string {
  if (text.length <= PLAN_TEXT_LIMIT) return text;
  const cut = text.lastIndexOf("\n", PLAN_TEXT_LIMIT);
  return `${text.slice(0, cut > 0 ? cut : PLAN_TEXT_LIMIT)}\n\n... (truncated: ${text.length - PLAN_TEXT_LIMIT} more characters; the whole plan is in the CI run's log)`;
}

export function planComment(input: PlanCommentInput): string {
  const { summary } = input;
  const lines = [commentMarker(input.stackName)];
  const title = `Plan for \`${input.environment}\` (${input.stackName})`;
  if (!summary) {
    lines.push(`### :x: ${title}: the plan failed${input.failure ? ` (${input.failure})` : ""}`, "", "Nothing was planned. The output below says why.");
  } else if (summary.changes.length === 0) {
    lines.push(`### :white_check_mark: ${title}: no changes`, "", "The tenant already matches this commit.");
  } else {
    const icon = summary.hazards.length > 0 ? ":rotating_light:" : ":memo:";
    lines.push(`### ${icon} ${title}: ${countsLine(summary)}`);
  }
  if (input.notes && input.notes.length > 0) {
    lines.push("", "> [!NOTE]", ...input.notes.map((n) => `> ${n}`));
  }
  if (summary && summary.hazards.length > 0) {
    lines.push("", "> [!CAUTION]", "> **This plan breaks the post-login flow if applied as is.**");
    for (const h of summary.hazards) lines.push(`> - \`${h.code}\`: ${h.message}.`);
    if (summary.unbindFirst.length > 0) {
      lines.push(`> \`npm run deploy\` applies it in two steps (${summary.unbindFirst.map((a) => `\`${a}\``).join(", ")} first); a plain \`cdktf deploy\` would fail with a 409.`);
    } else if (summary.hazards.some((h) => h.code === "bound_action_replaced")) {
      lines.push("> `npm run deploy` refuses this plan. See docs/operations.md, \"Removing or renaming the Action: two applies\".");
    }
  }
  if (summary && input.unbind) lines.push(...unbindLines(input.unbind));
  if (summary && summary.warnings.length > 0) {
    lines.push("", "> [!WARNING]", ...summary.warnings.map((w) => `> - ${w}.`));
  }
  if (summary && summary.changes.length > 0) {
    lines.push("", "| Resource | Change |", "| --- | --- |");
    for (const c of summary.changes) lines.push(`| \`${c.address}\` | ${describeChange(c).replace(/\|/g, "\\|")} |`);
  }
  if (summary && summary.drifted.length > 0) {
    lines.push("", `Changed in the tenant outside Terraform since the last apply (this plan puts them back): ${summary.drifted.map((c) => `\`${c.address}\``).join(", ")}.`);
  }
  const text = truncate(input.planText.trimEnd());
  const f = fence(text);
  lines.push("", `<details><summary>${summary ? "Full plan" : "Output"}</summary>`, "", `${f}text`, text, f, "", "</details>");
  const footer = [input.commit ? `commit ${input.commit.slice(0, 12)}` : "", input.runUrl ? `[CI run](${input.runUrl})` : ""].filter(Boolean);
  if (footer.length > 0) lines.push("", `<sub>${footer.join(" · ")}</sub>`);
  return `${lines.join("\n")}\n`;
}
