// The apply journal: one line per completed step, written before the next one starts, so a rerun
// after Ctrl-C or a crash skips what is done, and the summaries count every run exactly. It
// belongs to one plan (its id is on the first line). A crash can cut the last line: it is
// removed on the next open (that step is re-checked against the tenant), so no later entry is
// glued to it and lost.
import * as fs from "fs";
import { CliError } from "../target";

/** What one finished cluster came to, in links. */
export interface ClusterTally {
  outcome: string;
  /** Planned secondaries linked by the backfill (in this run or an earlier one). */
  made: number;
  /** Planned secondaries found already linked into the primary by a login. */
  already: number;
  /** Planned secondaries not linked (the cluster changed since the plan, or needs confirmation). */
  notMade: number;
  /** Accounts with the cluster's email that appeared after the plan (left for the Action). */
  newer: number;
}

export type JournalEvent =
  | { event: "start"; plan: string; at: string }
  /** Written before the link request: a crash before "linked" still says who sent it. */
  | { event: "linking"; cluster: number; secondary: string }
  | { event: "linked"; cluster: number; secondary: string }
  | ({ event: "done"; cluster: number } & ClusterTally);

export class Journal {
  /** Secondaries the backfill linked. */
  readonly linked = new Set<string>();
  /** Secondaries the backfill asked Auth0 to link (the answer may have been lost in a crash). */
  readonly attempted = new Set<string>();
  readonly done = new Map<number, ClusterTally>();
  /** Set when opening removed a line cut short by a crash. */
  repaired = false;
  private fd: number | undefined;
  private constructor(readonly file: string) {}

  static open(file: string, planId: string): Journal {
    const journal = new Journal(file);
    let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (text.trim() === "") {
      // New, or created by a run that died before writing anything: it is this plan's.
      fs.writeFileSync(file, `${JSON.stringify({ event: "start", plan: planId, at: new Date().toISOString() })}\n`, { mode: 0o600 });
    } else {
      if (!text.endsWith("\n")) {
        text = text.slice(0, text.lastIndexOf("\n") + 1);
        fs.truncateSync(file, Buffer.byteLength(text));
        journal.repaired = true;
      }
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      let first: Partial<JournalEvent> | undefined;
      try {
        first = JSON.parse(lines[0] ?? "") as Partial<JournalEvent>;
      } catch {
        first = undefined;
      }
      if (first?.event !== "start" || (first as { plan?: string }).plan !== planId) {
        throw new CliError(`${file} is not this plan's journal (it belongs to another plan or is damaged): move it away, or apply the plan it belongs to`);
      }
      lines.slice(1).forEach((line, i) => {
        let entry: JournalEvent;
        try {
          entry = JSON.parse(line) as JournalEvent;
        } catch {
          throw new CliError(`${file} line ${i + 2} is damaged. Remove that line and run again: the apply re-reads the tenant, so nothing is linked twice`);
        }
        journal.note(entry);
      });
    }
    journal.fd = fs.openSync(file, "a", 0o600);
    return journal;
  }

  private note(entry: JournalEvent): void {
    if (entry.event === "linking") this.attempted.add(entry.secondary);
    if (entry.event === "linked") this.linked.add(entry.secondary);
    if (entry.event === "done") this.done.set(entry.cluster, { outcome: entry.outcome, made: entry.made, already: entry.already, notMade: entry.notMade, newer: entry.newer });
  }

  append(entry: JournalEvent): void {
    // Synchronous: the line is with the OS before the next request goes out.
    fs.writeSync(this.fd!, `${JSON.stringify(entry)}\n`);
    this.note(entry);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
