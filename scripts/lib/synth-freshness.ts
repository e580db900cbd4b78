// A synth older than action-src/ would deploy (or verify against) code that is not the code in
// the repository: compare the synthesized Action code with a fresh bundle.
import { buildActionBundle } from "../../stacks/action-bundle";
import { CliError, type SynthesizedStack } from "./target";

// Only the bytes matter here: synth already type-checked these sources, so skip the compiler.
export function checkSynthIsCurrent(stack: SynthesizedStack, stackName: string, currentCode = buildActionBundle({ typeCheck: false }).code): void {
  const code = stack.json.resource?.auth0_action?.linking_action?.code;
  if (typeof code !== "string") throw new CliError(`${stackName}: the synthesized stack has no auth0_action.linking_action. Run "npm run synth" again.`);
  if (code !== currentCode) {
    throw new CliError(`${stackName}: cdktf.out is older than action-src/ (the synthesized Action code differs from a fresh bundle). Run "npm run synth" first.`);
  }
}
