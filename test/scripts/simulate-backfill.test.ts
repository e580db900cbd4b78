// `npm run simulate -- backfill`: the real backfill command's dry run, review and apply against
// the emulation, offline, and nothing left on disk afterwards.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cleanEnv, runScript } from "../support/run-script";

test("npm run simulate -- backfill: dry run, review, apply and a resumed apply, as a real run prints them; nothing left on disk", async () => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "linking-simulate-"));
  const result = await runScript("simulate", ["backfill"], cleanEnv({ TMPDIR: temp }));
  expect(result.stderr).not.toMatch(/error/i);
  expect(result.code).toBe(0);
  const out = result.stdout;
  expect(out).toContain("$ npm run backfill -- simulation --dry-run --out ");
  expect(out).toMatch(/duplicate clusters +4 holding 9 accounts/);
  expect(out).toMatch(/would link +2 clusters, 3 links/);
  expect(out).toContain("$ npm run backfill -- simulation --show ");
  expect(out).toContain("    primary google-oauth2|g2002 <- auth0|grace01, github|2002");
  expect(out).toMatch(/links made +3\n/);
  expect(out).toMatch(/links made +3 \(0 in this run, 3 in earlier runs\)/);
  // The dry run and the review change no account; the second apply sends nothing.
  expect(out.match(/\(exit 0; \d+ Management API request\(s\), \d+ of them changing accounts\)/g)).toEqual([
    expect.stringMatching(/, 0 of them/),
    "(exit 0; 0 Management API request(s), 0 of them changing accounts)",
    expect.stringMatching(/, [1-9]\d* of them/),
    "(exit 0; 0 Management API request(s), 0 of them changing accounts)",
  ]);
  expect(out).toMatch(/accounts now:\n(.*\n)*? {2}github\|1001 +ada@example\.com +verified: true +identities: \[github\|1001, auth0\|ada01\]/);
  expect(out).toMatch(/ {2}github\|3003 +linus@example\.com +verified: false +identities: \[github\|3003\]/);
  expect(fs.readdirSync(temp).filter((f) => !f.startsWith("v8-compile-cache"))).toEqual([]);
  // Five processes one after another (the walk-through, four backfill runs) and the export job's wait.
}, 180_000);
