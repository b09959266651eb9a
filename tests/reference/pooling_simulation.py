"""Seeded simulated meta-analyses for the convergence test and the pooling benchmark.

Each of ``n`` meta-analyses has ``k`` studies with sampling variances ``vi ~ U(0.02, 0.2)``,
true effects ``θᵢ ~ N(μ, τ²)`` and observed ``yi ~ N(θᵢ, vi)``. To give R the same data:

    python tests/reference/pooling_simulation.py /tmp/pooling_sim.csv   # then
    Rscript tests/reference/pooling_simulation.R /tmp/pooling_sim.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

SEED = 20240521
N_DATASETS, K, TAU2, MU = 2000, 20, 0.05, 0.3


def simulate(
    n: int = N_DATASETS, k: int = K, tau2: float = TAU2, mu: float = MU, seed: int = SEED
) -> pd.DataFrame:
    """Long table with columns ``dataset`` (1…n), ``yi`` and ``vi``."""
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.02, 0.2, size=(n, k))
    theta = mu + rng.normal(size=(n, k)) * np.sqrt(tau2)
    yi = theta + rng.normal(size=(n, k)) * np.sqrt(vi)
    return pd.DataFrame(
        {"dataset": np.repeat(np.arange(1, n + 1), k), "yi": yi.ravel(), "vi": vi.ravel()}
    )


if __name__ == "__main__":
    simulate().to_csv(sys.argv[1], index=False, float_format="%.17g")
