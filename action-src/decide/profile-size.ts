// The size a primary's profile reaches after a link, computed from the accounts the lookups
// returned. Auth0: user profiles over 10 KB were deprecated on 2026-08-04 and reach end of life
// on 2027-03-04; until then writes over the limit "may start to fail" (Auth0 docs, "Metadata
// field names and data types"). Whether identities[].profileData counts is not stated: it is
// counted here (UNCONFIRMED), as are both metadata objects and the undo record inside app_metadata.
import type { Account } from "./account";
import type { MetadataPatch } from "./plan";
import { copy, isPlainObject, put } from "./records";

/** Profile fields that are not IdP attributes: Auth0 does not copy them into profileData. */
const NOT_PROFILE_DATA = new Set([
  "user_id",
  "identities",
  "app_metadata",
  "user_metadata",
  "created_at",
  "updated_at",
  "last_login",
  "last_ip",
  "logins_count",
  "multifactor",
  "blocked",
]);

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}

/** What becomes the secondary's `profileData` inside the primary: its IdP attributes (UNCONFIRMED: exactly these). */
export function profileDataOf(secondary: Account): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(secondary)) if (!NOT_PROFILE_DATA.has(key)) put(out, key, (secondary as unknown as Record<string, unknown>)[key]);
  return out;
}

/** Applies a top-level metadata patch as Auth0 does (null removes the key). */
function patched(base: Record<string, unknown> | undefined, changes: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = copy(base ?? {});
  for (const key of Object.keys(changes ?? {})) {
    if (changes![key] === null) delete out[key];
    else put(out, key, changes![key]);
  }
  return out;
}

/** The primary's profile as it will be after the patch and the links, in bytes of JSON. */
export function profileBytesAfterLink(primary: Account, secondaries: Account[], patch: MetadataPatch | undefined): number {
  const after: Record<string, unknown> = copy(primary as unknown as Record<string, unknown>);
  after.app_metadata = patched(primary.app_metadata, patch?.app_metadata);
  after.user_metadata = patched(primary.user_metadata, patch?.user_metadata);
  const identities: unknown[] = [...(primary.identities ?? [])];
  for (const secondary of secondaries) {
    for (const [i, identity] of (secondary.identities ?? []).entries()) {
      const own = isPlainObject((identity as Record<string, unknown>).profileData) ? {} : { profileData: i === 0 ? profileDataOf(secondary) : {} };
      identities.push({ ...identity, ...own });
    }
  }
  after.identities = identities;
  return jsonBytes(after);
}
