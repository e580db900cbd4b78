// One command-line reader for every operator command: `--name value`, `--name=value` and
// `--flag` options, positional arguments, and `--help` (usage, each option, an example; exit 0,
// nothing else done). An unknown option is one `error:` line pointing at `--help`.

/** An operator error: printed as one `error:` line, with this exit code, no stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface OptionSpec {
  name: string;
  /** What follows the option (`<file>`); absent for a flag. */
  value?: string;
  about: string;
}

export interface CommandSpec {
  /** As typed after `npm run` (plan, backfill, ...). */
  name: string;
  /** Usage lines, after `npm run <name> -- ` (e.g. "<environment> [options]"). */
  usage: string[];
  /** What the command does, in a sentence or two. */
  about: string;
  arguments?: Array<{ name: string; about: string }>;
  options: OptionSpec[];
  examples: string[];
  /** Printed after the examples (where the credentials come from, exit codes...). */
  notes?: string[];
}

export interface ParsedCommandLine {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

const HELP: OptionSpec = { name: "help", about: "Show this help and exit." };

/** Wraps `text` at `width` columns, each line after the first indented by `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

export function helpText(spec: CommandSpec): string {
  const options = [...spec.options, HELP];
  const label = (o: OptionSpec) => `--${o.name}${o.value ? ` ${o.value}` : ""}`;
  const width = Math.max(...options.map((o) => label(o).length), ...(spec.arguments ?? []).map((a) => a.name.length)) + 4;
  const column = (left: string, about: string) => `  ${left.padEnd(width)}${wrap(about, Math.max(40, 98 - width), " ".repeat(width + 2))}`;
  const out = [
    ...spec.usage.map((u, i) => `${i === 0 ? "usage:" : "      "} npm run ${spec.name} -- ${u}`),
    "",
    wrap(spec.about, 100, ""),
  ];
  if (spec.arguments?.length) out.push("", "Arguments:", ...spec.arguments.map((a) => column(a.name, a.about)));
  out.push("", "Options:", ...options.map((o) => column(label(o), o.about)));
  out.push("", spec.examples.length === 1 ? "Example:" : "Examples:", ...spec.examples.map((e) => `  ${e}`));
  // A note indented by the command is laid out already (a table): kept as written.
  if (spec.notes?.length) out.push("", ...spec.notes.map((n) => (n.startsWith(" ") ? n : wrap(n, 100, ""))));
  return out.join("\n") + "\n";
}

/**
 * Reads `args` against `spec`. `--help` anywhere: prints the help to stdout and answers
 * undefined (the caller returns 0 and does nothing else).
 */
export function parseCommandLine(args: string[], spec: CommandSpec, out: (text: string) => void = (t) => process.stdout.write(t)): ParsedCommandLine | undefined {
  if (args.includes("--help") || args.includes("-h")) {
    out(helpText(spec));
    return undefined;
  }
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positional: string[] = [];
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const seeHelp = `Run "npm run ${spec.name} -- --help" for usage.`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") continue;
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.replace(/^--?/, "").split(/=(.*)/s, 2);
    const option = arg.startsWith("--") ? byName.get(name) : undefined;
    if (!option) {
      const all = spec.options.map((o) => `--${o.name}`).join(", ");
      throw new UsageError(`npm run ${spec.name}: unknown option ${arg.split("=")[0]}${all ? ` (options: ${all})` : ""}. ${seeHelp}`);
    }
    if (!option.value) {
      if (inline !== undefined) throw new UsageError(`npm run ${spec.name}: --${name} takes no value. ${seeHelp}`);
      flags.add(name);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === "") throw new UsageError(`npm run ${spec.name}: --${name} needs a value ${option.value}. ${seeHelp}`);
    values.set(name, value);
  }
  return { positional, flags, values };
}

/**
 * For the commands outside runCommand (simulate, bench, synth): reads the command line, prints
 * help or one `error:` line, and exits when there is nothing more to do.
 */
export function readCommandLine(args: string[], spec: CommandSpec): ParsedCommandLine {
  try {
    const parsed = parseCommandLine(args, spec);
    if (!parsed) process.exit(0);
    return parsed;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    throw err;
  }
}
