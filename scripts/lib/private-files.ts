// Files that name people (backfill plans, partitions, journals) and temporary files: readable by
// the operator only whatever the umask, and gone however a command ends. A process killed by a
// signal it does not handle skips the "exit" event, so the cleanups registered there never run:
// a closed terminal (SIGHUP), a `kill` or a CI timeout (SIGTERM) as much as Ctrl-C (SIGINT).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The signals that end a command, and the exit code a shell reports for each (128 + number). */
export const ENDING_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type EndingSignal = keyof typeof ENDING_SIGNALS;

/**
 * Exits with the signal's code on SIGHUP, SIGINT and SIGTERM (except those in `except`, which the
 * command handles itself), so the "exit" cleanups run. Returns the function that uninstalls it.
 */
export function exitOnEndingSignals(options: { except?: EndingSignal[]; before?: (signal: EndingSignal) => void } = {}): () => void {
  const handlers = (Object.keys(ENDING_SIGNALS) as EndingSignal[])
    .filter((s) => !options.except?.includes(s))
    .map((signal) => {
      const handler = () => {
        options.before?.(signal);
        process.exit(ENDING_SIGNALS[signal]);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}

/** mkdir -p, every directory it creates 0700 (mkdir's mode is masked by the umask, which can only narrow it). */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** A fresh directory only the operator can read (mkdtemp, then 0700 whatever the platform did). */
export function privateTempDir(prefix: string, parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Points this process's temporary directory (os.tmpdir(), read from TMPDIR on each call, and its
 * children's) at a fresh private directory that is removed when the process exits, on any ending
 * signal too. For commands whose parts make temporary files of their own (bench).
 */
export function tempRootForThisRun(prefix: string): string {
  const dir = privateTempDir(prefix);
  process.env.TMPDIR = dir;
  process.env.TMP = dir;
  process.env.TEMP = dir;
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  // Its own children first (a terminal's hangup reaches them too; a kill aimed at this process
  // does not): left running, they would write into the directory again after it is removed.
  exitOnEndingSignals({ before: () => void spawnSync("pkill", ["-TERM", "-P", String(process.pid)], { stdio: "ignore" }) });
  return dir;
}
