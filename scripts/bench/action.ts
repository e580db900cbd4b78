// The Actions' figures for `npm run bench`: requests, sequential rounds and time per kind of
// login against the HTTPS emulation with 50 ms added to every request.
import { ManagementApiEmulator, type RecordedRequest } from "../../test/support/management-api";
import { PostLoginRuntime, type LoginOutcome } from "../../test/support/post-login-runtime";

type Row = (what: string, value: string, target?: string) => void;
const LATENCY_MS = 50;
const TRUSTED = { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } } as const;

/** Requests that start together (within half the latency) are one round: the network time is rounds × latency. */
function rounds(requests: RecordedRequest[]): number {
  let count = 0;
  let roundStart = -Infinity;
  for (const r of [...requests].sort((a, b) => a.at - b.at)) {
    if (r.at - roundStart > LATENCY_MS / 2) {
      count++;
      roundStart = r.at;
    }
  }
  return count;
}

async function tenantWith(confirmation = false): Promise<{ tenant: ManagementApiEmulator; runtime: PostLoginRuntime }> {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  tenant.latencyMs = LATENCY_MS;
  // Confirmation: GitHub trusted, the database at "confirm": the database login signs in to GitHub.
  const runtime = new PostLoginRuntime(tenant, { policy: confirmation ? { connections: { github: "trusted" } } : TRUSTED, confirmation });
  tenant.createUser({ user_id: "github|1001", connection: "github", email: "ada@example.com", email_verified: true });
  tenant.createUser({ user_id: "auth0|db01", connection: "Username-Password-Authentication", email: "ada@example.com", email_verified: true });
  return { tenant, runtime };
}

function since(tenant: ManagementApiEmulator, before: number, outcome: LoginOutcome): RecordedRequest[] {
  return tenant.requests.slice(before).filter((r) => r.at >= Date.now() - outcome.ms - 1000);
}

export async function actionBench(row: Row): Promise<void> {
  // Cold container: module scope empty, nothing cached; the first login links.
  {
    const { tenant, runtime } = await tenantWith();
    const container = await runtime.newContainer();
    row("Action load into a fresh container (both modules)", `${container.loadMs.toFixed(1)} ms`);
    const before = tenant.requests.length;
    const first = await runtime.login("auth0|db01");
    const all = since(tenant, before, first);
    const api = all.filter((r) => r.path.startsWith("/api/v2/"));
    const network = rounds(all) * LATENCY_MS;
    row("linking login, cold container: requests (token + API)", `${all.length} (${all.map((r) => `${r.method} ${r.path.replace("/api/v2/", "")}`).join(", ")})`);
    row("linking login, cold container: sequential rounds after the token (lookups, holdings, PATCH, link)", String(rounds(api)), "<= 4");
    row("linking login, cold container: time above network time (50 ms/request)", `${(first.actionMs - network).toFixed(0)} ms (total ${first.actionMs.toFixed(0)} ms)`, "<= 100 ms");
    // The same in a warm container (token cached, connections open): what is left is our own code.
    tenant.createUser({ user_id: "github|2", connection: "github", email: "grace@example.com", email_verified: true });
    tenant.createUser({ user_id: "auth0|2", connection: "Username-Password-Authentication", email: "grace@example.com", email_verified: true });
    const warmBefore = tenant.requests.length;
    const warm = await runtime.login("auth0|2");
    const warmNetwork = rounds(since(tenant, warmBefore, warm)) * LATENCY_MS;
    row("linking login, warm container: time above network time", `${(warm.actionMs - warmNetwork).toFixed(0)} ms (total ${warm.actionMs.toFixed(0)} ms)`);
    // Both accounts members of an Organization: the member roles are read after the membership list.
    tenant.createUser({ user_id: "github|3", connection: "github", email: "lin@example.com", email_verified: true });
    tenant.createUser({ user_id: "auth0|3", connection: "Username-Password-Authentication", email: "lin@example.com", email_verified: true });
    for (const id of ["github|3", "auth0|3"]) tenant.lossless.addMember("org_acme", id, ["rol_member"]);
    const orgBefore = tenant.requests.length;
    const org = await runtime.login("auth0|3");
    const orgAll = since(tenant, orgBefore, org);
    const orgNetwork = rounds(orgAll) * LATENCY_MS;
    row("linking login with Organization members, warm: requests, rounds", `${orgAll.length} requests, ${rounds(orgAll.filter((r) => r.path.startsWith("/api/v2/")))} rounds (member roles follow the membership list)`, "<= 4 + 1");
    row("linking login with Organization members, warm: time above network time", `${(org.actionMs - orgNetwork).toFixed(0)} ms (total ${org.actionMs.toFixed(0)} ms, ${org.sub === "github|3" ? "linked" : "NOT linked"})`);
    const steady = await runtime.login("github|1001");
    row("ordinary login (decided): Management API requests", String(steady.requests.length), "0");
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) samples.push((await runtime.login("github|1001")).actionMs);
    samples.sort((a, b) => a - b);
    row("ordinary login: Action time (median of 50)", `${samples[25].toFixed(3)} ms`, "< 0.1 ms");
    await runtime.close();
    await tenant.stop();
  }
  // Token reuse: 10 logins over two fresh containers with an empty api.cache at the start.
  {
    const { tenant, runtime } = await tenantWith();
    for (let i = 0; i < 10; i++) tenant.createUser({ user_id: `github|t${i}`, connection: "github", email: `t${i}@example.com`, email_verified: true });
    await runtime.newContainer();
    for (let i = 0; i < 10; i++) {
      if (i === 5) await runtime.newContainer();
      await runtime.login(`github|t${i}`);
    }
    row("token requests for 10 first logins over 2 fresh containers", String(tenant.tokenRequests().length), "<= 1 per container start");
    await runtime.close();
    await tenant.stop();
  }
  // Confirmation: Form, sign-in to the existing account, link.
  {
    const { tenant, runtime } = await tenantWith(true);
    const before = tenant.requests.length;
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    // A figure for a flow that did not happen would be meaningless: stop the bench instead.
    if (outcome.sub !== "github|1001") throw new Error(`the confirmation bench did not link: ${outcome.status} ${JSON.stringify(outcome.decisions)}`);
    const all = since(tenant, before, outcome);
    row(
      "confirmed link: requests over the whole transaction",
      `${all.length} (${all.map((r) => `${r.method} ${r.path.replace("/api/v2/", "")}`).join(", ")})`,
    );
    row("confirmed link: Action time, all four executions (50 ms/request, no human time)", `${outcome.actionMs.toFixed(0)} ms, ${rounds(all)} rounds`);
    row("confirmed link: outcome", `${outcome.status}, sub ${outcome.sub}`, "sub = github|1001");
    await runtime.close();
    await tenant.stop();
  }
}
