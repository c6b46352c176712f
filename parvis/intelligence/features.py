"""Shared feature extraction: one pass per text feeds every model head.

A text becomes (1) hashed word and character n-grams weighted by sublinear TF-IDF and
L2-normalised, and (2) a small vector of standardised lexicon features. Hashing means no
vocabulary to ship or load; the IDF vector and the head weights are stored sparsely.

Speed: words repeat a lot across texts, so the hashed n-grams of each distinct word are
cached; a text then costs a few dictionary look-ups plus the hashing of its word bigrams.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize as l2_normalize

from parvis.intelligence.lexicon import N_DENSE, Hits, Lexicon
from parvis.intelligence.text import bigrams, normalize, token_features, tokens

N_FEATURES = 2**20
# Bound on the per-word cache (about 100 bytes of ids per word): it is cleared when full.
TOKEN_CACHE_MAX = 300_000
DENSE_CLIP = 3.0


@dataclass
class Batch:
    """Features and intermediate text views of a batch of texts, row-aligned."""

    hashed: sparse.csr_matrix  # raw counts until ``Featurizer.weight`` is applied
    dense: np.ndarray
    norms: list[str]
    toks: list[list[str]]
    hits: list[Hits]
    raws: list[str] = field(default_factory=list)  # the texts as given (language id)


class Featurizer:
    def __init__(
        self,
        lexicon: Lexicon,
        char_min: int = 2,
        char_max: int = 5,
        n_features: int = N_FEATURES,
    ) -> None:
        self.lexicon = lexicon
        self.char_min = char_min
        self.char_max = char_max
        self.n_features = n_features
        self.hasher = FeatureHasher(
            n_features=n_features, input_type="string", alternate_sign=False
        )
        self.idf: np.ndarray | None = None
        self._token_ids: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.dense_mean = np.zeros(0)
        self.dense_std = np.ones(0)

    def extract(self, texts: list[str]) -> Batch:
        norms, toks_list, dense, hits = [], [], [], []
        scan = self.lexicon.scan
        for raw in texts:
            norm = normalize(raw)
            toks = tokens(norm)
            d, h = scan(raw, norm, toks)
            norms.append(norm)
            toks_list.append(toks)
            dense.append(d)
            hits.append(h)
        hashed = self._hash(toks_list)
        dense_arr = np.asarray(dense, dtype=np.float32).reshape(len(texts), N_DENSE)
        return Batch(hashed, dense_arr, norms, toks_list, hits, list(texts))

    def token_ids(self, toks: list[str]) -> list[np.ndarray]:
        """Hashed feature ids (with repeats) of each word, computed once per distinct word."""
        cache = self._token_ids
        missing = list({t for t in toks if t not in cache})
        if missing:
            x = self.hasher.transform(
                token_features(t, self.char_min, self.char_max) for t in missing
            ).tocsr()
            ids = np.repeat(x.indices, x.data.astype(np.int64)).astype(np.int32)
            # Every word has at least its own "_word" feature, so no row is empty.
            counts = np.add.reduceat(x.data, x.indptr[:-1]).astype(np.int64)
            splits = np.split(ids, np.cumsum(counts)[:-1])
            with self._lock:
                if len(cache) + len(missing) > TOKEN_CACHE_MAX:
                    cache.clear()
                cache.update(zip(missing, splits, strict=True))
        return [cache[t] for t in toks]

    def _hash(self, toks_list: list[list[str]]) -> sparse.csr_matrix:
        n = len(toks_list)
        if n == 0:
            return sparse.csr_matrix((0, self.n_features), dtype=np.float32)
        flat = [t for toks in toks_list for t in toks]
        arrays = self.token_ids(flat)
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        per_text = np.fromiter((len(t) for t in toks_list), dtype=np.int64, count=n)
        row_len = np.zeros(n, dtype=np.int64)
        nonempty = per_text > 0
        if lengths.size:
            starts = np.concatenate([[0], np.cumsum(per_text)[:-1]])
            row_len[nonempty] = np.add.reduceat(lengths, starts[nonempty])
        indptr = np.concatenate([[0], np.cumsum(row_len)])
        indices = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
        data = np.ones(indices.size, dtype=np.float32)
        words = sparse.csr_matrix((data, indices, indptr), shape=(n, self.n_features))
        words.sum_duplicates()
        pairs = self.hasher.transform(bigrams(t) for t in toks_list).tocsr()
        return (words + pairs.astype(np.float32)).tocsr()

    def fit(self, batch: Batch) -> None:
        """Learn the IDF vector and the dense-feature scaling from training texts."""
        df = np.bincount(batch.hashed.indices, minlength=self.n_features)
        n = batch.hashed.shape[0]
        self.idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        self.dense_mean = batch.dense.mean(axis=0)
        self.dense_std = batch.dense.std(axis=0) + 1e-6

    def weight(self, batch: Batch) -> tuple[sparse.csr_matrix, np.ndarray]:
        """TF-IDF-weighted hashed features and standardised dense features."""
        assert self.idf is not None, "Featurizer used before fit/load"
        x = batch.hashed.astype(np.float32)
        x.data = np.log1p(x.data) * self.idf[x.indices]
        if x.shape[0]:
            x = l2_normalize(x, copy=False)
        # Clipped z-scores: a 2,000-character text or a wall of "!!!" is far outside the
        # tweets the heads were fitted on, and a linear model would extrapolate wildly.
        d = np.clip((batch.dense - self.dense_mean) / self.dense_std, -DENSE_CLIP, DENSE_CLIP)
        return x, d.astype(np.float32)
