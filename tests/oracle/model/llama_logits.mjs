#!/usr/bin/env node
// llama.cpp's logits for a token sequence, like `llama-oracle.mjs MODEL logits TOKENS --all` but
// with the context settings that matter for numerics under our control:
//
//   node llama_logits.mjs MODEL.gguf TOKENS|@FILE [--last | --positions P,...] [--fa auto|on|off]
//                         [--batch N] [--kv f16|q8_0|f32] [--threads N]
//
// Prints {"n_vocab": V, "rows": [{"pos": i, "logits": [...]}]}. node-llama-cpp is loaded from
// $ORACLE_DIR/node_modules, installed by tests/oracle/setup.sh (ctest does it into build/oracle).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [, , modelPath, tokArg, ...rest] = process.argv;
if (!modelPath || !tokArg) {
  console.error("usage: llama_logits.mjs MODEL.gguf TOKENS|@FILE [--last] [--fa auto|on|off] [--batch N] [--kv T] [--threads N]");
  process.exit(2);
}
const opt = (name, def) => {
  const i = rest.indexOf(name);
  return i >= 0 && i + 1 < rest.length ? rest[i + 1] : def;
};
const oracleDir = process.env.ORACLE_DIR;
if (!oracleDir) {
  console.error("set ORACLE_DIR to the folder where tests/oracle/setup.sh installed node-llama-cpp");
  process.exit(2);
}
const { getLlama, LlamaLogLevel } = await import(
  pathToFileURL(join(oracleDir, "node_modules/node-llama-cpp/dist/index.js")).href);

const text = tokArg.startsWith("@") ? readFileSync(tokArg.slice(1), "utf8") : tokArg;
const tokens = text.split(/[,\s]+/).filter((x) => x.length).map((x) => Number.parseInt(x, 10));
const fa = opt("--fa", "auto");
const kv = opt("--kv", "f16");
const kvType = { f16: "F16", q8_0: "Q8_0", f32: "F32" }[kv];

const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });
const ctx = await model.createContext({
  contextSize: Math.max(256, tokens.length + 64),
  batchSize: Number(opt("--batch", "512")),
  threads: Number(opt("--threads", "2")),
  flashAttention: fa === "auto" ? "auto" : fa === "on",
  ...(kv !== "f16" ? { experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType } : {}),
});
const seq = ctx.getSequence();
const last = rest.includes("--last");
const picked = opt("--positions") ? new Set(opt("--positions").split(",").map(Number)) : null;
const want = (i) => (picked ? picked.has(i) : !last || i === tokens.length - 1);
const input = tokens.map((t, i) => (want(i) ? [t, { generateNext: { logits: true } }] : t));
const res = await seq.controlledEvaluate(input);
const rows = [];
res.forEach((r, i) => {
  if (r?.next?.logits) {
    const m = r.next.logits;
    const v = new Float64Array(m.size);
    for (const [tok, l] of m) v[tok] = l;
    rows.push({ pos: i, logits: Array.from(v) });
  }
});
process.stdout.write(JSON.stringify({ n_vocab: rows.length ? rows[0].logits.length : 0, rows }) + "\n");
await ctx.dispose();
await model.dispose();
await llama.dispose();
