// The CDKTF app: one TenantStack per configured environment (auth0-<name>).
// LINKING_ENVIRONMENTS=dev,prod limits synth to those environments. `npm run synth` runs it through
// scripts/synth.js (fast, offline, errors said once); `cdktf synth|diff|deploy` run it the same way.
// LINKING_ENGINE=cdktn builds it with CDK Terrain instead of cdktf (stacks/engine.ts, docs/engines.md).
import { App, EngineError } from "./stacks/engine";
import { actionBundles, BundleError } from "./stacks/action-bundle";
import { ConfigError, resolveEnvironments, selectEnvironments } from "./stacks/config";
import { environments } from "./stacks/environments";
import { TenantStack } from "./stacks/tenant-stack";

export function buildApp(app: App, selector = process.env.LINKING_ENVIRONMENTS): TenantStack[] {
  // Validate everything before building anything: a bad entry stops synth with nothing written.
  const selected = selectEnvironments(resolveEnvironments(environments), selector);
  const bundles = actionBundles();
  return selected.map((environment) => new TenantStack(app, environment, bundles));
}

/** Synthesizes every selected environment into `outdir` (default: cdktf's, cdktf.out). */
export function synthesize(outdir?: string): string[] {
  // Validated before the App exists: the App creates its output directory.
  selectEnvironments(resolveEnvironments(environments), process.env.LINKING_ENVIRONMENTS);
  const app = new App(outdir ? { outdir } : {});
  const stacks = buildApp(app);
  app.synth();
  return stacks.map((s) => s.environment.stackName);
}

export { engine, DEFAULT_ENGINE } from "./stacks/engine";

/** An operator-facing message for a synth failure: `error:` lines, no stack trace. */
export function synthErrorLines(err: unknown): string[] {
  if (err instanceof ConfigError) return err.problems.map((p) => `error: stacks/environments.ts: ${p}`);
  if (err instanceof BundleError) return [`error: action-src/: ${err.message}`];
  if (err instanceof EngineError) return [`error: ${err.message}`];
  return [`error: synth failed: ${err instanceof Error ? err.message : String(err)}`];
}

if (require.main === module) {
  try {
    synthesize();
  } catch (err) {
    console.error(synthErrorLines(err).join("\n"));
    process.exit(1);
  }
}
