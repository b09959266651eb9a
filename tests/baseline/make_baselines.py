"""Regenerate the forest-plot baseline PNGs (run after an intended layout change, then review
the images): ``python tests/baseline/make_baselines.py``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[1] / "src")]

from tests.conftest import SHARED_DATA  # noqa: E402
from tests.report_records import record_from, thirdwave  # noqa: E402
from tests.test_report_forest import BASELINE_DPI  # noqa: E402

from metareview.plan.analysis import AnalysisSettings  # noqa: E402
from metareview.report.forest_plot import LAYOUTS, forest_figure, save_figure  # noqa: E402


def main() -> None:
    for layout in LAYOUTS:
        record = record_from(
            thirdwave(SHARED_DATA),
            AnalysisSettings(method="REML"),
            subgroups=("RiskOfBias",),
            title="ThirdWave",
        )
        figure = forest_figure(
            record, layout, subgroup="RiskOfBias" if layout == "revman5" else None
        )
        print(save_figure(figure, HERE / f"forest-{layout}.png", dpi=BASELINE_DPI))


if __name__ == "__main__":
    main()
