// Authorization- and MFA-aware decisions, and the profile-size check (issue 18): decide is pure,
// so these run on plain accounts and holdings.
import { decideLinks, profileBytesAfterLink, UNDO_KEY, type Account, type Holdings } from "../../action-src/decide";
import { DEFAULT_POLICY, validatePolicy, type LinkingPolicy } from "../../action-src/policy";
import { account } from "../support/accounts";

const policy = (extra: Partial<LinkingPolicy> = {}): LinkingPolicy => ({ ...DEFAULT_POLICY, connections: { github: "trusted", db: "trusted" }, ...extra });
const none = (): Holdings => ({ roles: [], permissions: [], organizations: [], factors: [] });
const NOW = Date.UTC(2026, 11, 3);
// gh is older: the primary. db logs in and becomes its secondary.
const gh = account("github|1", "github", { created_at: "2020-01-01T00:00:00.000Z" });
const db = account("auth0|2", "db");
const decide = (primary: Holdings, secondary: Holdings, extra: Partial<LinkingPolicy> = {}) =>
  decideLinks(db, [gh], policy(extra), { now: NOW, holdings: { [gh.user_id]: primary, [db.user_id]: secondary } });

describe("authorization: refuse (the default)", () => {
  test("equal holdings link, and the plan says it was checked", () => {
    const same = { ...none(), roles: ["rol_1"], organizations: [{ id: "org_1", roles: ["rol_a"] }] };
    expect(decide(same, same)).toMatchObject({ kind: "link", authorizationChecked: true, primary: gh.user_id });
  });

  test.each([
    ["a tenant role", { roles: ["rol_admin"] }, ["roles"]],
    ["a direct permission", { permissions: ["https://api.example.com read:reports"] }, ["permissions"]],
    ["an Organization membership", { organizations: [{ id: "org_1", roles: [] }] }, ["organizations"]],
    ["a membership with a role", { organizations: [{ id: "org_1", roles: ["rol_a"] }] }, ["organizations", "organization_roles"]],
  ])("a secondary holding %s the primary lacks is refused, naming only the kind", (_what, held, kinds) => {
    const plan = decide(none(), { ...none(), ...held });
    expect(plan).toEqual({ kind: "none", reason: "refuse.authorization_differs", differs: kinds, primary: gh.user_id, ignored: [] });
    expect(JSON.stringify(plan)).not.toMatch(/rol_|org_|read:reports/);
  });

  test("an org role the primary lacks in an org both belong to: organization_roles only", () => {
    const primary = { ...none(), organizations: [{ id: "org_1", roles: ["rol_a"] }] };
    expect(decide(primary, { ...none(), organizations: [{ id: "org_1", roles: ["rol_a", "rol_b"] }] })).toMatchObject({ reason: "refuse.authorization_differs", differs: ["organization_roles"] });
  });

  test("the primary holding more than the secondary is fine (nothing is lost)", () => {
    expect(decide({ ...none(), roles: ["rol_admin"] }, none())).toMatchObject({ kind: "link" });
  });

  test("an account whose holdings were not read is refused (unknown is not empty)", () => {
    expect(decideLinks(db, [gh], policy(), { now: NOW, holdings: { [gh.user_id]: none() } })).toMatchObject({ kind: "none", reason: "refuse.authorization_differs" });
  });

  test("the primary's holdings are needed only when a secondary holds something", () => {
    expect(decideLinks(db, [gh], policy(), { now: NOW, holdings: { [db.user_id]: none() } })).toMatchObject({ kind: "link", authorizationChecked: true });
    expect(decideLinks(db, [gh], policy(), { now: NOW, holdings: { [db.user_id]: { ...none(), roles: ["rol_1"] } } })).toMatchObject({ kind: "none", reason: "refuse.authorization_differs" });
  });

  test("without holdings the plan is computed but marked unchecked", () => {
    expect(decideLinks(db, [gh], policy(), { now: NOW })).toMatchObject({ kind: "link", authorizationChecked: false, accounts: [gh.user_id, db.user_id] });
  });
});

describe("authorization: carry", () => {
  test("the primary is given exactly what the secondary held and it lacked; the undo record keeps held and added", () => {
    const primary = { ...none(), roles: ["rol_1"], organizations: [{ id: "org_1", roles: ["rol_a"] }] };
    const secondary = {
      ...none(),
      roles: ["rol_1", "rol_2"],
      permissions: ["https://api.example.com read:reports"],
      organizations: [
        { id: "org_1", roles: ["rol_a", "rol_b"] },
        { id: "org_2", roles: [] },
      ],
    };
    const plan = decide(primary, secondary, { authorization: "carry" });
    const added = {
      roles: ["rol_2"],
      permissions: ["https://api.example.com read:reports"],
      organizations: [
        { id: "org_1", roles: ["rol_b"] },
        { id: "org_2", roles: [], joined: true },
      ],
    };
    expect(plan).toMatchObject({ kind: "link", carry: added });
    const undo = (plan as { patch: { app_metadata: Record<string, { entries: unknown[] }> } }).patch.app_metadata[UNDO_KEY];
    expect(undo.entries).toEqual([
      expect.objectContaining({
        user: db.user_id,
        at: NOW,
        added,
        held: { roles: ["rol_1", "rol_2"], permissions: ["https://api.example.com read:reports"], organizations: [{ id: "org_1", roles: ["rol_a", "rol_b"], joined: true }, { id: "org_2", roles: [], joined: true }] },
      }),
    ]);
  });

  test("nothing to carry: no carry step", () => {
    expect(decide(none(), none(), { authorization: "carry" })).not.toHaveProperty("carry");
  });
});

describe("MFA never weaker", () => {
  test("a secondary with a factor kind the primary lacks is refused (refuse or carry)", () => {
    for (const authorization of ["refuse", "carry"] as const) {
      expect(decide(none(), { ...none(), factors: ["totp"] }, { authorization })).toMatchObject({ kind: "none", reason: "refuse.mfa_downgrade" });
      expect(decide({ ...none(), factors: ["phone"] }, { ...none(), factors: ["totp", "phone"] }, { authorization })).toMatchObject({ reason: "refuse.mfa_downgrade" });
    }
  });

  test("the same kinds, or more on the primary, link; a primary with factors challenges the switched login", () => {
    expect(decide({ ...none(), factors: ["totp"] }, { ...none(), factors: ["totp"] })).toMatchObject({ kind: "link", primaryHasMfa: true, switchToPrimary: true });
    expect(decide({ ...none(), factors: ["totp", "webauthn-roaming"] }, none())).toMatchObject({ kind: "link", primaryHasMfa: true });
  });

  test("a password or recovery codes are not factor kinds", () => {
    expect(decide(none(), { ...none(), factors: ["password", "recovery-code"] })).toMatchObject({ kind: "link", primaryHasMfa: false });
  });
});

describe("profile size", () => {
  const big = (bytes: number) => "x".repeat(bytes);

  test("the size after the link counts the secondary's profileData and the merged metadata", () => {
    const secondary = { ...db, name: big(1000), user_metadata: { bio: big(500) } } as Account;
    const before = profileBytesAfterLink(gh, [], undefined);
    const after = profileBytesAfterLink(gh, [secondary], { user_metadata: { bio: big(500) } });
    expect(after - before).toBeGreaterThan(1500);
  });

  test("over maxProfileBytes: the undo record is cut to key names first, and the link goes ahead if that fits", () => {
    const secondary = { ...db, app_metadata: { history: big(1800) } };
    const plan = decideLinks(secondary, [gh], policy({ maxProfileBytes: 2_000 }), { now: NOW });
    expect(plan).toMatchObject({ kind: "link" });
    const undo = (plan as { patch: { app_metadata: Record<string, { entries: unknown[] }> } }).patch.app_metadata[UNDO_KEY];
    expect(undo.entries).toEqual([{ user: db.user_id, at: NOW, keys_only: true, app_metadata_keys: ["history"] }]);
    // With room to spare the values are kept.
    const roomy = decideLinks(secondary, [gh], policy(), { now: NOW }) as { patch: { app_metadata: Record<string, { entries: Array<Record<string, unknown>> }> } };
    expect(roomy.patch.app_metadata[UNDO_KEY].entries[0].app_metadata).toEqual({ history: big(1800) });
  });

  test("still over with names only: refuse.profile_too_large", () => {
    const secondary = { ...db, name: big(4000), user_metadata: { bio: big(3000) } } as Account;
    expect(decideLinks(secondary, [{ ...gh, user_metadata: { notes: big(2500) } }], policy(), { now: NOW })).toEqual({
      kind: "none",
      reason: "refuse.profile_too_large",
      primary: gh.user_id,
      ignored: [],
    });
  });
});

describe("policy fields", () => {
  test("bad values name the field", () => {
    expect(validatePolicy({ authorization: "merge", undoRetentionDays: 0, maxProfileBytes: 20_000 }, "environments.dev.policy")).toEqual([
      { field: "environments.dev.policy.undoRetentionDays", message: "must be a whole number of days between 1 and 3650" },
      { field: "environments.dev.policy.maxProfileBytes", message: "must be a whole number of bytes between 2000 and 10240 (Auth0's profile limit is 10 KB)" },
      { field: "environments.dev.policy.authorization", message: 'must be "refuse" or "carry", not "merge"' },
    ]);
    expect(DEFAULT_POLICY).toMatchObject({ authorization: "refuse", undoRetentionDays: 30, maxProfileBytes: 9_000 });
  });
});
