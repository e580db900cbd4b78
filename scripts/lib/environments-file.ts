// What every command says when stacks/environments.ts does not load: one `error:` line with the
// file (relative), the line and column, and what the parser expected; never a stack trace or the
// compiler's multi-line report with an absolute path. Used where the file is loaded: synth
// (scripts/synth.js, through main.ts) and every other command (configuredEnvironments).
import * as fs from "fs";
import * as path from "path";

/** Relative to the project, as the operator knows it (stacks/environments.ts), wherever the command ran from. */
const ROOT = path.resolve(__dirname, "..", "..");
const shown = (file: string) => {
  const relative = path.relative(ROOT, file);
  return relative && !relative.startsWith("..") ? relative : file;
};

/** The first syntax error in a TypeScript file, as `file:line:column: message`; undefined when it parses. */
export function syntaxProblem(file: string): string | undefined {
  let source: string;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    // TypeScript's own parser says what it expected (`',' expected.`); only syntax is checked here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require("typescript") as typeof import("typescript");
    const { diagnostics = [] } = ts.transpileModule(source, { fileName: file, reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
    const first = diagnostics.find((d) => d.category === ts.DiagnosticCategory.Error && d.file && d.start !== undefined);
    if (!first) return undefined;
    const { line, character } = first.file!.getLineAndCharacterOfPosition(first.start!);
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more after it)` : "";
    return `${shown(file)}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(first.messageText, " ")}${more}`;
  } catch {
    // No TypeScript (a production install): esbuild's parser says it less precisely, but says it.
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require("esbuild") as typeof import("esbuild")).transformSync(source, { loader: "ts", sourcefile: file });
      return undefined;
    } catch (err) {
      const e = (err as { errors?: Array<{ text: string; location?: { line: number; column: number } }> }).errors?.[0];
      return e ? `${shown(file)}:${e.location?.line ?? 0}:${(e.location?.column ?? 0) + 1}: ${e.text}` : undefined;
    }
  }
}

/**
 * The one line (after `error: `) for a configuration that does not load. `file` is stacks/environments.ts as
 * resolved; `err` what loading it (or what it imports) threw.
 */
export function loadFailure(err: unknown, file: string): string {
  const problem = syntaxProblem(file);
  if (problem) return `${problem.replace(/\.$/, "")}. Fix the file and run again.`;
  // Another file failed to load: name it the same way when the loader said where.
  const esbuild = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors?.[0];
  if (esbuild?.location) return `${shown(path.resolve(esbuild.location.file))}:${esbuild.location.line}:${esbuild.location.column + 1}: ${esbuild.text}. Fix the file and run again.`;
  const said = (err as { diagnosticText?: string }).diagnosticText ?? (err instanceof Error ? err.message : String(err));
  return `${shown(file)} does not load: ${said.trim().split("\n")[0]}`;
}
