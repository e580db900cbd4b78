// The Action's non-secret settings travel in its code, not in secrets: `secrets_wo` (the only
// place CLIENT_SECRET may go without landing in state) conflicts with `secrets`, so every Action
// secret is write-only and invisible in a plan. Settings in the code are visible in the plan, are
// checked by `verify`, and a changed value (a re-created client, another policy) changes `code`,
// so it is deployed without anyone bumping a version.
//
// The deployed code is `var LINKING_SETTINGS = <JSON>;\n<bundle>` (the shared contract). The stack
// writes it as one Terraform template: literal text, with each tenant value inserted by
// `jsonencode(<reference>)`. `renderSettingsPrologue` renders the same text from concrete values,
// for `verify` and the tests; `evaluateCodeTemplate` evaluates the template we emit (and nothing
// else), for tests that stand in for an apply.

export interface LinkingSettings {
  domain: string;
  audience: string;
  clientId: string;
  /** The object `serializePolicy` emits, parsed. */
  policy: unknown;
  /** The confirmation application and Form, when the environment has confirmation; the custom domain when configured. */
  confirmation?: { clientId: string; formId: string; customDomain?: string };
}

/** Terraform expressions (without `${}`) that yield the tenant values at apply. */
export interface SettingsReferences {
  domain: string;
  audience: string;
  clientId: string;
  /** `customDomain` is the configured value itself (a literal in the template, not a reference). */
  confirmation?: { clientId: string; formId: string; customDomain?: string };
}

export const SETTINGS_VARIABLE = "LINKING_SETTINGS";
const PROLOGUE_START = `var ${SETTINGS_VARIABLE} = `;

/** Literal text inside a Terraform template: `${` and `%{` would start an interpolation or directive. */
export function escapeTemplateLiteral(text: string): string {
  // Function replacers: in a replacement string "$$" would mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** The inverse of escapeTemplateLiteral, as Terraform reads a template's literal text. */
export function unescapeTemplateLiteral(text: string): string {
  return text.replace(/\$\$\{|%%\{/g, (found) => `${found[0]}{`);
}

/**
 * A string as Terraform's jsonencode writes it: Go's encoding/json, which also escapes <, >, &
 * and U+2028/U+2029 (JSON.stringify leaves them as they are).
 */
export function terraformJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function prologue(parts: { domain: string; audience: string; clientId: string; policy: string; confirmation?: { clientId: string; formId: string; customDomain?: string } }): string {
  const c = parts.confirmation;
  const confirmation = c ? `,"confirmation":{"clientId":${c.clientId},"formId":${c.formId}${c.customDomain ? `,"customDomain":${c.customDomain}` : ""}}` : "";
  return `${PROLOGUE_START}{"domain":${parts.domain},"audience":${parts.audience},"clientId":${parts.clientId},"policy":${parts.policy}${confirmation}};\n`;
}

/** The prologue line with concrete values: exactly what the stack's template evaluates to. */
export function renderSettingsPrologue(settings: LinkingSettings): string {
  return prologue({
    domain: terraformJsonString(settings.domain),
    audience: terraformJsonString(settings.audience),
    clientId: terraformJsonString(settings.clientId),
    policy: JSON.stringify(settings.policy),
    confirmation: settings.confirmation && {
      clientId: terraformJsonString(settings.confirmation.clientId),
      formId: terraformJsonString(settings.confirmation.formId),
      ...(settings.confirmation.customDomain ? { customDomain: terraformJsonString(settings.confirmation.customDomain) } : {}),
    },
  });
}

/** The Action's whole `code`, as Terraform template text: prologue with references, then the bundle. */
export function settingsCodeTemplate(bundleCode: string, policy: unknown, refs: SettingsReferences): string {
  const inserted = (expression: string) => `\${jsonencode(${expression})}`;
  return (
    prologue({
      domain: inserted(refs.domain),
      audience: inserted(refs.audience),
      clientId: inserted(refs.clientId),
      policy: escapeTemplateLiteral(JSON.stringify(policy)),
      confirmation: refs.confirmation && {
        clientId: inserted(refs.confirmation.clientId),
        formId: inserted(refs.confirmation.formId),
        // A configured value, not a reference: literal template text (a host name has no `${` or `%{`).
        ...(refs.confirmation.customDomain ? { customDomain: escapeTemplateLiteral(terraformJsonString(refs.confirmation.customDomain)) } : {}),
      },
    }) + escapeTemplateLiteral(bundleCode)
  );
}

/** The prologue line (through ";\n") and what follows, or undefined when `text` has none. */
function splitPrologue(text: string): { prologue: string; rest: string } | undefined {
  if (!text.startsWith(PROLOGUE_START)) return undefined;
  const end = text.indexOf(";\n");
  if (end < 0) return undefined;
  return { prologue: text.slice(0, end + 2), rest: text.slice(end + 2) };
}

/** The custom domain written into a prologue (template or rendered), if any. */
export function customDomainOf(prologueText: string): string | undefined {
  const found = /"customDomain":("[^"\\]*")/.exec(prologueText);
  return found ? (JSON.parse(found[1]) as string) : undefined;
}

/** Splits a template made by settingsCodeTemplate into the prologue template and the bundle's bytes. */
export function splitCodeTemplate(template: string): { prologueTemplate: string; bundle: string } | undefined {
  const split = splitPrologue(template);
  return split && { prologueTemplate: split.prologue, bundle: unescapeTemplateLiteral(split.rest) };
}

/** The settings object and the bundle of deployed code, or undefined when it has no readable prologue. */
export function readDeployedCode(code: string): { settings: Record<string, unknown>; bundle: string } | undefined {
  const split = splitPrologue(code);
  if (!split) return undefined;
  try {
    const settings = JSON.parse(split.prologue.slice(PROLOGUE_START.length, -2)) as unknown;
    if (settings === null || typeof settings !== "object" || Array.isArray(settings)) return undefined;
    return { settings: settings as Record<string, unknown>, bundle: split.rest };
  } catch {
    return undefined;
  }
}

/**
 * Evaluates a template made by settingsCodeTemplate with concrete values for its references, as
 * Terraform would at apply. Refuses any other interpolation, so it cannot silently disagree.
 */
export function evaluateCodeTemplate(template: string, values: Record<string, string>): string {
  const token = /\$\$\{|%%\{|%\{|\$\{(?:jsonencode\(([a-z0-9_.]+)\)\})?/g;
  return template.replace(token, (found, reference: string | undefined, offset: number) => {
    if (found === "$${" || found === "%%{") return `${found[0]}{`;
    if (reference === undefined) throw new Error(`interpolation or directive at offset ${offset} is not one this stack emits: ${template.slice(offset, offset + 60)}`);
    const value = values[reference];
    if (value === undefined) throw new Error(`no value given for ${reference}`);
    return terraformJsonString(value);
  });
}

/**
 * The tenant values data.auth0_tenant yields for the domain the provider is given (AUTH0_DOMAIN):
 * provider v1.55.0, internal/auth0/tenant/data_source.go, readTenantForDataSource sets `domain` to
 * the Management API URL's host name (no port) and `management_api_identifier` to the URL itself.
 */
export function tenantValues(auth0Domain: string): { domain: string; audience: string } {
  const host = auth0Domain.trim();
  return { domain: host.replace(/:\d+$/, ""), audience: `https://${host}/api/v2/` };
}
