// A throwaway self-signed certificate for 127.0.0.1/localhost, so the emulated
// Management API speaks real HTTPS and clients verify it (NODE_EXTRA_CA_CERTS).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface TestCertificate {
  key: string;
  cert: string;
  certPath: string;
}

let made: TestCertificate | undefined;

/** What to do when openssl cannot be run: the tests and `npm run simulate` both need it. */
export const OPENSSL_MISSING =
  "openssl is not on the PATH: the tests and npm run simulate make a throwaway TLS certificate with it for the local Management API emulation. " +
  "Install it (Debian/Ubuntu: apt-get install openssl; Fedora/RHEL: dnf install openssl; Alpine: apk add openssl; macOS: brew install openssl) and run again.";

export function testCertificate(): TestCertificate {
  if (made) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tls-"));
  const keyPath = path.join(dir, "key.pem");
  const certPath = path.join(dir, "cert.pem");
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-addext", "basicConstraints=critical,CA:TRUE",
    ], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { stderr?: Buffer };
    fs.rmSync(dir, { recursive: true, force: true });
    if (failure.code === "ENOENT" || failure.code === "EACCES") throw new Error(OPENSSL_MISSING);
    // Runs, but cannot make the certificate (e.g. an old LibreSSL without -addext): say which openssl said what.
    const said = failure.stderr?.toString("utf8").trim().split("\n")[0] ?? failure.message;
    throw new Error(`openssl could not make the test certificate (${said}). OpenSSL >= 1.1.1 is needed: install it (Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl) and put it first on the PATH.`);
  }
  made = { key: fs.readFileSync(keyPath, "utf8"), cert: fs.readFileSync(certPath, "utf8"), certPath };
  // The private key lives only in memory; the certificate file (children trust it through
  // NODE_EXTRA_CA_CERTS) goes when this process ends. Nothing is left in the temp directory.
  fs.rmSync(keyPath, { force: true });
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return made;
}
