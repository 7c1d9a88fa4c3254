#!/usr/bin/env node
// Differential test of libgemma4's tokenizer against llama.cpp (the release node-llama-cpp@3.22.1
// ships), on the real Gemma 4 vocabulary.
//
//   node run.mjs --driver PATH/tok_driver [--corpus corpus.json] [--oracle-dir DIR] [--vocab FILE]
//
//   --oracle-dir / $G4_ORACLE_DIR   a folder with node_modules/node-llama-cpp@3.22.1 installed
//                                   (tests/oracle/setup.sh DIR installs it; $ORACLE_DIR works too)
//   --vocab / $G4_TOKENIZER_VOCAB   the vocabulary GGUF; by default llama.cpp's own
//                                   models/ggml-vocab-gemma-4.gguf, taken (with git) out of the git
//                                   bundle inside the installed npm package
//
// What is compared, for every corpus entry:
//   * text entries (JSON strings): token ids from llama.cpp (model.tokenize(text, special), i.e.
//     llama_tokenize with add_special = false) with special parsing on and off, against
//     tok_driver on the same bytes. node hands llama.cpp a string's UTF-8 (a lone surrogate becomes
//     U+FFFD), and the driver gets exactly Buffer.from(text, "utf8");
//   * detokenization of llama.cpp's ids with model.detokenize(ids, special) for special on and off
//     (llama_detokenize with remove_special = false); node decodes llama.cpp's bytes to a string,
//     so our bytes are decoded the same way (invalid UTF-8 -> U+FFFD) before comparing;
//   * raw-byte entries ({"b64": ...}: invalid UTF-8 that a node string cannot carry): our ids and
//     bytes against llama.cpp's output frozen in the entry ("llama": tokenize with parse_special,
//     without it, with add_special, and detokenize of the first), produced with llama.cpp's C API
//     (vocab_only) of the same release;
//   * llama.cpp's own test pair models/ggml-vocab-gemma-4.gguf.inp/.out (add_special and
//     parse_special off, as its test-tokenizer-0 uses them).
// Exit status 0 only when everything agrees. A missing prerequisite is a failure with a message.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, env, dflt) => {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  return (env && process.env[env]) || dflt;
};
const fail = (msg) => {
  console.error(`oracle/tokenizer: ${msg}`);
  process.exit(1);
};

const driver = opt("--driver", "G4_TOK_DRIVER");
const corpusPath = opt("--corpus", null, join(here, "corpus.json"));
const oracleDir = opt("--oracle-dir", "G4_ORACLE_DIR") || process.env.ORACLE_DIR;
if (!driver || !existsSync(driver)) fail(`tok_driver not found (--driver): ${driver}`);
if (!oracleDir) fail("set G4_ORACLE_DIR (or --oracle-dir) to a folder with node-llama-cpp@3.22.1 installed (tests/oracle/setup.sh DIR)");
const nlcDir = join(oracleDir, "node_modules", "node-llama-cpp");
if (!existsSync(join(nlcDir, "package.json"))) fail(`no node-llama-cpp in ${oracleDir}/node_modules: run tests/oracle/setup.sh ${oracleDir}`);

const work = mkdtempSync(join(tmpdir(), "g4-tok-oracle-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

// The vocabulary and llama.cpp's test pair for it.
let vocab = opt("--vocab", "G4_TOKENIZER_VOCAB");
let testInp = null, testOut = null;
{
  const bundle = join(nlcDir, "llama", "gitRelease.bundle");
  const fromBundle = (path, out) => {
    if (!existsSync(join(work, "git"))) {
      execFileSync("git", ["init", "-q", "--bare", join(work, "git")]);
      execFileSync("git", ["-C", join(work, "git"), "fetch", "-q", bundle], { stdio: "ignore" });
    }
    writeFileSync(out, execFileSync("git", ["-C", join(work, "git"), "show", `FETCH_HEAD:${path}`], { maxBuffer: 1 << 28 }));
    return out;
  };
  try {
    if (!vocab) vocab = fromBundle("models/ggml-vocab-gemma-4.gguf", join(work, "vocab.gguf"));
    testInp = readFileSync(fromBundle("models/ggml-vocab-gemma-4.gguf.inp", join(work, "t.inp")), "utf8");
    testOut = readFileSync(fromBundle("models/ggml-vocab-gemma-4.gguf.out", join(work, "t.out")), "utf8");
  } catch (e) {
    if (!vocab) fail(`cannot take the vocabulary out of ${bundle} (needs git): ${e.message}`);
    console.log(`(llama.cpp's .inp/.out test pair not available: ${e.message.split("\n")[0]})`);
  }
}
if (!existsSync(vocab)) fail(`vocabulary not found: ${vocab}`);

// Our side, through the driver.
const runDriver = (cmd, payload, flags = []) => {
  const file = join(work, `in-${cmd}.json`);
  writeFileSync(file, JSON.stringify(payload));
  return JSON.parse(execFileSync(driver, [vocab, cmd, file, ...flags], { maxBuffer: 1 << 30 }).toString());
};
const ourTokenize = (bufs, flags) => runDriver("tokenize", bufs.map((b) => b.toString("base64")), flags).tokens;
const ourDetokenize = (seqs, flags) => runDriver("detokenize", seqs, flags).b64.map((s) => Buffer.from(s, "base64"));

// llama.cpp's side.
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(join(nlcDir, "dist", "index.js")).href);
const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
const model = await llama.loadModel({ modelPath: vocab, vocabOnly: true });

const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));
const isText = (e) => typeof e === "string";
const bytesOf = (e) => (isText(e) ? Buffer.from(e, "utf8") : Buffer.from(e.b64, "base64"));
const bufs = corpus.map(bytesOf);
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (b) => JSON.stringify(b.toString("utf8").slice(0, 80)) + (b.length <= 24 ? ` (bytes ${b.toString("hex")})` : "");

const results = [];
const check = (name, total, mismatches) => {
  results.push({ name, total, agree: total - mismatches.length });
  for (const m of mismatches.slice(0, 8)) console.log(`  MISMATCH ${name}: ${m}`);
};

for (const [label, parse] of [["tokenize parse_special", true], ["tokenize no_special", false]]) {
  const ours = ourTokenize(bufs, parse ? [] : ["--no-special"]);
  const bad = [];
  let n = 0;
  corpus.forEach((e, i) => {
    const want = isText(e) ? Array.from(model.tokenize(e, parse)) : e.llama[parse ? "parse_special" : "no_special"];
    n++;
    if (!same(ours[i], want)) bad.push(`#${i} ${show(bufs[i])}\n    llama.cpp ${JSON.stringify(want)}\n    ours      ${JSON.stringify(ours[i])}`);
  });
  check(label, n, bad);
}

{
  const raw = corpus.map((e, i) => [e, i]).filter(([e]) => !isText(e));
  const ours = ourTokenize(raw.map(([, i]) => bufs[i]), ["--add-special"]);
  const bad = [];
  raw.forEach(([e, i], k) => {
    if (!same(ours[k], e.llama.add_special)) bad.push(`#${i} ${show(bufs[i])}: ${JSON.stringify(e.llama.add_special)} vs ${JSON.stringify(ours[k])}`);
  });
  check("tokenize add_special (raw bytes)", raw.length, bad);
}

for (const [label, special] of [["detokenize special", true], ["detokenize no_special", false]]) {
  const idsOf = corpus.map((e) => (isText(e) ? Array.from(model.tokenize(e, true)) : e.llama.parse_special));
  const ours = ourDetokenize(idsOf, special ? [] : ["--no-special"]);
  const bad = [];
  corpus.forEach((e, i) => {
    let ok;
    if (isText(e)) {
      ok = ours[i].toString("utf8") === model.detokenize(idsOf[i], special);
    } else if (special) {
      ok = ours[i].equals(Buffer.from(e.llama.detokenize_b64, "base64"));
    } else {
      ok = ours[i].toString("utf8") === model.detokenize(idsOf[i], false);
    }
    if (!ok) bad.push(`#${i} ids ${JSON.stringify(idsOf[i]).slice(0, 120)}: ours ${show(ours[i])}`);
  });
  check(label, corpus.length, bad);
}

if (testInp !== null) {
  const inputs = [];
  for (let pos = 0; pos < testInp.length; ) {
    const next = testInp.indexOf("\n__ggml_vocab_test__\n", pos);
    if (next < 0) {
      inputs.push(testInp.slice(pos));
      break;
    }
    inputs.push(testInp.slice(pos, next));
    pos = next + "\n__ggml_vocab_test__\n".length;
  }
  const outs = testOut.split("\n");
  const ours = ourTokenize(inputs.map((s) => Buffer.from(s, "utf8")), ["--no-special"]);
  const bad = [];
  inputs.forEach((s, i) => {
    const want = outs[i].trim() === "" ? [] : outs[i].trim().split(" ").map(Number);
    if (!same(ours[i], want)) bad.push(`${JSON.stringify(s)}: ${outs[i]} vs ${ours[i].join(" ")}`);
  });
  check("llama.cpp ggml-vocab-gemma-4 test pair", inputs.length, bad);
}

await model.dispose();
await llama.dispose();

let allOk = true;
console.log(`oracle/tokenizer: ${corpus.length} corpus entries (${corpus.filter(isText).length} texts, ${corpus.filter((e) => !isText(e)).length} raw byte strings), vocabulary ${vocab}`);
for (const r of results) {
  console.log(`  ${r.agree === r.total ? "ok  " : "FAIL"} ${r.name}: ${r.agree}/${r.total} agree`);
  if (r.agree !== r.total) allOk = false;
}
process.exit(allOk ? 0 : 1);
