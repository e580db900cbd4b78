// Shared set-up for the Action's tests on the bundle: an emulated tenant over HTTPS and the
// post-login runtime around the deployed bundle, with the people the scenarios use.
import type { LinkingPolicy } from "../../action-src/policy";
import { ManagementApiEmulator, type NewUser } from "./management-api";
import { PostLoginRuntime, type RuntimeOptions } from "./post-login-runtime";

/** The connections the scenarios use, trusted: the original case links silently (like `dev`). */
export const TRUSTED = { github: "trusted", "google-oauth2": "trusted", "Username-Password-Authentication": "trusted" } as const;

export interface Harness {
  tenant: ManagementApiEmulator;
  runtime: PostLoginRuntime;
}

let current: Harness | undefined;

/** A fresh tenant and runtime; `policy.connections` defaults to TRUSTED. */
export async function setUp(policy: Partial<LinkingPolicy> = {}, options: Omit<RuntimeOptions, "policy"> = {}): Promise<Harness> {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const runtime = new PostLoginRuntime(tenant, { ...options, policy: { connections: { ...TRUSTED }, ...policy } });
  current = { tenant, runtime };
  return current;
}

export async function tearDown(): Promise<void> {
  await current?.runtime.close();
  await current?.tenant.stop();
  current = undefined;
}

export const github = (extra: Partial<NewUser> = {}): NewUser => ({ user_id: "github|1001", connection: "github", email: "ada@example.com", email_verified: true, ...extra });
export const database = (extra: Partial<NewUser> = {}): NewUser => ({
  user_id: "auth0|db01",
  connection: "Username-Password-Authentication",
  email: "ada@example.com",
  email_verified: true,
  ...extra,
});
export const google = (extra: Partial<NewUser> = {}): NewUser => ({ user_id: "google-oauth2|g1", connection: "google-oauth2", email: "ada@example.com", email_verified: true, ...extra });
