// `--show <plan>`: the plan as a reviewer reads it, instead of raw JSON lines: who it was made
// for, what it would do in total, then each cluster with its primary, the accounts it links into
// it and the accounts it leaves alone, with reasons. Reads the file only (no credentials).
import { normalizeEmail } from "../../../action-src/decide";
import { inWords, listCounts } from "./dry-run";
import type { LoadedPlan } from "./plan-file";

const n = (x: number) => x.toLocaleString("en-US");

export async function showPlan(plan: LoadedPlan, environment: string, log: (line: string) => void): Promise<void> {
  const h = plan.header;
  const e = plan.end;
  const notLinked = Object.values(e.notLinked).reduce((a, b) => a + b, 0);
  log(`Backfill plan for ${h.environment} (${h.stack}) at ${h.domain}, made ${h.createdAt} from ${n(h.source.users)} exported users`);
  if (h.environment !== environment) log(`  NOTE: made for "${h.environment}", not "${environment}": --apply for ${environment} refuses it`);
  log(`  policy      ${JSON.stringify(h.policy)}`);
  log(`  would link  ${n(e.clusters)} clusters, ${n(e.links)} links`);
  if (e.confirm) log(`  left for confirmation at the next login ${n(e.confirm)} clusters`);
  log(`  not linked  ${n(notLinked)} clusters${notLinked ? `: ${listCounts(e.notLinked)}` : ""} (not listed: the plan holds only what it links)`);
  log("");
  for await (const c of plan.clusters()) {
    const spellings = c.lookup.length > 1 ? ` (spelled ${c.lookup.join(", ")})` : "";
    log(`#${c.n}  ${normalizeEmail(c.lookup[0])}${spellings}`);
    log(`    primary ${c.primary} <- ${c.secondaries.join(", ")}`);
    if (c.ignored.length > 0) log(`    left alone: ${c.ignored.map((i) => `${i.user_id} (${inWords(i.reason)})`).join(", ")}`);
  }
}
