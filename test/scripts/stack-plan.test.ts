// The Terraform arguments plan and deploy use, run by the real Terraform (1.11.4 here) on a
// terraform_data configuration (no provider, no network): a lock-free plan, a refresh-only plan,
// a saved plan applied with a lock timeout, and the refusal of a plan the state moved past.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyPlan, planStack, showPlan } from "../../scripts/lib/stack-plan";
import type { SynthesizedStack } from "../../scripts/lib/target";
import { TerraformFailed, type Terraform } from "../../scripts/lib/terraform";
import { realTerraform, withTerraform } from "../support/real-terraform";

jest.setTimeout(60_000);

const quiet = { color: false };
let stack: SynthesizedStack;
// An empty CLI configuration: nothing of the machine's, and no warning when it has none.
const tf = realTerraform as Terraform;
// Keep Terraform's own output out of the test log.
const terraform = tf && { ...tf, run: tf.capture };

beforeEach(async () => {
  if (!tf) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-stack-plan-"));
  fs.writeFileSync(path.join(dir, "main.tf"), 'resource "terraform_data" "a" { input = "one" }\n');
  stack = { dir, file: path.join(dir, "main.tf"), json: {} };
  await terraform.capture(dir, ["init", "-input=false", "-no-color"]);
});

withTerraform("a plan without the lock (read-only state credentials) is saved and summarized", async () => {
  const plan = await planStack(terraform, stack, { ...quiet, noLock: true });
  expect(plan.summary.changes.map((c) => [c.address, c.kind])).toEqual([["terraform_data.a", "create"]]);
  expect(plan.text).toContain("terraform_data.a will be created");
});

withTerraform("a saved plan is applied with a lock timeout; applied again after the state moved, Terraform refuses it", async () => {
  const first = await planStack(terraform, stack, quiet);
  expect(first.summary.add).toBe(1);
  fs.copyFileSync(path.join(stack.dir, "tfplan"), path.join(stack.dir, "approved.tfplan"));
  const reread = await showPlan(terraform, stack, path.join(stack.dir, "approved.tfplan"));
  expect(reread.summary).toEqual(first.summary);
  await applyPlan(terraform, stack, path.join(stack.dir, "approved.tfplan"), quiet);
  expect(fs.existsSync(path.join(stack.dir, "terraform.tfstate"))).toBe(true);
  // Another plan made before that apply is stale now.
  fs.writeFileSync(path.join(stack.dir, "main.tf"), 'resource "terraform_data" "a" { input = "two" }\n');
  await planStack(terraform, stack, quiet);
  fs.copyFileSync(path.join(stack.dir, "tfplan"), path.join(stack.dir, "older.tfplan"));
  await applyPlan(terraform, stack, path.join(stack.dir, "tfplan"), quiet);
  const stale = await applyPlan(terraform, stack, path.join(stack.dir, "older.tfplan"), quiet).catch((err: unknown) => err);
  expect(stale).toBeInstanceOf(TerraformFailed);
  expect((stale as TerraformFailed).output).toMatch(/saved plan is stale/i);
});

withTerraform("a refresh-only plan changes nothing and is read as such", async () => {
  await planStack(terraform, stack, quiet);
  await applyPlan(terraform, stack, path.join(stack.dir, "tfplan"), quiet);
  const refresh = await planStack(terraform, stack, { ...quiet, noLock: true, refreshOnly: true });
  expect(refresh.summary.changes).toEqual([]);
  expect(refresh.summary.drifted).toEqual([]);
});
