"""The runner: a plan and its data in, every analysis of the review out, as :class:`ReviewResults`.

Each concrete analysis is one call of :func:`metareview.plan.analysis.analyze` on the effect
sizes its rows give, so every number equals ``metareview analyze`` on the same rows. Effect
sizes are computed once per (measure, preset); fits run in parallel processes when
``jobs > 1``; results are cached under a hash of the plan, the data and the version, and are
identical from run to run (nothing random).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from metareview import __version__
from metareview.data.effects import compute_effects, not_estimable_rows
from metareview.data.readers import raw_from_frame
from metareview.data.table import ExtractionTable, load_table, validate_raw
from metareview.errors import MetareviewError
from metareview.plan.analysis import AnalysisResult, analyze, plan_analysis_settings
from metareview.plan.binary import EVENT_COLUMNS, binary_sections
from metareview.plan.expand import DERIVED_RUNS, AnalysisSpec, expand_plan
from metareview.plan.models import (
    DERIVED_MODELS,
    model_id,
    model_request,
    models_table,
)
from metareview.plan.moderators import MetaRegRequest
from metareview.plan.multilevel import MultilevelRequest
from metareview.plan.multiverse_plan import multiverse_columns, run_multiverses
from metareview.plan.plan import Plan, Settings
from metareview.plan.result_tree import FitResult
from metareview.plan.results import AnalysisRecord, ReviewResults
from metareview.plan.robustness import gosh_cloud
from metareview.plan.rules import (
    choose_model,
    influential_studies,
    outlier_studies,
    subgroup_block,
    subgroup_key,
)
from metareview.plan.selection import Selection, filter_rows, in_window, one_per_study
from metareview.stats.presets import get_preset
from metareview.stats.vocabulary import BINARY_MEASURES

Progress = Callable[[str, int, int], None]
# Columns of compute_effects' output not kept in a record's input (derivable from yi, vi;
# yi_unflipped stays: a forest plot shows mirrored effects as computed from their arms).
_DERIVED_COLUMNS = ("sei", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class FitJob:
    """One call of ``analyze``: the effect sizes (study, yi, vi, moderators) and settings."""

    key: str
    frame: pd.DataFrame
    settings: Settings
    force_bias: bool = False  # run small-study tests below the preset's minimum k
    selection: bool = False  # fit the step-function selection model (settings.selection_steps)
    by: str | None = None  # moderator column of analyze's subgroup section
    min_k_subgroup: int = 2
    metaregression: tuple[MetaRegRequest, ...] = ()  # analyze's meta-regression sections
    multilevel: MultilevelRequest | None = None  # analyze's multilevel section (models)

    def columns(self) -> list[str]:
        """The columns ``analyze`` needs: study, yi, vi and the moderators of its sections."""
        moderators = [m for request in self.metaregression for m in request.moderators]
        return list(
            dict.fromkeys(["study", "yi", "vi", *([self.by] if self.by else []), *moderators])
        )


def fit(job: FitJob) -> dict[str, Any]:
    """Run ``analyze`` for one job and return its JSON document (``{"error": …}`` on failure)."""
    # Only the (already sign-aligned, design-adjusted) effect sizes: columns such as
    # higher_is_better or icc would make analyze() adjust them a second time.
    frame = job.frame[job.columns()]
    settings = plan_analysis_settings(
        job.settings, force_bias=job.force_bias, selection=job.selection
    )
    if job.by:
        settings = replace(settings, by=job.by, min_k_subgroup=job.min_k_subgroup)
    if job.metaregression:
        settings = replace(settings, metaregression=job.metaregression)
    if job.multilevel is not None:
        settings = replace(settings, multilevel=job.multilevel)
    # Rows keep the extraction table's numbers, so a study or a row left out (e.g. for a
    # missing moderator) is named as the user's spreadsheet shows it.
    raw = replace(raw_from_frame(frame), row_numbers=[int(row) for row in frame.index])
    try:
        result = analyze(validate_raw(raw, {}), settings)
    except MetareviewError as err:
        return {"error": str(err)}
    except Exception as err:  # a defect in one analysis must not end the others
        return {"error": f"could not be fitted ({type(err).__name__}: {err}); please report this"}
    return with_binary_sections(result, job.frame).to_dict()


def with_binary_sections(result: AnalysisResult, effects: pd.DataFrame) -> AnalysisResult:
    """``result`` with the Mantel–Haenszel, Peto and RevMan "M-H, Random" sections that
    ``analyze`` gives a table with event counts (:func:`binary_sections`), computed from the
    counts behind the runner's effect sizes (``analyze`` saw only yi and vi), so a plan pools
    as ``metareview analyze`` does on the same rows.
    """
    rows = effects.loc[list(result.rows)]
    sections = binary_sections(
        rows,
        result.measure,
        result.settings.level,
        preset=result.settings.preset,
        tau2_method=result.pooled.method,
        ci_method=result.pooled.ci_method,
        studies=[str(study) for study in rows["study"]],
    )
    if sections.mantel_haenszel is not None:
        fields = sections._asdict()
        notes = fields.pop("notes")  # what is not estimable joins the analysis' warnings
        return replace(result, **fields, warnings=(*result.warnings, *notes))
    lacking = _rows_without_counts(rows)
    if result.measure in BINARY_MEASURES and 0 < len(lacking) < len(rows):
        warning = (
            f"Mantel-Haenszel not computed: {len(lacking)} row(s) have no single 2x2 table "
            f"({', '.join(lacking)}: e.g. several rows combined into one study); the "
            "inverse-variance models are reported"
        )
        return replace(result, warnings=(*result.warnings, warning))
    return result


def _rows_without_counts(rows: pd.DataFrame) -> list[str]:
    """Studies among ``rows`` without all four event counts."""
    if not set(EVENT_COLUMNS) <= set(rows.columns):
        return []
    counts = rows[list(EVENT_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    return [str(study) for study in rows.loc[counts.isna().any(axis=1), "study"]]


@cache
def source_digest() -> str:
    """SHA-256 of metareview's own source files, so results and figures made by other code
    (a development checkout without a version bump) are not reused.

    >>> len(source_digest())
    64
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(plan: Plan) -> str:
    """SHA-256 of the plan as parsed, the data file's bytes, the metareview version and its
    source files."""
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    digest.update(source_digest().encode())
    digest.update(json.dumps(plan.document, sort_keys=True, default=str).encode())
    digest.update(plan.data_file.read_bytes())
    return digest.hexdigest()


def run_plan(
    plan: Plan,
    *,
    jobs: int | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ReviewResults:
    """Run every analysis of ``plan``; reuse the cached results when plan and data are unchanged.

    ``jobs`` is the number of worker processes (default: the cores available; 1 runs in this
    process). ``progress(stage, done, total)`` is called as analyses finish.
    """
    if not plan.data_file.is_file():
        raise plan.error("data.file", f"no such file: {plan.data_file}")
    key = cache_key(plan)
    cached = Path(cache_dir) / f"{key}.json" if cache_dir else None
    if cached is not None and cached.is_file():
        return ReviewResults.from_dict(json.loads(cached.read_text("utf-8")))
    table = load_table(
        plan.data_file, plan.columns, sheet=plan.sheet, drop_incomplete=plan.drop_incomplete
    )
    check_columns(plan, table)
    effects, dropped, checks = effect_sizes(plan, table)
    specs = expand_plan(plan, outcomes_found(plan, effects))
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    runner = _Runner(plan, effects, workers, progress or (lambda *_: None))
    records = runner.run(specs)
    multiverses = run_multiverses(plan, effects, workers)
    results = ReviewResults(
        title=plan.title,
        version=__version__,
        cache_key=key,
        plan=plan.to_dict(),
        data={"file": str(plan.data_file), "rows": table.n_rows, "studies": table.n_studies},
        analyses=tuple(records),
        dropped=tuple(dropped),
        warnings=tuple(checks),
        multiverses=multiverses,
    )
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(results.to_json(), encoding="utf-8")
    return results


def check_columns(plan: Plan, table: ExtractionTable) -> None:
    """Every column the plan names must be in the data: a :class:`PlanError` naming the key."""
    present = set(table.frame.columns)
    wanted: list[tuple[str, str]] = []
    if plan.categories:
        wanted.append(("outcomes.category_column", plan.category_column))
    if any(c.runs.specific_outcomes for c in plan.categories):
        wanted.append(("outcomes.outcome_column", plan.outcome_column))
    runs = [("analyses", plan.runs)]
    runs += [(f"{item.key}.analyses", item.runs) for item in (*plan.categories, *plan.custom)]
    for prefix, item in runs:
        wanted += [(f"{prefix}.filter.{c}", c) for c in item.filter]
        wanted += [(f"{prefix}.exclude.{c}", c) for c in item.exclude]
        wanted += [(f"{prefix}.subgroups", c) for c in item.subgroups]
        wanted += [
            (f"{prefix}.metaregression", m) for r in item.metaregression for m in r.moderators
        ]
        if "low_rob_only" in item.sensitivity or "rob" in item.models:
            wanted.append(("rob.column", plan.rob_column))
    wanted += [(f"{c.key}.filter.{name}", name) for c in plan.custom for name in c.filter]
    wanted += [("rob.domains", column) for column in plan.rob_domains]
    wanted += multiverse_columns(plan)
    missing = [(key, column) for key, column in wanted if column not in present]
    if missing:
        key, column = missing[0]
        names = ", ".join(sorted(str(c) for c in present))
        raise plan.error(
            key, f"column {column!r} is not in {plan.data_file.name} (columns: {names})"
        )


def effect_sizes(
    plan: Plan, table: ExtractionTable
) -> tuple[dict[tuple[str, str], pd.DataFrame], list, list[str]]:
    """Effect sizes of every row per (measure, preset, direction) the plan uses.

    Signs are aligned by ``compute_effects`` so that positive values favour the intervention
    (per row from a ``higher_is_better`` column, else from ``settings.higher_is_better``).

    Returns the tables, the rows without a computable effect (row, study, reason) and the data
    checks ``compute_effects`` raised (``row N (study): check: …``, e.g. a reported ratio CI
    not symmetric on the log scale), each once. The analyses pool ``yi`` and ``vi`` alone, so
    these are kept here, for ``results.json`` and the report.
    """
    settings = [plan.settings, *(c.settings for c in (*plan.categories, *plan.custom))]
    tables, dropped, checks = {}, {}, {}
    for measure, preset, better in dict.fromkeys(
        (s.measure, s.preset, s.higher_is_better) for s in settings
    ):
        frame = compute_effects(table, measure=measure, preset=preset, higher_is_better=better)
        for row in not_estimable_rows(frame):
            dropped.setdefault(row["row"], row)
        checks.update(dict.fromkeys(frame.attrs.get("warnings", ())))
        estimable = frame[frame["yi"].notna() & frame["vi"].notna()]
        estimable.attrs = {}  # read above; pandas would copy them on every operation after
        tables[(measure, preset, better)] = estimable
    return tables, sorted(dropped.values(), key=lambda d: d["row"]), list(checks)


def outcomes_found(
    plan: Plan, effects: dict[tuple[str, str], pd.DataFrame]
) -> dict[str, list[str]]:
    """Specific outcomes present per category, in order of first appearance."""
    frame = next(iter(effects.values()))
    found = {}
    for category in plan.categories:
        if plan.outcome_column not in frame:
            continue
        rows = filter_rows(frame, {plan.category_column: category.values}, {})
        found[category.name] = [str(v) for v in dict.fromkeys(rows[plan.outcome_column].dropna())]
    return found


class _Runner:
    """Turns specs into fit jobs, runs them (in parallel) and assembles the records."""

    def __init__(self, plan: Plan, effects: dict, workers: int, progress: Progress):
        self.plan = plan
        self.effects = effects
        self.workers = workers
        self.progress = progress
        self._rows: dict[str, Selection] = {}

    def rows_for(self, spec: AnalysisSpec) -> Selection:
        """The rows of ``spec``, several effects per study resolved; computed once per distinct
        (effect sizes, filters, window, rule, ρ): a sensitivity run that drops studies found
        by its main analysis, say, starts from the main analysis' rows."""
        settings = spec.settings
        key = json.dumps(
            [settings.measure, settings.preset, settings.higher_is_better, spec.filters,
             spec.exclude, repr(spec.window_rule), settings.multiple_effects,
             combine_rho(settings)],
            sort_keys=True, default=repr,
        )  # fmt: skip
        if key not in self._rows:
            self._rows[key] = self._select(spec)
        chosen = self._rows[key]
        return Selection(chosen.frame, list(chosen.dropped), list(chosen.combined))

    def _select(self, spec: AnalysisSpec) -> Selection:
        settings = spec.settings
        frame = self.effects[(settings.measure, settings.preset, settings.higher_is_better)]
        frame = filter_rows(frame, spec.filters, spec.exclude)
        if spec.window_rule is not None:
            frame = frame[in_window(frame, spec.window_rule.time, spec.window_rule.weeks)]
        chosen = one_per_study(
            frame,
            spec.settings.multiple_effects,
            rho=combine_rho(spec.settings),
            label=f"analysis {spec.title!r}",
            judgements=(self.plan.rob_column, *self.plan.rob_domains),
        )
        return chosen

    def run(self, specs: list[AnalysisSpec]) -> list[AnalysisRecord]:
        first = [s for s in specs if not _derived(s)]
        prepared = {spec.id: self._prepare(spec) for spec in first}
        fits = self._fit_all([job for item in prepared.values() for job in item["jobs"]], 1)
        records = {sid: self._record(item, fits) for sid, item in prepared.items()}
        later = {}
        for spec in specs:
            if _derived(spec):
                flagged_in = _flagged_in(spec)
                parent = records[flagged_in]
                if not parent.ok:
                    later[spec.id] = {
                        **self._prepare(spec, []),
                        "reason": f"the analysis {flagged_in!r} was not run",
                    }
                    continue
                later[spec.id] = self._prepare(spec, **self._flagged(parent, spec))
        loo_jobs = [
            job
            for sid, item in prepared.items()
            if item["spec"].leave_one_out and records[sid].ok
            for job in leave_one_out_jobs(item["spec"], item["frame"], records[sid])
        ]
        fits = self._fit_all(loo_jobs + [job for item in later.values() for job in item["jobs"]], 2)
        records.update({sid: self._record(item, fits) for sid, item in later.items()})
        clouds = self._gosh_clouds(
            {sid: records[sid] for sid, item in prepared.items() if item["spec"].gosh}
        )
        for sid, item in prepared.items():
            if item["spec"].leave_one_out and records[sid].ok:
                loo = leave_one_out_rows(item["spec"], item["frame"], records[sid], fits)
                records[sid] = replace(records[sid], leave_one_out=loo)
            if sid in clouds:
                records[sid] = replace(records[sid], gosh=clouds[sid])
        models: dict[str, list[AnalysisRecord]] = {}
        for spec in specs:
            if spec.role == "model":
                models.setdefault(spec.parent, []).append(records[spec.id])
        for main_id, found in models.items():
            main = next(s for s in first if s.id == main_id).settings
            table = models_table(found, measure=main.measure, cer=main.nnt_cer)
            records[main_id] = replace(records[main_id], models=table)
        return [records[spec.id] for spec in specs]

    def _gosh_clouds(self, records: dict[str, AnalysisRecord]) -> dict[str, dict]:
        """The GOSH cloud of each fitted record, by analysis id: in worker processes when
        there are several (about 0.4 s CPU each on the example's 30 studies)."""
        results = {sid: record.result for sid, record in records.items() if record.ok}
        if self.workers > 1 and len(results) > 1:
            with ProcessPoolExecutor(max_workers=min(self.workers, len(results))) as pool:
                return dict(zip(results, pool.map(gosh_cloud, results.values()), strict=True))
        return {sid: gosh_cloud(result) for sid, result in results.items()}

    def _prepare(
        self,
        spec: AnalysisSpec,
        exclude_studies: list[str] | None = None,
        exclude_rows: list[int] | None = None,
    ) -> dict:
        chosen = self.rows_for(spec)
        frame = chosen.frame
        if exclude_studies is not None:
            frame = frame[~frame["study"].isin(exclude_studies)]
        if exclude_rows:  # a model's effects flagged in the overall model, named by study and row
            exclude_studies = [
                f"{chosen.frame.at[row, 'study']} (row {row})" for row in exclude_rows
            ]
            frame = frame.drop(index=exclude_rows)
        item = {
            "spec": spec,
            "frame": frame,
            "dropped": chosen.dropped,
            "combined": chosen.combined,
            "jobs": [],
            "excluded": exclude_studies or [],
        }
        if spec.role == "sensitivity" and spec.variant in DERIVED_RUNS and not exclude_studies:
            item["reason"] = (
                f"no {'outliers' if spec.variant == 'outliers_removed' else 'influential studies'} found"
            )
            return item
        k = frame["study"].nunique()
        if k < spec.min_k:
            item["reason"] = f"k = {k} < {spec.min_k} (minimum for this analysis)"
            return item
        force_bias = bool(spec.small_study) and k >= self.plan.min_k.small_study
        item["jobs"].append(
            FitJob(
                spec.id,
                frame,
                spec.settings,
                force_bias,
                selection="selection" in spec.small_study,
                metaregression=spec.metaregression,
                multilevel=model_request(spec.variant, spec.settings, combine_rho(spec.settings))
                if spec.role == "model"
                else None,
            )
        )
        for column in spec.subgroups:
            by = FitJob(
                f"{spec.id}|by|{column}",
                frame,
                spec.settings,
                by=column,
                min_k_subgroup=self.plan.min_k.subgroup,
            )
            item["jobs"].append(by)
            for level, rows in frame.groupby(column, sort=True):
                if rows["study"].nunique() >= self.plan.min_k.subgroup:
                    item["jobs"].append(
                        FitJob(subgroup_key(spec.id, column, level), rows, spec.settings)
                    )
        return item

    def _fit_all(self, jobs: list[FitJob], stage: int) -> dict[str, dict]:
        label = "analyses" if stage == 1 else "sensitivity re-fits"
        done: dict[str, dict] = {}
        total = len(jobs)
        self.progress(label, 0, total)
        if self.workers > 1 and total > 20:
            with ProcessPoolExecutor(max_workers=self.workers) as pool:
                for index, (job, result) in enumerate(
                    zip(jobs, pool.map(fit, jobs, chunksize=8)), 1
                ):
                    done[job.key] = result
                    self.progress(label, index, total)
        else:
            for index, job in enumerate(jobs, 1):
                done[job.key] = fit(job)
                self.progress(label, index, total)
        return done

    def _record(self, item: dict, fits: dict[str, dict]) -> AnalysisRecord:
        spec: AnalysisSpec = item["spec"]
        frame: pd.DataFrame = item["frame"]
        common = {
            "spec": spec.to_dict(),
            "input": _input_rows(frame),
            "dropped": item["dropped"],
            "combined": item["combined"],
            "excluded_studies": item["excluded"],
        }
        if "reason" in item:
            return AnalysisRecord(status="skipped", reason=item["reason"], **common)
        result = fits[spec.id]
        fitted = FitResult.of(result)
        if fitted.error is not None:
            return AnalysisRecord(status="skipped", reason=fitted.error, **common)
        model, why = choose_model(spec.settings, fitted)
        subgroups = [
            subgroup_block(
                column,
                frame,
                fits,
                spec.id,
                self.plan.min_k.subgroup,
                model,
                FitResult.of(fits[f"{spec.id}|by|{column}"]).subgroups,
            )
            for column in spec.subgroups
        ]
        return AnalysisRecord(
            status="ok",
            result=result,
            model=model,
            model_reason=why,
            subgroups=subgroups,
            **common,
        )

    def _flagged(self, parent: AnalysisRecord, spec: AnalysisSpec) -> dict[str, list]:
        """The studies (a sensitivity run) or rows (a model) to leave out of ``spec``."""
        key, exclude = (
            ("row", "exclude_rows") if spec.role == "model" else ("study", "exclude_studies")
        )
        if spec.variant in ("outliers_removed", "outliers"):
            found = outlier_studies(parent.tree.result, parent.model, spec.settings.level, key)
        else:
            found = influential_studies(parent.tree.result, key)
        return {exclude: found}


def _derived(spec: AnalysisSpec) -> bool:
    """Whether ``spec`` leaves out what another analysis flags (so is fitted after it)."""
    if spec.role == "model":
        return spec.variant in DERIVED_MODELS
    return spec.variant in DERIVED_RUNS


def _flagged_in(spec: AnalysisSpec) -> str:
    """The analysis whose outliers or influential cases ``spec`` leaves out: the main
    analysis, or for a model the overall model (runMetaAnalysis's ``which.outliers``)."""
    return model_id(spec.parent, "overall") if spec.role == "model" else spec.parent


def _loo_from_result(record: AnalysisRecord) -> bool:
    """Whether ``analyze`` already gave the leave-one-out fits under the headline model."""
    return record.model == "random" and bool(record.tree.result.leave_one_out)


def leave_one_out_jobs(
    spec: AnalysisSpec, frame: pd.DataFrame, record: AnalysisRecord
) -> list[FitJob]:
    """One fit without each study, unless the analysis document already holds them."""
    if _loo_from_result(record):
        return []
    return [
        FitJob(f"{spec.id}|loo|{study}", frame[frame["study"] != study], spec.settings)
        for study in frame["study"].unique()
    ]


def leave_one_out_rows(
    spec: AnalysisSpec, frame: pd.DataFrame, record: AnalysisRecord, fits: dict[str, dict]
) -> list[dict[str, Any]]:
    """The pooled result without each study: omitted, k, the model's block, I² and τ²."""
    k = record.k
    if _loo_from_result(record):
        return [
            {
                "omitted": str(row.omitted),
                "k": k - 1,
                "estimate": row.estimate,
                "se": row.se,
                "ci_lower": row.ci_lower,
                "ci_upper": row.ci_upper,
                "pvalue": row.pvalue,
                "i2": row.i2,
                "tau2": row.tau2,
            }
            for row in record.tree.result.leave_one_out
        ]
    rows = []
    for study in frame["study"].unique():
        fitted = FitResult.of(fits[f"{spec.id}|loo|{study}"])
        if fitted.error is None:
            rows.append(
                {
                    "omitted": str(study),
                    "k": fitted.k,
                    **fitted.pooled(record.model).to_dict(),
                    "i2": fitted.heterogeneity.i2,
                    "tau2": fitted.heterogeneity.tau2,
                }
            )
    return rows


def _input_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row of ``frame`` as a record of Python values, blanks as None (read column by
    column: a pandas pass over the whole object table cost ~0.5 s a run)."""
    keep = [c for c in frame.columns if c not in _DERIVED_COLUMNS]
    present = frame[keep].notna().to_numpy()
    named = [(c, frame[c].tolist()) for c in keep]
    return [
        {c: column[i] if present[i, j] else None for j, (c, column) in enumerate(named)}
        for i in range(len(frame))
    ]


def combine_rho(settings: Settings) -> float:
    """The correlation assumed when a study's effects are combined: the plan's ``rho``, else
    the preset's ``within_study_rho`` (0.6 under metapsy, as metapsyTools >= 1.0.4).

    >>> combine_rho(Settings(preset="metapsy")), combine_rho(Settings(preset="metapsy", rho=0.5))
    (0.6, 0.5)
    """
    return (
        settings.rho if settings.rho is not None else get_preset(settings.preset).within_study_rho
    )
