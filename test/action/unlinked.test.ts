// Pairs an operator unlinked stay unlinked (issue 18): decide ignores them as ineligible.unlinked,
// and says skip.unlinked when nobody else is left.
import { decideLinks, isUnlinkedPair, UNLINKED_KEY, withUnlinked, type Account } from "../../action-src/decide";
import { DEFAULT_POLICY, type LinkingPolicy } from "../../action-src/policy";
import { decideCluster } from "../../scripts/lib/backfill/cluster";
import { account } from "../support/accounts";

const policy = (extra: Partial<LinkingPolicy> = {}): LinkingPolicy => ({ ...DEFAULT_POLICY, connections: { github: "trusted", db: "trusted", "google-oauth2": "trusted" }, ...extra });
const marked = (a: Account, ...others: string[]): Account => ({ ...a, app_metadata: { ...(a.app_metadata ?? {}), [UNLINKED_KEY]: others } });

const gh = account("github|1", "github", { created_at: "2020-01-01T00:00:00.000Z" });
const db = account("auth0|2", "db");
const google = account("google-oauth2|3", "google-oauth2");

describe("unlinked pairs", () => {
  test("marked on either side: the candidate is ignored as unlinked and nothing else is left: skip.unlinked", () => {
    expect(decideLinks(marked(db, gh.user_id), [gh], policy())).toEqual({ kind: "none", reason: "skip.unlinked", ignored: [{ user_id: gh.user_id, reason: "ineligible.unlinked" }] });
    expect(decideLinks(db, [marked(gh, db.user_id)], policy())).toMatchObject({ kind: "none", reason: "skip.unlinked" });
  });

  test("a primary holding the unlinked identity inside another user is still recognised", () => {
    const primary = { ...gh, identities: [...gh.identities!, { connection: "db", provider: "auth0", user_id: "9" }] };
    expect(isUnlinkedPair(marked(db, "auth0|9"), primary)).toBe(true);
  });

  test("other accounts still link; two accounts separated by an operator are not joined through a third", () => {
    expect(decideLinks(marked(db, gh.user_id), [gh, google], policy())).toMatchObject({ kind: "link", links: [expect.objectContaining({ secondaryUserId: google.user_id })], ignored: [{ user_id: gh.user_id, reason: "ineligible.unlinked" }] });
    const plan = decideLinks(google, [marked(gh, db.user_id), db], policy());
    expect(plan).toMatchObject({ kind: "link", ignored: [{ user_id: db.user_id, reason: "ineligible.unlinked" }] });
  });

  test("the backfill decides the same way", () => {
    expect(decideCluster([marked(db, gh.user_id), gh], policy())).toMatchObject({ action: "skip" });
  });

  test("withUnlinked is idempotent and bounded", () => {
    expect(withUnlinked(marked(db, "a|1"), "a|1")).toEqual(["a|1"]);
    const many = marked(db, ...Array.from({ length: 20 }, (_, i) => `x|${i}`));
    expect(withUnlinked(many, "y|1")).toHaveLength(20);
    expect(withUnlinked(many, "y|1").at(-1)).toBe("y|1");
  });
});
