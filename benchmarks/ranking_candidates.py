"""Candidate rankers on SYNERGY under the fixed protocol: WSS@95, RRF@10, loss, ATD per review.

Every candidate screens each of the nine SYNERGY reviews from the same priors per seed (one
relevant and one irrelevant record, ``draw_priors(labels, seed)``), one record per retrain,
until every relevant record is found (``metareview.records.simulation.simulate``). No
per-review settings; nothing is tuned on the outcome of the record being ranked. The
current default (``svm``) is a candidate too, so the comparison is within one run.

    python benchmarks/ranking_candidates.py [--seeds 0 1 2] [--candidates svm title2 ...]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from metareview.records.active_learning import MODELS, Model, record_text, tfidf_features
from metareview.records.simulation import draw_priors, simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synergy_simulation import DATASETS, METRICS, SYNERGY, markdown


class RankMix:
    """Average of the rank scores of a linear SVM and of a second scorer: multinomial naive
    Bayes (``"nb"``) or the largest cosine similarity to a known relevant record
    (``"neighbour"``, which can lift a relevant record unlike the bulk of the others)."""

    def __init__(self, other: str, seed: int, weight: float = 0.5):
        self.other, self.seed, self.weight = other, seed, weight

    def fit(self, X, y, sample_weight=None):
        self.svm = LinearSVC(C=0.1, random_state=self.seed).fit(X, y, sample_weight=sample_weight)
        if self.other == "nb":
            self.nb = MultinomialNB(alpha=3.822).fit(X, y)
        else:
            self.relevant = X[np.flatnonzero(y == 1)]
        return self

    def decision_function(self, X):
        first = rankdata(self.svm.decision_function(X)) / X.shape[0]
        if self.other == "nb":
            second = rankdata(self.nb.predict_proba(X)[:, 1]) / X.shape[0]
        else:
            second = rankdata((X @ self.relevant.T).max(axis=1).toarray().ravel()) / X.shape[0]
        return (1 - self.weight) * first + self.weight * second


def title_once(title, abstract) -> str:
    """Title and abstract as the default read them before the title was weighted double."""
    return " ".join(part for part in (title, abstract) if isinstance(part, str) and part)


CANDIDATES = {
    "svm": (title_once, MODELS["svm"]),
    "title2": (record_text, MODELS["svm"]),  # the default since 2026-12-03
    "logistic": (title_once, MODELS["logistic"]),
    "svm+nb": (title_once, Model("svm+nb", tfidf_features, lambda s: RankMix("nb", s))),
    "svm+neighbour": (
        title_once,
        Model("svm+neighbour", tfidf_features, lambda s: RankMix("neighbour", s, 0.3)),
    ),
    "title2+neighbour": (
        record_text,
        Model("title2+neighbour", tfidf_features, lambda s: RankMix("neighbour", s, 0.3)),
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        frame = pd.read_csv(SYNERGY / f"{name}.csv.gz")
        labels = frame["label_included"].to_numpy(dtype=int)
        for candidate in args.candidates:
            text, model = CANDIDATES[candidate]
            texts = [text(t, a) for t, a in zip(frame["title"], frame["abstract"], strict=True)]
            for seed in args.seeds:
                start = time.perf_counter()
                result = simulate(
                    texts, labels, seed=seed, model=model, priors=draw_priors(labels, seed)
                )
                rows.append(
                    {"dataset": name, "candidate": candidate, "seed": seed}
                    | {k: getattr(result, k) for k in METRICS}
                )
                print(
                    f"{name} {candidate} seed {seed}: WSS@95 {result.wss95:.3f} "
                    f"({time.perf_counter() - start:.1f} s)",
                    file=sys.stderr,
                )
    table = pd.DataFrame(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(f"Seeds {args.seeds}")
    for metric in METRICS:
        wide = table.pivot_table(index="dataset", columns="candidate", values=metric)
        wide = wide[args.candidates]
        wide.loc["mean"] = wide.mean()
        print(f"\n{metric}\n" + markdown(wide))


if __name__ == "__main__":
    main()
