// The linking policy: what an environment may change about how accounts are linked.
// Pure: used by the Action at login, by the stack at synth (validation) and by tools.

export interface LinkingPolicy {
  /** Evaluate and log what would happen, but change nothing and never switch the user. */
  reportOnly: boolean;
  /** Deny the login when the Management API fails, instead of letting it continue unlinked. */
  failClosed: boolean;
  /** Connections (by name) whose users are never linked, in either role. */
  excludedConnections: string[];
  /** Connections (by name) whose emails count as verified even without `email_verified: true`. */
  trustedEmailConnections: string[];
  /** Connections (by name), most preferred first, used to choose the primary account. */
  primaryConnectionOrder: string[];
}

export const DEFAULT_POLICY: Readonly<LinkingPolicy> = {
  reportOnly: false,
  failClosed: false,
  excludedConnections: [],
  trustedEmailConnections: [],
  primaryConnectionOrder: [],
};

/** One thing wrong with a policy: the dotted field path and what is wrong with it. */
export interface PolicyProblem {
  field: string;
  message: string;
}

/** Checks a partial policy (as written in configuration). Returns every problem, not just the first. */
export function validatePolicy(input: unknown, at = "policy"): PolicyProblem[] {
  // Declared here, not at module level, so the Action's bundle (which never validates) drops them.
  const BOOLEAN_FIELDS = ["reportOnly", "failClosed"] as const;
  const LIST_FIELDS = ["excludedConnections", "trustedEmailConnections", "primaryConnectionOrder"] as const;
  const KNOWN_FIELDS = new Set<string>([...BOOLEAN_FIELDS, ...LIST_FIELDS]);
  // Auth0 connection names: 1-128 characters, letters, digits and dashes (no leading/trailing dash).
  const CONNECTION_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$/;
  const problems: PolicyProblem[] = [];
  if (input === undefined) return problems;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return [{ field: at, message: "must be an object" }];
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(key)) {
      problems.push({ field: `${at}.${key}`, message: `is not a policy field (known: ${[...KNOWN_FIELDS].join(", ")})` });
    }
  }
  for (const key of BOOLEAN_FIELDS) {
    if (record[key] !== undefined && typeof record[key] !== "boolean") {
      problems.push({ field: `${at}.${key}`, message: "must be true or false" });
    }
  }
  for (const key of LIST_FIELDS) {
    const value = record[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      problems.push({ field: `${at}.${key}`, message: "must be a list of connection names" });
      continue;
    }
    const seen = new Set<string>();
    value.forEach((name, i) => {
      if (typeof name !== "string" || !CONNECTION_NAME.test(name)) {
        problems.push({ field: `${at}.${key}[${i}]`, message: `${JSON.stringify(name)} is not a connection name` });
      } else if (seen.has(name)) {
        problems.push({ field: `${at}.${key}[${i}]`, message: `"${name}" is listed twice` });
      }
      if (typeof name === "string") seen.add(name);
    });
  }
  const excluded = Array.isArray(record.excludedConnections) ? (record.excludedConnections as unknown[]) : [];
  for (const key of ["trustedEmailConnections", "primaryConnectionOrder"] as const) {
    const list = Array.isArray(record[key]) ? (record[key] as unknown[]) : [];
    list.forEach((name, i) => {
      if (excluded.includes(name)) {
        problems.push({ field: `${at}.${key}[${i}]`, message: `"${String(name)}" is also in excludedConnections` });
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
    excludedConnections: [...(partial.excludedConnections ?? [])],
    trustedEmailConnections: [...(partial.trustedEmailConnections ?? [])],
    primaryConnectionOrder: [...(partial.primaryConnectionOrder ?? [])],
  };
}

/** The policy as the Action reads it from its secret: compact, stable key order. */
export function serializePolicy(policy: LinkingPolicy): string {
  return JSON.stringify({
    reportOnly: policy.reportOnly,
    failClosed: policy.failClosed,
    excludedConnections: policy.excludedConnections,
    trustedEmailConnections: policy.trustedEmailConnections,
    primaryConnectionOrder: policy.primaryConnectionOrder,
  });
}

/**
 * Reads the policy secret at login. The stack validated it in full at synth; here only the
 * shape is checked (a hand-edited secret must not widen linking), keeping the bundle small.
 */
export function parsePolicy(secret: string | undefined): LinkingPolicy {
  const parsed: unknown = secret ? JSON.parse(secret) : {};
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("policy: not an object");
  const record = parsed as Record<string, unknown>;
  const flag = (key: "reportOnly" | "failClosed"): boolean => {
    const value = record[key] ?? DEFAULT_POLICY[key];
    if (typeof value !== "boolean") throw new Error(`policy: ${key}`);
    return value;
  };
  const list = (key: "excludedConnections" | "trustedEmailConnections" | "primaryConnectionOrder"): string[] => {
    const value = record[key] ?? [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`policy: ${key}`);
    return value as string[];
  };
  return {
    reportOnly: flag("reportOnly"),
    failClosed: flag("failClosed"),
    excludedConnections: list("excludedConnections"),
    trustedEmailConnections: list("trustedEmailConnections"),
    primaryConnectionOrder: list("primaryConnectionOrder"),
  };
}
