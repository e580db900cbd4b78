// The CDKTF app: one TenantStack per configured environment (auth0-<name>).
// LINKING_ENVIRONMENTS=dev,prod limits synth to those environments.
import { App } from "cdktf";
import { actionBundle } from "./stacks/action-bundle";
import { resolveEnvironments, selectEnvironments } from "./stacks/config";
import { environments } from "./stacks/environments";
import { TenantStack } from "./stacks/tenant-stack";

export function buildApp(app: App, selector = process.env.LINKING_ENVIRONMENTS): TenantStack[] {
  // Validate everything before building anything: a bad entry stops synth with nothing written.
  const selected = selectEnvironments(resolveEnvironments(environments), selector);
  const bundle = actionBundle();
  return selected.map((environment) => new TenantStack(app, environment, bundle));
}

if (require.main === module) {
  try {
    const app = new App();
    buildApp(app);
    app.synth();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
