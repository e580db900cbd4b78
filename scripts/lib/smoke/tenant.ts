// The tenant as the smoke test uses it: the smoke admin's Management API calls (its own users
// only), the smoke application's password-realm login, and the JWKS. Every answer that is not
// what the test relies on becomes an Assumption error naming what it relied on.
import type { KeyObject } from "crypto";
import { PASSWORD_REALM_GRANT, SMOKE_ADMIN_SCOPES, type SmokeAlgorithm } from "../../../stacks/smoke-config";
import { clientAssertion, JWT_BEARER } from "./client-assertion";
import { describe, request, type Answer } from "./http";

/** The tenant answered differently than the smoke test assumes: `assumption` says what did not hold. */
export class Assumption extends Error {
  constructor(readonly assumption: string, readonly answer: string) {
    super(`${assumption} (Auth0 answered ${answer})`);
    this.name = "Assumption";
  }
}

export interface TenantUser {
  user_id: string;
  email?: string;
  created_at?: string;
  identities?: Array<{ connection: string; provider: string; user_id: string }>;
  app_metadata?: Record<string, any>;
  user_metadata?: Record<string, any>;
}

export interface NewTestUser {
  connection: string;
  email: string;
  password: string;
  user_metadata: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

export interface SmokeIds {
  domain: string;
  /** The smoke application (public, password-realm). */
  clientId: string;
  clientName: string;
  /** The smoke admin application (private_key_jwt). */
  adminId: string;
  adminName: string;
}

/** How the smoke admin authenticates: its private key (the stack's admin) or, for an admin created outside the stack, its client secret. */
export type AdminAuth = { kind: "private_key_jwt"; key: KeyObject; algorithm: SmokeAlgorithm } | { kind: "client_secret"; secret: string };

export class SmokeTenant {
  private token: string | undefined;

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  constructor(
    readonly ids: SmokeIds,
    private readonly auth: AdminAuth,
    public signal: AbortSignal,
  ) {}

  private url(path: string): string {
    return `https://${this.ids.domain}${path}`;
  }

  get authMethod(): AdminAuth["kind"] {
    return this.auth.kind;
  }

  /** A Management API token for the smoke admin, authenticated with its private key (or secret). */
  async adminToken(): Promise<string[]> {
    const credentials: Record<string, string> =
      this.auth.kind === "private_key_jwt"
        ? { client_assertion_type: JWT_BEARER, client_assertion: clientAssertion(this.ids.adminId, this.ids.domain, this.auth.key, this.auth.algorithm) }
        : { client_secret: this.auth.secret };
    const answer = await request(this.url("/oauth/token"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: this.ids.adminId,
        ...credentials,
        audience: `https://${this.ids.domain}/api/v2/`,
      }).toString(),
    }, this.signal);
    if (answer.status === 401 && this.auth.kind === "client_secret") {
      throw new Assumption(`"${this.ids.adminName}" accepts SMOKE_ADMIN_CLIENT_SECRET (the secret of the application whose client id is smoke.adminClientId)`, describe(answer));
    }
    if (answer.status === 401) {
      throw new Assumption(`"${this.ids.adminName}" accepts a client assertion signed with SMOKE_PRIVATE_KEY (deployed with this smoke.publicKey and algorithm?)`, describe(answer));
    }
    if (answer.status !== 200 || typeof answer.body?.access_token !== "string") {
      throw new Assumption(`"${this.ids.adminName}" gets a Management API token by client credentials (it needs its grant on the Management API)`, describe(answer));
    }
    this.token = answer.body.access_token;
    const scopes = String(answer.body.scope ?? "").split(" ").filter(Boolean);
    const missing = SMOKE_ADMIN_SCOPES.filter((s) => !scopes.includes(s));
    if (missing.length > 0) throw new Assumption(`"${this.ids.adminName}" is granted ${SMOKE_ADMIN_SCOPES.join(" ")}`, `a token with scope "${scopes.join(" ")}"`);
    // An application made outside the stack could hold anything: a smoke run uses no more than it needs.
    const extra = scopes.filter((s) => !(SMOKE_ADMIN_SCOPES as readonly string[]).includes(s));
    if (this.auth.kind === "client_secret" && extra.length > 0) {
      throw new Assumption(`"${this.ids.adminName}" is granted exactly ${SMOKE_ADMIN_SCOPES.join(" ")} (remove ${extra.join(" ")} from its grant, or give the smoke test an application of its own)`, `a token with scope "${scopes.join(" ")}"`);
    }
    return scopes;
  }

  private async api(method: string, path: string, body?: unknown): Promise<Answer> {
    if (!this.token) throw new Error("no admin token yet");
    return request(this.url(`/api/v2${path}`), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }, this.signal);
  }

  async createUser(user: NewTestUser): Promise<TenantUser> {
    const answer = await this.api("POST", "/users", { ...user, email_verified: true, verify_email: false });
    if (answer.status === 201 || answer.status === 200) return answer.body as TenantUser;
    const code = answer.body?.errorCode;
    if (code === "inexistent_connection") throw new Assumption(`the database connection "${user.connection}" exists (the stack creates it when smoke is on: deploy)`, describe(answer));
    if (/password/i.test(String(answer.body?.message ?? code ?? ""))) throw new Assumption(`"${user.connection}" accepts a 36-character random password`, describe(answer));
    throw new Assumption(`the smoke admin can create a verified user on "${user.connection}"`, describe(answer));
  }

  /** The user, or undefined when it does not exist (404). */
  async getUser(userId: string): Promise<TenantUser | undefined> {
    const answer = await this.api("GET", `/users/${encodeURIComponent(userId)}`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Assumption(`the smoke admin can read users (read:users)`, describe(answer));
    return answer.body as TenantUser;
  }

  /** Deletes a user (with the identities linked into it); a user already gone is not an error. */
  async deleteUser(userId: string): Promise<"deleted" | "gone"> {
    const answer = await this.api("DELETE", `/users/${encodeURIComponent(userId)}`);
    if (answer.status === 204 || answer.status === 200) return "deleted";
    if (answer.status === 404) return "gone";
    throw new Assumption(`the smoke admin can delete its test users (delete:users)`, describe(answer));
  }

  /** Every user with exactly this email (immediately consistent, unlike the user search). */
  async usersByEmail(email: string): Promise<TenantUser[]> {
    const answer = await this.api("GET", `/users-by-email?email=${encodeURIComponent(email)}`);
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw new Assumption(`the smoke admin can look users up by email (read:users)`, describe(answer));
    return answer.body as TenantUser[];
  }

  /** A password-realm login with the smoke application: the raw id_token. */
  async login(realm: string, username: string, password: string): Promise<unknown> {
    const answer = await request(this.url("/oauth/token"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: PASSWORD_REALM_GRANT, client_id: this.ids.clientId, realm, username, password, scope: "openid" }).toString(),
    }, this.signal);
    if (answer.status === 200) return answer.body?.id_token;
    const error = answer.body?.error;
    const assumption =
      error === "unauthorized_client" ? `"${this.ids.clientName}" is allowed the password-realm grant`
      : error === "mfa_required" ? "the smoke users' logins ask for no MFA (the tenant's MFA policy or an Action requires it)"
      : error === "invalid_grant" ? `a user just created on "${realm}" logs in with its password`
      : error === "access_denied" ? `the login is allowed: "${realm}" is enabled for "${this.ids.clientName}" and no Action denies it`
      : `the password-realm login on "${realm}" succeeds`;
    throw new Assumption(assumption, describe(answer));
  }

  async jwks(): Promise<unknown> {
    const answer = await request(this.url("/.well-known/jwks.json"), { method: "GET" }, this.signal);
    if (answer.status !== 200) throw new Assumption("the tenant publishes its signing keys at /.well-known/jwks.json", describe(answer));
    return answer.body;
  }
}
