"""One vocabulary and one error contract: every layer checks a measure, an estimator, a CI
method and a level against the same definitions, and a user's mistake in ``stats`` is a
MetareviewError (one line from the CLI) that existing ``except ValueError`` still catches."""

from __future__ import annotations

import pandas as pd
import pytest

from metareview.data.effects import compute_effects
from metareview.errors import AnalysisError, InputError, MetareviewError, NotEstimableError
from metareview.plan.analysis import AnalysisSettings
from metareview.rob.grade import OutcomeEvidence
from metareview.stats.batch import pool_many
from metareview.stats.bias.trimfill import trim_and_fill
from metareview.stats.metaregression import metareg
from metareview.stats.pooling import pool
from metareview.stats.vocabulary import (
    DIFFERENCE,
    MEASURE_FAMILY,
    MEASURES,
    RATIO,
    RATIO_MEASURES,
    is_ratio,
)
from tests.test_cli_basics import run_cli

YI, VI = [0.1, 0.3, 0.35, 0.6], [0.02, 0.03, 0.02, 0.04]


def test_each_measure_has_one_family():
    assert set(MEASURES) < set(MEASURE_FAMILY)
    assert set(MEASURE_FAMILY.values()) == {RATIO, DIFFERENCE}
    assert RATIO_MEASURES == ("OR", "RR", "HR")
    assert [m for m in MEASURE_FAMILY if is_ratio(m)] == list(RATIO_MEASURES)
    assert not is_ratio("COR") and not is_ratio("ZCOR") and not is_ratio(None)


def test_grade_accepts_every_measure_of_the_vocabulary():
    for measure in MEASURE_FAMILY:
        evidence = OutcomeEvidence("o", measure, k=3, participants=90, estimate=0.2,
                                   ci_lower=0.1, ci_upper=0.3)  # fmt: skip
        assert evidence.measure == measure
    with pytest.raises(InputError, match="measure must be one of"):
        OutcomeEvidence("o", "g", k=3, participants=90, estimate=0.2, ci_lower=0.1, ci_upper=0.3)


TWO_STUDIES = pd.DataFrame({"study": ["A", "B"], "yi": [0.1, 0.2], "sei": [0.1, 0.1]})
LEVEL_95 = r"level must be between 0 and 1 \(e.g. 0.95\); got 95 \(for 95% give 0.95\)"


@pytest.mark.parametrize(
    "call",
    [
        lambda: pool(YI, VI, level=95),
        lambda: pool_many(pd.DataFrame({"g": "a", "yi": YI, "vi": VI}), by="g", level=95),
        lambda: metareg(YI, VI, pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}), level=95),
        lambda: AnalysisSettings(level=95),
        lambda: compute_effects(TWO_STUDIES, level=95),
    ],
)
def test_one_level_check_everywhere(call):
    with pytest.raises(InputError, match=LEVEL_95) as error:
        call()
    assert isinstance(error.value, ValueError) and isinstance(error.value, MetareviewError)


@pytest.mark.parametrize(
    ("call", "kind", "message"),
    [
        (lambda: pool(YI, VI, ci_method="hk"), InputError, "ci_method must be one of z, knha"),
        (lambda: pool(YI, VI, method="reml2"), InputError, "method must be one of FE, DL"),
        (lambda: pool(YI, [0.1, 0.0, 0.1, 0.1]), InputError, "vi must be > 0; study 2"),
        (lambda: trim_and_fill(YI[:2], VI[:2]), NotEstimableError, "needs at least 3 studies"),
    ],
)
def test_stats_errors_are_metareview_errors_and_value_errors(call, kind, message):
    with pytest.raises(kind, match=message) as error:
        call()
    assert isinstance(error.value, ValueError) and isinstance(error.value, MetareviewError)
    if kind is NotEstimableError:
        assert isinstance(error.value, AnalysisError) and error.value.exit_code == 1


def test_the_cli_prints_an_analysis_that_cannot_be_done_in_one_line(tmp_path):
    data = tmp_path / "two.csv"
    data.write_text("study,yi,sei\nA,0.1,0.1\nB,0.3,0.2\n")
    result = run_cli("metareg", str(data), "--mods", "yi")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
