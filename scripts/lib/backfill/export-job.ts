// Enumerates the tenant through Auth0's bulk user export: create the job, poll it, then stream
// the gzipped NDJSON file it points to, line by line (never the whole file in memory).
import * as https from "https";
import * as readline from "readline";
import * as zlib from "zlib";
import { CliError } from "../target";
import { EXPORT_FIELDS } from "./cluster";
import { sleepUnlessStopped, Stopped, type TenantApi } from "./tenant-api";

export interface ExportOptions {
  pollMs?: number;
  timeoutMs?: number;
  onStatus?: (status: string, percent?: number) => void;
  stop?: AbortSignal;
}

const AGAIN = "Nothing was planned; run the dry run again";

export async function runExportJob(api: TenantApi, options: ExportOptions = {}): Promise<{ jobId: string; location: string }> {
  const { id } = await api.createExport(EXPORT_FIELDS);
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  let pollMs = options.pollMs ?? 2000;
  for (;;) {
    const job = await api.job(id);
    options.onStatus?.(job.status, job.percentage_done);
    if (job.status === "completed") {
      if (!job.location) throw new CliError(`export job ${id} completed without a file to download. ${AGAIN}`);
      return { jobId: id, location: job.location };
    }
    if (job.status === "failed") throw new CliError(`export job ${id} failed${job.status_details ? `: ${job.status_details}` : ""}. ${AGAIN}`);
    if (Date.now() > deadline) throw new CliError(`export job ${id} did not finish within ${Math.round((options.timeoutMs ?? 3_600_000) / 60_000)} minutes (last status ${job.status}). ${AGAIN} later`);
    await sleepUnlessStopped(pollMs, options.stop);
    if (options.stop?.aborted) throw new Stopped();
    pollMs = Math.min(pollMs * 1.5, 15_000);
  }
}

/** What a failed download means, for the operator. */
function downloadError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "Z_BUF_ERROR" || e?.code === "Z_DATA_ERROR" || e?.code === "ECONNRESET" || e?.code === "ERR_STREAM_PREMATURE_CLOSE" || /aborted|unexpected end/i.test(e?.message ?? "")) {
    return new CliError(`the export download was cut short (${e.code ?? e.message}). ${AGAIN}`);
  }
  return new CliError(`downloading the export failed (${e?.code ?? e?.message ?? String(err)}). ${AGAIN}`);
}

/** The export file's lines, decompressed as they arrive. Every failure is a CliError. */
export async function* exportLines(location: string, stop?: AbortSignal): AsyncGenerator<string> {
  let response: import("http").IncomingMessage;
  try {
    response = await new Promise<import("http").IncomingMessage>((resolve, reject) => {
      https.get(location, { signal: stop }, resolve).on("error", reject);
    });
  } catch (err) {
    throw downloadError(err);
  }
  if (response.statusCode !== 200) {
    let body = "";
    response.setEncoding("utf8");
    for await (const chunk of response) if (body.length < 2000) body += chunk;
    // The location is a pre-signed link: it stops working after a while.
    if (/expired/i.test(body) || response.statusCode === 403) {
      throw new CliError(`the export's download link has expired or was refused (HTTP ${response.statusCode}). ${AGAIN}: a new export gets a fresh link`);
    }
    throw new CliError(`downloading the export failed: HTTP ${response.statusCode}. ${AGAIN}`);
  }
  const gunzip = zlib.createGunzip();
  response.on("error", (err) => gunzip.destroy(err));
  response.on("aborted", () => gunzip.destroy(Object.assign(new Error("download aborted"), { code: "ECONNRESET" })));
  const rl = readline.createInterface({ input: response.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } catch (err) {
    throw downloadError(err);
  } finally {
    rl.close();
    response.destroy();
  }
}
