// The slice of Auth0's post-login (v3) contract this Action uses. Auth0 passes plain
// objects; these types only describe what we read and call.
import type { Account } from "./decide";

export interface PostLoginEvent {
  user: Account;
  connection?: { id?: string; name?: string; strategy?: string };
  client?: { client_id?: string };
  transaction?: { id?: string; protocol?: string; prompt?: string[]; metadata?: Record<string, unknown> };
  request?: { hostname?: string; ip?: string; user_agent?: string; query?: Record<string, unknown> };
  /** After a Form rendered by this Action: its id and submitted fields (onContinuePostLogin). */
  prompt?: { id?: string; fields?: Record<string, unknown> };
  tenant?: { id?: string };
  secrets: Record<string, string | undefined>;
}

export interface CacheRecord {
  value: string;
  expires_at?: number;
}

export interface ActionCache {
  get(key: string): CacheRecord | undefined | null;
  set(key: string, value: string, options?: { ttl?: number; expires_at?: number }): unknown;
  delete(key: string): unknown;
}

export interface PostLoginApi {
  access: { deny(reason: string): unknown };
  authentication: { setPrimaryUser(primaryUserId: string): unknown };
  multifactor: { enable(provider: string, options?: { allowRememberBrowser?: boolean }): unknown };
  user: { setAppMetadata(key: string, value: unknown): unknown };
  cache: ActionCache;
  prompt?: { render(formId: string, options?: { vars?: Record<string, unknown>; fields?: Record<string, unknown> }): unknown };
  redirect?: { canRedirect(): boolean; sendUserTo(url: string, options?: { query?: Record<string, string> }): unknown };
  /** null removes the key (customize/actions/transaction-metadata). */
  transaction?: { setMetadata(key: string, value: string | number | boolean | null): unknown };
}
