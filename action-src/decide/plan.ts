// The plan `decideLinks` returns: what to link, whom to switch to, or why nothing is done.
import type { IgnoredAccount } from "./eligibility";
import type { Grants, HoldingKind } from "./holdings";

/** One link call: the secondary, named the way `POST /users/{primary}/identities` wants it. */
export interface LinkStep {
  secondaryUserId: string;
  provider: string;
  userId: string;
  isCurrent: boolean;
}

export interface MetadataPatch {
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export type Plan =
  | {
      kind: "none";
      reason:
        | "none.no_candidates"
        /** Every other account is one an operator unlinked from this one: final, like no candidates. */
        | "skip.unlinked"
        | "refuse.conflicting_primaries"
        | "refuse.metadata_conflict"
        | "refuse.too_many_accounts"
        | "refuse.profile_too_large"
        | "refuse.authorization_differs"
        | "refuse.mfa_downgrade"
        | "refuse.confirmed_ineligible"
        | "refuse.search_incomplete";
      ignored: IgnoredAccount[];
      /** refuse.authorization_differs: the kinds the secondaries hold and the primary lacks (never ids). */
      differs?: HoldingKind[];
      /** The primary that was chosen, when a refusal concerns a particular link. */
      primary?: string;
    }
  /** A concurrent login already linked the current identity: only the switch is left. */
  | { kind: "switch"; reason: "link.already_linked"; primary: string; primaryHasMfa: boolean; ignored: IgnoredAccount[] }
  /**
   * An eligible account exists but a connection involved is not trusted: the person must prove
   * control of `target` (sign in to it) before anything is linked.
   */
  | {
      kind: "confirm";
      reason: "confirm.required";
      primary: string;
      /** The trusted account to sign in to; absent when none is (then nobody is asked in this login). */
      target?: { user_id: string; connection?: string };
      ignored: IgnoredAccount[];
    }
  | {
      kind: "link";
      reason: "link.planned";
      primary: string;
      /** Current identity first when it is one of them, so the switch is confirmed as early as possible. */
      links: LinkStep[];
      /** True when the current identity becomes a secondary: the login must end as `primary`. */
      switchToPrimary: boolean;
      /** The primary has MFA enrolled: a login switched into it must pass the primary's MFA. */
      primaryHasMfa: boolean;
      /** Merged metadata (and the undo record) to write on the primary before linking. */
      patch?: MetadataPatch;
      /** Eligible accounts at `confirm` trust left for a confirmation at a later login. */
      awaitingConfirmation: number;
      /**
       * False when no holdings were given (backfill dry run, the Action's first pass): roles,
       * memberships and factors were not looked at, and the plan must not be carried out.
       */
      authorizationChecked: boolean;
      /** authorization "carry": given to the primary before the links (what the secondaries held and it lacked). */
      carry?: Grants;
      /**
       * Every account this plan touches, primary first: whose holdings are read before acting (the
       * secondaries' always, the primary's when a secondary holds anything: see holdsAnything).
       */
      accounts: string[];
      ignored: IgnoredAccount[];
    };
