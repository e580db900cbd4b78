import {
  decideLinks,
  emailDigest,
  fillMissing,
  lookupEmails,
  MARKER_KEY,
  markerDigest,
  markerDigestMatches,
  markerFor,
  mergeMetadata,
  orderForPrimary,
  precheck,
  UNDO_KEY,
} from "../../action-src/decide";
import { DEFAULT_POLICY, parsePolicy, resolvePolicy, serializePolicy, validatePolicy, type LinkingPolicy } from "../../action-src/policy";
import { formatDecision } from "../../action-src/log";
import { readSettings } from "../../action-src/settings";
import { account } from "../support/accounts";

const TRUST_ALL = { github: "trusted", "google-oauth2": "trusted", db: "trusted" } as const;
const policy = (extra: Partial<LinkingPolicy> = {}): LinkingPolicy => ({ ...DEFAULT_POLICY, connections: { ...TRUST_ALL }, ...extra });
const KEY = "test-key";
const SALT = "0123456789abcdef";
const context = { now: Date.UTC(2026, 0, 1), digest: (email: string) => emailDigest(email, KEY), salt: () => SALT };

describe("precheck", () => {
  const user = account("auth0|1", "db");
  const marked = (marker: unknown) => ({ ...user, app_metadata: { [MARKER_KEY]: marker } });
  test.each([
    ["skip.non_interactive", { user, protocol: "oauth2-refresh-token" }, policy()],
    ["skip.no_email", { user: { ...user, email: undefined } }, policy()],
    ["skip.no_email", { user: { ...user, email: "  " } }, policy()],
    ["skip.unverified", { user: { ...user, email_verified: "true" } }, policy()],
    ["skip.unverified", { user: { ...user, email_verified: 1 } }, policy()],
    ["skip.excluded_connection", { user, connection: "db" }, policy({ connections: { db: "excluded" } })],
    // The login's connection and the account's root identity both count.
    ["skip.excluded_connection", { user, connection: "github" }, policy({ connections: { db: "excluded" } })],
    ["skip.excluded_connection", { user, connection: "corp" }, policy({ connections: { corp: "excluded" } })],
    ["skip.blocked", { user: { ...user, blocked: true } }, policy()],
    ["skip.protected", { user: { ...user, app_metadata: { roles: ["admin"] } } }, policy({ protectedAppMetadataKeys: ["roles"] })],
    ["skip.decided", { user: marked(markerFor(markerDigest("ADA@example.com ", "fedcba9876543210"), "decided")) }, policy()],
    ["skip.snoozed", { user: marked(markerFor(markerDigest("ada@example.com", SALT), "snoozed", context.now + 1)) }, policy()],
    ["skip.reported", { user: marked(markerFor(markerDigest("ada@example.com", SALT), "reported")) }, policy({ reportOnly: true })],
  ])("%s", (reason, login, p) => {
    expect(precheck(login, p, context)).toEqual({ proceed: false, reason });
  });

  test("markers for another email, another key, an old format, a passed snooze, or a report after go-live do not skip", () => {
    const proceed = { proceed: true, email: "ada@example.com", digest: emailDigest("ada@example.com", KEY), markerDigest: markerDigest("ada@example.com", SALT) };
    const v2 = (digest: string, state: string, until?: number) => ({ v: 2, email: digest, state, ...(until === undefined ? {} : { until }) });
    for (const marker of [
      markerFor(markerDigest("old@example.com", SALT), "decided"),
      v2(emailDigest("old@example.com", KEY), "decided"),
      v2(emailDigest("ada@example.com", "another-tenant"), "decided"),
      { v: 3, email: `x.${markerDigest("ada@example.com", SALT).split(".")[1]}`, state: "decided" },
      { v: 2, email: markerDigest("ada@example.com", SALT), state: "decided" },
      { v: 1, email: emailDigest("ada@example.com", KEY) },
      markerFor(markerDigest("ada@example.com", SALT), "snoozed", context.now),
      markerFor(markerDigest("ada@example.com", SALT), "reported"),
    ]) {
      expect(precheck({ user: marked(marker) }, policy(), context)).toEqual(proceed);
    }
  });

  test("a v2 marker keyed from the current secret still skips, and comes back rewritten as v3 (no key needed)", () => {
    const legacy = { v: 2, email: emailDigest("ada@example.com", KEY), state: "decided" };
    expect(precheck({ user: marked(legacy) }, policy(), context)).toEqual({
      proceed: false,
      reason: "skip.decided",
      migrate: { v: 3, email: markerDigest("ada@example.com", SALT), state: "decided" },
    });
    const snoozed = { v: 2, email: emailDigest("ada@example.com", KEY), state: "snoozed", until: context.now + 5 };
    expect(precheck({ user: marked(snoozed) }, policy(), context)).toMatchObject({ reason: "skip.snoozed", migrate: { v: 3, state: "snoozed", until: context.now + 5 } });
    // After a rotation (another key) the same v3 marker still matches.
    const migrated = (precheck({ user: marked(legacy) }, policy(), context) as { migrate: unknown }).migrate;
    expect(precheck({ user: marked(migrated) }, policy(), { ...context, digest: (e: string) => emailDigest(e, "rotated") })).toEqual({ proceed: false, reason: "skip.decided" });
  });

  test("marker digests are salted: one address gives different values under different salts, each matching only it", () => {
    const a = markerDigest("ada@example.com", SALT);
    const b = markerDigest("ada@example.com", "fedcba9876543210");
    expect(a).not.toBe(b);
    expect(markerDigestMatches(a, " ADA@example.com")).toBe(true);
    expect(markerDigestMatches(b, "ada@example.com")).toBe(true);
    expect(markerDigestMatches(a, "eve@example.com")).toBe(false);
    expect(() => markerDigest("ada@example.com", "short")).toThrow(/salt/);
  });

  test("a connection's trust never turns an unverified email into a verified one", () => {
    expect(precheck({ user: { ...user, email_verified: false } }, policy({ connections: { db: "trusted" } }), context)).toEqual({ proceed: false, reason: "skip.unverified" });
  });

  test("digests are keyed: the same address under two keys gives unrelated digests", () => {
    expect(emailDigest("ada@example.com", "a")).not.toBe(emailDigest("ada@example.com", "b"));
    expect(emailDigest(" Ada@Example.com", "a")).toBe(emailDigest("ada@example.com", "a"));
  });
});

describe("decideLinks: trust", () => {
  const gh = account("github|1", "github", { created_at: "2023-01-01T00:00:00.000Z" });
  const db = account("auth0|2", "db", { created_at: "2024-01-01T00:00:00.000Z" });
  const google = account("google-oauth2|3", "google-oauth2", { created_at: "2022-06-01T00:00:00.000Z" });

  test("no other account: nothing to do", () => {
    expect(decideLinks(db, [db], policy())).toEqual({ kind: "none", reason: "none.no_candidates", ignored: [] });
  });

  test("all trusted: the oldest is primary; the current identity is linked first and the login switches", () => {
    const plan = decideLinks(db, [gh, db, google], policy());
    expect(plan).toMatchObject({ kind: "link", primary: "google-oauth2|3", switchToPrimary: true, awaitingConfirmation: 0 });
    if (plan.kind !== "link") throw new Error();
    expect(plan.links.map((l) => [l.secondaryUserId, l.provider, l.userId, l.isCurrent])).toEqual([
      ["auth0|2", "auth0", "2", true],
      ["github|1", "github", "1", false],
    ]);
  });

  test("the default policy links nothing silently, and sends nobody to sign in to an untrusted account", () => {
    expect(decideLinks(db, [gh], { ...DEFAULT_POLICY })).toEqual({ kind: "confirm", reason: "confirm.required", primary: "github|1", ignored: [] });
  });

  test("an untrusted login is asked to sign in to the trusted account", () => {
    const corp = account("samlp|c", "corp");
    expect(decideLinks(corp, [gh], policy())).toEqual({ kind: "confirm", reason: "confirm.required", primary: "github|1", target: { user_id: "github|1", connection: "github" }, ignored: [] });
  });

  test("pre-account hijack: an older untrusted database account is never linked to a trusted Google login, nor offered as a sign-in", () => {
    const attacker = account("auth0|early", "Username-Password-Authentication", { created_at: "2020-01-01T00:00:00.000Z" });
    const plan = decideLinks(google, [attacker], policy());
    expect(plan).toEqual({ kind: "confirm", reason: "confirm.required", primary: "auth0|early", ignored: [] });
  });

  test("an attacker's IdP (an untrusted connection) is never offered as the account to sign in to", () => {
    const evil = account("samlp|evil", "partner-saml", { created_at: "2019-01-01T00:00:00.000Z" });
    expect(decideLinks(google, [evil], policy())).not.toHaveProperty("target");
    // Its owner logging in is sent to the trusted account instead.
    expect(decideLinks(evil, [google], policy())).toMatchObject({ kind: "confirm", target: { user_id: "google-oauth2|3" } });
  });

  test("ASCII case only: a Unicode look-alike address never matches another person's", () => {
    const kelvin = account("auth0|k", "db", { email: "\u212Aate@example.com" });
    const kate = account("google-oauth2|kate", "google-oauth2", { email: "kate@example.com" });
    expect(lookupEmails("\u212Aate@example.com")).toEqual(["\u212Aate@example.com"]);
    expect(decideLinks(kelvin, [kate], policy())).toMatchObject({ kind: "none", ignored: [{ user_id: "google-oauth2|kate", reason: "ineligible.email_mismatch" }] });
  });

  test("connection names are compared without case", () => {
    expect(decideLinks(db, [account("github|9", "GitHub")], policy({ connections: { ...TRUST_ALL, github: "excluded" } }))).toMatchObject({ ignored: [{ reason: "ineligible.excluded_connection" }] });
    expect(validatePolicy({ connections: { GitHub: "trusted", github: "excluded" } }).map((p) => p.field)).toEqual(["policy.connections.github"]);
  });

  test("a login over an untrusted connection, or onto an account whose root is untrusted, needs confirmation", () => {
    const corp = account("samlp|c", "corp");
    expect(decideLinks(corp, [gh], policy())).toMatchObject({ kind: "confirm", target: { user_id: "github|1" } });
    // The primary logs in through a linked identity of an untrusted connection.
    expect(decideLinks(gh, [db], policy(), { loginConnection: "corp" })).toMatchObject({ kind: "confirm", target: { user_id: "auth0|2" } });
  });

  test("mixed cluster: trusted accounts link now, the confirm-level one waits", () => {
    const corp = account("samlp|c", "corp", { created_at: "2021-01-01T00:00:00.000Z" });
    const plan = decideLinks(db, [gh, corp], policy());
    expect(plan).toMatchObject({ kind: "link", primary: "github|1", awaitingConfirmation: 1 });
  });

  test("a confirmed account links without connection trust", () => {
    expect(decideLinks(db, [gh], { ...DEFAULT_POLICY }, { confirmed: "github|1" })).toMatchObject({ kind: "link", primary: "github|1", switchToPrimary: true });
  });

  test("an established account on a connection that is not trusted does not hold back the silent link between trusted accounts", () => {
    // Whoever controls "corp" (left at confirm) can hold an established account with the victim's
    // address; it must not change the victim's outcome: neither held back for a confirmation
    // nobody can give from this side, nor refused as conflicting primaries.
    const corpPrimary = account("samlp|c", "corp", { identities: [{ connection: "corp", provider: "samlp", user_id: "c" }, { connection: "x", provider: "apple", user_id: "a" }] });
    expect(decideLinks(db, [gh, corpPrimary], policy())).toMatchObject({ kind: "link", primary: "github|1", links: [{ secondaryUserId: db.user_id }], awaitingConfirmation: 1 });
    const establishedDb = { ...db, identities: [...db.identities!, { connection: "y", provider: "twitter", user_id: "t" }] };
    expect(decideLinks(establishedDb, [gh, corpPrimary], policy())).toMatchObject({ kind: "link", primary: db.user_id, links: [{ secondaryUserId: "github|1" }] });
  });

  test("an established trusted account awaiting this login's confirmation stops the silent links (never two established primaries)", () => {
    const ghPrimary = { ...gh, identities: [...gh.identities!, { connection: "x", provider: "apple", user_id: "a" }] };
    // The login is on a connection left at confirm: the trusted established account must be confirmed first.
    const corp = account("samlp|c", "corp");
    expect(decideLinks(corp, [ghPrimary, db], policy())).toMatchObject({ kind: "confirm", primary: "github|1", target: { user_id: "github|1" } });
  });

  test("the marker rides on the primary only when this login's link completes the cluster", () => {
    const marker = markerFor("d", "decided");
    const two = decideLinks(db, [gh], policy(), { switchMarker: marker });
    expect(two.kind === "link" && two.patch?.app_metadata?.[MARKER_KEY]).toEqual(marker);
    const three = decideLinks(db, [gh, google], policy(), { switchMarker: marker });
    expect(three.kind === "link" && three.patch?.app_metadata?.[MARKER_KEY]).toBeFalsy();
  });

  test("ineligible candidates are reported, not linked", () => {
    const plan = decideLinks(db, [
      account("github|9", "github", { email_verified: "true" }),
      account("samlp|x", "corp", { email_verified: false }),
      account("twitter|t", "twitter", { email: "other@example.com" }),
      account("github|b", "github", { blocked: true }),
      account("github|p", "github", { app_metadata: { roles: ["admin"] } }),
      account("google-oauth2|x", "legacy"),
    ], policy({ connections: { ...TRUST_ALL, legacy: "excluded" }, protectedAppMetadataKeys: ["roles"] }));
    expect(plan).toEqual({
      kind: "none",
      reason: "none.no_candidates",
      ignored: [
        { user_id: "github|9", reason: "ineligible.unverified" },
        { user_id: "samlp|x", reason: "ineligible.unverified" },
        { user_id: "twitter|t", reason: "ineligible.email_mismatch" },
        { user_id: "github|b", reason: "ineligible.blocked" },
        { user_id: "github|p", reason: "ineligible.protected" },
        { user_id: "google-oauth2|x", reason: "ineligible.excluded_connection" },
      ],
    });
  });

  test("an account is judged by its root identity's connection, not a linked one", () => {
    const established = account("samlp|c", "corp", { identities: [{ connection: "corp", provider: "samlp", user_id: "c" }, { connection: "github", provider: "github", user_id: "z" }] });
    expect(decideLinks(db, [established], policy({ connections: { ...TRUST_ALL, corp: "excluded" } }))).toMatchObject({
      kind: "none",
      ignored: [{ user_id: "samlp|c", reason: "ineligible.excluded_connection" }],
    });
  });

  test("preference order beats age; ties fall back to age then user_id", () => {
    expect(orderForPrimary([gh, db, google], policy({ primaryConnectionOrder: ["db"] })).map((a) => a.user_id)).toEqual(["auth0|2", "google-oauth2|3", "github|1"]);
    const twin = { ...gh, user_id: "github|0", identities: [{ connection: "github", provider: "github", user_id: "0" }] };
    expect(orderForPrimary([gh, twin], policy()).map((a) => a.user_id)).toEqual(["github|0", "github|1"]);
  });

  test("the decision is the same whatever the order of candidates", () => {
    expect(decideLinks(db, [gh, google], policy())).toEqual(decideLinks(db, [google, gh], policy()));
  });

  test("an account that already holds linked identities stays primary; two of them are refused", () => {
    const established = { ...db, identities: [...db.identities!, { connection: "x", provider: "apple", user_id: "a" }] };
    expect(decideLinks(google, [established], policy())).toMatchObject({ kind: "link", primary: "auth0|2", switchToPrimary: true });
    const other = { ...gh, identities: [...gh.identities!, { connection: "y", provider: "twitter", user_id: "t" }] };
    expect(decideLinks(google, [established, other], policy())).toMatchObject({ kind: "none", reason: "refuse.conflicting_primaries" });
  });

  test("a candidate that already holds the current identity means switch only; its MFA is carried", () => {
    const holder = { ...gh, multifactor: ["guardian"], identities: [...gh.identities!, { connection: "db", provider: "auth0", user_id: "2" }] };
    expect(decideLinks(db, [holder], policy())).toEqual({ kind: "switch", reason: "link.already_linked", primary: "github|1", primaryHasMfa: true, ignored: [] });
  });

  test("a primary with MFA enrolled is flagged so the switched login is challenged", () => {
    expect(decideLinks(db, [{ ...gh, multifactor: ["guardian"] }], policy())).toMatchObject({ kind: "link", primaryHasMfa: true });
    expect(decideLinks(db, [{ ...gh, multifactor: [] }], policy())).toMatchObject({ kind: "link", primaryHasMfa: false });
  });
});

describe("mergeMetadata", () => {
  const gh = account("github|1", "github");
  const db = account("auth0|2", "db");

  test("user_metadata: primary wins, nested objects filled; app_metadata: nothing carried by default, kept for undo", () => {
    const primary = { ...gh, user_metadata: { prefs: { theme: "dark" } }, app_metadata: { plan: "pro" } };
    const secondary = { ...db, user_metadata: { prefs: { theme: "light", lang: "fr" }, phone: "x" }, app_metadata: { plan: "free", roles: ["editor"], [MARKER_KEY]: { v: 2 } } };
    const marker = markerFor("aa", "decided");
    expect(mergeMetadata(primary, [secondary], policy(), marker)).toEqual({
      patch: {
        user_metadata: { prefs: { theme: "dark", lang: "fr" }, phone: "x" },
        app_metadata: {
          [UNDO_KEY]: {
            v: 3,
            entries: [{ user: "auth0|2", at: 0, app_metadata: { plan: "free", roles: ["editor"] }, user_metadata: { prefs: { theme: "light", lang: "fr" } }, carried_user_metadata: ["phone"] }],
          },
          [MARKER_KEY]: marker,
        },
      },
    });
    expect(mergeMetadata(primary, [{ ...db, user_metadata: {}, app_metadata: {} }], policy())).toEqual({ patch: { app_metadata: { [UNDO_KEY]: { v: 3, entries: [{ user: "auth0|2", at: 0 }] } } } });
    expect(fillMissing({ a: [1] }, { a: [2], b: 2 })).toEqual({ a: [1], b: 2 });
  });

  test("carried app_metadata keys are copied; a conflict on one refuses (a restriction is never overridden)", () => {
    const primary = { ...gh, app_metadata: {} };
    expect(mergeMetadata(primary, [{ ...db, app_metadata: { plan: "pro", roles: ["x"] } }], policy({ carriedAppMetadataKeys: ["plan"] }))).toEqual({
      patch: { app_metadata: { plan: "pro", [UNDO_KEY]: { v: 3, entries: [{ user: "auth0|2", at: 0, app_metadata: { roles: ["x"] }, carried_app_metadata: ["plan"] }] } } },
    });
    expect(mergeMetadata({ ...gh, app_metadata: { limits: { export: false } } }, [{ ...db, app_metadata: { limits: { export: true } } }], policy({ carriedAppMetadataKeys: ["limits"] }))).toEqual({ conflict: "limits" });
    expect(decideLinks(db, [{ ...gh, app_metadata: { tier: "a" } }], policy({ carriedAppMetadataKeys: ["tier"] }))).toEqual(
      decideLinks(db, [{ ...gh, app_metadata: { tier: "a" } }], policy({ carriedAppMetadataKeys: ["tier"] })),
    );
    expect(decideLinks({ ...db, app_metadata: { tier: "b" } }, [{ ...gh, app_metadata: { tier: "a" } }], policy({ carriedAppMetadataKeys: ["tier"] }))).toMatchObject({
      kind: "none",
      reason: "refuse.metadata_conflict",
    });
  });

  test("keys like __proto__, constructor and toString are kept as plain keys; nothing is polluted", () => {
    const secondary = { ...db, user_metadata: JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":"t"}') as Record<string, unknown> };
    const merged = mergeMetadata({ ...gh, user_metadata: {} }, [secondary], policy());
    const user = merged.patch!.user_metadata!;
    expect(Object.keys(user).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(JSON.parse(JSON.stringify(user))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":"t"}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
  });

  test("the undo record is bounded: an oversized secondary keeps only the names of what was lost", () => {
    const big = { ...db, app_metadata: { blob: "x".repeat(10_000), small: 1 } };
    const undo = mergeMetadata({ ...gh }, [big], policy()).patch!.app_metadata![UNDO_KEY] as { entries: unknown[] };
    expect(undo.entries).toEqual([{ user: "auth0|2", at: 0, keys_only: true, app_metadata_keys: ["blob", "small"] }]);
  });
});

describe("policy", () => {
  test("the retired keys are synth errors that say what to write instead", () => {
    expect(validatePolicy({ trustedEmailConnections: ["corp"], excludedConnections: ["x"] })).toEqual([
      { field: "policy.trustedEmailConnections", message: expect.stringContaining('connections: { "<name>": "trusted" }') },
      { field: "policy.excludedConnections", message: expect.stringContaining('"excluded"') },
    ]);
  });

  test("connections need a known trust level; lists are checked; carried keys cannot protect", () => {
    expect(validatePolicy({ connections: { github: "yes", "bad name": "trusted" } }).map((p) => p.field)).toEqual(["policy.connections.github", "policy.connections"]);
    expect(validatePolicy({ protectedAppMetadataKeys: ["roles"], carriedAppMetadataKeys: ["roles"] })).toEqual([
      { field: "policy.carriedAppMetadataKeys[0]", message: expect.stringContaining("protects accounts") },
    ]);
    expect(validatePolicy({ connections: { legacy: "excluded" }, primaryConnectionOrder: ["legacy"] })[0].field).toBe("policy.primaryConnectionOrder[0]");
    expect(validatePolicy({ confirmSnoozeHours: 0 })[0].field).toBe("policy.confirmSnoozeHours");
  });

  test("at login the policy is read strictly: unknown keys, nulls and missing fields are refused", () => {
    const good = JSON.parse(serializePolicy(resolvePolicy({ connections: { github: "trusted" } })));
    expect(parsePolicy(good)).toEqual(resolvePolicy({ connections: { github: "trusted" } }));
    expect(() => parsePolicy({ ...good, extra: 1 })).toThrow("unknown extra");
    expect(() => parsePolicy({ ...good, connections: null })).toThrow("connections");
    expect(() => parsePolicy({ ...good, connections: { github: "maybe" } })).toThrow("connections");
    const { reportOnly: _, ...missing } = good;
    expect(() => parsePolicy(missing)).toThrow("reportOnly");
    expect(() => parsePolicy(undefined)).toThrow();
  });

  test("settings: only the known keys, a policy and every value; the secret comes from secrets", () => {
    const settings = { domain: "t.example", audience: "https://t.example/api/v2/", clientId: "c", policy: JSON.parse(serializePolicy(resolvePolicy({}))) };
    expect(readSettings({ CLIENT_SECRET: "s" }, settings)).toMatchObject({ domain: "t.example", clientSecret: "s" });
    expect(() => readSettings({ CLIENT_SECRET: "s" }, { ...settings, sneaky: true })).toThrow("policy");
    expect(() => readSettings({ CLIENT_SECRET: "s" }, undefined)).toThrow("policy");
    expect(() => readSettings({}, settings)).toThrow("configuration");
  });
});

describe("helpers", () => {
  test("lookupEmails queries the lower-cased form only when it differs", () => {
    expect(lookupEmails("ada@example.com")).toEqual(["ada@example.com"]);
    expect(lookupEmails("Ada@Example.com")).toEqual(["Ada@Example.com", "ada@example.com"]);
  });

  test("decision lines scrub emails and tokens and fit Auth0's 256 characters", () => {
    const line = formatDecision({ reason: "error.unexpected", user: "email|ada@example.com", error: "eyJhbGciOi.eyJzdWIiOi.sig" });
    expect(line).toBe('{"linking":"error.unexpected","user":"email|[email]","error":"[token]"}');
    const many = formatDecision({ reason: "link.done", primary: "github|1", secondaries: Array.from({ length: 12 }, (_, i) => `google-oauth2|10000000000000000000${i}`) });
    expect(many.length).toBeLessThanOrEqual(256);
    expect(JSON.parse(many)).toMatchObject({ linking: "link.done", primary: "github|1", secondaries: 12 });
  });
});

describe("decideLinks: load (search completeness, the cap)", () => {
  const gh = account("github|1", "github", { created_at: "2023-01-01T00:00:00.000Z" });
  const db = account("auth0|2", "db", { created_at: "2024-01-01T00:00:00.000Z" });

  test("an incomplete search links and decides nothing; a switch Auth0 already confirmed still happens", () => {
    expect(decideLinks(db, [gh], policy(), { incomplete: true })).toMatchObject({ kind: "none", reason: "refuse.search_incomplete" });
    expect(decideLinks(db, [], policy(), { incomplete: true })).toMatchObject({ kind: "none", reason: "refuse.search_incomplete" });
    const holder = { ...gh, identities: [...gh.identities!, { connection: "db", provider: "auth0", user_id: "2" }] };
    expect(decideLinks(db, [holder], policy(), { incomplete: true })).toMatchObject({ kind: "switch", primary: "github|1" });
  });

  test("the cap counts only accounts this login could be linked with: the confirmed one and those on trusted connections", () => {
    const untrusted = Array.from({ length: 11 }, (_, i) => account(`oidc|evil${i}`, "attacker-idp"));
    expect(decideLinks(db, [gh, ...untrusted], policy())).toMatchObject({ kind: "link", primary: "github|1", awaitingConfirmation: 11 });
    const trusted = Array.from({ length: 11 }, (_, i) => account(`github|t${i}`, "github"));
    expect(decideLinks(db, trusted, policy())).toMatchObject({ kind: "none", reason: "refuse.too_many_accounts" });
    // Ten trusted plus the one the person just confirmed on an untrusted connection: eleven linkable.
    const confirmed = account("oidc|mine", "attacker-idp");
    expect(decideLinks(db, [...trusted.slice(0, 10), confirmed], policy(), { confirmed: "oidc|mine" })).toMatchObject({ kind: "none", reason: "refuse.too_many_accounts" });
  });
});
