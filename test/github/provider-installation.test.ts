// Where CI's Terraform may take its providers from: the committed .terraform.lock.hcl (every pinned
// provider, with hashes, checked read-only) and .github/terraform/ci.tfrc (the registry only, no
// implied local mirror). The last tests run the real Terraform offline to show that a
// terraform.d/plugins folder planted beside a stack (as a poisoned synth artifact would carry it)
// is installed "(unauthenticated)" without them, and refused with each of them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMITTED_LOCK, initStack } from "../../scripts/lib/stack-plan";
import { realTerraform, withTerraform } from "../support/real-terraform";

const ROOT = path.resolve(__dirname, "..", "..");
const LOCK = path.join(ROOT, ".terraform.lock.hcl");
const CLI_CONFIG = path.join(ROOT, ".github", "terraform", "ci.tfrc");

/** provider address -> { version, hashes } from a lock file (the subset of HCL Terraform writes). */
function parseLock(text: string): Map<string, { version: string; hashes: string[] }> {
  const out = new Map<string, { version: string; hashes: string[] }>();
  for (const [, address, body] of text.matchAll(/^provider "([^"]+)" \{\n([\s\S]*?)^\}/gm)) {
    const version = /^\s*version\s*=\s*"([^"]+)"/m.exec(body)?.[1] ?? "";
    const hashes = [...body.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((m) => m[1]);
    out.set(address, { version, hashes });
  }
  return out;
}

/** The provider versions the project pins (schema/*.json, from which the bindings are generated). */
function pinnedProviders(): Map<string, string> {
  const pins = new Map<string, string>();
  for (const file of ["auth0.json", "random.json"]) {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schema", file), "utf8")) as { provider_versions: Record<string, string> };
    for (const [address, version] of Object.entries(schema.provider_versions)) pins.set(address, version);
  }
  return pins;
}

const lock = parseLock(fs.readFileSync(LOCK, "utf8"));

test("the lock parser reads what Terraform writes (and sees a missing entry)", () => {
  const parsed = parseLock('provider "registry.terraform.io/x/y" {\n  version     = "1.2.3"\n  hashes = [\n    "h1:abc=",\n    "zh:0123",\n  ]\n}\n');
  expect([...parsed]).toEqual([["registry.terraform.io/x/y", { version: "1.2.3", hashes: ["h1:abc=", "zh:0123"] }]]);
  expect(parseLock("").size).toBe(0);
});

test("every entry of the committed lock is a pinned provider at its pinned version, with zh: hashes for every platform and an h1:", () => {
  const pins = pinnedProviders();
  expect(lock.size).toBeGreaterThan(0);
  for (const [address, entry] of lock) {
    expect([address, entry.version]).toEqual([address, pins.get(address)]);
    // zh: one SHA-256 per released platform zip (linux_amd64 for CI among them); h1: at least one.
    expect([address, entry.hashes.filter((h) => /^zh:[0-9a-f]{64}$/.test(h)).length >= 4]).toEqual([address, true]);
    expect([address, entry.hashes.some((h) => /^h1:[A-Za-z0-9+/]{43}=$/.test(h))]).toEqual([address, true]);
  }
});

test("the lock pins hashicorp/random (the ephemeral secret)", () => {
  expect(lock.get("registry.terraform.io/hashicorp/random")?.version).toBe(pinnedProviders().get("registry.terraform.io/hashicorp/random"));
});

// KNOWN GAP (docs/delivery.md, "The provider lock file"): no published checksum of auth0/auth0 1.55.0
// could be obtained where this was written (no registry access), and hashes are never made up.
// Until `scripts/ci/lock-providers.sh` is run where the registry is reachable, CI's
// `init -lockfile=readonly` stops with "Provider dependency changes detected". test.failing passes
// while the entry is missing and fails once it is there: then make it a plain test.
test.failing("the lock pins auth0/auth0 at the version the bindings are generated from", () => {
  expect(lock.get("registry.terraform.io/auth0/auth0")?.version).toBe(pinnedProviders().get("registry.terraform.io/auth0/auth0"));
});

test("CI's CLI configuration installs only the two pinned providers, directly from the registry", () => {
  const text = fs.readFileSync(CLI_CONFIG, "utf8").replace(/#.*$/gm, "");
  const block = /provider_installation\s*\{([\s\S]*)\}/.exec(text)?.[1] ?? "";
  expect(block).toMatch(/^\s*direct\s*\{\s*include\s*=\s*\[([^\]]*)\]\s*\}\s*$/);
  const include = [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort();
  expect(include).toEqual([...pinnedProviders().keys()].sort());
  // No other installation method (filesystem_mirror, network_mirror, dev_overrides) and no plugin cache.
  expect(text).not.toMatch(/filesystem_mirror|network_mirror|dev_overrides|plugin_cache_dir/);
});

test("plan and deploy put the committed lock beside the stack before terraform init (a laptop installs what CI installs)", async () => {
  expect(COMMITTED_LOCK).toBe(LOCK);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "init-lock-"));
  try {
    fs.writeFileSync(path.join(dir, ".terraform.lock.hcl"), "# an older lock\n");
    const seen: string[] = [];
    const tf = { bin: "terraform", version: "1.11.4", capture: async () => "", run: async (cwd: string, args: string[]) => {
      seen.push(`${args[0]}: ${fs.readFileSync(path.join(cwd, ".terraform.lock.hcl"), "utf8") === fs.readFileSync(LOCK, "utf8") ? "committed lock" : "other lock"}`);
      return "";
    } };
    await initStack(tf, { dir, file: path.join(dir, "cdk.tf.json"), json: {} as never }, { color: false });
    expect(seen).toEqual(["init: committed lock"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("a terraform.d/plugins folder planted beside the stack (real Terraform, offline)", () => {
  let dir: string;
  const planted = "registry.terraform.io/hashicorp/random/3.7.2/linux_amd64/terraform-provider-random_v3.7.2";

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "planted-plugin-"));
    const file = path.join(dir, "terraform.d", "plugins", planted);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Never run by init (it only hashes packages); it would be, with the secrets, by plan and apply.
    fs.writeFileSync(file, "#!/bin/sh\necho planted provider >&2\nexit 1\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ terraform: { required_providers: { random: { source: "hashicorp/random", version: "3.7.2" } } } }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const init = (cliConfig: string, args: string[] = []) => {
    const result = spawnSync(realTerraform!.bin, ["init", "-input=false", "-no-color", ...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: { PATH: process.env.PATH, HOME: dir, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1" },
    });
    const installed = path.join(dir, ".terraform", "providers", planted);
    const tookPlanted = fs.existsSync(installed) && fs.readFileSync(installed, "utf8").includes("planted provider");
    return { status: result.status, output: `${result.stdout}${result.stderr}`, tookPlanted };
  };

  if (process.platform !== "linux" || process.arch !== "x64") {
    test.skip("the planted package is for linux_amd64, the platform CI runs on", () => undefined);
    return;
  }

  withTerraform("without CI's settings Terraform installs it, unauthenticated (the attack works)", () => {
    const result = init("/dev/null");
    expect(result.output).toMatch(/Installing hashicorp\/random v3\.7\.2/);
    expect(result.output).toMatch(/unauthenticated/);
    expect(result.tookPlanted).toBe(true);
  });

  withTerraform("with CI's CLI configuration it is ignored: only the registry is asked", () => {
    const result = init(CLI_CONFIG);
    expect(result.tookPlanted).toBe(false);
    expect(result.output).not.toMatch(/unauthenticated/);
    // Offline the registry cannot be reached, so init fails; online it installs the registry's package.
    if (result.status !== 0) expect(result.output).toMatch(/registry\.terraform\.io/);
  });

  withTerraform("with the committed lock read-only it is refused even where implied mirrors are on", () => {
    fs.copyFileSync(LOCK, path.join(dir, ".terraform.lock.hcl"));
    const result = init("/dev/null", ["-lockfile=readonly"]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/doesn't match any of the\s+checksums previously recorded in the dependency lock file/);
    expect(result.tookPlanted).toBe(false);
  });
});
