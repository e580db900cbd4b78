// Every reason code the Actions log, with the rule behind it, in the words the README uses.
// simulate explains outcomes with it; a test keeps it in step with action-src/ and the README.

export const REASON_CODES: Record<string, string> = {
  "skip.non_interactive": "refresh-token and token-exchange logins are never looked at",
  "skip.no_email": "the user has no email",
  "skip.excluded_connection": "the login's connection or the account's root connection is `excluded`",
  "skip.unverified": "the user's email_verified is not the boolean true (a connection's trust never changes that)",
  "skip.blocked": "a blocked account is never linked, in either role",
  "skip.protected": "the account holds one of the policy's protectedAppMetadataKeys",
  "skip.decided": "already decided for this email (marker in app_metadata): no request",
  "skip.snoozed": "asked, declined or refused recently: looked at again after confirmSnoozeHours",
  "skip.reported": "report-only already evaluated this person once",
  "skip.unlinked": "every other account with this email was unlinked from this one by an operator (npm run unlink): never linked again; docs/unlink.md says how to allow it",
  "skip.confirmation_client": "a sign-in to the confirmation application itself never links anything",
  "none.no_candidates": "no other eligible account has this email (each ignored account is listed with why)",
  "link.done": "linked silently: every connection involved is `trusted` (or the person confirmed)",
  "link.partial": "some secondaries were linked, one failed; the rest is retried at a later login",
  "link.race_already_linked": "a concurrent login (or a lost answer) had already linked it; confirmed by re-reading the primary",
  "link.already_linked": "this identity is already a secondary of that account: only the switch was needed",
  "confirm.required": "an eligible account exists, but a connection involved is not `trusted`, and the person cannot be asked in this login (no trusted account to sign in to, or the login cannot be paused)",
  "confirm.prompted": "the Form asked the person to sign in to the existing account",
  "confirm.accepted": "the person chose \"Sign in to link\"",
  "confirm.declined": "the person chose \"Not now\": asked again after the snooze",
  "confirm.bad_ticket": "the Form came back without a valid ticket for this login: nothing linked",
  "confirm.redirected": "sent to sign in to the existing account",
  "confirm.unavailable": "the login cannot be redirected any more, or (error transaction_metadata, once per container) the tenant lacks Actions Transaction Metadata so no Form is shown: nothing linked",
  "confirm.cancelled": "the sign-in was cancelled or failed: nothing linked, snoozed",
  "confirm.bad_token": "the sign-in came back through a host, or with an ID token from an issuer, that is not the tenant's domain or its configured custom domain: nothing linked, snoozed",
  "confirm.other_browser": "the nested sign-in was completed in another browser than the one sent to it (a handed-on link): that sign-in is denied, nothing linked",
  "confirm.failed": "the code exchange or the ID token check failed, or the account is no longer eligible (error says which): nothing linked",
  "refuse.conflicting_primaries": "two accounts that already hold linked identities share the email: left for an operator (looked at again after an hour)",
  "refuse.too_many_accounts": "more than 10 other eligible accounts this login could be linked with (the confirmed one and those on trusted connections; accounts on `confirm` connections do not count) share the email (a shared mailbox or an attack): left for an operator, snoozed",
  "refuse.search_incomplete": "the case-insensitive search returned a full page: an account it did not show could change the plan, so nothing is linked or decided (snoozed)",
  "refuse.metadata_conflict": "a carried app_metadata key differs between the accounts: merging could lift a restriction",
  "refuse.confirmed_ineligible": "the account the person signed in to became ineligible during the sign-in (blocked, protected, unverified, gone): nothing linked, snoozed",
  "refuse.profile_too_large": "the primary's profile would pass maxProfileBytes after the link, even with the undo record cut to key names (Auth0's profile limit is 10 KB): snoozed",
  "refuse.authorization_differs": "an account to be linked holds roles, permissions, Organization memberships or Organization roles the primary lacks (authorization: refuse); differs names the kinds: snoozed",
  "refuse.mfa_downgrade": "an account to be linked has an MFA factor kind the primary lacks: linking would leave the person with weaker MFA; enroll it on the primary first: snoozed",
  "refuse.link_rejected": "Auth0 refused the link (4xx): nothing switched, snoozed",
  "report.would_link": "report-only: would link",
  "report.would_switch": "report-only: would end the login as the primary",
  "report.would_confirm": "report-only: would ask the person to confirm",
  "defer.rate_limited": "the tenant's Management API rate limit is spent (a 429; the remainder, less the passes running in the container, under the reserve; or, before any answer told the bucket, another pass running in the container): the login goes on unlinked and unmarked, without a request, until the reset (failClosed denies); logged once per window and container",
  "error.unknown_outcome": "the link's answer was lost and could not be confirmed: the login is denied so that no tokens are issued for a user that may be gone",
  "error.timeout": "the Management API did not answer in time: the login goes on unlinked (failClosed denies)",
  "error.management_api": "the Management API failed (error says how): the login goes on unlinked (failClosed denies)",
  "error.configuration": "the Action's client secret or settings are missing",
  "error.policy": "the deployed settings are not what synth produced (unknown key, null, missing): nothing is linked",
  "error.unexpected": "an unexpected error: the login goes on unlinked (failClosed denies)",
};

export const IGNORED_REASONS: Record<string, string> = {
  "ineligible.unverified": "its email is not verified",
  "ineligible.excluded_connection": "its root connection is excluded",
  "ineligible.email_mismatch": "its email differs once trimmed and lower-cased",
  "ineligible.blocked": "it is blocked",
  "ineligible.unlinked": "an operator unlinked it from this account (npm run unlink)",
  "ineligible.protected": "it holds a protected app_metadata key",
};

/** One line that says why, for a decision line the Action logged. */
export function explain(decision: Record<string, unknown>): string {
  const reason = String(decision.linking ?? "");
  const rule = REASON_CODES[reason] ?? "no rule documented for this code";
  return `${reason}: ${rule}${decision.error ? ` (${String(decision.error)})` : ""}`;
}
