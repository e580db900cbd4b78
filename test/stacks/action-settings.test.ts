// The settings prologue: the Terraform template the stack writes into the Action's `code`,
// evaluated by real Terraform (no provider needed: the references become variables), must give
// exactly the text renderSettingsPrologue renders and verify expects.
import { withTerraform } from "../support/real-terraform";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  customDomainOf,
  escapeTemplateLiteral,
  evaluateCodeTemplate,
  readDeployedCode,
  renderSettingsPrologue,
  settingsCodeTemplate,
  splitCodeTemplate,
  unescapeTemplateLiteral,
  type LinkingSettings,
} from "../../stacks/action-settings";
import { actionBundle } from "../../stacks/action-bundle";

const VARIABLES = { domain: "var.domain", audience: "var.audience", clientId: "var.client_id" };

/** Applies a provider-less configuration whose one output is `template` and returns that output. */
function terraformEvaluate(template: string, values: { domain: string; audience: string; client_id: string }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-tf-"));
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  const config = {
    variable: { domain: { type: "string" }, audience: { type: "string" }, client_id: { type: "string" } },
    output: { code: { value: template } },
  };
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, "values.auto.tfvars.json"), JSON.stringify(values));
  const tf = (...args: string[]) => execFileSync("terraform", [`-chdir=${dir}`, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }).toString("utf8");
  try {
    tf("init", "-input=false", "-no-color");
    tf("apply", "-auto-approve", "-input=false", "-no-color");
    return JSON.parse(tf("output", "-json", "code")) as string;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the Action's settings prologue", () => {
  // Text that Terraform would read as interpolations or directives if it were not escaped, and
  // characters its jsonencode writes differently from JSON.stringify.
  const tricky = "${not.an.interpolation} %{ if true }x%{ endif } $${kept} %%{kept} $ % <&> \u2028 \"quoted\" \\ ☃";
  const settings: LinkingSettings = {
    domain: "acme-dev.eu.auth0.com",
    audience: "https://acme-dev.eu.auth0.com/api/v2/",
    clientId: `cl<&>"id\u2029`,
    policy: { reportOnly: true, connections: { github: "trusted" }, note: tricky, hours: 24.5 },
  };
  const bundle = `${actionBundle().code}\n// ${tricky}\n`;
  const template = settingsCodeTemplate(bundle, settings.policy, VARIABLES);

  test("is one line declaring LINKING_SETTINGS with domain, audience, clientId and policy", () => {
    const prologue = renderSettingsPrologue(settings);
    expect(prologue.endsWith(";\n")).toBe(true);
    expect(prologue.split("\n")).toHaveLength(2);
    const parsed = new Function(`${prologue}; return LINKING_SETTINGS;`)();
    expect(parsed).toEqual(settings);
    expect(Object.keys(parsed)).toEqual(["domain", "audience", "clientId", "policy"]);
  });

  withTerraform("evaluated by real Terraform with concrete values, equals the rendered prologue + the bundle", () => {
    const evaluated = terraformEvaluate(template, { domain: settings.domain, audience: settings.audience, client_id: settings.clientId });
    expect(evaluated).toBe(renderSettingsPrologue(settings) + bundle);
  });

  test("the evaluator the tests and tools use agrees with Terraform on the same template", () => {
    const values = { "var.domain": settings.domain, "var.audience": settings.audience, "var.client_id": settings.clientId };
    expect(evaluateCodeTemplate(template, values)).toBe(renderSettingsPrologue(settings) + bundle);
    expect(() => evaluateCodeTemplate("${upper(var.domain)}", values)).toThrow("is not one this stack emits");
    expect(() => evaluateCodeTemplate("%{ if true }", values)).toThrow("is not one this stack emits");
    expect(() => evaluateCodeTemplate("${jsonencode(var.other)}", values)).toThrow("no value given for var.other");
  });

  test("the template splits back into its prologue and the bundle's exact bytes", () => {
    const split = splitCodeTemplate(template)!;
    expect(split.bundle).toBe(bundle);
    expect(split.prologueTemplate).toContain("${jsonencode(var.client_id)}");
    expect(splitCodeTemplate(bundle)).toBeUndefined();
  });

  test("deployed code reads back into its settings and bundle", () => {
    expect(readDeployedCode(renderSettingsPrologue(settings) + bundle)).toEqual({ settings, bundle });
    expect(readDeployedCode(bundle)).toBeUndefined();
    expect(readDeployedCode("var LINKING_SETTINGS = [1];\nx")).toBeUndefined();
  });

  test("escaping literal text round-trips and leaves no interpolation", () => {
    const escaped = escapeTemplateLiteral(tricky);
    expect(escaped.replace(/\$\$\{|%%\{/g, "")).not.toMatch(/\$\{|%\{/);
    expect(unescapeTemplateLiteral(escaped)).toBe(tricky);
  });
});

describe("the custom domain in the confirmation settings", () => {
  const settings: LinkingSettings = {
    domain: "acme-dev.eu.auth0.com",
    audience: "https://acme-dev.eu.auth0.com/api/v2/",
    clientId: "cl1",
    policy: { reportOnly: false },
    confirmation: { clientId: "conf1", formId: "ap_1", customDomain: "login.example.com" },
  };
  const refs = { ...VARIABLES, confirmation: { clientId: "var.confirmation_client_id", formId: "var.form_id", customDomain: "login.example.com" } };
  const template = settingsCodeTemplate("bundle();\n", settings.policy, refs);
  const values = { "var.domain": settings.domain, "var.audience": settings.audience, "var.client_id": settings.clientId, "var.confirmation_client_id": "conf1", "var.form_id": "ap_1" };

  test("is a literal in the template, evaluates to the rendered prologue, and reads back", () => {
    expect(splitCodeTemplate(template)!.prologueTemplate).toContain('"customDomain":"login.example.com"');
    expect(evaluateCodeTemplate(template, values)).toBe(renderSettingsPrologue(settings) + "bundle();\n");
    expect(customDomainOf(splitCodeTemplate(template)!.prologueTemplate)).toBe("login.example.com");
    expect(readDeployedCode(renderSettingsPrologue(settings) + "x")!.settings.confirmation).toEqual(settings.confirmation);
    expect(customDomainOf(renderSettingsPrologue({ ...settings, confirmation: { clientId: "c", formId: "f" } }))).toBeUndefined();
  });
});
