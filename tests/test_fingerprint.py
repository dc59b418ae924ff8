"""The MinHash signature computed a block at a time is the one the words x permutations matrix
gave (so stores written before and after compare), and its memory does not grow with the page."""

from __future__ import annotations

import random
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from readiness.page.content import MainContentReader
from readiness.page.fingerprint import (
    DEFAULT_NUM_PERM,
    DEFAULT_SEED,
    DEFAULT_SHINGLE_WORDS,
    PERMUTED_ROWS,
    SHINGLE_HASH,
    TEXT_BLOCK_BYTES,
    MinHasher,
    _fmix32,
    _permutations,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import near_duplicates as labelled  # noqa: E402  (bench/ is not a package)


def matrix_signature(text: str, num_perm: int = DEFAULT_NUM_PERM,
                     shingle_words: int = DEFAULT_SHINGLE_WORDS,
                     seed: int = DEFAULT_SEED) -> bytes | None:
    """The signature as computed before blocks: every shingle against every permutation at once."""
    words = text.encode("utf-8").split(b" ")
    k = shingle_words
    if len(words) < k:
        return None
    shingles = map(b" ".join, zip(*(words[i:] for i in range(k))))
    hashes = np.fromiter(map(SHINGLE_HASH, shingles), dtype=np.uint32, count=len(words) - k + 1)
    a, b = _permutations(num_perm, seed)
    mixed = _fmix32(hashes).reshape(-1, 1)
    with np.errstate(over="ignore"):
        permuted = mixed * a + b
    return permuted.min(axis=0).astype("<u4").tobytes()


VOCABULARY = ["smile", "tooth", "clinic", "café", "zürich", "naïve", "x", "appointment",
              "hygienist", "implant", "veneer", "a", "€12"]


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(VOCABULARY, k=count))


def corpus() -> list[str]:
    """Main texts of the labelled practice pages, and texts around every block boundary."""
    texts = []
    reader = MainContentReader()
    for _, html_a, html_b in labelled.labelled_pairs(4, seed=3):
        for html in (html_a, html_b):
            texts.append(" ".join(labelled.main_words(html, reader)).lower())
    rng = random.Random(11)
    texts += [_words(rng, n) for n in (0, 1, 4, 5, 6, 400, PERMUTED_ROWS + 3)]
    texts.append("")
    long_text = _words(rng, 60_000)  # several text blocks, many permuted blocks
    texts.append(long_text)
    # A space exactly at, just before and just after a block boundary.
    for shift in (-1, 0, 1):
        head = "w" * (TEXT_BLOCK_BYTES + shift)
        texts.append(head + " " + _words(rng, 50))
    texts.append("y " * (TEXT_BLOCK_BYTES + 5))  # one-letter words across the boundary
    texts.append("trailing space ")
    return texts


@pytest.mark.parametrize("num_perm, shingle_words", [(DEFAULT_NUM_PERM, DEFAULT_SHINGLE_WORDS),
                                                     (128, 1), (64, 2), (7, 9)])
def test_block_signature_equals_the_matrix_signature(num_perm, shingle_words):
    hasher = MinHasher(num_perm, shingle_words)
    texts = corpus()
    assert any(len(t.encode()) > 3 * TEXT_BLOCK_BYTES for t in texts)
    for text in texts:
        assert hasher.signature(text) == matrix_signature(text, num_perm, shingle_words), text[:60]


def test_signature_memory_does_not_grow_with_the_page():
    """A 3 MB page of text once needed a ~440 MB matrix (and as much again for temporaries)."""
    text = _words(random.Random(5), 450_000)
    assert len(text.encode()) > 3_000_000
    hasher = MinHasher()
    tracemalloc.start()
    try:
        hasher.signature(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The encoded text (~3.4 MB) plus fixed-size blocks; the matrix form peaked above 800 MB.
    assert peak < 24 * 2**20, f"{peak / 2**20:.0f} MB"
