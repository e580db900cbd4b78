// Bench: the backfill dry run on a generated export of `users` users, in its own process (time,
// peak RSS, peak temporary disk). Everything it writes is removed afterwards.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../stacks/action-bundle";
import { writeExport } from "./export-file";

export interface DryRunFigures {
  users: number;
  ms: number;
  maxRssMb: number;
  tempBytes: number;
  planBytes: number;
  exportBytes: number;
  clusters: number;
  links: number;
  /** Clusters refused by the size check (refuse.profile_too_large). */
  oversized: number;
}

export async function measureDryRun(users: number): Promise<DryRunFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-export-"));
  try {
    const file = path.join(dir, "export.json.gz");
    await writeExport(file, users);
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_ROOT, "scripts", "bench", "plan-export.ts"), file, dir], { cwd: PROJECT_ROOT }).toString();
    return { ...(JSON.parse(out) as Omit<DryRunFigures, "exportBytes">), exportBytes: fs.statSync(file).size };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  measureDryRun(Number(process.argv[2] ?? 100_000)).then((r) => console.log(JSON.stringify(r)), (err) => {
    console.error(err);
    process.exit(1);
  });
}
