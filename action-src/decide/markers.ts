// The app_metadata the Action owns on a user: its decision marker and the undo record key.

/** The `app_metadata` key the Action owns: what it decided, for which email. */
export const MARKER_KEY = "account_linking";
/** The `app_metadata` key on a primary that keeps what linking discarded, so an unlink can restore it. */
export const UNDO_KEY = "account_linking_undo";

/**
 * decided: nothing more to do for this email. snoozed: asked, refused or declined; look again after
 * `until` (epoch ms). reported: report-only looked at this person once.
 */
export interface Marker {
  v: 2;
  email: string;
  state: "decided" | "snoozed" | "reported";
  until?: number;
}

export function markerFor(digest: string, state: Marker["state"], until?: number): Marker {
  return until === undefined ? { v: 2, email: digest, state } : { v: 2, email: digest, state, until };
}
