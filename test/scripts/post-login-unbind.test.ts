// What an apply unbinds from the post-login flow: recorded plans compared with a flow, pure.
import * as fs from "fs";
import * as path from "path";
import { planComment } from "../../scripts/lib/plan-comment";
import { summarizePlan } from "../../scripts/lib/plan-summary";
import { checkUnbinding, describeUnbinding, rewritesPostLoginFlow, unbindReport } from "../../scripts/lib/post-login-unbind";

const plan = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", `plan-${name}.json`), "utf8"));
const ROLES = { id: "7d1c2f0e-5a4b-4c3d-9e8f-0a1b2c3d4e5f", name: "Add roles" };
const LEGACY = { id: "0c0c0c0c-1111-4222-8333-444455556666", name: "Legacy rule port" };
const LINKING = { id: "3f0a9c1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b", name: "Account linking" };
const DASHBOARD = { id: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", name: "Added in the dashboard" };
const credentials = { domain: "acme-dev.eu.auth0.com", kind: "api_token" as const, token: "t" };

test("a first deploy (the plan shows only a create) unbinds every Action bound now that is not in the stack's list", () => {
  const report = unbindReport(plan("first-deploy-owned"), [LEGACY, ROLES]);
  expect(report.unbound).toEqual([{ ...LEGACY, placedByStack: false }]);
  expect(report.foreign).toEqual([LEGACY]);
  expect(describeUnbinding(report)).toEqual([
    'post-login: the apply unbinds 1 Action(s) bound now (binding "owned" keeps only the stack\'s list):',
    `  - Legacy rule port (${LEGACY.id}), not bound by this stack`,
  ]);
});

test("an Action added outside Terraform since the last apply is foreign; the stack's own are not", () => {
  const report = unbindReport(plan("flow-changed-outside"), [DASHBOARD, LINKING]);
  expect(report.foreign).toEqual([DASHBOARD]);
  // An extra Action dropped from the configuration was bound by the stack: unbound, not foreign.
  const removal = unbindReport(plan("remove-bound-action"), [{ id: "a1", name: "Old linking" }, { id: "b2", name: "Add roles" }]);
  expect(removal).toEqual({ unbound: [{ id: "a1", name: "Old linking", placedByStack: true }], foreign: [] });
});

test("nothing is read or reported when the plan leaves the flow alone (no-op binding, additive, refresh-only)", async () => {
  expect(rewritesPostLoginFlow(plan("update"))).toBe(false);
  const read = jest.fn(async () => [LEGACY]);
  expect(await checkUnbinding(plan("update"), credentials, read)).toBeUndefined();
  expect(read).not.toHaveBeenCalled();
  const additive = { format_version: "1.2", resource_changes: [{ address: "auth0_trigger_action.post_login_binding_additive", mode: "managed", type: "auth0_trigger_action", change: { actions: ["create"], before: null, after: { trigger: "post-login" } } }] };
  expect(await checkUnbinding(additive, credentials, read)).toBeUndefined();
});

test("destroying the owned binding unbinds everything bound now", () => {
  const destroy = { format_version: "1.2", resource_changes: [{ address: "auth0_trigger_actions.post_login_binding", mode: "managed", type: "auth0_trigger_actions", change: { actions: ["delete"], before: { trigger: "post-login", actions: [{ id: LINKING.id }] }, after: null } }] };
  expect(unbindReport(destroy, [LINKING, LEGACY]).unbound.map((b) => [b.name, b.placedByStack])).toEqual([["Account linking", true], ["Legacy rule port", false]]);
});

test("a flow that cannot be read is reported as unknown, never as nothing to unbind", async () => {
  const forbidden = Object.assign(new Error("Insufficient scope, expected any of: read:actions"), { statusCode: 403 });
  const report = await checkUnbinding(plan("first-deploy-owned"), credentials, async () => { throw forbidden; });
  expect(report).toEqual({ error: "could not read the post-login bindings of acme-dev.eu.auth0.com: 403: Insufficient scope, expected any of: read:actions (the credentials need read:actions)" });
});

test("the pull-request comment lists what the apply unbinds, and who bound it", () => {
  const recorded = plan("first-deploy-owned");
  const summary = summarizePlan(recorded);
  const body = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "...", unbind: unbindReport(recorded, [LEGACY, ROLES]) });
  expect(body).toContain("> **The apply unbinds 1 Action(s) from post-login** (binding `owned` keeps only the stack's list):");
  expect(body).toContain(`> - \`Legacy rule port\` (\`${LEGACY.id}\`), **not bound by this stack**`);
  expect(body).toContain("`npm run deploy` removes Actions this stack did not bind only with `--allow-unbind`.");
  const none = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "...", unbind: unbindReport(recorded, [ROLES]) });
  expect(none).toContain("Post-login flow: the apply unbinds nothing that is bound now.");
  const unknown = planComment({ environment: "dev", stackName: "auth0-dev", summary, planText: "...", unbind: { error: "could not read the post-login bindings of x: 403" } });
  expect(unknown).toContain("> **Post-login flow:** could not read the post-login bindings of x: 403, so what this apply unbinds is not known.");
});
