// The Management API calls unlink makes, through the auth0 SDK with the operator's credentials.
// Scopes (Auth0 Management API v2 docs): read:users (search, get, users-by-email), update:users
// (PATCH metadata, DELETE identity, user permissions), create:role_members / delete:role_members
// (user roles), create:organization_members / delete:organization_members,
// create:organization_member_roles / delete:organization_member_roles.
import type { ManagementClient } from "auth0";
import { permissionBody } from "../../../action-src/management";
import type { Account, Grants } from "../../../action-src/decide";

export class UnlinkApiError extends Error {
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(`${what}: ${status ?? "no answer"} ${message}`);
  }
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; status?: number };
  return e?.statusCode ?? e?.status;
}

export class UnlinkTenant {
  requests = 0;
  constructor(private readonly client: ManagementClient) {}

  private async call<T>(what: string, send: () => Promise<T>, tolerate: number[] = []): Promise<T | undefined> {
    this.requests++;
    try {
      return await send();
    } catch (err) {
      const status = statusOf(err);
      if (status !== undefined && tolerate.includes(status)) return undefined;
      const body = (err as { body?: { message?: string } })?.body;
      throw new UnlinkApiError(what, status, body?.message ?? (err as Error)?.message ?? String(err));
    }
  }

  /** The user holding `provider|id` as a linked (non-first) identity, if any. */
  async holderOf(secondaryUserId: string): Promise<Account | undefined> {
    const bar = secondaryUserId.indexOf("|");
    const provider = secondaryUserId.slice(0, bar);
    const id = secondaryUserId.slice(bar + 1);
    const quoted = id.replace(/[\\"]/g, (c) => `\\${c}`);
    const page = await this.call("GET users (search by identity)", () => this.client.users.list({ q: `identities.user_id:"${quoted}"`, search_engine: "v3", per_page: 50, include_totals: true } as never));
    // With include_totals the answer is { users: [...] } (the SDK's page reads that shape); a bare list is read too.
    const response = (page as { data?: Account[]; response?: unknown } | undefined)?.response;
    const users = (Array.isArray(response) ? response : ((response as { users?: Account[] } | undefined)?.users ?? [])) as Account[];
    return users.find((u) => (u.identities ?? []).slice(1).some((i) => i.provider === provider && String(i.user_id) === id));
  }

  async getUser(userId: string): Promise<Account | undefined> {
    return (await this.call(`GET users/${userId}`, () => this.client.users.get(userId) as unknown as Promise<Account>, [404])) ?? undefined;
  }

  async usersByEmail(email: string): Promise<Account[]> {
    return ((await this.call("GET users-by-email", () => this.client.users.listUsersByEmail({ email }) as unknown as Promise<Account[]>)) ?? []) as Account[];
  }

  async update(userId: string, patch: { app_metadata?: Record<string, unknown>; user_metadata?: Record<string, unknown> }): Promise<void> {
    await this.call(`PATCH users/${userId}`, () => this.client.users.update(userId, patch as never));
  }

  async unlink(primaryId: string, secondaryUserId: string): Promise<void> {
    const bar = secondaryUserId.indexOf("|");
    await this.call(`DELETE users/${primaryId}/identities`, () => this.client.users.identities.delete(primaryId, secondaryUserId.slice(0, bar) as never, secondaryUserId.slice(bar + 1)));
  }

  /** Gives `userId` roles, permissions and memberships with their roles (memberships first). Idempotent. */
  async grant(userId: string, g: Grants): Promise<void> {
    if (g.roles.length > 0) await this.call("POST user roles", () => this.client.users.roles.assign(userId, { roles: g.roles }));
    if (g.permissions.length > 0) await this.call("POST user permissions", () => this.client.users.permissions.create(userId, { permissions: g.permissions.map(permissionBody) } as never));
    for (const org of g.organizations) {
      if (org.joined) await this.call("POST organization members", () => this.client.organizations.members.create(org.id, { members: [userId] }));
      if (org.roles.length > 0) await this.call("POST organization member roles", () => this.client.organizations.members.roles.assign(org.id, userId, { roles: org.roles }));
    }
  }

  /** Takes them off again (roles before memberships). Already gone is fine. */
  async revoke(userId: string, g: Grants): Promise<void> {
    if (g.roles.length > 0) await this.call("DELETE user roles", () => this.client.users.roles.delete(userId, { roles: g.roles }), [404]);
    if (g.permissions.length > 0) await this.call("DELETE user permissions", () => this.client.users.permissions.delete(userId, { permissions: g.permissions.map(permissionBody) } as never), [404]);
    for (const org of g.organizations) {
      if (org.roles.length > 0) await this.call("DELETE organization member roles", () => this.client.organizations.members.roles.delete(org.id, userId, { roles: org.roles }), [404]);
      if (org.joined) await this.call("DELETE organization members", () => this.client.organizations.members.delete(org.id, { members: [userId] }), [404]);
    }
  }
}
