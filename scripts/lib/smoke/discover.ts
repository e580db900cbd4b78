// The smoke applications' client ids, found in the tenant by their fixed names with the operator's
// AUTH0_* credentials (read:clients: the plan, deploy and drift applications all have it). Client
// ids are the tenant's to choose, so they are looked up, never configured and never secret.
import type { ResolvedEnvironment } from "../../../stacks/config";
import { smokeAdminName, smokeApplicationName } from "../../../stacks/smoke-config";
import { managementClient } from "../management-client";
import { CliError, type Credentials } from "../target";
import type { SmokeIds } from "./tenant";

export async function findSmokeApplications(environment: ResolvedEnvironment, credentials: Credentials): Promise<SmokeIds> {
  const names = { client: smokeApplicationName(environment.name), admin: smokeAdminName(environment.name) };
  // An admin made outside the stack (smoke.adminClientId) is known by its client id, not by a name.
  const external = environment.smoke?.admin.kind === "client_secret" ? environment.smoke.admin.clientId : undefined;
  const found = new Map<string, string[]>([[names.client, []], ...(external ? [] : [[names.admin, []] as [string, string[]]])]);
  try {
    const client = managementClient(credentials, { maxRetries: 2, timeoutInSeconds: 15 });
    for await (const c of await client.clients.list({ fields: "client_id,name", include_fields: true, per_page: 100 })) {
      if (c.name && c.client_id && found.has(c.name)) found.get(c.name)!.push(c.client_id);
    }
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    const hint = e.statusCode === 401 ? " (check the AUTH0_* credentials)" : e.statusCode === 403 ? " (the AUTH0_CLIENT_ID application needs read:clients)" : "";
    throw new CliError(`${environment.stackName}: reading the applications of ${credentials.domain} failed: ${e.statusCode ? `${e.statusCode} ` : ""}${e.message ?? String(err)}${hint}`);
  }
  for (const [name, ids] of found) {
    if (ids.length === 0) {
      throw new CliError(
        `${environment.stackName}: no application named "${name}" in ${credentials.domain}: the smoke setup is not deployed there. ` +
          `Deploy ${environment.name} with smoke on (npm run synth && npm run deploy -- ${environment.name}), then run this again.`,
      );
    }
    if (ids.length > 1) throw new CliError(`${environment.stackName}: ${ids.length} applications in ${credentials.domain} are named "${name}" (${ids.join(", ")}): delete the ones Terraform does not manage.`);
  }
  if (external) return { domain: credentials.domain, clientId: found.get(names.client)![0], clientName: names.client, adminId: external, adminName: `smoke admin ${external} (smoke.adminClientId)` };
  return { domain: credentials.domain, clientId: found.get(names.client)![0], clientName: names.client, adminId: found.get(names.admin)![0], adminName: names.admin };
}
