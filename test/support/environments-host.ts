// Runs an operator command (scripts/<name>.ts) as its own process with the given environment
// configurations in place of stacks/environments.ts, so command tests own their configuration.
//   node -r scripts/lib/register-typescript.js test/support/environments-host.ts '<json configs>' <script> [args...]
// Instead of JSON, the path of a .ts file: that file is compiled and loaded in its place (a file
// with a syntax error, as a team might save one).
import * as path from "path";
import type { EnvironmentConfig } from "../../stacks/config";

const [configs, script, ...args] = process.argv.slice(2);
const file = require.resolve(path.join(__dirname, "..", "..", "stacks", "environments"));
if (configs.endsWith(".ts")) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require("module") as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    const resolved = resolve.call(this, request, ...rest);
    return resolved === file ? path.resolve(configs) : resolved;
  };
} else {
  require.cache[file] = { id: file, filename: file, loaded: true, exports: { environments: JSON.parse(configs) as EnvironmentConfig[] } } as unknown as NodeModule;
}
process.argv = [process.argv[0], script, ...args];
const { main } = require(path.resolve(script)) as { main: (args: string[]) => Promise<number> };
const { runCommand } = require("../../scripts/lib/target") as typeof import("../../scripts/lib/target");
runCommand(main);
