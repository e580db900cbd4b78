// One apply per plan at a time: a lock file next to the journal, made atomically (O_EXCL), naming
// the process that holds it. A lock left by a process that no longer runs (a hard kill, a crash)
// is taken over; one held by a live process stops the second apply before any request.
import * as fs from "fs";
import * as os from "os";
import { CliError } from "../target";

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockOwner>;
    return typeof owner.pid === "number" && typeof owner.host === "string" ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock for `plan` or refuses; returns the function that releases it. */
export function lockPlan(plan: string): () => void {
  const file = `${plan}.lock`;
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: "wx", mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        if (readOwner(file)?.pid === me.pid) fs.rmSync(file, { force: true });
        process.removeListener("exit", release);
      };
      process.on("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new CliError(`cannot create the lock ${file} (${(err as NodeJS.ErrnoException).code}): the plan's directory must be writable for the journal and the lock`);
      }
    }
    const owner = readOwner(file);
    if (owner && (owner.host !== me.host || alive(owner.pid))) {
      const where = owner.host === me.host ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
      throw new CliError(
        `another apply of this plan is running (${where}, since ${owner.since}): wait for it to finish or stop it. Nothing was changed. ` +
          `If no such process runs any more, remove ${file}`,
      );
    }
    // Its owner is gone (killed or crashed): the journal says what it finished.
    fs.rmSync(file, { force: true });
  }
  throw new CliError(`could not take the lock ${file}: another apply keeps taking it. Nothing was changed.`);
}
