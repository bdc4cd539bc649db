// benchmarks/hf/hf_tokenize.js TOKENIZER_JSON TEXT REPEAT IDS_OUT [--whole]
// Hugging Face tokenizers (npm's `tokenizers`: the Rust library's Node
// binding) encoding TEXT the way `pio-bench tokenize` does: paragraph by
// paragraph (each ends after a blank line) with encodeBatch on one thread
// (run it with RAYON_NUM_THREADS=1), or whole.  Prints one JSON line with
// the median MB/s and tokens/s; writes the ids, one line per paragraph.
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const [file, textPath, repeatArg, idsOut] = process.argv.slice(2);
const whole = process.argv.includes('--whole');
const tok = Tokenizer.fromFile(file);
const text = fs.readFileSync(textPath, 'utf8');
const parts = whole ? [text] : text.split(/(?<=\n\n)/);
const bytes = Buffer.byteLength(text);
(async () => {
  const times = [];
  let encodings = await tok.encodeBatch(parts, { addSpecialTokens: false }); // untimed
  for (let r = 0; r < Number(repeatArg); r++) {
    const t0 = process.hrtime.bigint();
    encodings = await tok.encodeBatch(parts, { addSpecialTokens: false });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const m = times.length % 2 ? times[(times.length - 1) / 2]
                             : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  let tokens = 0;
  const lines = encodings.map(e => { const ids = e.getIds(); tokens += ids.length; return ids.join(','); });
  fs.writeFileSync(idsOut, lines.join('\n') + '\n');
  console.log(JSON.stringify({ encode_s_median: m, encode_mb_per_s: bytes / m / 1e6,
                               tokens_per_s: tokens / m, tokens, documents: parts.length }));
})();
