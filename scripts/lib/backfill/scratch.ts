// Temporary files that name people (partitions, a plan being written): registered while they
// exist, so every way a dry run can end (an error, Ctrl-C, process exit) removes them.
import * as fs from "fs";

const paths = new Set<string>();

/** Registers `file` (or directory) for removal; returns the function that removes it now. */
export function scratch(file: string): () => void {
  paths.add(file);
  return () => {
    fs.rmSync(file, { recursive: true, force: true });
    paths.delete(file);
  };
}

/** Forgets `file` without removing it (it became the finished plan). */
export function keep(file: string): void {
  paths.delete(file);
}

/** Removes everything still registered. Synchronous: safe in a signal or exit handler. */
export function removeScratch(): void {
  for (const file of paths) fs.rmSync(file, { recursive: true, force: true });
  paths.clear();
}

process.on("exit", removeScratch);
