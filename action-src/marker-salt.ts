// The per-marker salt (decide/markers.ts): drawn here, in the I/O layer, because the decision
// module draws no randomness.
import { randomBytes } from "crypto";

export function markerSalt(): string {
  return randomBytes(8).toString("hex");
}
