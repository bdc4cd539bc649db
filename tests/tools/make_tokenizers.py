#!/usr/bin/env python3
"""Writes the small tokenizer.json files of tests/data/tokenizers/, each
exercising a set of tokenizer.json components (see README there).  Their
vocabularies are learnt by a tiny BPE trainer on a fixed paragraph, so the
files are reproducible: run this, then tests/tools/hf_expected.js to
regenerate expected.jsonl with Hugging Face's tokenizers."""
import json
import os
import sys

TEXT = ("The quick brown fox jumps over the lazy dog. The dog sleeps; the fox "
        "runs away, quickly! Then they meet again at the river. It's 2024 and "
        "they're friends. Hello hello HELLO world world-wide well-known re-enter "
        "caf\u00e9 na\u00efve \u00fcber stra\u00dfe 12345 3.14 x-ray a--b")


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def train(words, n_merges, vocab, prefix=""):
    """Plain BPE: words is a list of symbol lists; vocab (str -> id) grows.
    A right part's continuing-subword prefix is dropped when merging."""
    merges = []
    words = [list(w) for w in words]
    for _ in range(n_merges):
        counts = {}
        for w in words:
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            break
        best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1][len(prefix):]
        if joined not in vocab:
            vocab[joined] = len(vocab)
        out = []
        for w in words:
            i, nw = 0, []
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    nw.append(joined)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            out.append(nw)
        words = out
    return merges


def added(id_, content, special=True, lstrip=False, rstrip=False, single_word=False,
          normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": (not special) if normalized is None else normalized,
            "special": special}


def template(token, token_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": token, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": token, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {token: {"id": token, "ids": [token_id], "tokens": [token]}}}


def doc(model, normalizer=None, pre=None, post=None, decoder=None, added_tokens=()):
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": list(added_tokens), "normalizer": normalizer,
            "pre_tokenizer": pre, "post_processor": post, "decoder": decoder, "model": model}


def bpe(vocab, merges, **kw):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
         "ignore_merges": False, "vocab": vocab, "merges": [list(p) for p in merges]}
    m.update(kw)
    return m


def byte_level_words(text, pattern_words):
    b2u = bytes_to_unicode()
    return [''.join(b2u[b] for b in w.encode()) for w in pattern_words(text)]


def gpt2_words(text):
    import re
    out, cur = [], ''
    for part in re.findall(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z\u00c0-\u024f]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+", text):
        out.append(part)
    return out


def byte_vocab():
    b2u = bytes_to_unicode()
    vocab = {}
    for b in range(256):
        vocab[b2u[b]] = len(vocab)
    return vocab


def gpt2_like():
    vocab = byte_vocab()
    merges = train(byte_level_words(TEXT, gpt2_words), 90, vocab)
    n = len(vocab)
    toks = [added(n, "<|endoftext|>"),
            added(n + 1, "<tool>", special=False, lstrip=True, rstrip=True, normalized=False),
            added(vocab.get("fox", n + 2), "fox", special=False, single_word=True, normalized=False),
            added(n + 2, "Hello", special=False, normalized=True)]
    return doc(bpe(vocab, merges),
               pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
               post={"type": "Sequence", "processors": [
                   {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                   template("<|endoftext|>", n)]},
               decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
               added_tokens=toks)


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
                  r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def llama3_like():
    vocab = byte_vocab()
    merges = train(byte_level_words(TEXT, gpt2_words), 90, vocab)
    # a second way to every merged token of three or more characters, as
    # converted tiktoken vocabularies have: (x, yz) beside (xy, z)
    extra = []
    for a, b in merges:
        t = a + b
        if len(t) >= 3 and t[1:] in vocab and (t[0], t[1:]) not in merges:
            extra.append((t[0], t[1:]))
    merges = merges + extra
    n = len(vocab)
    toks = [added(n, "<|begin_of_text|>"), added(n + 1, "<|eot_id|>")]
    return doc(bpe(vocab, merges, ignore_merges=True),
               pre={"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated", "invert": False},
                   {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
               post=template("<|begin_of_text|>", n),
               decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
               added_tokens=toks)


def byte_level_mapped():
    """ByteLevel before a Split: the split sees the mapped characters."""
    d = gpt2_like()
    d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "Split", "pattern": {"String": "\u0120"}, "behavior": "MergedWithNext", "invert": False}]}
    d["post_processor"] = None
    return d


def spm_vocab(words, n_merges):
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for ch in sorted(set(''.join(words))):
        vocab.setdefault(ch, len(vocab))
    merges = train(words, n_merges, vocab)
    return vocab, merges


def spm_words(text):
    return ["\u2581" + w for w in text.split(' ')]


SPM_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def spm_like(byte_fallback=True):
    vocab, merges = spm_vocab(spm_words(TEXT), 80)
    if not byte_fallback:
        for b in range(256):
            del vocab["<0x%02X>" % b]
        vocab = {k: i for i, k in enumerate(vocab)}
    toks = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"),
            added(len(vocab), "[INST]", special=False, normalized=False)]
    return doc(bpe(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=byte_fallback),
               normalizer={"type": "Sequence", "normalizers": [
                   {"type": "Prepend", "prepend": "\u2581"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
               post=template("<s>", 1), decoder=SPM_DECODER, added_tokens=toks)


def metaspace_like(scheme, split):
    vocab, merges = spm_vocab(spm_words(TEXT), 80)
    toks = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"),
            added(len(vocab), "world", special=False, normalized=True)]
    return doc(bpe(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True),
               pre={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": scheme,
                    "split": split},
               post=template("<s>", 1),
               decoder={"type": "Sequence", "decoders": [
                   {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "\u2581",
                                              "prepend_scheme": scheme, "split": split}]},
               added_tokens=toks)


def wordpiece_like():
    """continuing_subword_prefix, unk, normalisers, word pre-tokenisers."""
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789.,;!?'-" + TEXT.lower()) - {" "})
    vocab = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2}
    for c in chars:
        vocab[c] = len(vocab)
        vocab["##" + c] = len(vocab)
    words = []
    for w in TEXT.lower().split():
        words.append([w[0]] + ["##" + c for c in w[1:]])
    merges = train(words, 60, vocab, prefix="##")
    return doc(bpe(vocab, merges, unk_token="[UNK]", continuing_subword_prefix="##"),
               normalizer={"type": "Sequence", "normalizers": [
                   {"type": "NFD"}, {"type": "StripAccents"}, {"type": "NFKC"},
                   {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True},
                   {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}]},
               pre={"type": "Sequence", "pretokenizers": [
                   {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": True},
                   {"type": "Punctuation", "behavior": "Isolated"}]},
               post={"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
               decoder=None,
               added_tokens=[added(0, "[UNK]"), added(1, "[CLS]"), added(2, "[SEP]")])


def suffix_like():
    """end_of_word_suffix with Whitespace splitting, NFC, Fuse and Replace decoders."""
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789.,;!?'-"))
    vocab = {"<unk>": 0}
    for c in chars:
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    words = [list(w[:-1]) + [w[-1] + "</w>"] for w in TEXT.lower().replace(',', ' ').split() if w.isascii()]
    merges = train(words, 60, vocab)
    return doc(bpe(vocab, merges, unk_token="<unk>", end_of_word_suffix="</w>"),
               normalizer={"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]},
               pre={"type": "Whitespace"},
               decoder={"type": "Sequence", "decoders": [
                   {"type": "Replace", "pattern": {"String": "</w>"}, "content": " "}, {"type": "Fuse"}]},
               added_tokens=[added(0, "<unk>")])


def splits(behavior, invert):
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz- "))
    vocab = {"<unk>": 0}
    for c in chars:
        vocab[c] = len(vocab)
    merges = []
    for a, b in [("-", "-"), ("a", "-"), ("-", "a"), ("a", "b"), (" ", "-"), ("-", " ")]:
        merges.append((a, b))
        vocab.setdefault(a + b, len(vocab))
    return doc(bpe(vocab, merges, unk_token="<unk>"),
               pre={"type": "Split", "pattern": {"Regex": "-+" if behavior == "Contiguous" else "-"},
                    "behavior": behavior, "invert": invert},
               decoder={"type": "Fuse"}, added_tokens=[added(0, "<unk>")])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "data", "tokenizers")
    files = {
        "gpt2_like.json": gpt2_like(),
        "llama3_like.json": llama3_like(),
        "byte_level_mapped.json": byte_level_mapped(),
        "spm_like.json": spm_like(True),
        "spm_unk.json": spm_like(False),
        "metaspace_first.json": metaspace_like("first", False),
        "metaspace_always.json": metaspace_like("always", True),
        "wordpiece_like.json": wordpiece_like(),
        "suffix_like.json": suffix_like(),
    }
    for b in ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]:
        files["split_%s.json" % b.lower()] = splits(b, False)
    files["split_isolated_invert.json"] = splits("Isolated", True)
    files["split_removed_invert.json"] = splits("Removed", True)
    for name, d in files.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(d, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
