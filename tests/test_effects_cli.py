"""Tier 5: ``metareview effects`` on real files (dmetar's SuicidePrevention, metapsy data)."""

from __future__ import annotations

import json

import pandas as pd

from tests.test_cli_e2e import run_cli

SUICIDE_COLUMNS = [
    "--col",
    "study=author",
    "--col",
    "mean_arm1=mean.e",
    "--col",
    "mean_arm2=mean.c",
    "--col",
    "sd_arm1=sd.e",
    "--col",
    "sd_arm2=sd.c",
    "--col",
    "n_arm1=n.e",
    "--col",
    "n_arm2=n.c",
]


def _run(capsys, argv):
    return run_cli(capsys, *argv)


def test_effects_json_on_suicide_prevention(shared_data, capsys):
    """Harrer et al., Doing Meta-Analysis in R, ch. 4.2.2: metacont SMD (RevMan 5 settings)
    gives Berry et al. g = −0.1428 (lower scores are better; arm 1 the intervention)."""
    path = shared_data / "dmetar" / "SuicidePrevention.csv"
    code, out, _ = _run(
        capsys, ["effects", str(path), *SUICIDE_COLUMNS, "--preset", "revman5", "--json"]
    )
    report = json.loads(out)
    assert code == 0 and report["measure"] == "SMD" and report["preset"] == "revman5"
    first = report["rows"][0]
    assert first["study"] == "Berry et al." and round(first["yi"], 4) == -0.1428
    assert report["dropped"] == []


def test_effects_writes_csv_with_the_effect_columns(shared_data, tmp_path, capsys):
    path = shared_data / "dmetar" / "SuicidePrevention.csv"
    target = tmp_path / "out.csv"
    code, out, _ = _run(
        capsys, ["effects", str(path), *SUICIDE_COLUMNS, "--lower-is-better", "-o", str(target)]
    )
    written = pd.read_csv(target, index_col="row")
    assert code == 0 and "9 rows, SMD under preset metafor; 0 not estimable" in out
    for column in ("yi", "vi", "sei", "ci_lower", "ci_upper", "es_source", "note", "yi_unflipped"):
        assert column in written
    assert (written["yi"] == -written["yi_unflipped"]).all()


def test_effects_metapsy_precalc_g(shared_data, capsys):
    code, out, _ = _run(
        capsys,
        [
            "effects",
            str(shared_data / "metapsy" / "depression.csv"),
            "--col",
            "precalc_g=g",
            "--col",
            "precalc_g_se=SE",
            "--preset",
            "metapsy",
            "--json",
        ],
    )
    report = json.loads(out)
    source = pd.read_csv(shared_data / "metapsy" / "depression.csv")
    assert code == 0 and len(report["rows"]) == len(source)
    assert [r["yi"] for r in report["rows"][:5]] == source["g"].head().tolist()


def test_effects_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\nA,12,10,3,10\n")
    code, out, err = _run(capsys, ["effects", str(path), "--measure", "OR"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "row 2, column 'event_arm1'" in err


def test_effects_text_output_lists_not_estimable_rows(tmp_path, capsys):
    path = tmp_path / "zero.csv"
    path.write_text(
        "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\nA,0,10,0,12\nB,3,10,1,12\n"
    )
    code, out, _ = _run(capsys, ["effects", str(path), "--measure", "rr", "--preset", "revman5"])
    assert code == 0 and "RR under preset revman5 (2 rows)" in out
    assert "not estimable: no events in either arm" in out


def test_effects_json_lists_dropped_rows(tmp_path, capsys):
    path = tmp_path / "zero.csv"
    path.write_text(
        "study,event_arm1,totaln_arm1,event_arm2,totaln_arm2\nA,0,10,0,12\nB,3,10,1,12\n"
    )
    code, out, _ = _run(capsys, ["effects", str(path), "--measure", "OR", "--json"])
    assert code == 0 and json.loads(out)["dropped"] == []
    code, out, _ = _run(
        capsys, ["effects", str(path), "--measure", "OR", "--drop-double-zero", "--json"]
    )
    assert json.loads(out)["dropped"] == [
        {
            "row": 2,
            "study": "A",
            "reason": "no events in either arm (double-zero study, excluded from OR under preset "
            "metafor)",
        }
    ]
