// ONE emulation of Auth0's post-login runtime around the deployed bundles: containers
// (Node processes that keep module scope between logins), the trigger's shared api.cache
// with Auth0's limits, the pipeline of bound Actions with its pauses (a Form resumes the same
// Action's onContinuePostLogin with event.prompt; a redirect resumes it at /continue with the
// returned query, only when `state` matches), and the end of the transaction as Auth0 applies
// it: setPrimaryUser fails the login unless the identity really is a secondary of that user; a
// login whose user vanished (linked) without a switch fails; metadata is written at the end.
import { managementScopes } from "../../stacks/management-scopes";
import { fork, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as https from "https";
import * as path from "path";
import { emailDigest } from "../../action-src/decide";
import { resolvePolicy, serializePolicy, type LinkingPolicy } from "../../action-src/policy";
import { deriveKey } from "../../action-src/settings";
import { actionBundle, CONFIRMATION_ENTRY } from "../../stacks/action-bundle";
import { renderSettingsPrologue, SETTINGS_VARIABLE, type LinkingSettings } from "../../stacks/action-settings";
import type { EmulatedBrowser } from "./authorization-server";
import type { EmulatedUser, ManagementApiEmulator } from "./management-api";
import { testCertificate } from "./tls";

export const CACHE_LIMITS = {
  entries: 20,
  keyBytes: 64,
  valueBytes: 4096,
  totalBytes: 8192,
  defaultTtlMs: 15 * 60 * 1000,
  maxTtlMs: 24 * 60 * 60 * 1000,
};
/** Auth0 ends an Action after 20 s (separately before and after a redirect). */
export const ACTION_TIMEOUT_MS = 20_000;

export interface Command {
  type: "deny" | "setPrimaryUser" | "setAppMetadata" | "setUserMetadata" | "multifactor" | "render" | "redirect" | "transactionMetadata";
  provider?: string;
  options?: unknown;
  id?: string;
  key?: string;
  value?: unknown;
  reason?: string;
  formId?: string;
  vars?: Record<string, unknown>;
  fields?: Record<string, unknown>;
  url?: string;
  query?: Record<string, string>;
}

/** One thing that happened in the transaction, in order (for simulate and tests). */
export interface Step {
  action: string;
  phase: "execute" | "continue";
  /** What the person saw or did between executions. */
  pause?: string;
}

export interface LoginOutcome {
  /** success: tokens issued for `sub`; denied: api.access.deny; failed: Auth0 could not finish; abandoned: the person left. */
  status: "success" | "denied" | "failed" | "abandoned";
  sub?: string;
  failure?: string;
  commands: Command[];
  logs: string[];
  /** Parsed decision lines. */
  decisions: Array<Record<string, unknown>>;
  /** Requests the emulator saw during this login. */
  requests: Array<{ method: string; path: string; status: number }>;
  steps: Step[];
  /** Wall time of the whole transaction, as the runtime saw it. */
  ms: number;
  /** Time spent inside the Actions (sum of executions, high resolution). */
  actionMs: number;
}

export interface LoginOptions {
  protocol?: string;
  /** Run in this container (default: the runtime's current one). */
  container?: Container;
  /** The application the login is for (default: an ordinary application). */
  clientId?: string;
  /** `prompt` values of the authorization request (e.g. ["none"]). */
  prompt?: string[];
  /** What the person answers on the confirmation Form (default "later"); "abandon" closes the tab. */
  form?: "link" | "later" | "abandon";
  /** The callback to /continue comes back with another state (a forged or mixed-up return). */
  tamperState?: boolean;
  /** Replaces the code in the callback (a code captured from another transaction). */
  replaceCode?: string;
  /** The host name the login reaches the Actions under (event.request.hostname; default the tenant's domain). */
  hostname?: string;
  /** The host name the resumed login (/continue) arrives under, when it differs from `hostname`. */
  resumeHostname?: string;
  /** End the transaction where an Action redirects (the browser is not followed). */
  stopAtRedirect?: boolean;
  /** The browser the person logs in with (event.request.ip and user_agent). */
  browser?: EmulatedBrowser;
  /** Another browser completes the nested /authorize (its URL was handed on). */
  authorizeIn?: EmulatedBrowser;
  /** Which browser comes back to /continue: the one that completed /authorize (default) or the one that started (the code carried back). */
  continueIn?: "authorizing" | "starting";
  /** event.request as given (a sign-in at /authorize, run by the authorization server). */
  request?: Record<string, unknown>;
}

/** The person's browser, unless a test names another. */
export const DEFAULT_BROWSER: EmulatedBrowser = { ip: "198.51.100.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" };

let nextMessage = 1;

export class Container {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (message: any) => void>();
  loadMs = 0;
  readonly ready: Promise<number>;

  constructor(actions: Array<{ name: string; code: string }>) {
    this.child = fork(path.join(__dirname, "action-host.js"), [], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().certPath },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.child.on("message", (message: any) => {
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
    this.ready = Promise.all(
      actions.map(
        ({ name, code }) =>
          new Promise<number>((resolve) => {
            const id = nextMessage++;
            this.pending.set(id, (m) => resolve(m.ms));
            this.child.send({ type: "load", id, name, code });
          }),
      ),
    ).then((times) => (this.loadMs = times.reduce((a, b) => a + b, 0)));
  }

  run(request: { action: string; phase: "execute" | "continue"; event: unknown; canRedirect: boolean; transactionMetadata?: boolean; clockOffsetMs?: number }, cache: Array<[string, unknown]>, timeoutMs: number): Promise<any> {
    const id = nextMessage++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.kill();
        resolve({ timedOut: true, commands: [], logs: [], cache, ms: timeoutMs });
      }, timeoutMs);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.child.send({ type: "login", id, ...request, cache, limits: CACHE_LIMITS });
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

export interface RuntimeOptions {
  policy?: Partial<LinkingPolicy>;
  clientId?: string;
  clientSecret?: string;
  /** Replaces the settings the stack would deploy (to test what the Action does with bad ones). */
  settings?: unknown;
  /** Provision confirmation: its application and Form, and the confirmation Action after the linking one. */
  confirmation?: boolean;
  /** Actions Transaction Metadata (Early Access) switched off: setMetadata does nothing, event.transaction has no metadata. */
  transactionMetadata?: boolean;
  /** The environment's custom domain (deployed in the confirmation settings, a callback of the confirmation application). */
  customDomain?: string;
}

export const CONFIRMATION_CLIENT_ID = "confirmation-client";
export const CONFIRMATION_FORM_ID = "ap_confirmLinking";

/** Auth0's rule: redirects (and Forms) only where a browser is there to follow them. */
const NO_REDIRECT = new Set(["oauth2-refresh-token", "oauth2-resource-owner", "oauth2-password", "oauth2-token-exchange", "oauth2-access-token"]);

export class PostLoginRuntime {
  private readonly actions: Array<{ name: string; code: string }>;
  private readonly containers: Container[] = [];
  private current: Container | undefined;
  /** The trigger-wide api.cache (shared by containers; best effort, like Auth0's). */
  cache = new Map<string, unknown>();
  readonly secrets: Record<string, string>;
  readonly settings: unknown;
  /** Actions Transaction Metadata is on (Early Access: a tenant may not have it). */
  readonly transactionMetadata: boolean;
  /** Outcomes of the sign-ins at /authorize (the confirmation's nested logins), in order. */
  readonly nested: LoginOutcome[] = [];
  /** Added to the containers' clock (only ever raised): see action-host.js. */
  clockOffsetMs = 0;

  constructor(
    private readonly tenant: ManagementApiEmulator,
    options: RuntimeOptions = {},
  ) {
    this.transactionMetadata = options.transactionMetadata ?? true;
    const clientId = options.clientId ?? "linking-client";
    const clientSecret = options.clientSecret ?? `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    if (!tenant.clients.has(clientId)) tenant.addClient({ clientId, clientSecret, scopes: managementScopes(resolvePolicy(options.policy).authorization) });
    this.secrets = { CLIENT_SECRET: tenant.clients.get(clientId)!.clientSecret };
    const custom = options.customDomain ? { customDomain: options.customDomain } : {};
    const confirmation = options.confirmation ? { clientId: CONFIRMATION_CLIENT_ID, formId: CONFIRMATION_FORM_ID, ...custom } : undefined;
    const callbacks = [`https://${tenant.domain}/continue`, ...(options.customDomain ? [`https://${options.customDomain}/continue`] : [])];
    if (confirmation) tenant.oauth.clients.set(CONFIRMATION_CLIENT_ID, { clientId: CONFIRMATION_CLIENT_ID, callbacks });
    // A sign-in at /authorize runs the same post-login pipeline before Auth0 issues a code.
    if (confirmation) {
      tenant.oauth.postLogin = async (userId, clientId, request) => {
        const outcome = await this.login(userId, { clientId, request });
        this.nested.push(outcome);
        return outcome;
      };
    }
    const deployed: LinkingSettings = {
      domain: tenant.domain,
      audience: tenant.audience,
      clientId,
      policy: JSON.parse(serializePolicy(resolvePolicy(options.policy))),
      ...(confirmation ? { confirmation } : {}),
    };
    this.settings = "settings" in options ? options.settings : deployed;
    // The prologue exactly as the stack's template renders it; a test's own (possibly broken)
    // settings, which the stack could never render, are written as they are.
    const prologue = "settings" in options ? `var ${SETTINGS_VARIABLE} = ${JSON.stringify(options.settings)};\n` : renderSettingsPrologue(deployed);
    this.actions = [{ name: "linking", code: prologue + actionBundle().code }];
    if (confirmation) this.actions.push({ name: "confirmation", code: prologue + actionBundle(CONFIRMATION_ENTRY).code });
  }

  /** The key the deployed Action derives from its secret for email digests (to read its markers). */
  digest(email: string): string {
    return emailDigest(email, deriveKey(this.secrets.CLIENT_SECRET, "digest"));
  }

  /** A fresh container: empty module scope, pays the load again. */
  async newContainer(): Promise<Container> {
    const container = new Container(this.actions);
    await container.ready;
    this.containers.push(container);
    this.current = container;
    return container;
  }

  async close(): Promise<void> {
    for (const c of this.containers) c.kill();
  }

  eventFor(user: EmulatedUser, protocol = "oidc-basic-profile", extra: Record<string, unknown> = {}, identity = user.identities[0]): Record<string, unknown> {
    return {
      user,
      connection: { id: `con_${identity.connection}`, name: identity.connection, strategy: identity.provider },
      client: { client_id: "app-client" },
      transaction: { protocol },
      tenant: { id: "emulated" },
      secrets: { ...this.secrets },
      request: { ip: "127.0.0.1", hostname: this.tenant.domain },
      stats: { logins_count: 1 },
      ...extra,
    };
  }

  /** Password-realm logins against the emulation run this runtime's Actions (for npm run smoke). */
  attach(): void {
    this.tenant.postLogin = (identity, clientId) => this.login(identity, { protocol: "oauth2-password", clientId });
  }

  /**
   * Signs in with the identity `userId` (a user, or an identity linked into a primary, which
   * Auth0 logs in as that primary) and runs the transaction as Auth0 would.
   */
  async login(userId: string, options: LoginOptions = {}): Promise<LoginOutcome> {
    const user = this.tenant.user(userId) ?? this.tenant.holderOf(userId);
    if (!user) throw new Error(`no user ${userId} in the emulated tenant`);
    const identity = user.identities.find((i) => `${i.provider}|${i.user_id}` === userId) ?? user.identities[0];
    const container = options.container ?? this.current ?? (await this.newContainer());
    const before = this.tenant.requests.length;
    const started = Date.now();
    const protocol = options.protocol ?? "oidc-basic-profile";
    const tx = { id: `tx_${randomBytes(6).toString("hex")}`, state: `st_${randomBytes(8).toString("hex")}`, metadata: {} as Record<string, unknown> };
    const canRedirect = !NO_REDIRECT.has(protocol) && !(options.prompt ?? []).includes("none");
    const commands: Command[] = [];
    const logs: string[] = [];
    const steps: Step[] = [];
    let actionMs = 0;
    const outcome = (rest: Pick<LoginOutcome, "status" | "sub" | "failure">): LoginOutcome => {
      const requests = this.tenant.requests.slice(before).map(({ method, path, status }) => ({ method, path, status }));
      const decisions = logs.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      return { ...rest, commands, logs, decisions, requests, steps, ms: Date.now() - started, actionMs };
    };

    const browser = options.browser ?? DEFAULT_BROWSER;
    let index = 0;
    let phase: "execute" | "continue" = "execute";
    let resume: Record<string, unknown> = {};
    while (index < this.actions.length) {
      const action = this.actions[index];
      // Auth0 issues a fresh event.request whenever the flow resumes.
      const event = this.eventFor(this.tenant.user(user.user_id) ?? user, protocol, {
        client: { client_id: options.clientId ?? "app-client" },
        request: options.request ?? { ip: browser.ip, user_agent: browser.userAgent, hostname: options.hostname ?? this.tenant.domain },
        transaction: { id: tx.id, protocol, prompt: options.prompt, ...(this.transactionMetadata ? { metadata: { ...tx.metadata } } : {}) },
        ...resume,
      }, identity);
      steps.push({ action: action.name, phase });
      const result = await container.run({ action: action.name, phase, event, canRedirect, transactionMetadata: this.transactionMetadata, clockOffsetMs: this.clockOffsetMs }, [...this.cache], ACTION_TIMEOUT_MS);
      logs.push(...(result.logs as string[]));
      actionMs += Number(result.ms ?? 0);
      if (!result.timedOut) this.cache = new Map(result.cache);
      if (result.timedOut) return outcome({ status: "failed", failure: "action timed out (20 s)" });
      if (result.error) return outcome({ status: "failed", failure: `uncaught error: ${result.error}` });
      const own = result.commands as Command[];
      commands.push(...own);
      for (const c of own) {
        if (c.type !== "transactionMetadata") continue;
        if (c.value === null) delete tx.metadata[c.key!];
        else tx.metadata[c.key!] = c.value;
      }
      if (own.some((c) => c.type === "deny")) break; // no later Action runs
      const render = own.find((c) => c.type === "render");
      const redirect = own.find((c) => c.type === "redirect");
      if (render && redirect) return outcome({ status: "failed", failure: "an Action cannot render a Form and redirect" });
      if ((render || redirect) && !canRedirect) return outcome({ status: "failed", failure: "interaction_required: this login cannot be paused" });
      if (render) {
        const answer = options.form ?? "later";
        steps[steps.length - 1].pause = `form ${render.formId}: ${answer}`;
        if (answer === "abandon") return outcome({ status: "abandoned", failure: "the person closed the form" });
        resume = { prompt: { id: render.formId, fields: { ...(render.fields ?? {}), link_choice: answer } } };
        phase = "continue";
        continue;
      }
      if (redirect) {
        if (options.stopAtRedirect) return outcome({ status: "abandoned", failure: "stopped at the redirect" });
        const back = await this.follow(redirect, tx.state, options, options.authorizeIn ?? browser);
        steps[steps.length - 1].pause = back.pause;
        if (back.failure) return outcome({ status: "failed", failure: back.failure });
        const returning = options.continueIn === "starting" ? browser : (options.authorizeIn ?? browser);
        resume = { request: { ip: returning.ip, user_agent: returning.userAgent, hostname: options.resumeHostname ?? options.hostname ?? this.tenant.domain, query: back.query } };
        phase = "continue";
        continue;
      }
      index++;
      phase = "execute";
      resume = {};
    }
    return outcome(this.finish(user, identity, commands));
  }

  /**
   * The browser follows a redirect: to the emulated /authorize (Auth0 appends the transaction's
   * state), then back to /continue, which resumes only with that state (else invalid_request).
   */
  private async follow(redirect: Command, state: string, options: LoginOptions, browser: EmulatedBrowser): Promise<{ query?: Record<string, string>; failure?: string; pause: string }> {
    const target = new URL(redirect.url!);
    for (const [k, v] of Object.entries(redirect.query ?? {})) target.searchParams.set(k, v);
    target.searchParams.set("state", state);
    const answer = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
      https
        .get(target, { ca: testCertificate().cert, headers: { "user-agent": browser.userAgent, "x-forwarded-for": browser.ip } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        })
        .on("error", reject);
    });
    if (answer.status !== 302 || !answer.location) return { failure: `authorize answered ${answer.status}`, pause: "authorize: error page" };
    const back = new URL(answer.location);
    const query = Object.fromEntries(back.searchParams) as Record<string, string>;
    if (options.tamperState) query.state = `st_${randomBytes(8).toString("hex")}`;
    if (options.replaceCode && query.code) query.code = options.replaceCode;
    const pause = `authorize ${target.searchParams.get("connection")}: ${query.code ? "signed in" : query.error}`;
    if (back.pathname !== "/continue") return { failure: `authorize returned to ${back.pathname}`, pause };
    if (query.state !== state) return { failure: "invalid_request: state mismatch at /continue", pause };
    return { query, pause };
  }

  /** What Auth0 does with the Actions' commands when the pipeline ends. */
  private finish(user: EmulatedUser, identity: EmulatedUser["identities"][number], commands: Command[]): Pick<LoginOutcome, "status" | "sub" | "failure"> {
    const deny = commands.find((c) => c.type === "deny");
    if (deny) return { status: "denied", failure: deny.reason };
    const switches = commands.filter((c) => c.type === "setPrimaryUser");
    if (switches.length > 1) return { status: "failed", failure: "setPrimaryUser called twice in one transaction" };
    const primary = switches[0];
    if (primary) {
      const target = this.tenant.users.get(primary.id!);
      const linked = target?.identities.slice(1).some((i) => i.provider === identity.provider && i.user_id === identity.user_id);
      if (!linked) return { status: "failed", failure: `setPrimaryUser(${primary.id}): the current identity is not linked to that user` };
      // Metadata set in the Action that switches users may be dropped: model the worst case.
      return { status: "success", sub: primary.id };
    }
    const self = this.tenant.users.get(user.user_id);
    if (!self) return { status: "failed", failure: "the user no longer exists (linked as a secondary without setPrimaryUser)" };
    for (const c of commands) {
      if (c.type === "setAppMetadata") {
        if (c.value === null) delete self.app_metadata[c.key!];
        else self.app_metadata[c.key!] = JSON.parse(JSON.stringify(c.value));
      }
    }
    return { status: "success", sub: user.user_id };
  }
}
