// The apply journal: one line per completed step, written before the next one starts, so a rerun
// after Ctrl-C or a crash skips what is done. It belongs to one plan (its id is the first line).
import * as fs from "fs";
import { CliError } from "../target";

export type JournalEvent =
  | { event: "start"; plan: string; at: string }
  | { event: "linked"; cluster: string; secondary: string }
  | { event: "done"; cluster: string; outcome: string };

export class Journal {
  readonly linked = new Set<string>();
  readonly done = new Map<string, string>();
  private constructor(readonly file: string) {}

  static open(file: string, planId: string): Journal {
    const journal = new Journal(file);
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
      const first = lines.length > 0 ? (JSON.parse(lines[0]) as JournalEvent) : undefined;
      if (first?.event !== "start" || first.plan !== planId) {
        throw new CliError(`${file} is the journal of another plan: move it away, or apply the plan it belongs to`);
      }
      for (const line of lines.slice(1)) {
        let entry: JournalEvent;
        try {
          entry = JSON.parse(line) as JournalEvent;
        } catch {
          continue; // a line cut short by a crash: its step is re-checked against the tenant
        }
        if (entry.event === "linked") journal.linked.add(entry.secondary);
        if (entry.event === "done") journal.done.set(entry.cluster, entry.outcome);
      }
    } else {
      journal.append({ event: "start", plan: planId, at: new Date().toISOString() });
    }
    return journal;
  }

  append(entry: JournalEvent): void {
    // Synchronous: the line is with the OS before the next request goes out.
    fs.appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    if (entry.event === "linked") this.linked.add(entry.secondary);
    if (entry.event === "done") this.done.set(entry.cluster, entry.outcome);
  }
}
