// tests/tools/hf_expected.js DIR — encodes and decodes every input of
// DIR/inputs.json with every DIR/*.json tokenizer through Hugging Face's
// tokenizers (npm's `tokenizers`, the Rust library's Node binding) and
// writes DIR/expected.jsonl, one line per (tokenizer, input, add_special):
// the ids and the decoded text, with and without special tokens.
// Not run by the tests (they read expected.jsonl); run after changing
// tests/tools/make_tokenizers.py:  NODE_PATH=... node tests/tools/hf_expected.js tests/data/tokenizers
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const inputs = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
const files = fs.readdirSync(dir).filter(f => f.endsWith('.json') && f !== 'inputs.json').sort();
(async () => {
  const out = [];
  for (const f of files) {
    const t = Tokenizer.fromFile(path.join(dir, f));
    for (const text of inputs) {
      for (const add of [false, true]) {
        const e = await t.encode(text, null, { addSpecialTokens: add });
        const ids = e.getIds();
        const o = { tokenizer: f, text, add_special: add, ids,
          decoded: await t.decode(ids, false) };
        const skip = await t.decode(ids, true);
        if (skip !== o.decoded) o.decoded_skip = skip;
        out.push(JSON.stringify(o));
      }
    }
  }
  fs.writeFileSync(path.join(dir, 'expected.jsonl'), out.join('\n') + '\n');
})();
