#!/usr/bin/env python3
"""JA3/JA4 test vectors from ../shared/corpus/expected.jsonl, for test_fingerprint.

Prints "JA3_STRING<TAB>JA3<TAB>JA4" per distinct JA3 string, JA4 "-" unless the JA3 string
determines it: no signature_algorithms (13), ALPN (16) or supported_versions (43) extension
(then JA4's version is the legacy one, its ALPN "00", and it hashes no signature list).
JA4 values the corpus marks as disputed between tools are left out.
Usage: corpus_vectors.py [EXPECTED_JSONL] > vectors.tsv
"""
import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "expected.jsonl"


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    seen = set()
    for line in path.read_text().splitlines():
        d = json.loads(line)
        s, ja3 = d.get("ja3_string"), d.get("ja3")
        if not s or not ja3 or s in seen:
            continue
        seen.add(s)
        exts = {int(x) for x in s.split(",")[2].split("-") if x}
        ja4 = d.get("ja4") or "-"
        if exts & {13, 16, 43} or d.get("ja4_disputed") or "ja4" in str(d.get("disagreements")):
            ja4 = "-"
        print("%s\t%s\t%s" % (s, ja3, ja4))


if __name__ == "__main__":
    main()
