"""Analysis records for report tests, built with the real ``analyze`` (no runner needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from metareview.plan.analysis import AnalysisSettings, analyze
from metareview.plan.results import AnalysisRecord
from metareview.plan.rules import subgroup_block, subgroup_key


def study_columns(result: dict) -> tuple[list[float], list[float], list[str]]:
    """``yi``, ``vi`` and the study labels of a run's analysis result (its ``studies`` rows,
    in order), to recompute a statistic from what the run fitted."""
    rows = result["studies"]
    return [s["yi"] for s in rows], [s["vi"] for s in rows], [s["study"] for s in rows]


def thirdwave(shared_data) -> pd.DataFrame:
    """dmetar's ThirdWave (18 trials, Hedges' g and SE) as study, yi, vi and moderators."""
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame = frame.rename(columns={"Author": "study", "TE": "yi"})
    frame["vi"] = frame.pop("seTE") ** 2
    return frame


def thirdwave_plan(folder, shared_data, analyses: str) -> Path:
    """A plan of one analysis of ThirdWave (as ``yi``/``sei``) under metapsy, with the
    ``[analyses]`` lines ``analyses``, written to ``folder``."""
    frame = pd.read_csv(shared_data / "dmetar" / "ThirdWave.csv")
    frame.rename(columns={"Author": "study", "TE": "yi", "seTE": "sei"}).to_csv(
        folder / "thirdwave.csv", index=False
    )
    plan = folder / "plan.toml"
    plan.write_text(
        '[data]\nfile = "thirdwave.csv"\n[settings]\npreset = "metapsy"\n'
        f"[analyses]\n{analyses}\n"
        '[[analysis]]\nname = "Perceived stress"\nfilter = {}\n'
    )
    return plan


def record_from(
    frame: pd.DataFrame,
    settings: AnalysisSettings,
    *,
    subgroups=(),
    model: str = "random",
    title: str = "Example",
) -> AnalysisRecord:
    """A record like the runner makes: the fit of ``frame`` plus one block per subgroup column."""
    columns = ["study", "yi", "vi"]
    result = analyze(frame[columns], settings).to_dict()
    fits = {}
    for column in subgroups:
        for level, rows in frame.groupby(column, sort=True):
            if len(rows) >= 3:
                fits[subgroup_key("x", column, level)] = analyze(rows[columns], settings).to_dict()
    blocks = [subgroup_block(column, frame, fits, "x", 3, model) for column in subgroups]
    spec = {"id": "x", "title": title, "group": title, "window": "Post-test", "role": "main"}
    return AnalysisRecord(
        spec=spec,
        status="ok",
        input=frame.to_dict("records"),
        result=result,
        model=model,
        subgroups=blocks,
    )
