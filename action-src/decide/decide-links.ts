// The linking decision and its trust model. PURE: no I/O, no clock, no randomness (time and
// keys come in as arguments). The Action, the backfill and the simulator all call it, so they
// never disagree.
import { trustOf, type LinkingPolicy } from "../policy";
import { hasMfa, holdsIdentity, isEstablished, mainIdentity, rootConnection, type Account } from "./account";
import { normalizeEmail } from "./emails";
import { couldLinkWith, ineligibility, MAX_OTHER_ACCOUNTS, type IgnoredAccount } from "./eligibility";
import type { Marker } from "./markers";
import { addGrants, factorsLost, hasFactors, heldGrants, holdsAnything, isEmptyGrants, kindsOf, missingFrom, NO_GRANTS, NOTHING_HELD, type Grants, type Holdings } from "./holdings";
import { mergeMetadata, type MergeInputs } from "./merge";
import { profileBytesAfterLink } from "./profile-size";
import { isUnlinkedPair } from "./unlinked";
import type { LinkStep, Plan } from "./plan";
import { choosePrimary, orderForPrimary } from "./primary";

export interface DecideOptions {
  /** The connection the login used (`event.connection.name`); defaults to the current account's root. */
  loginConnection?: string;
  /** Marker written on the primary when the login switches (the current user stops existing). */
  switchMarker?: Marker;
  /** The person proved control of this account (confirmation): it links without connection trust. */
  confirmed?: string;
  /**
   * The lookups may not have returned every account with the email (the search's page was full):
   * an unseen account could change the plan, so nothing is linked or decided (snoozed instead).
   */
  incomplete?: boolean;
  /** Epoch ms: stamps undo entries and drops those past policy.undoRetentionDays. */
  now?: number;
  /**
   * What each account holds off-profile (roles, permissions, memberships, factors), by user_id.
   * Absent: not read yet; a link plan then says `authorizationChecked: false` and must not be acted on.
   */
  holdings?: Record<string, Holdings>;
}

/**
 * Decides what to link for the user who just logged in.
 * `candidates` are the users Auth0 returned for the email (the current user may be among them).
 * Silent linking needs every connection involved to be `trusted`: the login's, the current
 * account's root and each candidate's root. Other eligible candidates need confirmation.
 */
export function decideLinks(current: Account, candidates: Account[], policy: LinkingPolicy, options: DecideOptions = {}): Plan {
  const email = normalizeEmail(current.email ?? "");
  const ignored: IgnoredAccount[] = [];
  const eligible: Account[] = [];
  const seen = new Set<string>([current.user_id]);

  for (const candidate of candidates) {
    if (seen.has(candidate.user_id)) continue;
    seen.add(candidate.user_id);
    if (holdsIdentity(candidate, mainIdentity(current))) {
      // The current identity is already a secondary of this user (a concurrent login linked it).
      return { kind: "switch", reason: "link.already_linked", primary: candidate.user_id, primaryHasMfa: hasMfa(candidate), ignored };
    }
    // A pair an operator unlinked stays unlinked (unlinked.ts), whatever else is true of it.
    // Checked against the current account and every candidate accepted so far: two accounts an
    // operator separated are never joined through a third.
    const unlinked = [current, ...eligible].some((other) => isUnlinkedPair(other, candidate));
    const reason = ineligibility(candidate, email, policy) ?? (unlinked ? "ineligible.unlinked" : undefined);
    if (reason) ignored.push({ user_id: candidate.user_id, reason });
    else eligible.push(candidate);
  }
  // Only a link Auth0 already confirmed (the switch above) is safe to act on with a partial view.
  if (options.incomplete) return { kind: "none", reason: "refuse.search_incomplete", ignored };
  // The person proved control of an account that has since become ineligible (blocked, protected,
  // unverified, gone): not "nobody to link" for good, only not now (snoozed, looked at again).
  if (options.confirmed !== undefined && !eligible.some((account) => account.user_id === options.confirmed)) {
    return { kind: "none", reason: "refuse.confirmed_ineligible", ignored };
  }
  if (eligible.length === 0) {
    const unlinked = ignored.some((entry) => entry.reason === "ineligible.unlinked");
    return { kind: "none", reason: unlinked ? "skip.unlinked" : "none.no_candidates", ignored };
  }
  // Nobody has this many accounts with one address; linking them would be one login's worth of
  // Management API budget spent on what is more likely an attack or a shared mailbox.
  if (eligible.filter((account) => couldLinkWith(account, policy, options.confirmed)).length > MAX_OTHER_ACCOUNTS) {
    return { kind: "none", reason: "refuse.too_many_accounts", ignored };
  }
  // Two accounts that already hold linked identities cannot be reconciled here. Only accounts this
  // login could ever link with count: an established account on a connection that is not trusted
  // (an attacker's IdP, say) must not block the silent link between two trusted accounts.
  const linkable = eligible.filter((account) => couldLinkWith(account, policy, options.confirmed));
  if ([current, ...linkable].filter(isEstablished).length > 1) return { kind: "none", reason: "refuse.conflicting_primaries", ignored };

  const trusted = (connection: string | undefined) => trustOf(policy, connection) === "trusted";
  const loginTrusted = trusted(options.loginConnection ?? rootConnection(current)) && trusted(rootConnection(current));
  const silent = eligible.filter((account) => account.user_id === options.confirmed || (loginTrusted && trusted(rootConnection(account))));
  const awaiting = eligible.filter((account) => !silent.includes(account));
  // An established primary awaiting confirmation must be confirmed first: linking the others
  // without it would create a second established primary. One that could never be confirmed from
  // this side (not trusted) does not hold the others back: its owner confirms from their side.
  if (silent.length === 0 || awaiting.some((account) => isEstablished(account) && linkable.includes(account))) {
    const primary = choosePrimary([current, ...eligible], policy);
    // The person may only be sent to sign in to an account on a trusted connection: signing in
    // at an untrusted connection proves nothing (its IdP may answer for anyone, and that account
    // may be the attacker's). Untrusted accounts are confirmed from their own side instead: when
    // their owner logs in, the trusted account is the one to sign in to.
    const confirmable = awaiting.filter((account) => trusted(rootConnection(account)));
    // Only ask for a proof that would end in a link: decide as if it were given (an untrusted
    // established account left awaiting, a metadata conflict, ... would make the sign-in useless,
    // and the person would be asked again after every snooze). The first such account in the
    // usual order; none: nobody is asked from this side.
    const leadsToLink = (account: Account) => options.confirmed !== undefined || decideLinks(current, candidates, policy, { ...options, confirmed: account.user_id }).kind === "link";
    const preferred = confirmable.length > 0 ? choosePrimary(confirmable, policy) : undefined;
    const target = preferred && leadsToLink(preferred) ? preferred : orderForPrimary(confirmable, policy).find((account) => account !== preferred && leadsToLink(account));
    return {
      kind: "confirm",
      reason: "confirm.required",
      primary: primary.user_id,
      ...(target ? { target: { user_id: target.user_id, connection: rootConnection(target) } } : {}),
      ignored,
    };
  }

  const cluster = [current, ...silent];
  const primary = choosePrimary(cluster, policy);
  const secondaries = orderForPrimary(cluster, policy).filter((account) => account !== primary);
  const switchToPrimary = primary !== current;
  const links = secondaries
    .map((account): LinkStep => ({ secondaryUserId: account.user_id, ...mainIdentity(account), isCurrent: account === current }))
    .sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent));

  // When the login switches, the marker goes on the primary with the merge: the current user
  // stops existing, and metadata set next to setPrimaryUser may be dropped by Auth0.
  // The marker rides on the primary only when this login's one link completes the cluster: with
  // other secondaries still to link, a failure among them must be retried at the next login.
  const final = switchToPrimary && awaiting.length === 0 && links.length === 1;
  const refuse = (reason: Extract<Plan, { kind: "none" }>["reason"], extra: { differs?: ReturnType<typeof kindsOf> } = {}): Plan => ({
    kind: "none",
    reason,
    primary: primary.user_id,
    ignored,
    ...extra,
  });

  const authorization = checkHoldings(primary, secondaries, policy, options.holdings);
  if (authorization.refuse) return refuse(authorization.refuse, authorization.differs ? { differs: authorization.differs } : {});

  const inputs: MergeInputs = { now: options.now ?? 0, held: authorization.held, added: authorization.added };
  const marker = final ? options.switchMarker : undefined;
  let merged = mergeMetadata(primary, secondaries, policy, marker, inputs);
  if (merged.conflict !== undefined) return { kind: "none", reason: "refuse.metadata_conflict", ignored };
  // Auth0's 10 KB profile limit: first keep only the undo record's key names, then refuse.
  if (profileBytesAfterLink(primary, secondaries, merged.patch) > policy.maxProfileBytes) {
    merged = mergeMetadata(primary, secondaries, policy, marker, { ...inputs, shrink: true });
    if (merged.conflict !== undefined || profileBytesAfterLink(primary, secondaries, merged.patch) > policy.maxProfileBytes) {
      return refuse("refuse.profile_too_large");
    }
  }
  const primaryHoldings = options.holdings?.[primary.user_id];
  return {
    kind: "link",
    reason: "link.planned",
    primary: primary.user_id,
    links,
    switchToPrimary,
    primaryHasMfa: hasMfa(primary) || hasFactors(primaryHoldings),
    patch: merged.patch,
    awaitingConfirmation: awaiting.length,
    authorizationChecked: options.holdings !== undefined,
    ...(authorization.carry && !isEmptyGrants(authorization.carry) ? { carry: authorization.carry } : {}),
    accounts: [primary.user_id, ...secondaries.map((account) => account.user_id)],
    ignored,
  };
}

interface HoldingsCheck {
  refuse?: "refuse.authorization_differs" | "refuse.mfa_downgrade";
  differs?: ReturnType<typeof kindsOf>;
  /** Per secondary: what it held (restored onto it at unlink). */
  held?: Record<string, Grants>;
  /** Per secondary: what the primary receives on its behalf (carry). */
  added?: Record<string, Grants>;
  carry?: Grants;
}

/**
 * The authorization and MFA rules. Without holdings nothing is checked (the caller must read them
 * and decide again before acting). An account missing from the holdings counts as unknown: refused.
 */
function checkHoldings(primary: Account, secondaries: Account[], policy: LinkingPolicy, holdings: Record<string, Holdings> | undefined): HoldingsCheck {
  if (!holdings) return {};
  if (secondaries.some((s) => !holdings[s.user_id])) return { refuse: "refuse.authorization_differs", differs: [] };
  // The primary's holdings matter only when a secondary holds something: the I/O layer reads them
  // only then (half the requests on the usual link). Needed and missing: refused as unknown.
  const needed = secondaries.some((s) => holdsAnything(holdings[s.user_id]));
  const mine = holdings[primary.user_id] ?? (needed ? undefined : NOTHING_HELD);
  if (!mine) return { refuse: "refuse.authorization_differs", differs: [] };
  // MFA never weaker. Rests on: enrolled authentication methods belong to the user object, and a
  // link deletes the secondary user (Auth0 docs, "User Account Linking"; UNCONFIRMED on a real
  // tenant that no factor follows the identity). After the link every login of either identity
  // ends as the primary and is challenged with the primary's factors only (act.ts switches and
  // calls api.multifactor.enable when the primary has any; UNCONFIRMED: that enable applies to
  // the user set by setPrimaryUser). So a factor kind only the secondary has would be lost: refuse
  // until the person enrolls it on the primary too. Carry cannot help: factors hold secrets.
  if (secondaries.some((s) => factorsLost(mine, holdings[s.user_id]).length > 0)) return { refuse: "refuse.mfa_downgrade" };
  const held: Record<string, Grants> = {};
  const added: Record<string, Grants> = {};
  let union: Grants = NO_GRANTS;
  for (const secondary of secondaries) {
    const theirs = holdings[secondary.user_id];
    held[secondary.user_id] = heldGrants(theirs);
    const lacking = missingFrom(mine, theirs);
    if (!isEmptyGrants(lacking)) added[secondary.user_id] = lacking;
    union = addGrants(union, lacking);
  }
  if (isEmptyGrants(union)) return { held };
  // refuse: roles, permissions and memberships hang on the secondary's user_id and are deleted
  // with it (Auth0 docs, "User Account Linking"); the person would lose them silently.
  if (policy.authorization === "refuse") return { refuse: "refuse.authorization_differs", differs: kindsOf(union) };
  // carry: the primary is given exactly what it lacked, before the link; recorded for undo.
  return { held, added, carry: union };
}
