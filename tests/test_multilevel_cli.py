"""``metareview analyze --model threelevel|che``: the ``multilevel`` JSON section and errors."""

from __future__ import annotations

import csv
import json

import pytest

from metareview.cli import main
from tests.conftest import REPO

FIXTURE = json.loads((REPO / "tests" / "reference" / "multilevel.json").read_text())
ISSUE_KEYS = {
    "estimate", "se", "ci_lower", "ci_upper", "statistic", "df", "pvalue", "pi_lower",
    "pi_upper", "sigma2", "sigma2_ci", "i2", "loglik", "k", "n_studies", "robust",
}  # fmt: skip


@pytest.fixture
def run_cli(capsys):
    def run(*args: str):
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out = capsys.readouterr()
        return exit_info.value.code, out.out, out.err

    return run


@pytest.fixture
def konstantopoulos(tmp_path):
    """dat.konstantopoulos2011 as a table: schools (rows) in districts (study)."""
    data = FIXTURE["data"]["konstantopoulos2011"]
    path = tmp_path / "schools.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["study", "outcome", "yi", "vi"])
        writer.writerows(zip(data["study"], data["es"], data["yi"], data["vi"]))
    return str(path)


def _case(section, **match):
    return next(c for c in FIXTURE[section] if all(c[key] == value for key, value in match.items()))


def test_threelevel_json_equals_metafor(run_cli, konstantopoulos):
    code, out, err = run_cli("analyze", konstantopoulos, "--model", "threelevel", "--json")
    assert code == 0, err
    doc = json.loads(out)["multilevel"]
    assert set(doc) >= ISSUE_KEYS
    assert set(doc["i2"]) == {"sampling", "within", "between", "total"}
    expected = _case("threelevel", dataset="konstantopoulos2011", method="REML", test="z")
    exp = expected["result"]
    assert doc["estimate"] == pytest.approx(exp["beta"], rel=1e-6)
    assert doc["se"] == pytest.approx(exp["se"], rel=1e-6)
    assert doc["sigma2"] == pytest.approx(exp["sigma2"], rel=1e-6)
    assert [b for ci in doc["sigma2_ci"] for b in ci] == pytest.approx(
        [b for ci in exp["sigma2_ci"] for b in ci], rel=1e-5
    )
    assert [doc["pi_lower"], doc["pi_upper"]] == pytest.approx([exp["pi_lower"], exp["pi_upper"]])
    assert doc["loglik"] == pytest.approx(exp["loglik"], rel=1e-6)
    assert (doc["k"], doc["n_studies"], doc["df"], doc["robust"]) == (56, 11, None, None)


def test_che_with_smoothing_and_cr2_under_t_tests(run_cli, konstantopoulos):
    code, out, err = run_cli(
        "analyze", konstantopoulos, "--model", "che", "--rho", "0.6", "--smooth-vi",
        "--robust", "cr2", "--ci", "knha", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)["multilevel"]
    exp = _case("che", dataset="konstantopoulos2011", rho=0.6, smooth_vi=True)["result"]
    assert doc["df"] == 55
    assert doc["estimate"] == pytest.approx(exp["beta"], rel=1e-6)
    assert doc["pi_upper"] == pytest.approx(exp["pi_upper"], rel=1e-6)
    robust = doc["robust"]
    assert robust["method"] == "CR2"
    assert {"method", "se", "df", "ci_lower", "ci_upper", "pvalue"} <= set(robust)
    cr2 = exp["robust"]["cr2"]
    assert [robust["se"], robust["df"], robust["pvalue"]] == pytest.approx(
        [cr2["se"], cr2["df"], cr2["pvalue"]], rel=1e-6
    )


def test_text_summary_and_standard_default(run_cli, konstantopoulos):
    code, out, _ = run_cli("analyze", konstantopoulos, "--model", "threelevel", "--robust", "cr1")
    assert code == 0
    assert "Three-level model (REML, z tests): k = 56 effects in 11 studies" in out
    assert "robust (CR1)" in out
    code, out, _ = run_cli("analyze", konstantopoulos, "--json")
    assert code == 0 and "multilevel" not in json.loads(out)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--model", "threelevel", "--rho", "0.5"), "apply to the CHE model"),
        (("--model", "standard", "--robust", "cr2"), "robust variance applies to"),
        (("--model", "che", "--rho", "1.5"), "--rho"),
        (("--model", "threelevel", "--method", "DL"), "fitted by REML or ML"),
    ],
)
def test_misuse_is_one_line_error(run_cli, konstantopoulos, args, message):
    code, _, err = run_cli("analyze", konstantopoulos, *args)
    assert code in (1, 2) and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
