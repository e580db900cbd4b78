// Auth0 post-login Action: links accounts that share a verified email and ends the login as
// the primary account. Pairs that need confirmation get a Form (the confirmation Action, bound
// next, does the sign-in). Thin on purpose: read, decide, act, log.
// Source: action-src/ in the account-linking repository (bundled with esbuild).
import type { PostLoginApi, PostLoginEvent } from "./auth0-types";
import { FORM_FIELDS, openTicket, sealTicket, signInMethod, TICKET_METADATA_KEY, TICKET_TTL_MS, transactionMetadataWorks } from "./confirm";
import { emailDigest, MARKER_KEY, markerDigest, markerFor, precheck } from "./decide";
import { linkingPass } from "./linking";
import { markerSalt } from "./marker-salt";
import { snoozeMs } from "./policy";
import { logDecision } from "./log";
import { loadSettings, type ActionSettings } from "./settings";

export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const started = Date.now();
  const settings = loadSettings(event);
  if (!settings) return;
  // The confirmation application's own sign-ins never link anything (no recursion).
  if (settings.confirmation && event.client?.client_id === settings.confirmation.clientId) {
    logDecision({ reason: "skip.confirmation_client", user: event.user.user_id });
    return;
  }
  const pre = precheck(
    { user: event.user, connection: event.connection?.name, protocol: event.transaction?.protocol },
    settings.policy,
    { now: started, digest: (email) => emailDigest(email, settings.keys.digest), salt: markerSalt },
  );
  if (!pre.proceed) {
    // A marker of an earlier release, still valid: rewritten so a secret rotation keeps it (no API request).
    if (pre.migrate) api.user.setAppMetadata(MARKER_KEY, pre.migrate);
    logDecision({ reason: pre.reason, user: event.user.user_id });
    return;
  }
  const line = await linkingPass(event, api, settings, {
    ...pre,
    started,
    ask: (plan, candidates) => {
      const target = plan.target && candidates.find((c) => c.user_id === plan.target!.user_id);
      if (!target || !plan.target?.connection || !canAsk(event, api, settings)) return undefined;
      const ticket = sealTicket(
        { target: target.user_id, connection: plan.target.connection, current: event.user.user_id, tx: event.transaction!.id!, exp: started + TICKET_TTL_MS },
        settings.keys.confirm,
      );
      // The Form names only how the existing account signs in: never its email or id.
      api.prompt!.render(settings.confirmation!.formId, {
        vars: { method: signInMethod(target.identities?.[0]?.provider) },
        fields: { [FORM_FIELDS.ticket]: ticket },
      });
      return "confirm.prompted";
    },
  });
  logDecision(line);
}

/** Resumed after the Form: "Sign in to link" hands the ticket on; anything else snoozes. */
export async function onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const now = Date.now();
  const settings = loadSettings(event);
  if (!settings?.confirmation || event.prompt?.id !== settings.confirmation.formId) return;
  const fields = event.prompt.fields ?? {};
  const ticket = openTicket(fields[FORM_FIELDS.ticket], settings.keys.confirm, {
    current: event.user.user_id,
    tx: event.transaction?.id ?? "",
    now,
  });
  const email = typeof event.user.email === "string" ? event.user.email : "";
  const digest = emailDigest(email, settings.keys.digest);
  if (fields[FORM_FIELDS.choice] === "link" && ticket && api.transaction) {
    api.transaction.setMetadata(TICKET_METADATA_KEY, fields[FORM_FIELDS.ticket] as string);
    logDecision({ reason: "confirm.accepted", email: digest, user: event.user.user_id, primary: ticket.target });
    return;
  }
  api.user.setAppMetadata(MARKER_KEY, markerFor(markerDigest(email, markerSalt()), "snoozed", now + snoozeMs(settings.policy)));
  logDecision({ reason: ticket ? "confirm.declined" : "confirm.bad_ticket", email: digest, user: event.user.user_id });
}

/** Said once per container: a tenant without transaction metadata would say it on every login. */
let reportedNoMetadata = false;

/** Only an interactive login that can be paused is asked (never refresh, password grant or prompt=none). */
function canAsk(event: PostLoginEvent, api: PostLoginApi, settings: ActionSettings): boolean {
  if (!settings.confirmation || !api.prompt || !event.transaction?.id) return false;
  if (event.transaction.prompt?.includes("none")) return false;
  if (api.redirect?.canRedirect() !== true) return false;
  // A Form whose answer cannot reach the confirmation Action would never complete: not shown.
  if (!transactionMetadataWorks(event, api)) {
    if (!reportedNoMetadata) logDecision({ reason: "confirm.unavailable", user: event.user.user_id, error: "transaction_metadata" });
    reportedNoMetadata = true;
    return false;
  }
  return true;
}
