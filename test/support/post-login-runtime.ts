// ONE emulation of Auth0's post-login runtime around the deployed bundle: containers
// (Node processes that keep module scope between logins), the trigger's shared api.cache
// with Auth0's limits, and the end of the transaction as Auth0 applies it: setPrimaryUser
// fails the login unless the identity really is a secondary of that user; a login whose
// user vanished (linked) without a switch fails; metadata is written at the end.
import { fork, type ChildProcess } from "child_process";
import * as path from "path";
import { emailDigest } from "../../action-src/decide";
import { resolvePolicy, serializePolicy, type LinkingPolicy } from "../../action-src/policy";
import { deriveKey } from "../../action-src/settings";
import { actionBundle } from "../../stacks/action-bundle";
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
/** Auth0 ends an Action after 20 s. */
export const ACTION_TIMEOUT_MS = 20_000;

export interface Command {
  type: "deny" | "setPrimaryUser" | "setAppMetadata" | "setUserMetadata" | "multifactor";
  provider?: string;
  options?: unknown;
  id?: string;
  key?: string;
  value?: unknown;
  reason?: string;
}

export interface LoginOutcome {
  /** success: tokens issued for `sub`; denied: api.access.deny; failed: Auth0 could not finish the login. */
  status: "success" | "denied" | "failed";
  sub?: string;
  failure?: string;
  commands: Command[];
  logs: string[];
  /** Parsed decision lines. */
  decisions: Array<Record<string, unknown>>;
  /** Requests the emulator saw during this login. */
  requests: Array<{ method: string; path: string; status: number }>;
  ms: number;
}

export interface LoginOptions {
  protocol?: string;
  /** Run in this container (default: the runtime's current one). */
  container?: Container;
}

export class Container {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (message: any) => void>();
  private nextId = 1;
  loadMs = 0;

  constructor(code: string) {
    this.child = fork(path.join(__dirname, "action-host.js"), [], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: testCertificate().certPath },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.child.on("message", (message: any) => {
      const key = message.type === "loaded" ? 0 : message.id;
      this.pending.get(key)?.(message);
      this.pending.delete(key);
    });
    this.ready = new Promise((resolve) => this.pending.set(0, (m) => resolve((this.loadMs = m.ms))));
    this.child.send({ type: "load", code });
  }

  readonly ready: Promise<number>;

  run(event: unknown, cache: Array<[string, unknown]>, timeoutMs: number): Promise<any> {
    const id = this.nextId++;
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
      this.child.send({ type: "login", id, event, cache, limits: CACHE_LIMITS });
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
}

/** The prologue the stack puts before the bundle: the Action's non-secret settings. */
export function settingsPrologue(settings: unknown): string {
  return `var LINKING_SETTINGS = ${JSON.stringify(settings)};\n`;
}

export class PostLoginRuntime {
  private readonly code: string;
  private readonly containers: Container[] = [];
  private current: Container | undefined;
  /** The trigger-wide api.cache (shared by containers; best effort, like Auth0's). */
  cache = new Map<string, unknown>();
  readonly secrets: Record<string, string>;

  constructor(
    private readonly tenant: ManagementApiEmulator,
    options: RuntimeOptions = {},
  ) {
    const clientId = options.clientId ?? "linking-client";
    const clientSecret = options.clientSecret ?? `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    if (!tenant.clients.has(clientId)) tenant.addClient({ clientId, clientSecret, scopes: ["read:users", "update:users"] });
    this.secrets = { CLIENT_SECRET: tenant.clients.get(clientId)!.clientSecret };
    this.settings =
      "settings" in options
        ? options.settings
        : { domain: tenant.domain, audience: tenant.audience, clientId, policy: JSON.parse(serializePolicy(resolvePolicy(options.policy))) };
    this.code = settingsPrologue(this.settings) + actionBundle().code;
  }

  readonly settings: unknown;

  /** The key the deployed Action derives from its secret for email digests (to read its markers). */
  digest(email: string): string {
    return emailDigest(email, deriveKey(this.secrets.CLIENT_SECRET, "digest"));
  }

  /** A fresh container: empty module scope, pays the load again. */
  async newContainer(): Promise<Container> {
    const container = new Container(this.code);
    await container.ready;
    this.containers.push(container);
    this.current = container;
    return container;
  }

  async close(): Promise<void> {
    for (const c of this.containers) c.kill();
  }

  eventFor(user: EmulatedUser, protocol = "oidc-basic-profile"): Record<string, unknown> {
    const identity = user.identities[0];
    return {
      user,
      connection: { id: `con_${identity.connection}`, name: identity.connection, strategy: identity.provider },
      transaction: { protocol },
      tenant: { id: "emulated" },
      secrets: { ...this.secrets },
      request: { ip: "127.0.0.1", hostname: this.tenant.domain },
      stats: { logins_count: 1 },
    };
  }

  /** Signs in as `userId` (whose identity just authenticated) and finishes the transaction as Auth0 would. */
  async login(userId: string, options: LoginOptions = {}): Promise<LoginOutcome> {
    const user = this.tenant.user(userId);
    if (!user) throw new Error(`no user ${userId} in the emulated tenant`);
    const container = options.container ?? this.current ?? (await this.newContainer());
    const before = this.tenant.requests.length;
    const result = await container.run(this.eventFor(user, options.protocol), [...this.cache], ACTION_TIMEOUT_MS);
    if (!result.timedOut) this.cache = new Map(result.cache);
    const requests = this.tenant.requests.slice(before).map(({ method, path, status }) => ({ method, path, status }));
    const decisions = (result.logs as string[]).flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const base = { commands: result.commands as Command[], logs: result.logs as string[], decisions, requests, ms: result.ms as number };
    if (result.timedOut) return { ...base, status: "failed", failure: "action timed out (20 s)" };
    if (result.error) return { ...base, status: "failed", failure: `uncaught error: ${result.error}` };
    return { ...base, ...this.finish(user, base.commands) };
  }

  /** What Auth0 does with the Action's commands when the pipeline ends. */
  private finish(user: EmulatedUser, commands: Command[]): Pick<LoginOutcome, "status" | "sub" | "failure"> {
    const deny = commands.find((c) => c.type === "deny");
    if (deny) return { status: "denied", failure: deny.reason };
    const primary = commands.find((c) => c.type === "setPrimaryUser");
    const identity = user.identities[0];
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
