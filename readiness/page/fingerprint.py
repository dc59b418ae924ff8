"""Fingerprints of a page's main-content words: the exact-content hash and the MinHash signature.

Both are computed over the lower-cased words of the main content joined by single spaces
(readiness.page.content reads that text).

``content_hash``
    blake2b (16-byte digest) hex of that text. Equal hashes mean the same main-content text.

``minhash`` (the ``pages.minhash`` BLOB)
    A datasketch ``MinHash`` signature of the set of ``shingle_words``-word shingles (each
    shingle the utf-8 bytes of its words joined by one space), stored as its ``num_perm``
    hash values, each a little-endian uint32 (``hashvalues.astype('<u4').tobytes()``), so
    ``4 * num_perm`` bytes. Permutation scheme "affine32" with the given ``seed``; shingles
    hashed with ``zlib.crc32`` (see ``SHINGLE_HASH``). Two signatures compare only when
    ``num_perm``, ``seed``, scheme, hash function and shingling were all the same, so they are
    module constants and PageExtractor defaults. Read one back with :func:`minhash_from_bytes`;
    estimate the Jaccard similarity of two with :func:`jaccard`.

    What it estimates: the Jaccard similarity of two pages' shingle sets, |A ∩ B| / |A ∪ B|.
    The share of the ``num_perm`` values two signatures have in common is an unbiased
    estimate of it, with a standard error of sqrt(J (1 - J) / num_perm): 0.031 at J = 0.5
    with 256 values (0.044 with 128, the size before the near-duplicate calibration; stores
    written then still compare among themselves, as the size is read from the BLOB).
    5-word shingles and 256 values were chosen on labelled pairs of practice pages
    (docs/near-duplicates.md): rewriting a quarter of the main text gives J ~0.58, half of
    it ~0.33.

The signature is computed a fixed-size block at a time (``TEXT_BLOCK_BYTES`` of text hashed,
``PERMUTED_ROWS`` shingles permuted at once), so its cost is linear in words and its working
memory bounded per page: a 3 MB page of text (~430,000 shingles) once needed a
shingles × permutations matrix of ~440 MB and its temporaries.
"""

from __future__ import annotations

import hashlib
import zlib
from functools import lru_cache
from typing import Iterator

import numpy as np

# 256, not datasketch's 128: the near-duplicate threshold (0.40) sits in a gap ~0.07 wide
# between the labelled pairs that must be flagged and those that must not; 128 values'
# error (0.037 RMSE) spans half of it (1% false flags), 256 values' (0.024) a third
# (none). docs/near-duplicates.md has the table.
DEFAULT_NUM_PERM = 256
DEFAULT_SHINGLE_WORDS = 5
DEFAULT_SEED = 1
MINHASH_SCHEME = "affine32"  # explicit: datasketch's default scheme changed once already (2.0)
# crc32 instead of datasketch's default sha1: hashing is most of the signature's cost on
# the crawl's hot path, and zlib.crc32 is ~5x faster per shingle. datasketch premixes every
# input hash with the MurmurHash3 finalizer, so the signature's Jaccard estimates are as
# accurate as with sha1 (measured: same bias and RMSE over 300 pairs of 400-word texts).
SHINGLE_HASH = zlib.crc32

# Text split into words and hashed per block of this many bytes (cut at a space): a typical
# page (~3 KB of main text) is one block; a 3 MB page ~46, each ~9,000 words.
TEXT_BLOCK_BYTES = 1 << 16
# Shingles permuted at once: a PERMUTED_ROWS x num_perm uint32 block, 2 MB at 256 values.
PERMUTED_ROWS = 2048
_MAX_HASH = np.uint32(0xFFFFFFFF)  # datasketch's starting value of every hash value


def content_hash(text: str) -> str:
    """The exact-content hash of main-content text (lower-cased words joined by spaces)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class MinHasher:
    """datasketch's affine32 MinHash of a text's word shingles, without importing datasketch
    (and scipy: ~80 MB and ~0.9 s at start-up); build once, call ``signature`` per page."""

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM,
                 shingle_words: int = DEFAULT_SHINGLE_WORDS, seed: int = DEFAULT_SEED) -> None:
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {num_perm}")
        if shingle_words < 1:
            raise ValueError(f"shingle_words must be at least 1, got {shingle_words}")
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self.seed = seed
        self._a, self._b = _permutations(num_perm, seed)

    def signature(self, text: str) -> bytes | None:
        """The ``pages.minhash`` BLOB of ``text`` (words separated by single spaces); None
        when it has fewer words than one shingle."""
        k = self.shingle_words
        minimum = np.full(self.num_perm, _MAX_HASH, dtype=np.uint32)
        shingles = 0
        carried: list[bytes] = []  # the last k - 1 words of the block before: shingles span blocks
        for block in _text_blocks(text.encode("utf-8")):
            words = carried + block.split(b" ")
            count = len(words) - k + 1
            if count > 0:
                joined = map(b" ".join, zip(*(words[i:] for i in range(k))))
                hashes = np.fromiter(map(SHINGLE_HASH, joined), dtype=np.uint32, count=count)
                self._fold(_fmix32(hashes), minimum)
                shingles += count
            carried = words[max(0, len(words) - k + 1):]
        return minimum.astype("<u4").tobytes() if shingles else None

    def _fold(self, mixed: np.ndarray, minimum: np.ndarray) -> None:
        """minimum = min(minimum, min over the shingles of a*h + b mod 2^32), per permutation,
        PERMUTED_ROWS shingles at a time into one reused block."""
        work = np.empty((min(PERMUTED_ROWS, len(mixed)), self.num_perm), dtype=np.uint32)
        with np.errstate(over="ignore"):
            for start in range(0, len(mixed), PERMUTED_ROWS):
                rows = mixed[start:start + PERMUTED_ROWS, np.newaxis]
                block = work[:len(rows)]
                np.multiply(rows, self._a, out=block)
                np.add(block, self._b, out=block)
                np.minimum(minimum, block.min(axis=0), out=minimum)


def _text_blocks(data: bytes) -> Iterator[bytes]:
    """``data`` cut at a space after every TEXT_BLOCK_BYTES: the blocks' words, split on
    b" ", are exactly ``data.split(b" ")`` (so b"" is one block of one empty word)."""
    start = 0
    while True:
        end = data.find(b" ", start + TEXT_BLOCK_BYTES)
        if end == -1:
            yield data[start:]
            return
        yield data[start:end]
        start = end + 1


def minhash_from_bytes(blob: bytes, num_perm: int = DEFAULT_NUM_PERM,
                       seed: int = DEFAULT_SEED):
    """The ``datasketch.MinHash`` a ``pages.minhash`` BLOB was stored from (for LSH, jaccard)."""
    if len(blob) != 4 * num_perm:
        raise ValueError(f"a {num_perm}-permutation signature is {4 * num_perm} bytes, "
                         f"got {len(blob)}")
    from datasketch import MinHash  # imported here: the crawl itself never needs it

    return MinHash(num_perm, seed, hashfunc=SHINGLE_HASH,
                   hashvalues=np.frombuffer(blob, dtype="<u4"),
                   permutations=_permutations(num_perm, seed), scheme=MINHASH_SCHEME)


def jaccard(blob_a: bytes, blob_b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two stored signatures."""
    if len(blob_a) != len(blob_b) or len(blob_a) % 4:
        raise ValueError(f"signatures of different sizes: {len(blob_a)} and {len(blob_b)} bytes")
    num_perm = len(blob_a) // 4
    return minhash_from_bytes(blob_a, num_perm).jaccard(minhash_from_bytes(blob_b, num_perm))


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's affine32 permutation parameters [a, b] for (num_perm, seed)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element-wise (multiplication wraps mod 2^32)."""
    with np.errstate(over="ignore"):
        hashes = hashes ^ (hashes >> np.uint32(16))
        hashes = hashes * np.uint32(0x85EBCA6B)
        hashes = hashes ^ (hashes >> np.uint32(13))
        hashes = hashes * np.uint32(0xC2B2AE35)
        return hashes ^ (hashes >> np.uint32(16))
