import * as fs from "fs";
import * as path from "path";
import { commentMarker, planComment } from "../../scripts/lib/plan-comment";
import { countsLine, PlanFormatError, summarizePlan } from "../../scripts/lib/plan-summary";

// Handwritten `terraform show -json` plans (Terraform 1.11 format) for the cases a reviewer meets.
const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", `plan-${name}.json`), "utf8"));
const SECRET = "SECRET-SHOULD-NEVER-APPEAR-1234";

function comment(name: string, planText = "Terraform will perform the following actions: ...") {
  const summary = summarizePlan(fixture(name));
  return { summary, body: planComment({ environment: "dev", stackName: "auth0-dev", summary, planText, commit: "0123456789abcdef0123", runUrl: "https://github.com/acme/linking/actions/runs/1" }) };
}

describe("plan summary", () => {
  test("first deploy: five resources to add, the tenant data source is not counted", () => {
    const { summary } = comment("create");
    expect([summary.add, summary.change, summary.destroy]).toEqual([5, 0, 0]);
    expect(summary.changes.map((c) => c.kind)).toEqual(["create", "create", "create", "create", "create"]);
    expect(summary.hazards).toEqual([]);
  });

  test("code change: one update in place, no hazard, dashboard drift reported", () => {
    const { summary } = comment("update");
    expect([summary.add, summary.change, summary.destroy]).toEqual([0, 1, 0]);
    expect(summary.changes).toEqual([{ address: "auth0_action.linking_action", type: "auth0_action", kind: "update", replacePaths: [] }]);
    expect(summary.drifted.map((c) => c.address)).toEqual(["auth0_action.linking_action"]);
    expect(summary.hazards).toEqual([]);
  });

  test("replacing the bound Action counts as add + destroy and is flagged as the 409 trap, with no automatic fix", () => {
    const { summary } = comment("replace-bound-action");
    expect([summary.add, summary.change, summary.destroy]).toEqual([1, 1, 1]);
    expect(summary.hazards.map((h) => h.code)).toEqual(["bound_action_replaced"]);
    expect(summary.hazards[0].message).toContain("forced by supported_triggers");
    expect(summary.unbindFirst).toEqual([]);
  });

  test("removing the bound Action while the binding is updated: apply the binding first", () => {
    const { summary } = comment("remove-bound-action");
    expect(summary.hazards.map((h) => h.code)).toEqual(["bound_action_destroyed"]);
    expect(summary.unbindFirst).toEqual(["auth0_trigger_actions.post_login_binding"]);
  });

  test("no changes", () => {
    const { summary } = comment("no-changes");
    expect(summary.changes).toEqual([]);
    expect([summary.add, summary.change, summary.destroy]).toEqual([0, 0, 0]);
  });

  test("a destroyed or re-created binding is flagged", () => {
    const plan = { format_version: "1.2", resource_changes: [
      { address: "auth0_trigger_actions.post_login_binding", mode: "managed", type: "auth0_trigger_actions", change: { actions: ["delete"] } },
      { address: "auth0_trigger_action.post_login_binding_additive", mode: "managed", type: "auth0_trigger_action", change: { actions: ["create", "delete"] } },
    ] };
    expect(summarizePlan(plan).hazards.map((h) => h.code)).toEqual(["binding_destroyed", "binding_replaced"]);
  });

  test("an action this code does not know is a warning in the summary, never a crash", () => {
    const summary = summarizePlan({ format_version: "1.2", resource_changes: [{ address: "a.b", mode: "managed", type: "a", change: { actions: ["explode"] } }] });
    expect(summary.changes.map((c) => c.kind)).toEqual(["unknown"]);
    expect(summary.warnings).toEqual(['a.b: Terraform plans actions ["explode"], which this summary does not know; read the full plan before applying']);
    expect(countsLine(summary)).toBe("0 to add, 0 to change, 0 to destroy, 1 not understood");
    const body = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "..." });
    expect(body).toContain("> [!WARNING]\n> - a.b: Terraform plans actions");
    expect(body).toContain("| `a.b` | **not understood**: read the full plan (explode) |");
  });

  test.each([
    [{ resource_changes: [] }, "not a Terraform JSON plan"],
    [{ format_version: "1.2", resource_changes: {} }, "resource_changes is not a list"],
    [{ format_version: "1.2", resource_changes: [{ address: "a.b", type: "a", change: { actions: "create" } }] }, "a.b: change.actions is not a list"],
  ])("rejects malformed input %j", (plan, message) => {
    expect(() => summarizePlan(plan)).toThrow(PlanFormatError);
    expect(() => summarizePlan(plan)).toThrow(message);
  });
});

// Real plans from Terraform 1.11.4 (terraform_data, no provider): test/scripts/fixtures/terraform-data/generate.sh.
describe("plans read as Terraform reads them: import, move, forget", () => {
  const real = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "terraform-data", `plan-${name}.json`), "utf8"));
  const rows = (body: string) => body.split("\n").filter((l) => l.startsWith("| `"));

  test("the fixtures are Terraform's own output", () => {
    for (const name of ["import", "move", "forget"]) expect((real(name) as { terraform_version: string }).terraform_version).toBe("1.11.4");
  });

  test("imports are counted and listed, an import that also updates says both (Terraform: 2 to import, 0 to add, 1 to change, 0 to destroy)", () => {
    const summary = summarizePlan(real("import"));
    expect(countsLine(summary)).toBe("2 to import, 0 to add, 1 to change, 0 to destroy");
    expect(summary.changes.map((c) => [c.address, c.kind, c.importId])).toEqual([
      ["terraform_data.adopted", "no-op", "adopted-id"],
      ["terraform_data.adopted_changed", "update", "adopted-changed-id"],
    ]);
    const body = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "..." });
    expect(body).toContain("Plan for `dev` (auth0-dev): 2 to import, 0 to add, 1 to change, 0 to destroy");
    expect(rows(body)).toEqual(["| `terraform_data.adopted` | import (id `adopted-id`) |", "| `terraform_data.adopted_changed` | import (id `adopted-changed-id`), then update in place |"]);
  });

  test("a moved block is never 'no changes': both moves are listed, with the update one of them carries", () => {
    const summary = summarizePlan(real("move"));
    expect(countsLine(summary)).toBe("0 to add, 1 to change, 0 to destroy, 2 moved");
    expect(summary.changes.map((c) => [c.address, c.kind, c.movedFrom])).toEqual([
      ["terraform_data.gone_renamed", "update", "terraform_data.gone"],
      ["terraform_data.renamed", "no-op", "terraform_data.old"],
    ]);
    const body = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "..." });
    expect(body).not.toContain("no changes");
    expect(rows(body)).toEqual(["| `terraform_data.gone_renamed` | moved from `terraform_data.gone`, then update in place |", "| `terraform_data.renamed` | moved from `terraform_data.old` |"]);
  });

  test("removed { destroy = false } is a forget: counted (Terraform 1.11 leaves it out of its line), no destroy, no hazard", () => {
    const summary = summarizePlan(real("forget"));
    expect(countsLine(summary)).toBe("0 to add, 0 to change, 0 to destroy, 1 to forget");
    expect(summary.changes.map((c) => [c.address, c.kind])).toEqual([["terraform_data.gone", "forget"]]);
    expect(summary.hazards).toEqual([]);
    expect(summary.warnings).toEqual([]);
    expect(rows(planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "..." }))).toEqual(["| `terraform_data.gone` | forget (stays in the tenant, no longer managed by this stack) |"]);
  });

  test("forgetting the bound Action is not the 409 trap: nothing is deleted in the tenant", () => {
    const plan = { format_version: "1.2", resource_changes: [{ address: "auth0_action.linking_action", mode: "managed", type: "auth0_action", change: { actions: ["forget"] } }] };
    expect(summarizePlan(plan).hazards).toEqual([]);
  });
});

describe("plan comment", () => {
  test("starts with the sticky marker for its stack and carries counts, a table and the collapsed plan", () => {
    const { body } = comment("create");
    expect(body.split("\n")[0]).toBe(commentMarker("auth0-dev"));
    expect(body).toContain("Plan for `dev` (auth0-dev): 5 to add, 0 to change, 0 to destroy");
    expect(body).toContain("| `auth0_trigger_actions.post_login_binding` | create |");
    expect(body).toMatch(/<details><summary>Full plan<\/summary>\n\n```text\nTerraform will perform/);
    expect(body).toContain("commit 0123456789ab · [CI run](https://github.com/acme/linking/actions/runs/1)");
    expect(body).not.toContain("CAUTION");
  });

  test("the 409 trap gets a loud warning above everything else", () => {
    const { body } = comment("replace-bound-action");
    const caution = body.indexOf("> [!CAUTION]");
    expect(caution).toBeGreaterThan(0);
    expect(caution).toBeLessThan(body.indexOf("| Resource |"));
    expect(body).toContain(":rotating_light:");
    expect(body).toContain("`bound_action_replaced`: replaces the post-login Action auth0_action.linking_action");
    expect(body).toContain("`npm run deploy` refuses this plan");
    expect(body).toContain("| `auth0_action.linking_action` | **replace** (destroy, then create) |");
  });

  test("a removal says the deploy script applies it in two steps", () => {
    expect(comment("remove-bound-action").body).toContain("`npm run deploy` applies it in two steps (`auth0_trigger_actions.post_login_binding` first)");
  });

  test("no changes reads as such", () => {
    const { body } = comment("no-changes");
    expect(body).toContain("Plan for `dev` (auth0-dev): no changes");
    expect(body).not.toContain("| Resource |");
  });

  test("drift outside Terraform is called out", () => {
    expect(comment("update").body).toContain("Changed in the tenant outside Terraform since the last apply (this plan puts them back): `auth0_action.linking_action`");
  });

  test("never prints attribute values from the plan, such as secrets", () => {
    for (const name of ["create", "update", "replace-bound-action", "remove-bound-action", "no-changes"]) {
      expect(comment(name).body).not.toContain(SECRET);
    }
  });

  test("a failed plan says so and shows the output", () => {
    const body = planComment({ environment: "prod", stackName: "auth0-prod", planText: "Error: 401 Unauthorized" });
    expect(body).toContain("Plan for `prod` (auth0-prod): the plan failed");
    expect(body).toContain("<details><summary>Output</summary>");
    expect(body).toContain("Error: 401 Unauthorized");
  });

  test("backticks in the plan cannot close the code block, and a huge plan is truncated under GitHub's limit", () => {
    const { summary } = comment("update");
    const tricky = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "a ```` b\n" });
    expect(tricky).toContain("`````text\na ```` b\n`````");
    const huge = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "x".repeat(80) + "\n".repeat(1) + "y\n".repeat(60_000) });
    expect(huge.length).toBeLessThan(65_536);
    expect(huge).toContain("(truncated:");
  });
});
