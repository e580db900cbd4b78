// A gzipped NDJSON export like Auth0's bulk user export, with every field the backfill asks for:
// 10 % of people have two accounts, 2 % three; some unverified, some blocked, some with MFA, and
// one person in 1,000 with 9 kB of user_metadata on a second account (an oversized cluster).
import * as fs from "fs";
import * as zlib from "zlib";

export const CONNECTIONS = ["github", "google-oauth2", "Username-Password-Authentication", "email"];

export async function writeExport(file: string, users: number): Promise<void> {
  // Level 1: the bench measures the planner, not how long it takes to make its input.
  const gzip = zlib.createGzip({ level: 1 });
  const out = fs.createWriteStream(file);
  gzip.pipe(out);
  const done = new Promise<void>((resolve, reject) => out.on("finish", resolve).on("error", reject));
  let written = 0;
  let chunk: string[] = [];
  for (let person = 0; written < users; person++) {
    const accounts = person % 50 === 0 ? 3 : person % 10 === 0 ? 2 : 1;
    for (let a = 0; a < accounts && written < users; a++, written++) {
      const connection = CONNECTIONS[(person + a) % CONNECTIONS.length];
      const provider = connection === "Username-Password-Authentication" ? "auth0" : connection;
      chunk.push(
        JSON.stringify({
          user_id: `${provider}|${person}x${a}`,
          email: a === 1 ? `Person${person}@Example.com` : `person${person}@example.com`,
          email_verified: (person + a) % 17 !== 0,
          created_at: new Date(Date.UTC(2020, 0, 1) + written * 1000).toISOString(),
          identities: [{ connection, provider, user_id: `${person}x${a}`, isSocial: provider !== "auth0" && provider !== "email" }],
          ...(person % 97 === 0 ? { blocked: true } : {}),
          app_metadata: { plan: person % 3 ? "free" : "pro", customer_id: `cus_${person}` },
          user_metadata: { locale: "en-GB", newsletter: person % 2 === 0, theme: "dark", ...(person % 1000 === 0 && a === 1 ? { notes: "n".repeat(9_000) } : {}) },
          ...(person % 13 === 0 ? { multifactor: ["guardian"] } : {}),
        }),
      );
      if (chunk.length >= 1000) {
        if (!gzip.write(`${chunk.join("\n")}\n`)) await new Promise<void>((resolve) => gzip.once("drain", () => resolve()));
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) gzip.write(`${chunk.join("\n")}\n`);
  gzip.end();
  await done;
}
