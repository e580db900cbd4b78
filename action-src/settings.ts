// The Action's configuration. Everything that is not secret arrives in a prologue the stack
// prepends to the bundle (`var LINKING_SETTINGS = {...};`), so it is visible in the plan and
// checked by `npm run verify`. The only secret is CLIENT_SECRET (write-only in Terraform).
import { createHmac } from "crypto";
import { logDecision } from "./log";
import { parsePolicy, type LinkingPolicy } from "./policy";

declare const LINKING_SETTINGS: unknown;

export interface ActionSettings {
  domain: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  policy: LinkingPolicy;
  /**
   * The confirmation application and Form; absent: pairs that need confirmation are left alone.
   * `customDomain`: the tenant's configured custom domain. With `domain` it is the only host the
   * confirmation's /authorize, code exchange, JWKS and ID token issuer may be (never the request's).
   */
  confirmation?: { clientId: string; formId: string; customDomain?: string };
  /** Keys derived from the secret once (see deriveKey). */
  keys: { digest: Buffer; seal: Buffer; confirm: Buffer };
}

/** Why the settings could not be read: `policy` links nothing; `configuration` cannot reach the API. */
export class SettingsError extends Error {
  constructor(readonly code: "policy" | "configuration") {
    super(code);
    this.name = "SettingsError";
  }
}

const SETTINGS_KEYS = ["domain", "audience", "clientId", "policy", "confirmation"];
const CONFIRMATION_KEYS = ["clientId", "formId", "customDomain"];
/** A host name (optionally with a port, as the test emulation uses): no scheme, path or user info. */
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/**
 * The hosts the confirmation may use, fixed at deploy: the tenant's canonical domain and its
 * configured custom domain. Never taken from event.request.hostname, which the request shapes.
 */
export function confirmationHosts(settings: Pick<ActionSettings, "domain" | "confirmation">): string[] {
  return [settings.domain.toLowerCase(), ...(settings.confirmation?.customDomain ? [settings.confirmation.customDomain] : [])];
}

/** Reads the prologue and the secret; `prologue` is injectable for tools and tests. */
export function readSettings(
  secrets: Record<string, string | undefined>,
  prologue: unknown = typeof LINKING_SETTINGS === "undefined" ? undefined : LINKING_SETTINGS,
): ActionSettings {
  if (prologue === null || typeof prologue !== "object" || Array.isArray(prologue)) throw new SettingsError("policy");
  const record = prologue as Record<string, unknown>;
  if (Object.keys(record).some((key) => !SETTINGS_KEYS.includes(key))) throw new SettingsError("policy");
  let policy: LinkingPolicy;
  try {
    policy = parsePolicy(record.policy);
  } catch {
    throw new SettingsError("policy");
  }
  const text = (value: unknown): string => {
    if (typeof value !== "string" || value === "") throw new SettingsError("configuration");
    return value;
  };
  let confirmation: ActionSettings["confirmation"];
  if (record.confirmation !== undefined) {
    const c = record.confirmation as Record<string, unknown> | null;
    if (c === null || typeof c !== "object" || Object.keys(c).some((key) => !CONFIRMATION_KEYS.includes(key))) throw new SettingsError("policy");
    confirmation = { clientId: text(c.clientId), formId: text(c.formId) };
    if (c.customDomain !== undefined) {
      if (typeof c.customDomain !== "string" || !HOST.test(c.customDomain)) throw new SettingsError("policy");
      confirmation.customDomain = c.customDomain.toLowerCase();
    }
  }
  const clientSecret = text(secrets.CLIENT_SECRET);
  return {
    domain: text(record.domain),
    audience: text(record.audience),
    clientId: text(record.clientId),
    clientSecret,
    policy,
    ...(confirmation ? { confirmation } : {}),
    keys: { digest: deriveKey(clientSecret, "digest"), seal: deriveKey(clientSecret, "seal"), confirm: deriveKey(clientSecret, "confirm") },
  };
}

// The prologue is fixed for the module's life and the secret changes only with a deploy: read,
// check and derive once per container, not on every login.
let loaded: { secret: string | undefined; settings: ActionSettings } | undefined;

/** Settings for a login, or undefined (logged as error.policy / error.configuration: nothing is linked). */
export function loadSettings(event: { secrets: Record<string, string | undefined>; user: { user_id: string } }): ActionSettings | undefined {
  if (loaded && loaded.secret === event.secrets.CLIENT_SECRET) return loaded.settings;
  try {
    const settings = readSettings(event.secrets);
    loaded = { secret: event.secrets.CLIENT_SECRET, settings };
    return settings;
  } catch (err) {
    logDecision({ reason: err instanceof SettingsError && err.code === "configuration" ? "error.configuration" : "error.policy", user: event.user.user_id });
    return undefined;
  }
}

/**
 * A key only this Action holds, derived from its client secret: keys the email digests in logs and
 * markers (a guessed address cannot be confirmed from them) and seals the token it shares through
 * api.cache (readable by every Action on the trigger). Rotating the secret changes both: each
 * person is looked at once more, and the cached token is fetched again.
 */
export function deriveKey(clientSecret: string, purpose: "digest" | "seal" | "confirm"): Buffer {
  return createHmac("sha256", clientSecret).update(`account-linking/${purpose}`).digest();
}
