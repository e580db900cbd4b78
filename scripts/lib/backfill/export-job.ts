// Enumerates the tenant through Auth0's bulk user export: create the job, poll it, then stream
// the gzipped NDJSON file it points to, line by line (never the whole file in memory).
import * as https from "https";
import * as readline from "readline";
import * as zlib from "zlib";
import type { TenantApi } from "./tenant-api";

/** What the decision reads; metadata is read live at apply time, not from the export. */
export const EXPORT_FIELDS = ["user_id", "email", "email_verified", "created_at", "identities"];

export interface ExportOptions {
  pollMs?: number;
  timeoutMs?: number;
  onStatus?: (status: string, percent?: number) => void;
}

export async function runExportJob(api: TenantApi, options: ExportOptions = {}): Promise<{ jobId: string; location: string }> {
  const { id } = await api.createExport(EXPORT_FIELDS);
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  let pollMs = options.pollMs ?? 2000;
  for (;;) {
    const job = await api.job(id);
    options.onStatus?.(job.status, job.percentage_done);
    if (job.status === "completed") {
      if (!job.location) throw new Error(`export job ${id} completed without a file location`);
      return { jobId: id, location: job.location };
    }
    if (job.status === "failed") throw new Error(`export job ${id} failed${job.status_details ? `: ${job.status_details}` : ""}`);
    if (Date.now() > deadline) throw new Error(`export job ${id} did not finish in time (last status ${job.status})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    pollMs = Math.min(pollMs * 1.5, 15_000);
  }
}

/** The export file's lines, decompressed as they arrive. */
export async function* exportLines(location: string): AsyncGenerator<string> {
  const response = await new Promise<import("http").IncomingMessage>((resolve, reject) => {
    https.get(location, resolve).on("error", reject);
  });
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`downloading the export failed: HTTP ${response.statusCode} (the link expires; run the dry run again)`);
  }
  const rl = readline.createInterface({ input: response.pipe(zlib.createGunzip()), crlfDelay: Infinity });
  for await (const line of rl) yield line;
}
