#!/usr/bin/env node
// Compares libgemma4's logits with llama.cpp's on one GGUF and one token sequence.
//
//   node compare.mjs MODEL.gguf [--tokens N] [--seed S] [--batch B] [--kv f16|q8_0|f32] [--threads N]
//                    [--positions P,...] (only these rows: for big vocabularies)
//                    [--min-cos C] [--mean-cos C] [--top1 all|none|FRACTION] [--tie X] [--json]
//   node compare.mjs --ours OURS.json --theirs THEIRS.json [same criteria]
//
// The first form makes a deterministic random prompt of N tokens (default 1100: longer than the
// sliding windows, so rings wrap and KV-shared layers read them), runs
//   $G4_LOGITS MODEL TOKENS --all          (tests/oracle/model/g4_logits, ours)
//   node $ORACLE_DIR/llama-oracle.mjs MODEL logits TOKENS --all      (llama.cpp)
// and prints per-position figures: cosine similarity, top-1 agreement, max |diff|.
// Exit status 1 when the worst cosine is below --min-cos (default 0.99999), the mean cosine below
// --mean-cos (default 0), or the top-1 tokens disagree: with --top1 all (default) at any position
// except near-ties, where llama.cpp's own top-2 logits are less than --tie apart (default 0: none
// excused); with a FRACTION, at more than 1 - FRACTION of the positions.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const flag = (name) => args.includes(name);

const minCos = Number(opt("--min-cos", "0.99999"));
const meanCos = Number(opt("--mean-cos", "0"));
const top1Mode = opt("--top1", "all");
const tie = Number(opt("--tie", "0"));
// --tie-frac F: a top-1 disagreement is a near-tie when llama.cpp's own top-2 gap at that position is
// at most F times its logit range there (the "1% of its logit range" is --tie-frac 0.01).
const tieFrac = Number(opt("--tie-frac", "0"));

function prompt(n, seed, nVocab) {
  // xorshift64*, the tokens skip the 4 specials of the test vocabularies
  let s = BigInt(seed) || 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  const out = [2]; // <bos>
  while (out.length < n) {
    s ^= s >> 12n; s ^= (s << 25n) & mask; s ^= s >> 27n;
    const r = (s * 0x2545f4914f6cdd1dn) & mask;
    out.push(4 + Number(r % BigInt(nVocab - 4)));
  }
  return out;
}

function run(cmd, argv) {
  return execFileSync(cmd, argv, { maxBuffer: 1 << 30, encoding: "utf8" });
}

let ours, theirs, tokens = null;
if (flag("--ours")) {
  ours = JSON.parse(readFileSync(opt("--ours"), "utf8"));
  theirs = JSON.parse(readFileSync(opt("--theirs"), "utf8"));
} else {
  const model = args[0];
  if (!model || model.startsWith("--")) {
    console.error("usage: compare.mjs MODEL.gguf [--tokens N] ... | --ours A.json --theirs B.json");
    process.exit(2);
  }
  const g4 = process.env.G4_LOGITS;
  if (!process.env.ORACLE_DIR) {
    console.error("set ORACLE_DIR to the folder where tests/oracle/setup.sh installed node-llama-cpp");
    process.exit(2);
  }
  if (!g4) {
    console.error("set G4_LOGITS to the g4_logits binary (built with the tests)");
    process.exit(2);
  }
  const nTok = Number(opt("--tokens", "1100"));
  const nVocab = Number(opt("--vocab", "0")) || JSON.parse(run(g4, [model, "2"])).n_vocab;
  tokens = prompt(nTok, Number(opt("--seed", "1")), nVocab);
  const dir = mkdtempSync(join(tmpdir(), "g4cmp-"));
  const tokFile = join(dir, "tokens.txt");
  writeFileSync(tokFile, tokens.join(","));
  const pos = opt("--positions");
  const g4args = [model, "@" + tokFile, "--all", "--batch", opt("--batch", "64")];
  if (pos) g4args.push("--positions", pos);
  if (opt("--kv")) g4args.push("--kv", opt("--kv"));
  if (opt("--threads")) g4args.push("--threads", opt("--threads"));
  ours = JSON.parse(run(g4, g4args));
  // llama.cpp with the oracle's context settings (flash attention auto, f16 KV, batch 512)
  const here = new URL(".", import.meta.url).pathname;
  theirs = JSON.parse(run("node", [join(here, "llama_logits.mjs"), model, "@" + tokFile,
    ...(pos ? ["--positions", pos] : [])]));
}

if (ours.n_vocab !== theirs.n_vocab || ours.rows.length !== theirs.rows.length) {
  console.error(`shape mismatch: ours ${ours.rows.length} x ${ours.n_vocab}, llama.cpp ${theirs.rows.length} x ${theirs.n_vocab}`);
  process.exit(1);
}

const argmax = (v) => v.reduce((bi, x, i) => (x > v[bi] ? i : bi), 0);
let worstCos = 1, worstPos = -1, maxAbs = 0, top1Agree = 0, sumCos = 0, top1IsInput = 0;
const disagreements = [];
for (let r = 0; r < ours.rows.length; r++) {
  const a = ours.rows[r].logits, b = theirs.rows[r].logits;
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i];
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  }
  const cos = dot / Math.sqrt(na * nb);
  sumCos += cos;
  if (cos < worstCos) { worstCos = cos; worstPos = ours.rows[r].pos; }
  const ta = argmax(a), tb = argmax(b);
  if (tokens && tb === tokens[ours.rows[r].pos]) top1IsInput++;
  if (ta === tb) top1Agree++;
  else {
    const sorted = [...b].sort((x, y) => y - x);
    const range = sorted[0] - sorted[sorted.length - 1];
    disagreements.push({ pos: ours.rows[r].pos, ours: ta, llama: tb, llama_gap: sorted[0] - sorted[1],
                         allowed: Math.max(tie, tieFrac * range) });
  }
}
const n = ours.rows.length;
const summary = {
  positions: n,
  n_vocab: ours.n_vocab,
  cos_min: worstCos,
  cos_min_pos: worstPos,
  cos_mean: sumCos / n,
  top1_agree: top1Agree,
  top1_frac: top1Agree / n,
  max_abs_diff: maxAbs,
  top1_disagreements: disagreements.slice(0, 10),
  top1_non_ties: disagreements.filter((d) => d.llama_gap > d.allowed).length,
  // positions where llama.cpp's top-1 is the input token itself: a model that mostly repeats
  // its input makes top-1 agreement a weak check
  top1_is_input: tokens ? top1IsInput : null,
};
console.log(flag("--json") ? JSON.stringify(summary) :
  `positions ${n}  cos min ${worstCos.toFixed(8)} (pos ${worstPos})  cos mean ${(sumCos / n).toFixed(8)}  ` +
  `top-1 ${top1Agree}/${n}` + (tie > 0 || tieFrac > 0 ? ` (${summary.top1_non_ties} differ outside near-ties)` : "") +
  `  max|diff| ${maxAbs.toExponential(3)}` + (tokens ? `  top-1 = input ${top1IsInput}/${n}` : "") +
  (disagreements.length ? `\n  top-1 differs at: ${JSON.stringify(disagreements.slice(0, 10))}` : ""));

let ok = worstCos >= minCos && sumCos / n >= meanCos;
if (top1Mode === "all") ok = ok && disagreements.every((d) => d.llama_gap <= d.allowed);
else if (top1Mode !== "none") ok = ok && top1Agree / n >= Number(top1Mode);
process.exit(ok ? 0 : 1);
