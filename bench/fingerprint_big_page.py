"""The near-duplicate fingerprint of one 8 MB single-line page: CPU s and peak RSS.

Issue 11 §4: such a page once took 4.3 GB and 13 s (a words x permutations matrix). The
signature is now computed a block at a time (readiness/page/fingerprint.py), so its cost is
linear in words and its memory bounded per page. Run by hand:
``.venv/bin/python bench/fingerprint_big_page.py [--megabytes 8]``; no server, no network.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from readiness.page.fingerprint import MinHasher


def one_line_page(megabytes: float, seed: int = 1) -> str:
    """About ``megabytes`` of words from a 5,000-word vocabulary, no line break."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                          for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    words, size = [], 0
    while size < megabytes * 1e6:
        word = rng.choice(vocabulary)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=8.0)
    args = parser.parse_args()
    text = one_line_page(args.megabytes)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    MinHasher().signature(text)
    cpu = time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(text) / 1e6:.1f} MB on one line, {text.count(' ') + 1} words: "
          f"{cpu:.2f} s CPU, peak RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
