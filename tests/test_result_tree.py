"""The typed result tree (issue 13): every analysis of a run reads back from its document
unchanged, ``results.json`` carries a schema version that ``from_dict`` checks, and no module
of ``plan/`` or ``report/`` reads a result document by string key."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from metareview.errors import MetareviewError
from metareview.plan.plan import load_plan
from metareview.plan.result_tree import SCHEMA_VERSION, AnalysisTree, ResultsSchemaError
from metareview.plan.results import ReviewResults
from metareview.plan.runner import run_plan
from tests.report_records import thirdwave_plan

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "metareview"

#: Every module of ``plan/`` and ``report/``: none reads a result document by key. Reads
#: left: serialisation (``to_dict``/``from_dict`` and the helpers named below), the data rows
#: of the user's table (``record.input``: columns named by the user) and ``DataFrame.attrs``
#: (how ``compute_effects`` passes its checks on; not a result).
MODULES = tuple(
    str(path.relative_to(PACKAGE))
    for layer in ("plan", "report")
    for path in sorted((PACKAGE / layer).rglob("*.py"))
)
#: Modules that read only documents other than results by key, and which.
OTHER_DOCUMENTS = {
    "plan/plan.py": "the TOML plan and its tables",
    "plan/plan_form.py": "the plan's TOML document, as the web form edits it",
    "plan/schema.py": "the plan's JSON Schema",
    "plan/grade_review.py": "the plan's [grade] table",
    "plan/multiverse_plan.py": "the plan's [category.multiverse] tables",
}
#: Reads by key of what is not a result document: module → the expression read → what it is.
NOT_RESULTS = {
    "plan/analysis.py": {"kept": "the effect-size table's columns", "merged": "settings given"},
    "plan/selection.py": {
        "wanted": "a plan filter's min/max range",
        "effects.groupby('study', sort=False)": "the effect-size table's columns",
        "several": "the effect-size table's columns",
    },
    "plan/multiverse.py": {
        "self.specifications": "the specifications table's columns",
        "fits": "the fitted specifications table's columns",
        "effects.groupby('study')": "the effect-size table's columns",
        "spec": "one specification's choices (a row of the specifications table)",
        "out": "the effect-size table's columns",
        "null": "the fitted specifications table of a null resample",
    },
    "plan/multiverse_fit.py": {
        "spec": "one specification's choices",
        "self.fits[n, method, ci_method]": "a row of the specifications table being built",
        "base": "a row of the specifications table being built",
    },
    "plan/revman_fit.py": {
        "ANALYSIS_COLUMNS": "the columns of a RevMan table kind",
        "data": "the RevMan outcome's rows (a DataFrame)",
    },
    # fit_outcome's RevMan re-analysis (compared with the review's own numbers, never
    # stored in results.json): a dict its callers, tests among them, read by key
    "plan/revman_check.py": {"fits": "fit_outcome's re-analysis of a RevMan outcome"},
    "plan/revman_export.py": {"fits": "fit_outcome's re-analysis of a RevMan outcome"},
    "report/forest_columns.py": {"row.arms": "the user's arm columns", "r.arms": "ditto"},
    "report/forest_plot.py": {"self.style": "the layout's drawing styles"},
    "report/html.py": {"results.data": "the data file's name"},
    "report/metaregression_table.py": {"block": "the HTML block this module built"},
    "report/models_table.py": {"names": "the models-table rows by model code"},
    "report/multiverse_section.py": {
        "specifications": "the specifications table's columns",
        "specs": "the specifications table's columns",
        "not_fitted": "the specifications table's columns",
    },
    "report/rob_figures.py": {"o": "the plan's [[rob.override]] tables"},
    "report/specification_curve.py": {"fits": "the fitted specifications table's columns"},
    "report/text_metrics.py": {"params": "matplotlib's rcParams (text hinting settings)"},
}
SERIALISERS = {
    "to_dict",
    "from_dict",
    "to_frame",
    "pack_rows",
    "unpack_rows",
    "headline_result",
    "check_schema_version",
}
DATA_ROWS = {"row", "rows", "arms", "item", "frame", "effects", "entry", "d"}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_data):
    """ThirdWave (18 trials) with subgroups, small-study tests, leave-one-out and GOSH."""
    plan = thirdwave_plan(
        tmp_path_factory.mktemp("tree"),
        shared_data,
        'sensitivity = ["leave_one_out", "gosh", "outliers_removed"]\n'
        'small_study = ["egger", "trimfill"]\nsubgroups = ["TypeControlGroup"]',
    )
    return run_plan(load_plan(plan), jobs=1)


def test_every_analysis_reads_back_from_its_document_unchanged(results):
    for record in results.analyses:
        document = json.loads(json.dumps(record.to_dict(), default=float))
        assert AnalysisTree.from_dict(document).to_dict() == document, record.id


def test_the_tree_holds_what_the_record_holds(results):
    record = results["perceived-stress/all-time-points"]
    tree = record.tree
    assert tree.pooled.estimate == record.pooled()["estimate"]
    assert tree.fit.heterogeneity.i2 == record.result["heterogeneity"]["i2"]
    assert [s.study for s in tree.result.studies] == [s["study"] for s in record.result["studies"]]
    (block,) = tree.subgroups
    assert block.column == "TypeControlGroup" and block.fitted
    assert block.test.pvalue == record.subgroups[0]["test"]["pvalue"]
    assert (
        tree.result.small_study.trim_and_fill.k0
        == (record.result["small_study"]["trim_and_fill"]["k0"])
    )
    assert len(tree.leave_one_out) == 18 and tree.gosh is not None


def test_results_json_has_a_schema_version_and_reads_back(results):
    document = json.loads(results.to_json())
    assert document["schema_version"] == SCHEMA_VERSION
    again = ReviewResults.from_dict(document)
    assert json.loads(again.to_json()) == document


def test_an_unknown_schema_version_is_refused_with_a_clear_error(results):
    document = json.loads(results.to_json())
    document["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ResultsSchemaError, match="schema_version 2 is not one") as raised:
        ReviewResults.from_dict(document)
    assert isinstance(raised.value, MetareviewError)
    assert "re-run the plan" in str(raised.value)


def _string_key_reads(path: Path) -> list[str]:
    """``x["key"]`` and ``x.get("key")`` reads outside serialisers and data-row reads."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if function not in SERIALISERS:
            target = None
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                target = node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                target = node.func.value
            if target is not None and not (
                (isinstance(target, ast.Name) and target.id in DATA_ROWS)
                or (isinstance(target, ast.Attribute) and target.attr == "attrs")
            ):
                found.append(ast.unparse(node))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def _allowed_by(expression: str, read: str) -> bool:
    return read.startswith((f"{expression}[", f"{expression}.get("))


def _allowed(module: str, read: str) -> bool:
    return any(_allowed_by(expression, read) for expression in NOT_RESULTS.get(module, {}))


@pytest.mark.parametrize("module", [m for m in MODULES if m not in OTHER_DOCUMENTS])
def test_plan_and_report_read_attributes_not_string_keys(module):
    reads = _string_key_reads(PACKAGE / module)
    assert [read for read in reads if not _allowed(module, read)] == []
    for expression in NOT_RESULTS.get(module, {}):  # no allowance outlives its read
        assert any(_allowed_by(expression, read) for read in reads), (
            f"{module}: {expression} is no longer read by key"
        )


def test_every_exemption_names_a_module_of_plan_or_report():
    assert set(OTHER_DOCUMENTS) | set(NOT_RESULTS) <= set(MODULES)
