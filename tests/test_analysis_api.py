"""``analyze`` from Python with the CLI's options as keywords, ``analyze --lower-is-better`` and
the title ``init`` gives a review (issue 14, items 22 and 23)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import metareview
from metareview.cli import main
from metareview.plan.analysis import AnalysisSettings, analyze

DEPRESSION_COLUMNS = {
    "study": "author",
    "event_arm1": "event.e",
    "totaln_arm1": "n.e",
    "event_arm2": "event.c",
    "totaln_arm2": "n.c",
}
COLUMN_OPTIONS = [f"--col={k}={v}" for k, v in DEPRESSION_COLUMNS.items()]


@pytest.fixture
def depression(shared_data):
    return shared_data / "dmetar" / "DepressionMortality.csv"


def test_analyze_takes_the_cli_options_as_keywords(depression):
    by_keywords = metareview.analyze(
        depression, preset="RevMan5", measure="rr", ci_method="KNHA", columns=DEPRESSION_COLUMNS
    )
    by_settings = analyze(
        depression,
        AnalysisSettings(
            preset="revman5", measure="RR", ci_method="knha", columns=DEPRESSION_COLUMNS
        ),
    )
    assert by_keywords.to_dict() == by_settings.to_dict()
    assert by_keywords.k == 18 and by_keywords.pooled.ci_method == "knha"
    overridden = analyze(depression, AnalysisSettings(columns=DEPRESSION_COLUMNS), level=0.9)
    assert overridden.pooled.level == 0.9 and overridden.measure == "RR"


def test_analyze_keywords_are_checked(depression):
    with pytest.raises(TypeError, match=r"'presett'.*expected one of: .*preset"):
        analyze(depression, presett="meta")
    with pytest.raises(ValueError, match="method must be one of"):
        analyze(depression, method="reml2", columns=DEPRESSION_COLUMNS)


def _analyze_json(capsys, path, *extra):
    with pytest.raises(SystemExit) as done:
        main(["analyze", str(path), "--measure", "RR", "--preset", "revman5", "--json",
              *COLUMN_OPTIONS, *extra])  # fmt: skip
    assert done.value.code == 0
    return json.loads(capsys.readouterr().out)


def test_analyze_lower_is_better_mirrors_every_model(capsys, depression):
    upright = _analyze_json(capsys, depression)
    mirrored = _analyze_json(capsys, depression, "--lower-is-better")
    for block in ("fixed", "random"):
        assert mirrored[block]["estimate"] == pytest.approx(-upright[block]["estimate"], 1e-12)
    for section in ("mantel_haenszel", "peto"):
        if section in upright:
            assert mirrored[section]["estimate"] == pytest.approx(
                -upright[section]["estimate"], rel=1e-12
            )
    mh_random = mirrored["mantel_haenszel_random"]["random"]["estimate"]
    assert mh_random == pytest.approx(
        -upright["mantel_haenszel_random"]["random"]["estimate"], rel=1e-12
    )
    assert _analyze_json(capsys, depression, "--higher-is-better") == upright


def test_init_titles_the_review_after_the_file_not_its_path(tmp_path, shared_data, capsys):
    data = tmp_path / "DepressionMortality.csv"
    frame_text = (shared_data / "dmetar" / "DepressionMortality.csv").read_text()
    data.write_text(frame_text.replace('"author"', '"study"', 1))
    target = tmp_path / "review" / "plans" / "plan.toml"
    target.parent.mkdir(parents=True)
    columns = [f"--col={k}={v}" for k, v in DEPRESSION_COLUMNS.items() if k != "study"]
    with pytest.raises(SystemExit) as done:
        main(["init", str(data), "-o", str(target), *columns])
    assert done.value.code == 0, capsys.readouterr().err
    text = target.read_text()
    assert 'file = "../../DepressionMortality.csv"' in text
    assert 'title = "Meta-analysis of depression mortality"' in text


def test_every_plot_takes_what_analyze_returns(depression):
    """forest, funnel, leave-one-out, Baujat and bubble plots draw an ``analyze`` result
    (forest_plot crashed with "'NoneType' object is not iterable")."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from metareview.plan.moderators import MetaRegRequest
    from metareview.report.baujat_plot import baujat_plot
    from metareview.report.bubble_plot import bubble_plot
    from metareview.report.funnel_plot import funnel_plot
    from metareview.report.leave_one_out_plot import leave_one_out_plot

    frame = pd.read_csv(depression)
    frame["year"] = frame["author"].str.extract(r"(\d{4})").astype(float)
    result = analyze(
        frame,
        measure="RR",
        columns=DEPRESSION_COLUMNS,
        metaregression=(MetaRegRequest(moderators=("year",)),),
    )
    forest = metareview.forest_plot(result)
    labels = {t.get_text() for t in forest.figure.findobj(matplotlib.text.Text)}
    assert "Aaroma et al., 1994" in labels and "Random effects model" in labels
    assert len(funnel_plot(result).collections[-1].get_offsets()) == 18
    assert len(leave_one_out_plot(result).get_yticklabels()) == 18
    assert baujat_plot(result).collections[0].get_offsets().shape == (18, 2)
    assert bubble_plot(result).get_xlabel() == "year"
    plt.close("all")
    alone = analyze(depression, columns=DEPRESSION_COLUMNS, measure="RR")
    with pytest.raises(ValueError, match="no meta-regression"):
        bubble_plot(alone)
    with pytest.raises(TypeError, match=r"expected .*AnalysisResult"):
        funnel_plot([0.1, 0.2])


@pytest.mark.parametrize("width", [14.0, 8.0])
def test_forest_drawn_into_a_users_axes_stays_inside_them(depression, width):
    """A 1×2 grid: the forest plot in the left panel — its text columns, axis and labels —
    keeps within that panel's box, whatever the figure's width."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    result = analyze(depression, measure="RR", columns=DEPRESSION_COLUMNS)
    figure, (left, right) = plt.subplots(1, 2, figsize=(width, 5))
    assert metareview.forest_plot(result, ax=left) is left
    right.plot([0, 1], [0, 1])
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box = left.get_window_extent(renderer).padded(1.0)
    texts = left.findobj(matplotlib.text.Text)  # with the inset effect panel's
    forest = [a for a in texts if a.get_text() and a.get_visible()]
    assert len(forest) > 60  # study labels, effects, weights, ticks, favours labels
    outside = [
        a.get_text() for a in forest if not box.contains(*a.get_window_extent(renderer).p0)
        or not box.contains(*a.get_window_extent(renderer).p1)
    ]  # fmt: skip
    plt.close(figure)
    assert not outside, outside
