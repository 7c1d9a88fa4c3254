#!/usr/bin/env node
// Greedy continuations: libgemma4 (`gemma4-cli greedy`) against llama.cpp on one GGUF.
//
//   node greedy.mjs MODEL.gguf --cli GEMMA4_CLI [--prompts K] [--seed S] [--prompt-tokens N] [--n 64] [--tie 1e-3]
//
// For each of K deterministic random prompts (seeds S, S+1, ...) both continue greedily for --n
// tokens, stopping at an end-of-generation token. Two checks per prompt:
//  1. Free-running: the continuations must be identical. Where they first differ, the step is
//     forgiven only if llama.cpp's logits for the two tokens differ by at most --tie of its logit
//     range there (a genuine near-tie, where rounding-level differences may pick either); past that
//     step the two no longer share a prefix, so the free-running comparison ends.
//  2. Teacher-forced: our logits on llama.cpp's whole continuation (`gemma4-cli logits --all`), so
//     every one of the --n steps is checked even after a forgiven near-tie: our top-1 must be
//     llama.cpp's token at each step, except at a near-tie by the same rule.
// Exit 1 on a real disagreement in either check.
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
  console.error("usage: greedy.mjs MODEL.gguf --cli GEMMA4_CLI [--prompts K] [--seed S] [--prompt-tokens N] [--n 64] [--tie 1e-3]");
  process.exit(2);
}
const nPrompts = Number(opt("--prompts", "1"));
const seed0 = Number(opt("--seed", "3"));
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
const runCli = (argv) => execFileSync(cli, argv, { encoding: "utf8", maxBuffer: 1 << 28 });
const nVocab = JSON.parse(runCli(["info", "--json", modelPath])).engine.hparams.n_vocab;

function isEog(t) {
  // Gemma 4's end-of-generation set as llama.cpp derives it: <eos>, <turn|>, <|tool_response>
  const text = model.detokenize([t], true);
  return t === model.tokens.eos || text === "<turn|>" || text === "<|tool_response>" || text === "<eos>";
}

// xorshift64* prompt after <bos>, skipping the first 4 special ids
function makePrompt(seed) {
  let s = BigInt(seed) || 1n;
  const mask = (1n << 64n) - 1n;
  const prompt = [2];
  while (prompt.length < nPrompt) {
    s ^= s >> 12n; s ^= (s << 25n) & mask; s ^= s >> 27n;
    prompt.push(4 + Number(((s * 0x2545f4914f6cdd1dn) & mask) % BigInt(nVocab - 4)));
  }
  return prompt;
}

const newContext = (n) => model.createContext({ contextSize: Math.max(256, n + 64), batchSize: 512, threads: 2 });

// llama.cpp's greedy continuation, cut at the first end-of-generation token
async function llamaGreedy(prompt) {
  const ctx = await newContext(nPrompt + nGen);
  const out = [];
  for await (const t of ctx.getSequence().evaluate(prompt, { temperature: 0 })) {
    if (isEog(t)) break;
    out.push(t);
    if (out.length >= nGen) break;
  }
  await ctx.dispose();
  return out;
}

// llama.cpp's logits after each of input[from..] as Maps token -> logit
async function llamaLogits(input, from) {
  const ctx = await newContext(input.length);
  const res = await ctx.getSequence().controlledEvaluate(
    input.map((t, i) => (i >= from ? [t, { generateNext: { logits: true } }] : t)));
  await ctx.dispose();
  return res.slice(from).map((r) => r.next.logits);
}

// |logit(a) - logit(b)| and the near-tie allowance at one step of llama.cpp's logits
function gapAt(logits, a, b) {
  let lo = Infinity, hi = -Infinity;
  for (const [, l] of logits) { lo = Math.min(lo, l); hi = Math.max(hi, l); }
  return { gap: Math.abs(logits.get(a) - logits.get(b)), allowed: tieFrac * (hi - lo) };
}

const argmax = (v) => v.reduce((bi, x, i) => (x > v[bi] ? i : bi), 0);
let allOk = true;
for (let p = 0; p < nPrompts; p++) {
  const prompt = makePrompt(seed0 + p);
  const theirs = await llamaGreedy(prompt);
  const ours = JSON.parse(runCli(["greedy", "-m", modelPath, "--tokens", prompt.join(","), "-n", String(nGen)])).tokens;
  const steps = await llamaLogits([...prompt, ...theirs.slice(0, -1)], nPrompt - 1); // step k: after prompt + theirs[0..k)

  // 1. free-running
  let k = 0;
  while (k < ours.length && k < theirs.length && ours[k] === theirs[k]) k++;
  let verdict = "identical";
  let ok = true;
  if (k < Math.max(ours.length, theirs.length)) {
    if (k >= ours.length || k >= theirs.length) {
      verdict = `one side stopped early at step ${k} (ours ${ours.length} tokens, llama.cpp ${theirs.length})`;
      ok = false;
    } else {
      const { gap, allowed } = gapAt(steps[k], theirs[k], ours[k]);
      ok = gap <= allowed;
      verdict = `first difference at step ${k}: ours ${ours[k]}, llama.cpp ${theirs[k]}, llama.cpp's logit gap ` +
        `${gap.toExponential(3)} vs allowed ${allowed.toExponential(3)} (${ok ? "a near-tie" : "a real disagreement"})`;
    }
  }

  // 2. teacher-forced: our top-1 at every step of llama.cpp's continuation
  const forced = JSON.parse(runCli(["logits", "-m", modelPath, "--tokens", [...prompt, ...theirs.slice(0, -1)].join(","), "--all"]))
    .rows.slice(nPrompt - 1);
  let forcedTies = 0, forcedReal = 0;
  for (let s = 0; s < theirs.length; s++) {
    const top = argmax(forced[s].logits);
    if (top === theirs[s]) continue;
    const { gap, allowed } = gapAt(steps[s], theirs[s], top);
    if (gap <= allowed) forcedTies++;
    else {
      forcedReal++;
      console.log(`  teacher-forced step ${s}: ours ${top}, llama.cpp ${theirs[s]}, gap ${gap.toExponential(3)} > ${allowed.toExponential(3)}`);
    }
  }
  ok = ok && forcedReal === 0;
  allOk = allOk && ok;
  console.log(`greedy ${modelPath} seed ${seed0 + p}: prompt ${nPrompt} tokens, ours ${ours.length} / llama.cpp ` +
    `${theirs.length} tokens generated (${new Set(theirs).size} distinct), ${k} identical; ${verdict}; ` +
    `teacher-forced top-1 ${theirs.length - forcedTies - forcedReal}/${theirs.length} (${forcedTies} near-ties, ${forcedReal} real)`);
}
await model.dispose();
await llama.dispose();
process.exit(allOk ? 0 : 1);
