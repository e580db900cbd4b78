// The team's stacks/environments.ts is checked only for what must hold for every valid
// configuration; the swap test proves those checks (and the app) hold for configurations quite
// unlike the repository's, by putting each in place of stacks/environments.ts.
import { configured, synthEnvironment, type TerraformJson } from "../support/synth";
import type { EnvironmentConfig, ResolvedEnvironment } from "../../stacks/config";
import { SWAPPED_CONFIGURATIONS, DEV } from "./fixtures";
import { contractProblems } from "./stack-contract";
import { synthConfig } from "../support/synth";
import { resolveEnvironments } from "../../stacks/config";

describe("the team's stacks/environments.ts", () => {
  test("validates, with at least one environment and unique stack names", () => {
    const envs = configured();
    expect(envs.length).toBeGreaterThan(0);
    expect(new Set(envs.map((e) => e.stackName)).size).toBe(envs.length);
  });

  test.each(configured().map((env) => [env.name, env] as const))("environment %s synthesizes and meets the contract", (_name, env) => {
    const { json, tf } = synthEnvironment(env);
    expect(contractProblems(env, tf, json)).toEqual([]);
  });
});

/** Loads main.ts with `configs` standing in for stacks/environments.ts, as a team's edit would. */
function withEnvironments(configs: EnvironmentConfig[]): { stacks: Array<{ env: ResolvedEnvironment; tf: TerraformJson }>; operatorNames: string[]; matrix: string[] } {
  let result!: ReturnType<typeof withEnvironments>;
  jest.isolateModules(() => {
    jest.doMock("../../stacks/environments", () => ({ environments: configs }));
    const { Testing } = require("../../stacks/engine") as typeof import("../../stacks/engine");
    const { buildApp } = require("../../main") as typeof import("../../main");
    const { findEnvironment } = require("../../scripts/lib/target") as typeof import("../../scripts/lib/target");
    const { githubMatrix } = require("../../scripts/environments") as { githubMatrix: () => Array<{ stack: string }> };
    const app = Testing.app();
    const built = buildApp(app, "");
    result = {
      stacks: built.map((stack) => ({ env: stack.environment, tf: JSON.parse(Testing.synth(stack)) as TerraformJson })),
      operatorNames: configs.map((c) => findEnvironment(c.name, "plan").stackName),
      matrix: githubMatrix().map((e) => e.stack),
    };
  });
  jest.dontMock("../../stacks/environments");
  return result;
}

describe.each(SWAPPED_CONFIGURATIONS)("with another valid configuration: %s", (_label, configs) => {
  const swapped = withEnvironments(configs);
  const names = configs.map((c) => `auth0-${c.name}`);

  test("the app synthesizes one stack per configured environment", () => {
    expect(swapped.stacks.map((s) => s.env.stackName)).toEqual(names);
  });

  test("every stack meets the contract", () => {
    expect(swapped.stacks.flatMap(({ env, tf }) => contractProblems(env, tf))).toEqual([]);
  });

  test("the operator commands and the CI matrix follow the configuration", () => {
    expect(swapped.operatorNames).toEqual(names);
    expect(swapped.matrix).toEqual(names);
  });
});

describe("the contract catches a stack that breaks it", () => {
  const env = resolveEnvironments([DEV])[0];
  const broken = (mutate: (tf: any) => void) => {
    const tf = JSON.parse(JSON.stringify(synthConfig(DEV).tf));
    mutate(tf);
    return contractProblems(env, tf);
  };

  test("a secret back in `secrets`, read from the application", () => {
    const problems = broken((tf) => {
      tf.resource.auth0_action.linking_action.secrets = [{ name: "CLIENT_SECRET", value: "${auth0_client_credentials.linking_client_secret_wo.client_secret}" }];
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "auth0-dev: resource.auth0_action.linking_action.secrets[0].value: is sensitive and is fed from auth0_client_credentials.linking_client_secret_wo.client_secret, which puts the secret in state",
        "auth0-dev: the Action has no `secrets` block (its values would be in state)",
        "auth0-dev: no resource reads client_secret",
      ]),
    );
  });

  test("versions out of step, another policy in the code", () => {
    expect(broken((tf) => (tf.resource.auth0_action.linking_action.secrets_wo_version = 2))).toEqual(["auth0-dev: both *_wo_version are the configured secretVersion 1"]);
    const other = broken((tf) => {
      tf.resource.auth0_action.linking_action.code = tf.resource.auth0_action.linking_action.code.replace('"reportOnly":false', '"reportOnly":true');
    });
    expect(other).toEqual(["auth0-dev: the Action's code is the settings prologue (tenant, client, this environment's policy) + the bundle"]);
  });
});
