"""Make buscar_buscarpy.json: buscarpy 0.0.2's ``calculate_h0`` p-values (Callaghan &
Müller-Hansen's reference implementation, PyPI ``buscarpy``) on screening sequences drawn
here, for ``tests/test_stopping.py``. Run: ``pip install buscarpy==0.0.2 && python
tests/reference/buscar_buscarpy.py``. Windows where the null is impossible make buscarpy
return NaN; those cases are left out (metareview treats such windows as untestable).
"""

import json
import math
from pathlib import Path

import numpy as np


def main() -> None:
    from buscarpy import calculate_h0  # the reference, installed only to make the fixture

    cases = []
    rng = np.random.default_rng(20261203)
    for records, relevant, bias in ((500, 25, 8.0), (1200, 40, 15.0), (2000, 12, 30.0)):
        # A biased ordering: relevant records are drawn ``bias`` times as often as irrelevant.
        labels = np.r_[np.ones(relevant, int), np.zeros(records - relevant, int)]
        weights = np.where(labels == 1, bias, 1.0)
        order = rng.choice(records, records, replace=False, p=weights / weights.sum())
        sequence = labels[order]
        for screened in (60, 150, 300, 450):
            for target in (0.8, 0.9, 0.95):
                p = float(calculate_h0(sequence[:screened], records, recall_target=target))
                if math.isfinite(p):
                    cases.append(
                        {
                            "labels": sequence[:screened].tolist(),
                            "records": records,
                            "recall_target": target,
                            "p_value": p,
                        }
                    )
    Path(__file__).with_suffix(".json").write_text(
        json.dumps({"buscarpy": "0.0.2", "cases": cases})
    )
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
