// The apply's progress line: clusters done, links made, rate and ETA. Redrawn in place on a
// terminal; on a pipe (CI logs) printed at most every few seconds.

export interface ProgressState {
  clustersDone: number;
  clustersTotal: number;
  links: number;
  linksTotal: number;
  startedAt: number;
  /** Links made before this run (resumed from the journal); not counted in the rate. */
  resumedLinks: number;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function renderProgress(state: ProgressState, now: number, width = 24): string {
  const fraction = state.clustersTotal === 0 ? 1 : state.clustersDone / state.clustersTotal;
  const filled = Math.round(fraction * width);
  const madeNow = state.links - state.resumedLinks;
  const elapsed = Math.max(1, now - state.startedAt);
  const rate = (madeNow / elapsed) * 1000;
  const left = state.linksTotal - state.links;
  const eta = rate > 0 ? duration((left / rate) * 1000) : left === 0 ? "0s" : "-";
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${state.clustersDone}/${state.clustersTotal} clusters · ${state.links}/${state.linksTotal} links · ${rate.toFixed(1)} links/s · ETA ${eta}`;
}

export class ProgressReporter {
  private lastPrint = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 5000,
  ) {}

  update(state: ProgressState, final = false): void {
    const now = Date.now();
    const line = renderProgress(state, now);
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\x1b[K${final ? "\n" : ""}`);
    } else if (final || now - this.lastPrint >= this.intervalMs) {
      this.stream.write(`${line}\n`);
      this.lastPrint = now;
    }
  }
}
