// npm run simulate's lossless scenarios (issue 18) say what happened and why.
import { cleanEnv, runScript } from "../support/run-script";

jest.setTimeout(120_000);

test("role-holder-refused: refused naming the kind, then snoozed", async () => {
  const result = await runScript("simulate", ["role-holder-refused"], cleanEnv());
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('"linking":"refuse.authorization_differs"');
  expect(result.stdout).toContain('"differs":["roles"]');
  expect(result.stdout).toContain("skip.snoozed");
});

test("unlink-then-login: the unlink restores, and the next logins of both accounts link nothing", async () => {
  const result = await runScript("simulate", ["unlink-then-login"], cleanEnv());
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("operator: npm run unlink -- sim auth0|db01 --yes");
  expect(result.stdout).toContain("(exit 0)");
  expect(result.stdout).toContain('"linking":"skip.unlinked"');
  expect(result.stdout).toMatch(/github\|1001 {2}identities: \[github\|1001\]/);
  expect(result.stdout).toMatch(/auth0\|db01 {2}identities: \[auth0\|db01\]/);
});
