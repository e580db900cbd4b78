// Groups an export of any size by normalised email in flat memory: users are spread over bucket
// files by a hash of their email, then each bucket (a small slice of the tenant) is grouped on
// its own. Memory follows the largest bucket, not the tenant; only users who share an email are
// ever parsed a second time.
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { normalizeEmail } from "../../../action-src/decide";
import type { LinkingPolicy } from "../../../action-src/policy";
import { CliError } from "../target";
import { forDecision, type ExportedUser } from "./cluster";

export const DEFAULT_BUCKETS = 256;
/** Bytes kept per bucket before one write: 256 buckets × 64 kB bounds the buffers at 16 MB. */
const FLUSH_BYTES = 64 * 1024;

export interface PartitionCounts {
  users: number;
  withoutEmail: number;
  /** Bytes written to the partition files: the dry run's peak temporary disk. */
  bytes: number;
}

export type PartitionProgress = (phase: "reading" | "grouping", done: number, total?: number) => void;

/** FNV-1a over the UTF-16 units: spreads emails evenly, and costs far less than a crypto hash per user. */
export function bucketOf(email: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < email.length; i++) {
    hash ^= email.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % buckets;
}

/** Writes honouring backpressure, so a fast reader never buffers the export in memory. */
export async function writeLine(stream: fs.WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await new Promise<void>((resolve) => stream.once("drain", resolve));
}

/** What is wrong with an exported user's `identities`, or undefined when it is a list of identities. */
function identitiesDamage(identities: unknown): string | undefined {
  if (!Array.isArray(identities)) return identities === undefined ? "no identities" : "identities is not a list";
  if (identities.length === 0) return "identities is empty";
  const bad = identities.findIndex((i) => i === null || typeof i !== "object" || typeof i.connection !== "string" || typeof i.provider !== "string" || (typeof i.user_id !== "string" && typeof i.user_id !== "number"));
  return bad >= 0 ? `identities[${bad}] is not an identity (connection, provider, user_id)` : undefined;
}

const bucketFile = (dir: string, i: number) => path.join(dir, `bucket-${i}.part`);

/**
 * Reads NDJSON users, keeps the fields the decision reads and spreads them over bucket files as
 * `"<normalised email>"\t<json>` lines. A line that is not a user stops the dry run: the download
 * is damaged, and a plan made from part of it would be wrong.
 */
export async function partitionUsers(lines: AsyncIterable<string>, dir: string, policy: LinkingPolicy, options: { buckets?: number; progress?: PartitionProgress } = {}): Promise<PartitionCounts> {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  const pending: string[][] = Array.from({ length: buckets }, () => []);
  const pendingBytes = new Array<number>(buckets).fill(0);
  const counts: PartitionCounts = { users: 0, withoutEmail: 0, bytes: 0 };
  const flush = (i: number) => {
    if (pending[i].length === 0) return;
    const text = pending[i].join("");
    // People's emails: readable by the operator only, whatever the umask.
    fs.appendFileSync(bucketFile(dir, i), text, { mode: 0o600 });
    counts.bytes += Buffer.byteLength(text);
    pending[i] = [];
    pendingBytes[i] = 0;
  };
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    let user: ExportedUser;
    try {
      user = JSON.parse(line) as ExportedUser;
    } catch {
      throw new CliError(`the export's line ${lineNo.toLocaleString("en-US")} is not JSON: the download is damaged. Nothing was planned; run the dry run again`);
    }
    if (!user || typeof user !== "object" || typeof user.user_id !== "string" || user.user_id === "") {
      throw new CliError(`the export's line ${lineNo.toLocaleString("en-US")} is not a user (no user_id): the download is damaged. Nothing was planned; run the dry run again`);
    }
    // Every exported user has identities (its root at least); without them the rules would judge
    // an account by no connection at all ("not trusted") and report it as left for confirmation.
    const identitiesProblem = identitiesDamage(user.identities);
    if (identitiesProblem) {
      throw new CliError(`the export's line ${lineNo.toLocaleString("en-US")} is damaged (${identitiesProblem}): the download is damaged. Nothing was planned; run the dry run again`);
    }
    counts.users++;
    if (options.progress && counts.users % 100_000 === 0) options.progress("reading", counts.users);
    if (typeof user.email !== "string" || user.email.trim() === "") {
      counts.withoutEmail++;
      continue;
    }
    const key = normalizeEmail(user.email);
    const i = bucketOf(key, buckets);
    // The key as a JSON string: an email holding a tab or a newline cannot break the line.
    // The export line is the user's JSON: its length is the profile size estimate (no second stringify).
    const entry = `${JSON.stringify(key)}\t${JSON.stringify(forDecision(user, policy, Buffer.byteLength(line, "utf8")))}\n`;
    pending[i].push(entry);
    pendingBytes[i] += entry.length;
    if (pendingBytes[i] >= FLUSH_BYTES) flush(i);
  }
  for (let i = 0; i < buckets; i++) flush(i);
  return counts;
}

/**
 * Every email shared by two or more users, bucket by bucket, in a stable order; each bucket file
 * is removed once grouped. A user listed twice in the export is one user (the first listing).
 */
export async function* clustersIn(dir: string, buckets = DEFAULT_BUCKETS, progress?: PartitionProgress): AsyncGenerator<{ email: string; members: ExportedUser[]; duplicates: number }> {
  for (let i = 0; i < buckets; i++) {
    const file = bucketFile(dir, i);
    if (!fs.existsSync(file)) continue;
    // Raw lines only: most emails belong to one user and are never parsed again.
    const groups = new Map<string, string | string[]>();
    const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      const tab = line.indexOf("\t");
      if (tab < 0) continue;
      const key = line.slice(0, tab);
      const json = line.slice(tab + 1);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, json);
      else if (typeof group === "string") groups.set(key, [group, json]);
      else group.push(json);
    }
    const keys = [...groups.keys()].filter((k) => typeof groups.get(k) !== "string").sort();
    for (const email of keys) {
      const seen = new Set<string>();
      const members: ExportedUser[] = [];
      let duplicates = 0;
      for (const json of groups.get(email) as string[]) {
        const user = JSON.parse(json) as ExportedUser;
        if (seen.has(user.user_id)) duplicates++;
        else {
          seen.add(user.user_id);
          members.push(user);
        }
      }
      yield { email: JSON.parse(email) as string, members, duplicates };
    }
    groups.clear();
    fs.rmSync(file);
    progress?.("grouping", i + 1, buckets);
  }
}
