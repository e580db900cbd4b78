// The undo record (issue 18): field names Auth0 accepts for any user_id, retention, bounds.
import { decideLinks, findUndoEntry, mergeMetadata, readUndo, UNDO_KEY } from "../../action-src/decide";
import { DEFAULT_POLICY, type LinkingPolicy } from "../../action-src/policy";
import { account } from "../support/accounts";

const policy = (extra: Partial<LinkingPolicy> = {}): LinkingPolicy => ({
  ...DEFAULT_POLICY,
  connections: { github: "trusted", apple: "trusted", "corp-saml": "trusted" },
  ...extra,
});
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3);
const APPLE = "apple|001234.5f9a0c.0912";
const SAML = "samlp|corp|ada@example.com";

/** Every field name in a JSON value, at any depth. */
function fieldNames(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => fieldNames(v, out));
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      out.push(key);
      fieldNames(v, out);
    }
  }
  return out;
}

const primary = account("github|1", "github", { created_at: "2020-01-01T00:00:00.000Z" });

describe("undo record field names", () => {
  test.each([
    ["Sign in with Apple", APPLE, "apple"],
    ["an enterprise (SAML) id holding an email", SAML, "corp-saml"],
  ])("%s: no field name holds a dot, a dollar, an @ or the user_id; the id is a value", (_what, id, connection) => {
    const secondary = account(id, connection, { app_metadata: { plan: "free" }, user_metadata: { lang: "fr" } });
    const plan = decideLinks(primary, [secondary], policy(), { now: NOW, holdings: {} as never });
    // holdings {} without the accounts is refused; without holdings the plan is computed unchecked:
    expect(plan.kind).toBe("none");
    const unchecked = decideLinks(primary, [secondary], policy(), { now: NOW });
    expect(unchecked).toMatchObject({ kind: "link", authorizationChecked: false });
    const undo = (unchecked as { patch: { app_metadata: Record<string, unknown> } }).patch.app_metadata[UNDO_KEY];
    const names = fieldNames(undo);
    expect(names.filter((name) => /[.$@]/.test(name) || name.includes("|"))).toEqual([]);
    expect(undo).toEqual({ v: 3, entries: [{ user: id, at: NOW, app_metadata: { plan: "free" }, carried_user_metadata: ["lang"] }] });
  });
});

describe("undo record retention", () => {
  const secondary = account("github|2", "github", { app_metadata: { plan: "free" } });
  const withRecord = (entries: unknown[]) => ({ ...primary, app_metadata: { [UNDO_KEY]: { v: 3, entries } } });

  test("entries older than undoRetentionDays are dropped at the next write; younger ones kept", () => {
    const old = { user: APPLE, at: NOW - 31 * DAY, app_metadata: { a: 1 } };
    const young = { user: SAML, at: NOW - 29 * DAY, app_metadata: { b: 2 } };
    const merged = mergeMetadata(withRecord([old, young]), [secondary], policy(), undefined, { now: NOW });
    const record = merged.patch!.app_metadata![UNDO_KEY] as { entries: Array<{ user: string }> };
    expect(record.entries.map((e) => e.user)).toEqual(["github|2", SAML]);
    // A shorter retention drops the younger one too.
    const short = mergeMetadata(withRecord([old, young]), [secondary], policy({ undoRetentionDays: 7 }), undefined, { now: NOW });
    expect((short.patch!.app_metadata![UNDO_KEY] as { entries: Array<{ user: string }> }).entries.map((e) => e.user)).toEqual(["github|2"]);
  });

  test("an expired entry is dropped even when this link discards nothing (its bare entry remains)", () => {
    const merged = mergeMetadata(withRecord([{ user: APPLE, at: NOW - 40 * DAY, app_metadata: { a: 1 } }]), [account("github|3", "github")], policy(), undefined, { now: NOW });
    expect(merged.patch!.app_metadata![UNDO_KEY]).toEqual({ v: 3, entries: [{ user: "github|3", at: NOW }] });
  });

  test("the old record keyed by user_id is converted (kept for one retention period), never written back keyed", () => {
    const legacy = { ...primary, app_metadata: { [UNDO_KEY]: { "auth0|old": { app_metadata: { tier: "x" } } } } };
    const entries = readUndo(legacy, NOW);
    expect(entries).toEqual([{ user: "auth0|old", at: NOW, app_metadata: { tier: "x" } }]);
    const merged = mergeMetadata(legacy, [secondary], policy(), undefined, { now: NOW });
    const record = merged.patch!.app_metadata![UNDO_KEY] as { v: number; entries: Array<{ user: string }> };
    expect(record.v).toBe(3);
    expect(record.entries.map((e) => e.user).sort()).toEqual(["auth0|old", "github|2"]);
  });
});

describe("undo record bounds", () => {
  test("at most 10 entries, newest kept; an entry for the same account is replaced, not duplicated", () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ user: `github|${100 + i}`, at: NOW - i * 1000, app_metadata: { i } }));
    const p = { ...primary, app_metadata: { [UNDO_KEY]: { v: 3, entries } } };
    const merged = mergeMetadata(p, [account("github|100", "github", { app_metadata: { again: true } })], policy(), undefined, { now: NOW + 1 });
    const record = merged.patch!.app_metadata![UNDO_KEY] as { entries: Array<{ user: string; app_metadata?: unknown }> };
    expect(record.entries).toHaveLength(10);
    expect(record.entries[0]).toMatchObject({ user: "github|100", app_metadata: { again: true } });
    expect(record.entries.filter((e) => e.user === "github|100")).toHaveLength(1);
  });

  test("only what was discarded or carried: a secondary whose metadata the primary already holds leaves a bare entry (unlink needs it)", () => {
    const same = { ...primary, user_metadata: { lang: "fr" } };
    expect(mergeMetadata(same, [account("github|2", "github", { user_metadata: { lang: "fr" } })], policy(), undefined, { now: NOW })).toEqual({
      patch: { app_metadata: { [UNDO_KEY]: { v: 3, entries: [{ user: "github|2", at: NOW }] } } },
    });
  });

  test("findUndoEntry finds an Apple id by value", () => {
    const p = { ...primary, app_metadata: { [UNDO_KEY]: { v: 3, entries: [{ user: APPLE, at: NOW, app_metadata: { a: 1 } }] } } };
    expect(findUndoEntry(p, APPLE)).toMatchObject({ user: APPLE });
    expect(findUndoEntry(p, "apple|001234")).toBeUndefined();
  });
});

describe("a retried link", () => {
  test("keeps what the earlier entry knew was carried (the primary holds those keys by now)", () => {
    const secondary = account("github|2", "github", { user_metadata: { lang: "fr" } });
    const first = mergeMetadata(primary, [secondary], policy(), undefined, { now: NOW });
    // The metadata was written, the link failed; the next attempt sees the primary with it.
    const written = { ...primary, user_metadata: { lang: "fr" }, app_metadata: first.patch!.app_metadata };
    const again = mergeMetadata(written, [secondary], policy(), undefined, { now: NOW + 1000 });
    expect((again.patch!.app_metadata![UNDO_KEY] as { entries: unknown[] }).entries).toEqual([{ user: "github|2", at: NOW + 1000, carried_user_metadata: ["lang"] }]);
  });
});
