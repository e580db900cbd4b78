// Every reason code the Actions can log is explained (simulate, README) and nothing else is.
import * as fs from "fs";
import * as path from "path";
import { REASON_CODES } from "../../scripts/lib/reason-codes";
import { cleanEnv, runScript } from "../support/run-script";

const ROOT = path.resolve(__dirname, "..", "..");
const CODE = /"((?:skip|none|link|confirm|refuse|report|error)\.[a-z_]+)"/g;

function loggedCodes(): Set<string> {
  const codes = new Set<string>();
  // action-src/ and its folders (decide/ holds the decision's reasons since the split).
  for (const file of fs.readdirSync(path.join(ROOT, "action-src"), { recursive: true }) as string[]) {
    if (!file.endsWith(".ts")) continue;
    const text = fs.readFileSync(path.join(ROOT, "action-src", file), "utf8");
    for (const match of text.matchAll(CODE)) if (match[1] !== "link.planned") codes.add(match[1]);
  }
  // Built from a prefix at run time: "error." + a timeout / unexpected code.
  return codes;
}

test("the table explains exactly the codes the Actions use", () => {
  const used = loggedCodes();
  expect([...used].filter((code) => !(code in REASON_CODES)).sort()).toEqual([]);
  expect(Object.keys(REASON_CODES).filter((code) => !used.has(code)).sort()).toEqual([]);
});

test("docs/reason-codes.md lists every reason code", () => {
  const readme = fs.readFileSync(path.join(ROOT, "docs", "reason-codes.md"), "utf8");
  expect(Object.keys(REASON_CODES).filter((code) => !readme.includes(`\`${code}\``))).toEqual([]);
});

test("simulate says why an account was not linked, including the case-variant case", async () => {
  const result = await runScript("simulate", ["case-variant-unverified"], cleanEnv());
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("none.no_candidates: no other eligible account has this email");
  expect(result.stdout).toContain("an account was left out: its email is not verified");
  expect(result.stdout).toContain("GET /api/v2/users 200"); // the case-insensitive search found it
}, 60_000);

test("simulate prints each step of a confirmation", async () => {
  const result = await runScript("simulate", ["confirm-link"], cleanEnv());
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/linking\.execute → form .*: link\s+linking\.continue\s+confirmation\.execute → authorize github: signed in\s+confirmation\.continue/);
  expect(result.stdout).toContain("outcome:   success (sub = github|1001)");
}, 60_000);

test("an unknown scenario is one error line and exit 2", async () => {
  const result = await runScript("simulate", ["nope"], cleanEnv());
  expect(result.code).toBe(2);
  expect(result.stderr.split("\n")[0]).toBe('error: unknown scenario "nope"; run npm run simulate to list them');
}, 60_000);
