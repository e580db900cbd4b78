import { actionBundle } from "../../stacks/action-bundle";
import { configured, synthEnvironment } from "../support/synth";

// The bundled code changes with every Action edit; the snapshot records its hash and size
// instead, so reviews of stack changes stay readable. The bundle has its own tests.
function masked(json: string): unknown {
  const tf = JSON.parse(json);
  const bundle = actionBundle();
  const action = tf.resource.auth0_action.linking_action;
  expect(action.code).toBe(bundle.code);
  action.code = `<action bundle: ${bundle.bytes} bytes>`;
  return tf;
}

test.each(configured().map((env) => [env.name, env] as const))("environment %s matches its snapshot", (_name, env) => {
  expect(masked(synthEnvironment(env).json)).toMatchSnapshot();
});
