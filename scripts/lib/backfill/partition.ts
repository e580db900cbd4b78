// Groups an export of any size by normalised email in flat memory: users are spread over bucket
// files by a hash of their email, then each bucket (a small slice of the tenant) is grouped on
// its own. Memory follows the largest bucket, not the tenant.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { normalizeEmail } from "../../../action-src/decide";
import type { ExportedUser } from "./cluster";

export const DEFAULT_BUCKETS = 64;

export interface PartitionCounts {
  users: number;
  withoutEmail: number;
  /** Lines that were not a user object (reported, never fatal). */
  malformed: number;
}

function bucketOf(email: string, buckets: number): number {
  return createHash("md5").update(email).digest().readUInt32BE(0) % buckets;
}

/** Writes honouring backpressure, so a fast reader never buffers the export in memory. */
export async function writeLine(stream: fs.WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await new Promise<void>((resolve) => stream.once("drain", resolve));
}

/** Reads NDJSON users, keeps the fields the decision needs, and spreads them over bucket files. */
export async function partitionUsers(lines: AsyncIterable<string>, dir: string, buckets = DEFAULT_BUCKETS): Promise<PartitionCounts> {
  fs.mkdirSync(dir, { recursive: true });
  const streams = Array.from({ length: buckets }, (_, i) => fs.createWriteStream(path.join(dir, `bucket-${i}.jsonl`)));
  const counts: PartitionCounts = { users: 0, withoutEmail: 0, malformed: 0 };
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      let user: ExportedUser;
      try {
        user = JSON.parse(line) as ExportedUser;
      } catch {
        counts.malformed++;
        continue;
      }
      if (!user || typeof user.user_id !== "string") {
        counts.malformed++;
        continue;
      }
      counts.users++;
      if (typeof user.email !== "string" || user.email.trim() === "") {
        counts.withoutEmail++;
        continue;
      }
      const kept: ExportedUser = { user_id: user.user_id, email: user.email, email_verified: user.email_verified, created_at: user.created_at, identities: user.identities?.map((i) => ({ connection: i.connection, provider: i.provider, user_id: i.user_id })) };
      await writeLine(streams[bucketOf(normalizeEmail(user.email), buckets)], `${JSON.stringify(kept)}\n`);
    }
  } finally {
    await Promise.all(streams.map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  }
  return counts;
}

/** Every email shared by two or more users, bucket by bucket, in a stable order. */
export async function* clustersIn(dir: string, buckets = DEFAULT_BUCKETS): AsyncGenerator<{ email: string; members: ExportedUser[] }> {
  for (let i = 0; i < buckets; i++) {
    const file = path.join(dir, `bucket-${i}.jsonl`);
    if (!fs.existsSync(file)) continue;
    const groups = new Map<string, ExportedUser[]>();
    const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const user = JSON.parse(line) as ExportedUser;
      const key = normalizeEmail(user.email!);
      const group = groups.get(key);
      if (group) group.push(user);
      else groups.set(key, [user]);
    }
    const keys = [...groups.keys()].filter((k) => groups.get(k)!.length > 1).sort();
    for (const email of keys) yield { email, members: groups.get(email)! };
    groups.clear();
    fs.rmSync(file);
  }
}
