#!/usr/bin/env node
// Greedy continuations: libgemma4 (`gemma4-cli greedy`) against llama.cpp on one GGUF.
//
//   node greedy.mjs MODEL.gguf --cli GEMMA4_CLI [--prompt-tokens N] [--n 64] [--seed S] [--tie 1e-3]
//
// Both continue the same deterministic random prompt greedily for --n tokens, stopping at an
// end-of-generation token. They must be identical; where they first differ, the step is forgiven
// only if llama.cpp's logits for the two tokens differ by at most --tie of its logit range there
// (a genuine near-tie, where rounding-level differences may pick either), and the comparison ends
// (the two continuations no longer share a prefix). Exit 1 on a real disagreement.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const modelPath = args[0];
const cli = opt("--cli");
if (!modelPath || !cli) {
  console.error("usage: greedy.mjs MODEL.gguf --cli GEMMA4_CLI [--prompt-tokens N] [--n 64] [--seed S] [--tie 1e-3]");
  process.exit(2);
}
const nPrompt = Number(opt("--prompt-tokens", "24"));
const nGen = Number(opt("--n", "64"));
const tieFrac = Number(opt("--tie", "1e-3"));
const oracleDir = process.env.ORACLE_DIR;
if (!oracleDir) {
  console.error("set ORACLE_DIR to the folder where tests/oracle/setup.sh installed node-llama-cpp");
  process.exit(2);
}
const { getLlama, LlamaLogLevel } = await import(
  pathToFileURL(join(oracleDir, "node_modules/node-llama-cpp/dist/index.js")).href);

const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });
const nVocab = JSON.parse(execFileSync(cli, ["info", "--json", modelPath], { encoding: "utf8", maxBuffer: 1 << 28 }))
  .engine.hparams.n_vocab;

// xorshift64* prompt after <bos>, skipping the first 4 special ids
let s = BigInt(Number(opt("--seed", "3"))) || 1n;
const mask = (1n << 64n) - 1n;
const prompt = [2];
while (prompt.length < nPrompt) {
  s ^= s >> 12n; s ^= (s << 25n) & mask; s ^= s >> 27n;
  prompt.push(4 + Number(((s * 0x2545f4914f6cdd1dn) & mask) % BigInt(nVocab - 4)));
}

async function newContext(n) {
  return model.createContext({ contextSize: Math.max(256, n + 64), batchSize: 512, threads: 2 });
}

// llama.cpp's greedy continuation, cut at the first end-of-generation token
const ctx = await newContext(nPrompt + nGen);
const theirs = [];
for await (const t of ctx.getSequence().evaluate(prompt, { temperature: 0 })) {
  if (isEog(t)) break;
  theirs.push(t);
  if (theirs.length >= nGen) break;
}
await ctx.dispose();

function isEog(t) {
  // Gemma 4's end-of-generation set as llama.cpp derives it: <eos>, <turn|>, <|tool_response>
  const text = model.detokenize([t], true);
  return t === model.tokens.eos || text === "<turn|>" || text === "<|tool_response>" || text === "<eos>";
}

const ours = JSON.parse(execFileSync(cli, ["greedy", "-m", modelPath, "--tokens", prompt.join(","), "-n", String(nGen)],
  { encoding: "utf8", maxBuffer: 1 << 26 })).tokens;

let k = 0;
while (k < ours.length && k < theirs.length && ours[k] === theirs[k]) k++;
let verdict = "identical";
let ok = true;
if (k < Math.max(ours.length, theirs.length)) {
  if (k >= ours.length || k >= theirs.length) {
    verdict = `one side stopped early at step ${k} (ours ${ours.length} tokens, llama.cpp ${theirs.length})`;
    ok = false;
  } else {
    // llama.cpp's logits at the first differing step
    const c2 = await newContext(nPrompt + k + 1);
    const input = [...prompt, ...theirs.slice(0, k)];
    const res = await c2.getSequence().controlledEvaluate(
      input.map((t, i) => (i === input.length - 1 ? [t, { generateNext: { logits: true } }] : t)));
    const logits = res[input.length - 1].next.logits;
    let lo = Infinity, hi = -Infinity;
    for (const [, l] of logits) { lo = Math.min(lo, l); hi = Math.max(hi, l); }
    const gap = Math.abs(logits.get(theirs[k]) - logits.get(ours[k]));
    const allowed = tieFrac * (hi - lo);
    ok = gap <= allowed;
    verdict = `first difference at step ${k}: ours ${ours[k]}, llama.cpp ${theirs[k]}, llama.cpp's logit gap ` +
      `${gap.toExponential(3)} vs allowed ${allowed.toExponential(3)} (${ok ? "a near-tie" : "a real disagreement"})`;
    await c2.dispose();
  }
}
console.log(`greedy ${modelPath}: prompt ${nPrompt} tokens, ours ${ours.length} / llama.cpp ${theirs.length} tokens ` +
  `generated, ${k} identical; ${verdict}`);
await model.dispose();
await llama.dispose();
process.exit(ok ? 0 : 1);
