"""compute_effects over a table: data errors, not-estimable rows, multi-arm, clusters, direction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import metareview
from metareview.data.effects import EFFECT_COLUMNS, compute_effects
from metareview.errors import DataError
from metareview.stats.effects import combine_means, design_effect, smd, smd_from_d
from tests.tables import table


def _means(**extra) -> pd.DataFrame:
    base = {
        "study": ["A", "B"],
        "mean_arm1": [10.0, 5.0],
        "mean_arm2": [8.0, 6.0],
        "sd_arm1": [4.0, 2.0],
        "sd_arm2": [4.0, 2.5],
        "n_arm1": [20, 15],
        "n_arm2": [22, 15],
    }
    base.update(extra)
    return pd.DataFrame(base)


def test_output_columns_index_and_lazy_reexport():
    out = metareview.compute_effects(_means())
    assert list(out.columns[-len(EFFECT_COLUMNS) :]) == list(EFFECT_COLUMNS)
    assert list(out.index) == [2, 3]
    assert out.attrs["measure"] == "SMD" and out.attrs["preset"] == "metafor"
    z = 1.959963984540054
    np.testing.assert_allclose(out["ci_upper"], out["yi"] + z * np.sqrt(out["vi"]))
    np.testing.assert_allclose(out["sei"] ** 2, out["vi"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measure": "g"}, "measure must be one of SMD, MD, OR, RR, RD, HR; got 'G'"),
        ({"preset": "stata"}, "preset must be one of"),
        ({"multi_arm": "merge"}, "multi_arm must be one of keep, combine, split"),
        ({"zero_cell_method": "tacc"}, "zero_cell_method must be one of constant, sweeting"),
        ({"smd_variance": "HO"}, "smd_variance must be one of LS, UB, revman5, esc, cma"),
        ({"tau2_method": "DL"}, "unknown effect-size setting(s): tau2_method"),
        ({"zero_cell_add": -1}, "zero_cell_add must be a number >= 0"),
        ({"level": 95}, "level must be between 0 and 1"),
    ],
)
def test_vocabularies_are_checked_up_front(kwargs, message):
    with pytest.raises(ValueError, match=None) as info:
        compute_effects(_means(), **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("frame", "column", "value", "expected"),
    [
        (_means(sd_arm1=[0.0, 2.0]), "sd_arm1", "0.0", "a number > 0"),
        (_means(n_arm2=[1, 15]), "n_arm2", "1", "a number >= 2"),
        (
            pd.DataFrame(
                {
                    "study": ["A"],
                    "event_arm1": [12],
                    "totaln_arm1": [10],
                    "event_arm2": [3],
                    "totaln_arm2": [10],
                }
            ),
            "event_arm1",
            "12",
            "at most",
        ),
        (pd.DataFrame({"study": ["A"], "t_value": [2.0]}), "n_arm1", "", "complete 't_stat'"),
        (
            pd.DataFrame(
                {
                    "study": ["A"],
                    "p_value": [1.5],
                    "higher_arm": ["arm1"],
                    "n_arm1": [10],
                    "n_arm2": [10],
                }
            ),
            "p_value",
            "1.5",
            "a p value <= 1",
        ),
        (
            pd.DataFrame(
                {
                    "study": ["A"],
                    "f_value": [4.0],
                    "higher_arm": ["first"],
                    "n_arm1": [10],
                    "n_arm2": [10],
                }
            ),
            "higher_arm",
            "first",
            "'arm1' or 'arm2'",
        ),
        (_means(icc=[0.05, None]), "cluster_size", "", "both icc and cluster_size"),
        (_means(icc=[1.2, None], cluster_size=[10, None]), "icc", "1.2", "between 0 and 1"),
        (_means(higher_is_better=["maybe", "yes"]), "higher_is_better", "maybe", "'yes' or 'no'"),
    ],
)
def test_bad_data_gives_a_row_precise_error(frame, column, value, expected):
    with pytest.raises(DataError) as info:
        compute_effects(frame)
    problem = info.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (2, column, value)
    assert expected in problem.expected


def test_a_zero_cell_without_correction_is_an_error_not_a_nan():
    data = pd.DataFrame(
        {
            "study": ["A"],
            "event_arm1": [0],
            "totaln_arm1": [10],
            "event_arm2": [3],
            "totaln_arm2": [10],
        }
    )
    with pytest.raises(DataError, match=r"row 2.*finite events effect"):
        compute_effects(data, "OR", zero_cell_add=0)


def test_error_names_the_users_own_header():
    data = _means().rename(columns={"sd_arm1": "SD.e"})
    data.loc[0, "SD.e"] = -1
    with pytest.raises(DataError) as info:
        compute_effects(data, columns={"sd_arm1": "SD.e"})
    assert info.value.problems[0].column == "SD.e"


def test_rows_that_cannot_give_the_measure_stay_with_a_reason():
    data = pd.DataFrame(
        {
            "study": ["A", "B", "C"],
            "precalc_g": [0.3, None, None],
            "precalc_g_se": [0.1, None, None],
            "event_arm1": [None, 4, None],
            "totaln_arm1": [None, 20, None],
            "event_arm2": [None, 8, None],
            "totaln_arm2": [None, 20, None],
            "precalc_log_rr": [None, None, -0.2],
            "precalc_log_rr_se": [None, None, 0.1],
        }
    )
    out = compute_effects(data, "MD")
    assert out["yi"].isna().all()
    assert out.loc[2, "note"] == "not estimable: the row's data (precalc_g) cannot give MD"
    rr = compute_effects(data, "RR", preset="metapsy")
    assert rr["es_source"].fillna("").tolist() == ["", "events", "precalc_log_rr"]
    assert math.isclose(rr.loc[4, "yi"], -0.2) and math.isclose(rr.loc[4, "vi"], 0.01)
    assert math.isclose(rr.loc[3, "yi"], math.log(0.5))
    g = compute_effects(data, "SMD", preset="metapsy")
    assert math.isclose(g.loc[2, "yi"], 0.3) and math.isclose(g.loc[2, "vi"], 0.01)
    assert g.loc[4, "note"].startswith("not estimable:")


def test_measure_none_chooses_from_the_data():
    assert compute_effects(_means(), None).attrs["measure"] == "SMD"
    events = pd.DataFrame(
        {
            "study": ["A"],
            "event_arm1": [3],
            "totaln_arm1": [10],
            "event_arm2": [5],
            "totaln_arm2": [10],
        }
    )
    assert compute_effects(events, None).attrs["measure"] == "RR"
    with pytest.raises(ValueError, match="the measure must be given"):
        compute_effects(pd.DataFrame({"study": ["A"], "yi": [0.2], "vi": [0.01]}), None)


def test_precomputed_yi_columns_are_kept_under_new_names():
    data = pd.DataFrame(
        {
            "study": ["A", "B"],
            "yi": [0.2, 0.4],
            "yi_ci_lower": [-0.1, 0.0],
            "yi_ci_upper": [0.5, 0.8],
        }
    )
    out = compute_effects(data, "MD")
    assert out["yi_input"].tolist() == [0.2, 0.4]
    se = (0.8 - 0.0) / (2 * 1.959963984540054)
    assert math.isclose(out.loc[3, "vi"], se**2)
    assert out["es_source"].tolist() == ["yi_ci", "yi_ci"]


def test_direction_flip_keeps_the_unflipped_value():
    out = compute_effects(_means(higher_is_better=["no", None]), higher_is_better=True)
    plain = compute_effects(_means())
    assert math.isclose(out.loc[2, "yi"], -plain.loc[2, "yi"])
    assert math.isclose(out.loc[2, "ci_lower"], -plain.loc[2, "ci_upper"])
    assert out.loc[3, "yi"] == plain.loc[3, "yi"]
    assert out["yi_unflipped"].tolist() == plain["yi"].tolist()
    assert "sign flipped" in out.loc[2, "note"] and "sign flipped" not in out.loc[3, "note"]
    assert out["vi"].tolist() == plain["vi"].tolist()


def test_precalc_g_is_never_flipped():
    data = pd.DataFrame({"study": ["A"], "precalc_g": [0.4], "precalc_g_se": [0.2]})
    out = compute_effects(data, higher_is_better=False)
    assert out.loc[2, "yi"] == 0.4 and "yi_unflipped" not in out


def test_design_effect_matches_a_hand_calculation():
    """m = 21, ICC = 0.05: DE = 1 + 20 × 0.05 = 2; n 100/80 → 50/40, events 30/20 → 15/10."""
    data = pd.DataFrame(
        {
            "study": ["A"],
            "event_arm1": [30],
            "totaln_arm1": [100],
            "event_arm2": [20],
            "totaln_arm2": [80],
            "icc": [0.05],
            "cluster_size": [21],
        }
    )
    out = compute_effects(data, "RR")
    assert math.isclose(design_effect(21, 0.05), 2.0)
    assert math.isclose(out.loc[2, "yi"], math.log((15 / 50) / (10 / 40)))
    assert math.isclose(out.loc[2, "vi"], 1 / 15 - 1 / 50 + 1 / 10 - 1 / 40)
    assert "design effect 2 = 1 + (21 − 1)·0.05" in out.loc[2, "note"]
    means = compute_effects(_means(icc=[0.05, None], cluster_size=[21, None]), "MD")
    assert math.isclose(means.loc[2, "vi"], 16 / 10 + 16 / 11)
    assert means.loc[3, "note"] == ""


def _three_arm(**extra) -> pd.DataFrame:
    data = {
        "study": ["T", "T", "U"],
        "multi_arm1": ["CBT", "IPT", None],
        "condition_arm2": ["wlc", "wlc", "wlc"],
        "mean_arm1": [10.0, 12.0, 9.0],
        "sd_arm1": [3.0, 4.0, 3.0],
        "n_arm1": [30, 25, 40],
        "mean_arm2": [14.0, 14.0, 11.0],
        "sd_arm2": [5.0, 5.0, 4.0],
        "n_arm2": [28, 28, 41],
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_multi_arm_keep_flags_the_shared_control():
    out = compute_effects(_three_arm())
    assert out["yi"].notna().all()
    assert "shares its control arm with row(s) 3" in out.loc[2, "note"]
    assert out.loc[4, "note"] == ""


def test_multi_arm_combine_follows_the_handbook_formula():
    out = compute_effects(_three_arm(), "SMD", multi_arm="combine")
    n, m, s = combine_means([30, 25], [10.0, 12.0], [3.0, 4.0])
    g, v = smd(m, 14.0, s, 5.0, n, 28)
    assert math.isclose(out.loc[2, "yi"], float(g)) and math.isclose(out.loc[2, "vi"], float(v))
    assert out.loc[3, "note"].startswith("not estimable: arm combined into row 2")
    assert "intervention arms of rows 2, 3 combined" in out.loc[2, "note"]


def test_multi_arm_combine_rejects_differing_shared_arms():
    with pytest.raises(DataError) as info:
        compute_effects(_three_arm(n_arm2=[28, 29, 41]), multi_arm="combine")
    problem = info.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (3, "n_arm2", "29")


def test_multi_arm_split_halves_the_shared_control():
    out = compute_effects(_three_arm(), "MD", multi_arm="split")
    assert math.isclose(out.loc[2, "vi"], 9 / 30 + 25 / 14)
    assert "split across 2 comparisons" in out.loc[3, "note"]


def test_multi_arm_events_are_summed():
    data = pd.DataFrame(
        {
            "study": ["T", "T"],
            "multi_arm1": ["a", "b"],
            "multi_arm2": ["c", "c"],
            "event_arm1": [3, 5],
            "totaln_arm1": [20, 25],
            "event_arm2": [9, 9],
            "totaln_arm2": [30, 30],
        }
    )
    out = compute_effects(data, "RR", multi_arm="combine")
    assert math.isclose(out.loc[2, "yi"], math.log((8 / 45) / (9 / 30)))


def test_t_statistic_and_p_value_agree_with_the_means_they_came_from():
    """Independent recomputation: t from the means gives back the same g as the means."""
    m1, m2, s1, s2, n1, n2 = 12.0, 10.0, 3.0, 4.0, 25, 30
    sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    t = (m1 - m2) / (sp * math.sqrt(1 / n1 + 1 / n2))
    from scipy import stats

    p = 2 * stats.t.sf(abs(t), n1 + n2 - 2)
    data = pd.DataFrame(
        {
            "study": ["means", "t", "p", "F"],
            "mean_arm1": [m1, None, None, None],
            "mean_arm2": [m2, None, None, None],
            "sd_arm1": [s1, None, None, None],
            "sd_arm2": [s2, None, None, None],
            "n_arm1": [n1] * 4,
            "n_arm2": [n2] * 4,
            "t_value": [None, t, None, None],
            "p_value": [None, None, p, None],
            "f_value": [None, None, None, t**2],
            "higher_arm": [None, None, "arm1", "arm1"],
        }
    )
    for preset in ("metafor", "revman5", "cma"):
        out = compute_effects(data, preset=preset)
        np.testing.assert_allclose(out["yi"], out["yi"].iloc[0], rtol=1e-9)
        np.testing.assert_allclose(out["vi"], out["vi"].iloc[0], rtol=1e-9)
        assert out["es_source"].tolist() == ["means", "t_stat", "p_value", "f_stat"]


def test_or_from_means_uses_hasselblad_hedges():
    out = compute_effects(_means(), "OR")
    g = compute_effects(_means(), "SMD")
    np.testing.assert_allclose(out["yi"], g["yi"] * math.pi / math.sqrt(3))
    assert "log OR from g" in out.loc[2, "note"]


def test_input_table_is_not_modified():
    data = _three_arm()
    from metareview.data.table import load_table

    table = load_table(data)
    before = table.frame.copy()
    compute_effects(table, multi_arm="combine")
    pd.testing.assert_frame_equal(table.frame, before)


def test_combine_means_reproduces_the_handbook_formula_worked_example():
    """Cochrane Handbook §6.5.2.10 (Table 6.5.a) formula, applied twice to three groups as in
    the worked example of StatsToDo "Combine Means and SDs" (statstodo.com/CombineMeansSDs.php):
    (10, 11.8, 2.4), (20, 15.3, 3.2), (15, 8.4, 4.1) → n 45, mean 12.2222, SD 4.5028."""
    n, m, s = combine_means([10, 20, 15], [11.8, 15.3, 8.4], [2.4, 3.2, 4.1])
    assert n == 45 and round(float(m), 4) == 12.2222 and round(float(s), 4) == 4.5028


def test_combine_means_equals_the_pooled_raw_sample():
    """Independent recomputation: the combined SD is the SD of the concatenated samples."""
    rng = np.random.default_rng(7)
    samples = [rng.normal(loc, 2.0, size) for loc, size in ((10, 12), (13, 30), (7, 9))]
    n, m, s = combine_means(
        [len(x) for x in samples], [x.mean() for x in samples], [x.std(ddof=1) for x in samples]
    )
    pooled = np.concatenate(samples)
    assert n == len(pooled)
    assert math.isclose(m, pooled.mean()) and math.isclose(s, pooled.std(ddof=1))


def test_change_scores_use_the_same_formulas_as_post_test_means():
    change = pd.DataFrame(
        {
            "study": ["A"],
            "mean_change_arm1": [-6.0],
            "mean_change_arm2": [-2.5],
            "sd_change_arm1": [4.0],
            "sd_change_arm2": [5.0],
            "n_change_arm1": [30],
            "n_change_arm2": [28],
        }
    )
    post = pd.DataFrame(
        {
            "study": ["A"],
            "mean_arm1": [-6.0],
            "mean_arm2": [-2.5],
            "sd_arm1": [4.0],
            "sd_arm2": [5.0],
            "n_arm1": [30],
            "n_arm2": [28],
        }
    )
    for measure in ("SMD", "MD"):
        for preset in ("metafor", "revman5", "metapsy"):
            a = compute_effects(change, measure, preset=preset)
            b = compute_effects(post, measure, preset=preset)
            assert a.loc[2, "es_source"] == "change"
            assert (a.loc[2, "yi"], a.loc[2, "vi"]) == (b.loc[2, "yi"], b.loc[2, "vi"])


def test_cluster_design_inflates_precomputed_variances_and_uses_effective_sizes_for_t():
    data = table(
        "study yi sei t_value n_arm1 n_arm2 icc cluster_size",
        ("A", 0.3, 0.1, None, None, None, 0.02, 51),
        ("B", None, None, 2.5, 60, 60, 0.02, 51),
    )
    out = compute_effects(data, "SMD")
    assert math.isclose(out.loc[2, "vi"], 0.01 * 2.0) and out.loc[2, "yi"] == 0.3
    d = 2.5 * math.sqrt(2 / 60)
    g, v = smd_from_d(d, 30, 30)
    assert math.isclose(out.loc[3, "yi"], float(g)) and math.isclose(out.loc[3, "vi"], float(v))


def test_a_result_fed_back_in_is_not_mirrored_twice():
    """compute_effects on its own output (as the plan runner does) keeps signs and inputs."""
    first = compute_effects(_means(higher_is_better=["no", "no"]))
    second = compute_effects(first.drop(columns=["ci_lower", "ci_upper"]), "SMD")
    np.testing.assert_allclose(second["yi"], first["yi"])
    np.testing.assert_allclose(second["vi"], first["vi"])
    assert second["yi_unflipped"].tolist() == first["yi_unflipped"].tolist()
    data = table(
        "study yi vi mean_arm1 mean_arm2 sd_arm1 sd_arm2 n_arm1 n_arm2",
        ("A", 0.2, 0.01, None, None, None, None, None, None),
        ("B", None, None, 3.0, 2.0, 1.0, 1.0, 10, 10),
    )
    once = compute_effects(data, "MD", higher_is_better=False)
    twice = compute_effects(once, "MD", higher_is_better=False)
    assert once["yi"].tolist() == [-0.2, -1.0] == twice["yi"].tolist()
    assert twice["yi_input"].tolist()[0] == 0.2 and twice["es_source"].tolist() == [
        "yi_vi",
        "means",
    ]
