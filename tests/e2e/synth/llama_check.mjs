// Loads a gguf-synth model with llama.cpp (node-llama-cpp) and checks that it works as a Gemma 4:
// the chat special tokens tokenize to their ids, the logits after a prompt are finite, have the
// vocabulary's length and are not flat, and greedy decoding produces in-range tokens.
//   node llama_check.mjs MODEL.gguf N_VOCAB
// Prints one JSON line; exits 1 with a message on the first failed check.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [, , modelPath, nVocabArg] = process.argv;
const nVocab = Number.parseInt(nVocabArg ?? "", 10);
if (!modelPath || !Number.isInteger(nVocab)) {
  console.error("usage: llama_check.mjs MODEL.gguf N_VOCAB");
  process.exit(2);
}
const fail = (msg) => {
  console.error(`${modelPath}: ${msg}`);
  process.exit(1);
};

const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: true });

// <|turn> = 105 and <turn|> = 106 in every Gemma 4 vocabulary gguf-synth writes.
const chat = Array.from(model.tokenize("<|turn>user\nHello<turn|>\n<|turn>model\n", true));
if (chat[0] !== 105 || !chat.includes(106)) fail(`chat special tokens not recognized: ${JSON.stringify(chat)}`);

const prompt = [2, ...chat];
const ctx = await model.createContext({ contextSize: 256, batchSize: 256, threads: 2 });
const seq = ctx.getSequence();
const res = await seq.controlledEvaluate(
  prompt.map((t, i) => (i === prompt.length - 1 ? [t, { generateNext: { logits: true } }] : t)),
);
const map = res[prompt.length - 1]?.next?.logits;
if (!map) fail("no logits returned");
const logits = new Float64Array(map.size);
for (const [tok, l] of map) logits[tok] = l;
if (logits.length !== nVocab) fail(`${logits.length} logits, want ${nVocab}`);
let sum = 0, sum2 = 0, top = 0;
for (let i = 0; i < logits.length; i++) {
  if (!Number.isFinite(logits[i])) fail(`logit ${i} is ${logits[i]}`);
  sum += logits[i];
  sum2 += logits[i] * logits[i];
  if (logits[i] > logits[top]) top = i;
}
const sd = Math.sqrt(sum2 / logits.length - (sum / logits.length) ** 2);
if (!(sd > 0.1)) fail(`logits are flat (sd ${sd})`);
await ctx.dispose();

const ctx2 = await model.createContext({ contextSize: 256, batchSize: 256, threads: 2 });
const gen = [];
for await (const t of ctx2.getSequence().evaluate(prompt, { temperature: 0 })) {
  if (!(t >= 0 && t < nVocab)) fail(`greedy token ${t} out of range`);
  gen.push(t);
  if (gen.length >= 8) break;
}
await ctx2.dispose();
await model.dispose();
await llama.dispose();
console.log(JSON.stringify({ model: modelPath, n_vocab: logits.length, sd: Number(sd.toFixed(3)), top, greedy: gen }));
