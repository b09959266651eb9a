"""A deterministic stand-in for the optional sentence-embedding model (no PyTorch needed).

Each word is hashed (SHA-256, so the same on every run and platform) to one of ``dimension``
slots; a text's vector counts its words per slot. Texts that share words point the same way,
as a sentence model's would for texts that say the same thing.
"""

from __future__ import annotations

import hashlib

import numpy as np


class WordHashEncoder:
    """An :class:`~metareview.records.embeddings.Encoder` counting hashed words; ``calls``
    records how many texts each call of :meth:`encode` was given."""

    def __init__(self, dimension: int = 32, name: str = "word-hash"):
        self.dimension, self.name = dimension, name
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension))
        for row, text in enumerate(texts):
            for word in text.lower().split():
                slot = int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.dimension
                out[row, slot] += 1.0
        return out

    @property
    def encoded(self) -> int:
        """Texts encoded so far."""
        return sum(self.calls)
