// The part of the Auth0 emulation that confirmation needs: /authorize for a confirmation
// application (the person picks which account signs in, or cancels), the authorization-code
// grant with PKCE S256 (single-use codes bound to client, redirect URI and challenge), RS256 ID
// tokens and /.well-known/jwks.json. Mounted by ManagementApiEmulator on the same HTTPS server.
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from "crypto";

export interface ConfirmationClient {
  clientId: string;
  /** Allowed callback URLs (exact match, as Auth0 requires). */
  callbacks: string[];
}

/** Who signs in at the next /authorize: a user id, or the person cancels. Default: the account's owner. */
export type SignIn = { userId: string } | { cancel: true };

/** Changes to the next ID token, to play a forged or mismatched one. */
export interface TokenTamper {
  signWithForeignKey?: boolean;
  aud?: string;
  iss?: string;
  nonce?: string;
  /** Seconds added to auth_time (negative: an old sign-in). */
  authTimeOffset?: number;
  /** Seconds added to exp (negative: already expired). */
  expOffset?: number;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce?: string;
  sub: string;
  authTime: number;
  used: boolean;
}

export interface AuthorizeRecord {
  query: Record<string, string>;
  signedIn?: string;
  code?: string;
  /** The browser that completed this /authorize. */
  browser?: EmulatedBrowser;
}

/** A browser as the emulation tells them apart: its address and user agent. */
export interface EmulatedBrowser {
  ip: string;
  userAgent: string;
}

/** The post-login pipeline of a sign-in at /authorize (its event.request); its status decides whether a code is issued. */
export type NestedPostLogin = (userId: string, clientId: string, request: { ip: string; user_agent: string; hostname: string; query: Record<string, string> }) => Promise<{ status: string; failure?: string }>;

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

function keyPair(): { privateKey: KeyObject; publicJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicJwk: publicKey.export({ format: "jwk" }) as Record<string, unknown> };
}

export class AuthorizationServer {
  readonly clients = new Map<string, ConfirmationClient>();
  readonly authorizations: AuthorizeRecord[] = [];
  nextSignIn: SignIn | undefined;
  /** Runs when /authorize is reached (for example: the account changes while the person signs in). */
  onAuthorize: (() => void) | undefined;
  tamper: TokenTamper | undefined;
  /** Runs the tenant's post-login Actions for a sign-in at /authorize (as Auth0 does before issuing a code). */
  postLogin: NestedPostLogin | undefined;
  /** Answer delays (ms) of the code exchange and the JWKS: a slow tenant. */
  slow: { token?: number; jwks?: number } = {};
  /** When set, Auth0 does not hand the /authorize query to the sign-in's Actions (event.request.query is empty). */
  hideQueryFromActions = false;
  private readonly signing = { ...keyPair(), kid: `kid-${randomBytes(4).toString("hex")}` };
  private foreign: ReturnType<typeof keyPair> | undefined;
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    private readonly issuerHost: () => string,
    /** The user, if one signs in with this identity: connection and email hint. */
    private readonly findOwner: (connection: string, loginHint: string | undefined) => string | undefined,
    private readonly userExists: (userId: string) => { connection: string } | undefined,
  ) {}

  reset(): void {
    this.clients.clear();
    this.codes.clear();
    this.authorizations.length = 0;
    this.nextSignIn = undefined;
    this.tamper = undefined;
    this.onAuthorize = undefined;
    this.postLogin = undefined;
    this.hideQueryFromActions = false;
    this.slow = {};
  }

  async jwks(): Promise<Reply> {
    if (this.slow.jwks) await new Promise((resolve) => setTimeout(resolve, this.slow.jwks));
    return { status: 200, body: { keys: [{ ...this.signing.publicJwk, kid: this.signing.kid, use: "sig", alg: "RS256" }] } };
  }

  /** GET /authorize: validates the request like Auth0, then "the browser" comes back with a code or an error. */
  async authorize(url: URL, browser: EmulatedBrowser = { ip: "127.0.0.1", userAgent: "" }): Promise<Reply> {
    const q = Object.fromEntries(url.searchParams) as Record<string, string>;
    const record: AuthorizeRecord = { query: q, browser };
    this.authorizations.push(record);
    this.onAuthorize?.();
    const client = this.clients.get(q.client_id ?? "");
    // Auth0 shows an error page (no redirect) for an unknown client or a callback not allowed.
    if (!client) return { status: 400, body: { error: "invalid_request", error_description: "Unknown client" } };
    if (!client.callbacks.includes(q.redirect_uri ?? "")) return { status: 400, body: { error: "invalid_request", error_description: "Callback URL mismatch" } };
    const back = (params: Record<string, string>): Reply => {
      const target = new URL(q.redirect_uri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (q.state !== undefined) target.searchParams.set("state", q.state);
      return { status: 302, headers: { location: target.toString() } };
    };
    if (q.response_type !== "code") return back({ error: "unsupported_response_type" });
    if (q.code_challenge_method !== "S256" || !q.code_challenge) return back({ error: "invalid_request", error_description: "PKCE S256 required" });
    const choice = this.nextSignIn ?? (() => {
      const owner = this.findOwner(q.connection ?? "", q.login_hint);
      return owner ? { userId: owner } : ({ cancel: true } as const);
    })();
    this.nextSignIn = undefined;
    if ("cancel" in choice) return back({ error: "access_denied", error_description: "User cancelled" });
    const user = this.userExists(choice.userId);
    if (!user) return back({ error: "access_denied", error_description: "No such user" });
    // `connection` restricts the login page to that connection: a person can only sign in there.
    if (q.connection && user.connection !== q.connection) return back({ error: "access_denied", error_description: "Wrong connection" });
    // The sign-in's own post-login run: an Action may deny it (then no code, an error goes back).
    if (this.postLogin) {
      const run = await this.postLogin(choice.userId, client.clientId, { ip: browser.ip, user_agent: browser.userAgent, hostname: this.issuerHost(), query: this.hideQueryFromActions ? {} : q });
      if (run.status !== "success") return back({ error: "access_denied", error_description: run.failure ?? "denied" });
    }
    record.signedIn = choice.userId;
    const code = randomBytes(16).toString("hex");
    record.code = code;
    this.codes.set(code, {
      clientId: client.clientId,
      redirectUri: q.redirect_uri,
      challenge: q.code_challenge,
      nonce: q.nonce,
      sub: choice.userId,
      authTime: Math.floor(Date.now() / 1000),
      used: false,
    });
    return back({ code });
  }

  /** POST /oauth/token, grant_type=authorization_code (public client: PKCE instead of a secret). */
  async exchange(params: Record<string, string>): Promise<Reply> {
    if (this.slow.token) await new Promise((resolve) => setTimeout(resolve, this.slow.token));
    const fail = (error: string, description: string): Reply => ({ status: error === "invalid_client" ? 401 : 403, body: { error, error_description: description } });
    const issued = this.codes.get(params.code ?? "");
    if (!issued) return fail("invalid_grant", "Invalid authorization code");
    if (issued.used) return fail("invalid_grant", "Invalid authorization code"); // single use
    issued.used = true;
    if (issued.clientId !== params.client_id) return fail("invalid_grant", "Invalid authorization code");
    if (issued.redirectUri !== params.redirect_uri) return fail("invalid_grant", "Redirect URI mismatch");
    const challenge = createHash("sha256").update(params.code_verifier ?? "").digest("base64url");
    if (challenge !== issued.challenge) return fail("invalid_grant", "Failed to verify code verifier");
    return { status: 200, body: { id_token: this.idToken(issued), token_type: "Bearer", expires_in: 86_400 } };
  }

  /** An ID token for a login that did not go through /authorize (the password-realm grant). */
  issue(sub: string, clientId: string): string {
    const now = Math.floor(Date.now() / 1000);
    return this.idToken({ clientId, redirectUri: "", challenge: "", sub, authTime: now, used: true });
  }

  private idToken(issued: IssuedCode): string {
    const t = this.tamper ?? {};
    this.tamper = undefined;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: t.iss ?? `https://${this.issuerHost()}/`,
      sub: issued.sub,
      aud: t.aud ?? issued.clientId,
      iat: now,
      exp: now + 36_000 + (t.expOffset ?? 0),
      auth_time: issued.authTime + (t.authTimeOffset ?? 0),
      ...(issued.nonce !== undefined || t.nonce !== undefined ? { nonce: t.nonce ?? issued.nonce } : {}),
    };
    const key = t.signWithForeignKey ? (this.foreign ??= keyPair()).privateKey : this.signing.privateKey;
    const head = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: this.signing.kid })).toString("base64url");
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(key).toString("base64url");
    return `${head}.${body}.${signature}`;
  }
}
