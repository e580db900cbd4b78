import { actionBundle, CONFIRMATION_ENTRY } from "../../stacks/action-bundle";
import { splitCodeTemplate } from "../../stacks/action-settings";
import type { EnvironmentConfig } from "../../stacks/config";
import { synthConfig } from "../support/synth";
import { DEV, PROD, STAGING } from "./fixtures";

// The bundled code changes with every Action edit; the snapshot keeps the settings prologue (what
// a reviewer needs to see) and records the bundle's size instead, so reviews of stack changes stay
// readable. The bundle has its own tests. Snapshots are of fixture configurations the tests own.
function masked(json: string): unknown {
  const tf = JSON.parse(json);
  const bundles: Record<string, ReturnType<typeof actionBundle>> = { linking_action: actionBundle(), linking_confirmation_action: actionBundle(CONFIRMATION_ENTRY) };
  for (const [name, action] of Object.entries(tf.resource.auth0_action as Record<string, { code: string }>)) {
    const bundle = bundles[name];
    const split = splitCodeTemplate(action.code)!;
    expect(split.bundle).toBe(bundle.code);
    action.code = `${split.prologueTemplate}<${name === "linking_action" ? "action" : "confirmation action"} bundle: ${bundle.bytes} bytes>`;
  }
  return tf;
}

test.each<[string, EnvironmentConfig]>([
  ["dev", DEV],
  ["staging", STAGING],
  ["prod", PROD],
  ["additive", { name: "qa", tenant: "qa", binding: "additive", backend: { type: "cloud", organization: "acme", workspace: "auth0-qa" } }],
])("fixture %s matches its snapshot", (_name, config) => {
  expect(masked(synthConfig(config).json)).toMatchSnapshot();
});
