"""The typed result tree (issue 13): every analysis of a run reads back from its document
unchanged, ``results.json`` carries a schema version that ``from_dict`` checks, and the
converted readers in ``plan/`` and ``report/`` read attributes, not string keys."""

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

#: Modules whose reads of result documents are converted to the typed tree. Reads left:
#: serialisation (``to_dict``/``from_dict`` and helpers named below) and the data rows of
#: the user's table (``record.input``: columns named by the user) and ``DataFrame.attrs``
#: (how ``compute_effects`` passes its checks on; not a result).
CONVERTED = (
    "plan/rules.py",
    "plan/results.py",
    "plan/runner.py",
    "plan/robustness.py",
    "plan/models.py",
    "report/forest_data.py",
    "report/figures.py",
    "report/build.py",
    "report/tables.py",
    "report/small_study_table.py",
    "report/numbers.py",
    "report/methods_text.py",
    "report/html.py",
    "report/plot_inputs.py",
    "report/leave_one_out_plot.py",
)
#: Reads left on purpose, with why: the multiverse record is typed by its own issue.
LEFT = {
    "report/figures.py": ["multiverse.summary['fitted']"],
    "report/html.py": ["results.data['file']"],  # the data file's name (not a result)
}
SERIALISERS = {"to_dict", "from_dict", "pack_rows", "unpack_rows", "headline_result"}
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


@pytest.mark.parametrize("module", CONVERTED)
def test_converted_readers_read_attributes_not_string_keys(module):
    assert _string_key_reads(PACKAGE / module) == LEFT.get(module, [])
