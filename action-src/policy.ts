// The linking policy: what an environment may change about how accounts are linked.
// Pure: used by the Action at login, by the stack at synth (validation) and by tools.

/**
 * How far a connection's verified emails are believed.
 * - trusted:  its verified emails prove ownership; two trusted accounts may link silently.
 * - confirm:  verified emails count, but joining an existing account needs the person to sign in to it.
 * - excluded: never linked, in either role.
 * A connection the policy does not name is `confirm`: nothing links silently by default.
 */
export type ConnectionTrust = "trusted" | "confirm" | "excluded";

export interface LinkingPolicy {
  /** Evaluate and log what would happen (once per person), but change nothing. */
  reportOnly: boolean;
  /** Deny the login when the Management API is unavailable, instead of letting it continue unlinked. */
  failClosed: boolean;
  /** Trust per connection name; unlisted connections are `confirm`. */
  connections: Record<string, ConnectionTrust>;
  /** Connections (by name), most preferred first, used to choose the primary account. */
  primaryConnectionOrder: string[];
  /** An account whose app_metadata holds any of these keys is never linked automatically. */
  protectedAppMetadataKeys: string[];
  /** app_metadata keys carried from secondaries into the primary (authorization data: none by default). */
  carriedAppMetadataKeys: string[];
  /** After "Not now", a failed confirmation or a refused link, wait this long before asking again. */
  confirmSnoozeHours: number;
  /** Days an undo entry is kept on the primary; older entries are dropped at the next write. */
  undoRetentionDays: number;
  /** A link that would make the primary's profile larger than this (bytes of JSON) is refused (Auth0's limit is 10 KB). */
  maxProfileBytes: number;
  /**
   * A secondary holding roles, permissions or Organization memberships the primary lacks:
   * `refuse` leaves the pair unlinked; `carry` gives the primary exactly what the secondary held first.
   */
  authorization: "refuse" | "carry";
}

export const DEFAULT_POLICY: Readonly<LinkingPolicy> = {
  reportOnly: false,
  failClosed: false,
  connections: {},
  primaryConnectionOrder: [],
  protectedAppMetadataKeys: [],
  carriedAppMetadataKeys: [],
  confirmSnoozeHours: 24,
  undoRetentionDays: 30,
  maxProfileBytes: 9_000,
  authorization: "refuse",
};

const POLICY_KEYS = Object.keys(DEFAULT_POLICY) as Array<keyof LinkingPolicy>;

/** One thing wrong with a policy: the dotted field path and what is wrong with it. */
export interface PolicyProblem {
  field: string;
  message: string;
}

/** Checks a partial policy (as written in configuration). Returns every problem, not just the first. */
export function validatePolicy(input: unknown, at = "policy"): PolicyProblem[] {
  // Declared here, not at module level, so the Action's bundle (which never validates) drops them.
  const RETIRED: Record<string, string> = {
    trustedEmailConnections: 'was replaced by per-connection trust: write connections: { "<name>": "trusted" } (unlisted connections need confirmation)',
    excludedConnections: 'was replaced by per-connection trust: write connections: { "<name>": "excluded" }',
  };
  const LEVELS = ["trusted", "confirm", "excluded"];
  // Auth0 connection names: 1-128 characters, letters, digits and dashes (no leading/trailing dash).
  const CONNECTION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$/;
  // app_metadata keys: what Auth0 accepts as a property name, minus characters that make keys ambiguous.
  const METADATA_KEY = /^[A-Za-z0-9_][A-Za-z0-9_:-]{0,127}$/;
  const problems: PolicyProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (input === undefined) return problems;
  if (input === null || typeof input !== "object" || Array.isArray(input)) return [{ field: at, message: "must be an object" }];
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (RETIRED[key]) add(`${at}.${key}`, RETIRED[key]);
    else if (!(POLICY_KEYS as string[]).includes(key)) add(`${at}.${key}`, `is not a policy field (known: ${POLICY_KEYS.join(", ")})`);
  }
  for (const key of ["reportOnly", "failClosed"] as const) {
    if (record[key] !== undefined && typeof record[key] !== "boolean") add(`${at}.${key}`, "must be true or false");
  }
  const snooze = record.confirmSnoozeHours;
  if (snooze !== undefined && (typeof snooze !== "number" || !Number.isInteger(snooze) || snooze < 1 || snooze > 24 * 365)) {
    add(`${at}.confirmSnoozeHours`, "must be a whole number of hours between 1 and 8760");
  }
  const retention = record.undoRetentionDays;
  if (retention !== undefined && (typeof retention !== "number" || !Number.isInteger(retention) || retention < 1 || retention > 3650)) {
    add(`${at}.undoRetentionDays`, "must be a whole number of days between 1 and 3650");
  }
  const maxBytes = record.maxProfileBytes;
  if (maxBytes !== undefined && (typeof maxBytes !== "number" || !Number.isInteger(maxBytes) || maxBytes < 2_000 || maxBytes > 10_240)) {
    add(`${at}.maxProfileBytes`, "must be a whole number of bytes between 2000 and 10240 (Auth0's profile limit is 10 KB)");
  }
  if (record.authorization !== undefined && record.authorization !== "refuse" && record.authorization !== "carry") {
    add(`${at}.authorization`, `must be "refuse" or "carry", not ${JSON.stringify(record.authorization)}`);
  }
  const connections = record.connections;
  if (connections !== undefined) {
    if (connections === null || typeof connections !== "object" || Array.isArray(connections)) {
      add(`${at}.connections`, 'must map connection names to "trusted", "confirm" or "excluded"');
    } else {
      const seen = new Set<string>();
      for (const [name, level] of Object.entries(connections)) {
        if (!CONNECTION_NAME.test(name)) add(`${at}.connections`, `${JSON.stringify(name)} is not a connection name`);
        if (seen.has(name.toLowerCase())) add(`${at}.connections.${name}`, "is listed twice (connection names are compared without case)");
        seen.add(name.toLowerCase());
        if (typeof level !== "string" || !LEVELS.includes(level)) {
          add(`${at}.connections.${name}`, `must be "trusted", "confirm" or "excluded", not ${JSON.stringify(level)}`);
        }
      }
    }
  }
  const lists: Array<[keyof LinkingPolicy, RegExp, string]> = [
    ["primaryConnectionOrder", CONNECTION_NAME, "connection name"],
    ["protectedAppMetadataKeys", METADATA_KEY, "app_metadata key"],
    ["carriedAppMetadataKeys", METADATA_KEY, "app_metadata key"],
  ];
  for (const [key, pattern, what] of lists) {
    const value = record[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      add(`${at}.${key}`, `must be a list of ${what}s`);
      continue;
    }
    const seen = new Set<unknown>();
    value.forEach((item, i) => {
      if (typeof item !== "string" || !pattern.test(item)) add(`${at}.${key}[${i}]`, `${JSON.stringify(item)} is not a ${what}`);
      else if (seen.has(item)) add(`${at}.${key}[${i}]`, `"${item}" is listed twice`);
      seen.add(item);
    });
  }
  const levels = connections && typeof connections === "object" ? (connections as Record<string, unknown>) : {};
  if (Array.isArray(record.primaryConnectionOrder)) {
    record.primaryConnectionOrder.forEach((name, i) => {
      if (typeof name === "string" && levels[name] === "excluded") add(`${at}.primaryConnectionOrder[${i}]`, `"${name}" is excluded in connections`);
    });
  }
  if (Array.isArray(record.carriedAppMetadataKeys) && Array.isArray(record.protectedAppMetadataKeys)) {
    record.carriedAppMetadataKeys.forEach((key, i) => {
      if ((record.protectedAppMetadataKeys as unknown[]).includes(key)) {
        add(`${at}.carriedAppMetadataKeys[${i}]`, `"${String(key)}" protects accounts; it cannot also be carried`);
      }
    });
  }
  return problems;
}

/** Fills the defaults into a validated partial policy. Throws on an invalid one. */
export function resolvePolicy(input: unknown): LinkingPolicy {
  const problems = validatePolicy(input);
  if (problems.length > 0) {
    throw new Error(`invalid linking policy: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}`);
  }
  const partial = (input ?? {}) as Partial<LinkingPolicy>;
  return {
    reportOnly: partial.reportOnly ?? DEFAULT_POLICY.reportOnly,
    failClosed: partial.failClosed ?? DEFAULT_POLICY.failClosed,
    connections: { ...(partial.connections ?? {}) },
    primaryConnectionOrder: [...(partial.primaryConnectionOrder ?? [])],
    protectedAppMetadataKeys: [...(partial.protectedAppMetadataKeys ?? [])],
    carriedAppMetadataKeys: [...(partial.carriedAppMetadataKeys ?? [])],
    confirmSnoozeHours: partial.confirmSnoozeHours ?? DEFAULT_POLICY.confirmSnoozeHours,
    undoRetentionDays: partial.undoRetentionDays ?? DEFAULT_POLICY.undoRetentionDays,
    maxProfileBytes: partial.maxProfileBytes ?? DEFAULT_POLICY.maxProfileBytes,
    authorization: partial.authorization ?? DEFAULT_POLICY.authorization,
  };
}

/** How long "Not now", a failed confirmation or a refused link keeps a person from being asked again. */
export function snoozeMs(policy: LinkingPolicy): number {
  return policy.confirmSnoozeHours * 3_600_000;
}

/** The policy as the Action reads it: every field present, stable key order (reviewable in the plan). */
export function serializePolicy(policy: LinkingPolicy): string {
  const sortedConnections = Object.fromEntries(Object.entries(policy.connections).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({
    reportOnly: policy.reportOnly,
    failClosed: policy.failClosed,
    connections: sortedConnections,
    primaryConnectionOrder: policy.primaryConnectionOrder,
    protectedAppMetadataKeys: policy.protectedAppMetadataKeys,
    carriedAppMetadataKeys: policy.carriedAppMetadataKeys,
    confirmSnoozeHours: policy.confirmSnoozeHours,
    undoRetentionDays: policy.undoRetentionDays,
    maxProfileBytes: policy.maxProfileBytes,
    authorization: policy.authorization,
  });
}

/**
 * Reads the policy at login. The stack validated it in full at synth; here the shape is checked
 * strictly and nothing is defaulted: a missing field, a null or an unknown key means the
 * deployed configuration is not what synth produced, and nothing is linked (error.policy).
 */
export function parsePolicy(value: unknown): LinkingPolicy {
  const fail = (what: string): never => {
    throw new Error(`policy: ${what}`);
  };
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail("not an object");
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!(POLICY_KEYS as string[]).includes(key)) fail(`unknown ${key}`);
  const strings = (key: keyof LinkingPolicy): string[] => {
    const list = record[key];
    if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) fail(key);
    return list as string[];
  };
  for (const key of ["reportOnly", "failClosed"] as const) if (typeof record[key] !== "boolean") fail(key);
  const connections = record.connections;
  if (connections === null || typeof connections !== "object" || Array.isArray(connections)) fail("connections");
  const levels: Record<string, ConnectionTrust> = Object.create(null);
  for (const [name, level] of Object.entries(connections as object)) {
    if (level !== "trusted" && level !== "confirm" && level !== "excluded") fail("connections");
    levels[name] = level;
  }
  const snooze = record.confirmSnoozeHours;
  if (typeof snooze !== "number" || !(snooze > 0)) fail("confirmSnoozeHours");
  const retention = record.undoRetentionDays;
  if (typeof retention !== "number" || !(retention > 0)) fail("undoRetentionDays");
  const maxBytes = record.maxProfileBytes;
  if (typeof maxBytes !== "number" || !(maxBytes > 0)) fail("maxProfileBytes");
  if (record.authorization !== "refuse" && record.authorization !== "carry") fail("authorization");
  return {
    reportOnly: record.reportOnly as boolean,
    failClosed: record.failClosed as boolean,
    connections: levels,
    primaryConnectionOrder: strings("primaryConnectionOrder"),
    protectedAppMetadataKeys: strings("protectedAppMetadataKeys"),
    carriedAppMetadataKeys: strings("carriedAppMetadataKeys"),
    confirmSnoozeHours: snooze as number,
    undoRetentionDays: retention as number,
    maxProfileBytes: maxBytes as number,
    authorization: record.authorization as LinkingPolicy["authorization"],
  };
}

/**
 * The trust level of a connection (by name, compared without ASCII case, as Auth0 keeps connection
 * names unique that way); unlisted and unknown connections need confirmation.
 */
export function trustOf(policy: LinkingPolicy, connection: string | undefined): ConnectionTrust {
  if (connection === undefined) return "confirm";
  const wanted = connection.replace(/[A-Z]/g, (c) => c.toLowerCase());
  for (const name of Object.keys(policy.connections)) {
    if (name.replace(/[A-Z]/g, (c) => c.toLowerCase()) === wanted) return policy.connections[name];
  }
  return "confirm";
}
