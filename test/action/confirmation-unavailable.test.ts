// Actions Transaction Metadata is Early Access (issue 20, item 6): without it the Form's answer
// never reaches the confirmation Action. The linking Action detects that and shows no Form that
// cannot complete; it says so once per container.
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";

afterEach(tearDown);

test("transaction metadata switched off: no Form, nothing linked, confirm.unavailable once per container", async () => {
  const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true, transactionMetadata: false });
  tenant.createUser(github());
  tenant.createUser(database());
  tenant.createUser({ user_id: "github|2002", connection: "github", email: "grace@example.com", email_verified: true });
  tenant.createUser({ user_id: "auth0|db02", connection: "Username-Password-Authentication", email: "grace@example.com", email_verified: true });
  const first = await runtime.login("auth0|db01", { form: "link" });
  const second = await runtime.login("auth0|db02", { form: "link" });
  for (const outcome of [first, second]) {
    expect(outcome.status).toBe("success");
    expect(outcome.commands.some((c) => c.type === "render" || c.type === "redirect")).toBe(false);
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.required" });
  }
  const unavailable = [...first.decisions, ...second.decisions].filter((d) => d.linking === "confirm.unavailable");
  expect(unavailable).toEqual([expect.objectContaining({ error: "transaction_metadata" })]);
  expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  expect(tenant.user("github|2002")!.identities).toHaveLength(1);
  // A new container says it again (once).
  await runtime.newContainer();
  tenant.users.get("auth0|db01")!.app_metadata = {};
  const third = await runtime.login("auth0|db01", { form: "link" });
  expect(third.decisions.filter((d) => d.linking === "confirm.unavailable")).toHaveLength(1);
});

test("with transaction metadata on, the probe leaves nothing behind and the Form is shown", async () => {
  const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
  tenant.createUser(github());
  tenant.createUser(database());
  const outcome = await runtime.login("auth0|db01", { form: "link" });
  expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  const metadata = outcome.commands.filter((c) => c.type === "transactionMetadata");
  expect(metadata.filter((c) => c.value !== null).map((c) => c.key)).toEqual(["account_linking_probe", "account_linking_ticket"]);
  expect(metadata.find((c) => c.key === "account_linking_probe" && c.value === null)).toBeDefined();
});
