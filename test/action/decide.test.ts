import { decideLinks, emailDigest, fillMissing, lookupEmails, MARKER_KEY, mergeMetadata, orderForPrimary, precheck, type Account } from "../../action-src/decide";
import { DEFAULT_POLICY, parsePolicy, type LinkingPolicy } from "../../action-src/policy";
import { formatDecision } from "../../action-src/log";

const policy = (extra: Partial<LinkingPolicy> = {}): LinkingPolicy => ({ ...DEFAULT_POLICY, ...extra });
const account = (user_id: string, connection: string, extra: Partial<Account> = {}): Account => {
  const bar = user_id.indexOf("|");
  return {
    user_id,
    email: "ada@example.com",
    email_verified: true,
    created_at: "2024-01-01T00:00:00.000Z",
    identities: [{ connection, provider: user_id.slice(0, bar), user_id: user_id.slice(bar + 1) }],
    ...extra,
  };
};

describe("precheck", () => {
  const user = account("auth0|1", "db");
  test.each([
    [{ user, protocol: "oauth2-refresh-token" }, policy(), "skip.non_interactive"],
    [{ user: { ...user, email: undefined } }, policy(), "skip.no_email"],
    [{ user: { ...user, email: "  " } }, policy(), "skip.no_email"],
    [{ user: { ...user, email_verified: "true" } }, policy(), "skip.unverified"],
    [{ user: { ...user, email_verified: 1 } }, policy(), "skip.unverified"],
    [{ user, connection: "db" }, policy({ excludedConnections: ["db"] }), "skip.excluded_connection"],
    [{ user: { ...user, app_metadata: { [MARKER_KEY]: { v: 1, email: emailDigest("ADA@example.com ") } } } }, policy(), "skip.decided"],
  ])("%j → %s", (login, p, reason) => {
    expect(precheck(login, p)).toEqual({ proceed: false, reason });
  });

  test("a marker for another email does not skip; a trusted connection counts as verified", () => {
    const marked = { ...user, app_metadata: { [MARKER_KEY]: { v: 1, email: emailDigest("old@example.com") } } };
    expect(precheck({ user: marked }, policy())).toEqual({ proceed: true, email: "ada@example.com" });
    expect(precheck({ user: { ...user, email_verified: false }, connection: "db" }, policy({ trustedEmailConnections: ["db"] }))).toMatchObject({ proceed: true });
  });
});

describe("decideLinks", () => {
  const gh = account("github|1", "github", { created_at: "2023-01-01T00:00:00.000Z" });
  const db = account("auth0|2", "db", { created_at: "2024-01-01T00:00:00.000Z" });
  const google = account("google-oauth2|3", "google-oauth2", { created_at: "2022-06-01T00:00:00.000Z" });

  test("no other account: nothing to do", () => {
    expect(decideLinks(db, [db], policy())).toEqual({ kind: "none", reason: "none.no_candidates", ignored: [] });
  });

  test("oldest is primary; the current identity is linked first and the login switches", () => {
    const plan = decideLinks(db, [gh, db, google], policy());
    expect(plan).toMatchObject({ kind: "link", primary: "google-oauth2|3", switchToPrimary: true });
    if (plan.kind !== "link") throw new Error();
    expect(plan.links.map((l) => [l.secondaryUserId, l.provider, l.userId, l.isCurrent])).toEqual([
      ["auth0|2", "auth0", "2", true],
      ["github|1", "github", "1", false],
    ]);
  });

  test("preference order beats age; ties fall back to age then user_id", () => {
    expect(orderForPrimary([gh, db, google], policy({ primaryConnectionOrder: ["db"] })).map((a) => a.user_id)).toEqual(["auth0|2", "google-oauth2|3", "github|1"]);
    const twin = { ...gh, user_id: "github|0", identities: [{ connection: "github", provider: "github", user_id: "0" }] };
    expect(orderForPrimary([gh, twin], policy()).map((a) => a.user_id)).toEqual(["github|0", "github|1"]);
  });

  test("the primary keeps the decision deterministic whatever the order of candidates", () => {
    const a = decideLinks(db, [gh, google], policy());
    const b = decideLinks(db, [google, gh], policy());
    expect(a).toEqual(b);
  });

  test("ineligible candidates are reported, not linked", () => {
    const plan = decideLinks(db, [
      account("github|9", "github", { email_verified: "true" }),
      account("samlp|x", "corp", { email_verified: false }),
      account("twitter|t", "twitter", { email: "other@example.com" }),
    ], policy({ excludedConnections: ["corp"] }));
    expect(plan).toEqual({
      kind: "none",
      reason: "none.no_candidates",
      ignored: [
        { user_id: "github|9", reason: "ineligible.unverified" },
        { user_id: "samlp|x", reason: "ineligible.excluded_connection" },
        { user_id: "twitter|t", reason: "ineligible.email_mismatch" },
      ],
    });
  });

  test("an account that already holds linked identities stays primary; two of them are refused", () => {
    const established = { ...db, identities: [...db.identities!, { connection: "x", provider: "apple", user_id: "a" }] };
    expect(decideLinks(google, [established], policy())).toMatchObject({ kind: "link", primary: "auth0|2", switchToPrimary: true });
    const other = { ...gh, identities: [...gh.identities!, { connection: "y", provider: "twitter", user_id: "t" }] };
    expect(decideLinks(google, [established, other], policy())).toMatchObject({ kind: "none", reason: "refuse.conflicting_primaries" });
  });

  test("a candidate that already holds the current identity means switch only", () => {
    const holder = { ...gh, identities: [...gh.identities!, { connection: "db", provider: "auth0", user_id: "2" }] };
    expect(decideLinks(db, [holder], policy())).toEqual({ kind: "switch", reason: "link.already_linked", primary: "github|1", ignored: [] });
  });

  test("metadata: primary wins, nested objects are filled, the marker rides along when switching", () => {
    const primary = { ...gh, user_metadata: { prefs: { theme: "dark" } }, app_metadata: { plan: "pro" } };
    const secondary = { ...db, user_metadata: { prefs: { theme: "light", lang: "fr" }, phone: "x" }, app_metadata: { plan: "free", [MARKER_KEY]: { v: 1, email: "zz" } } };
    expect(mergeMetadata(primary, [secondary], { v: 1, email: "aa" })).toEqual({
      user_metadata: { prefs: { theme: "dark", lang: "fr" }, phone: "x" },
      app_metadata: { [MARKER_KEY]: { v: 1, email: "aa" } },
    });
    expect(mergeMetadata(primary, [{ ...db, user_metadata: {}, app_metadata: {} }])).toBeUndefined();
    expect(fillMissing({ a: [1] }, { a: [2], b: 2 })).toEqual({ a: [1], b: 2 });
  });
});

describe("helpers", () => {
  test("lookupEmails queries the lower-cased form only when it differs", () => {
    expect(lookupEmails("ada@example.com")).toEqual(["ada@example.com"]);
    expect(lookupEmails("Ada@Example.com")).toEqual(["Ada@Example.com", "ada@example.com"]);
  });

  test("parsePolicy: defaults when absent, refuses a wrong shape", () => {
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(() => parsePolicy('{"excludedConnections":"github"}')).toThrow("excludedConnections");
    expect(() => parsePolicy("not json")).toThrow();
  });

  test("decision lines scrub emails and tokens and fit Auth0's 256 characters", () => {
    const line = formatDecision({ reason: "error.unexpected", user: "email|ada@example.com", error: "eyJhbGciOi.eyJzdWIiOi.sig" });
    expect(line).toBe('{"linking":"error.unexpected","user":"email|[email]","error":"[token]"}');
    const many = formatDecision({ reason: "link.done", primary: "github|1", secondaries: Array.from({ length: 12 }, (_, i) => `google-oauth2|10000000000000000000${i}`) });
    expect(many.length).toBeLessThanOrEqual(256);
    expect(JSON.parse(many)).toMatchObject({ linking: "link.done", primary: "github|1", secondaries: 12 });
  });
});
