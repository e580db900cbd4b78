// One Actions "container": a Node process that loads the deployed bundle once and runs
// logins sent by the parent (test/support/post-login-runtime.ts). Module scope persists
// between logins, as on a warm Auth0 Node 22 instance. Plain JS: runs without a compiler.
"use strict";
const { createRequire } = require("module");
const path = require("path");

const projectRequire = createRequire(path.join(__dirname, "..", "..", "package.json"));
// The Actions' clock: the wall clock plus an offset the runtime may move ahead (a bench that
// compresses idle time moves the emulated tenant's rate-limit clock by the same amount).
const wallNow = Date.now.bind(Date);
let clockOffsetMs = 0;
Date.now = () => wallNow() + clockOffsetMs;
// One module per Action bound to the trigger (each with its own module scope, as on Auth0).
const handlers = new Map();
const { AsyncLocalStorage } = require("async_hooks");
// Each execution's own console output, also when a container runs several at once.
const executionLogs = new AsyncLocalStorage();
let logs = [];

// Auth0 captures console output per execution.
console.log = (...args) => (executionLogs.getStore() ?? logs).push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));

function cacheApi(entries, limits) {
  const ops = [];
  const now = () => Date.now();
  const live = () => {
    for (const [k, v] of entries) if (v.expires_at <= now()) entries.delete(k);
    return entries;
  };
  return {
    ops,
    api: {
      get(key) {
        const record = live().get(key);
        return record ? { value: record.value, expires_at: record.expires_at } : undefined;
      },
      set(key, value, options = {}) {
        ops.push({ op: "set", key });
        if (typeof value !== "string") return { type: "error", code: "invalid_value" };
        if (Buffer.byteLength(key) > limits.keyBytes) return { type: "error", code: "key_too_large" };
        if (Buffer.byteLength(value) > limits.valueBytes) return { type: "error", code: "value_too_large" };
        const map = live();
        if (!map.has(key) && map.size >= limits.entries) return { type: "error", code: "too_many_entries" };
        let total = 0;
        for (const [k, v] of map) if (k !== key) total += Buffer.byteLength(k) + Buffer.byteLength(v.value);
        if (total + Buffer.byteLength(key) + Buffer.byteLength(value) > limits.totalBytes) return { type: "error", code: "cache_full" };
        const ttl = options.ttl ?? limits.defaultTtlMs;
        let expires = now() + Math.min(ttl, limits.maxTtlMs);
        if (options.expires_at !== undefined) expires = Math.min(expires, options.expires_at);
        map.set(key, { value, expires_at: expires });
        return { type: "success" };
      },
      delete(key) {
        ops.push({ op: "delete", key });
        live().delete(key);
        return { type: "success" };
      },
    },
  };
}

process.on("message", async (message) => {
  if (message.type === "load") {
    const started = process.hrtime.bigint();
    const module = { exports: {} };
    new Function("module", "exports", "require", message.code)(module, module.exports, projectRequire);
    handlers.set(message.name, module.exports);
    process.send({ type: "loaded", id: message.id, ms: Number(process.hrtime.bigint() - started) / 1e6 });
  } else if (message.type === "login") {
    clockOffsetMs = Math.max(clockOffsetMs, message.clockOffsetMs ?? 0);
    const result = await runWith(new Map(message.cache), message);
    process.send({ type: "result", id: message.id, ...result });
  }
});

async function runWith(entries, message) {
  const handler = handlers.get(message.action);
  const commands = [];
  const cache = cacheApi(entries, message.limits);
  let primarySet = false;
  const api = {
    access: { deny: (reason) => commands.push({ type: "deny", reason }) },
    authentication: {
      setPrimaryUser(id) {
        if (typeof id !== "string" || id === "" || id.length > 128) throw new Error("Invalid primary user id");
        if (primarySet) throw new Error("The primary user can only be altered once per transaction");
        primarySet = true;
        commands.push({ type: "setPrimaryUser", id });
      },
    },
    prompt: {
      render: (formId, options = {}) => commands.push({ type: "render", formId, vars: options.vars, fields: options.fields }),
    },
    redirect: {
      // Auth0: false for refresh-token, resource-owner password and prompt=none logins.
      canRedirect: () => message.canRedirect,
      sendUserTo: (url, options = {}) => commands.push({ type: "redirect", url, query: options.query }),
    },
    transaction: {
      // Auth0 (customize/actions/transaction-metadata): string, number or boolean; null removes the
      // key; the value is visible at once in event.transaction.metadata. Early Access: with the
      // feature off (message.transactionMetadata === false) the call is accepted and does nothing.
      setMetadata(key, value) {
        if (typeof key !== "string" || key.length > 64) throw new Error("Invalid transaction metadata key");
        if (value !== null && (!["string", "number", "boolean"].includes(typeof value) || String(value).length > 8192)) throw new Error("Invalid transaction metadata value");
        if (message.transactionMetadata === false) return;
        commands.push({ type: "transactionMetadata", key, value });
        const tx = message.event.transaction;
        if (tx) {
          tx.metadata = { ...(tx.metadata || {}) };
          if (value === null) delete tx.metadata[key];
          else tx.metadata[key] = value;
        }
      },
    },
    multifactor: {
      enable: (provider, options) => commands.push({ type: "multifactor", provider, options }),
    },
    user: {
      setAppMetadata: (key, value) => commands.push({ type: "setAppMetadata", key, value }),
      setUserMetadata: (key, value) => commands.push({ type: "setUserMetadata", key, value }),
    },
    cache: cache.api,
  };
  const own = [];
  const started = process.hrtime.bigint();
  let error;
  try {
    const phase = message.phase === "continue" ? handler.onContinuePostLogin : handler.onExecutePostLogin;
    if (typeof phase !== "function") throw new Error(`the Action has no ${message.phase === "continue" ? "onContinuePostLogin" : "onExecutePostLogin"}`);
    await executionLogs.run(own, () => phase(message.event, api));
  } catch (err) {
    error = err && err.message ? err.message : String(err);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { commands, logs: own, error, ms, cache: [...entries], cacheOps: cache.ops };
}
