"""How alike two texts are: word 3-gram sets ("shingles") and their Jaccard similarity.

The validator (:mod:`ftlab.validate`) flags near-duplicate examples with
these, and the data generator (:mod:`ftlab.jobs`) uses the same measure to
keep its postings apart from each other and from the hand-written ones, so
both sit above this module and neither imports the other.
"""

from __future__ import annotations

import re

SHINGLE_SIZE = 3


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """The set of word n-grams of a text, lower-cased; punctuation and spacing are ignored."""
    words = re.findall(r"\w+", text.casefold())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a & b| / |a | b|: 1.0 for the same set, 0.0 for nothing in common."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similar_pairs(left: list[frozenset], right: list[frozenset] | None, threshold: float, block: int = 512):
    """Yield (i, j, similarity) for shingle sets with Jaccard >= threshold.

    With ``right=None`` it compares ``left`` with itself and yields only j < i.
    The intersections come from one sparse matrix product per block of rows,
    so thousands of examples take well under a second.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    vocabulary: dict[str, int] = {}
    groups = [left] if right is None else [left, right]
    ids = [[[vocabulary.setdefault(s, len(vocabulary)) for s in sorted(sets)] for sets in g] for g in groups]

    def matrix(rows: list[list[int]]):
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.array([i for r in rows for i in r], dtype=np.int64)
        data = np.ones(len(indices), dtype=np.float64)
        return csr_matrix((data, indices, indptr), shape=(len(rows), max(len(vocabulary), 1)))

    a = matrix(ids[0])
    b = a if right is None else matrix(ids[1])
    size_a = np.diff(a.indptr)
    size_b = np.diff(b.indptr)
    for start in range(0, a.shape[0], block):
        common = (a[start : start + block] @ b.T).tocoo()
        i, j, shared = common.row + start, common.col, common.data
        score = shared / (size_a[i] + size_b[j] - shared)
        keep = score >= threshold
        if right is None:
            keep &= j < i
        yield from zip(i[keep].tolist(), j[keep].tolist(), score[keep].tolist())


def most_similar(pairs) -> dict[int, tuple[int, float]]:
    """For each i, the j it resembles most (earliest j on ties)."""
    best: dict[int, tuple[int, float]] = {}
    for i, j, score in pairs:
        if i not in best or (score, -j) > (best[i][1], -best[i][0]):
            best[i] = (j, score)
    return best


# --------------------------------------------------------------------------- stage 3: across examples
