"""The data standard: the columns of an extraction table and the data groups they form.

One row per comparison × outcome × time point. Arm 1 is the intervention, arm 2 the control.
The column names are the metapsy data standard's, plus generic precomputed effects (``yi``
with ``vi``, ``sei`` or a CI), ratios as trial reports print them (``ratio`` with its CI and
``ratio_measure``) and any number of extra columns, which are kept as moderators.

>>> COLUMNS["sd_arm1"].minimum
0.0
>>> [group.name for group in DATA_GROUPS][:3]
['means', 'change', 'events']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One standard column: its type and the range a value must lie in."""

    name: str
    numeric: bool
    description: str
    minimum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()  #: the values a text column allows (none: any text)

    @property
    def expected(self) -> str:
        """What a value must be, in words, for error messages.

        >>> COLUMNS["higher_is_better"].expected, COLUMNS["sd_arm1"].expected
        ("'yes' or 'no'", 'a number > 0')
        """
        if self.choices:
            return " or ".join(repr(choice) for choice in self.choices)
        if not self.numeric:
            return "text"
        if self.minimum is None:
            return "a number"
        sign = ">" if self.exclusive_minimum else ">="
        return f"a number {sign} {self.minimum:g}"


@dataclass(frozen=True)
class DataGroup:
    """A set of columns that together give one effect size."""

    name: str
    columns: tuple[str, ...]
    description: str


def _text(name: str, description: str, choices: tuple[str, ...] = ()) -> Column:
    return Column(name, False, description, choices=choices)


def _number(name: str, description: str, minimum: float | None = None, strict: bool = False):
    return Column(name, True, description, minimum, strict)


def _arms(stem: str, description: str, minimum: float | None = None, strict: bool = False):
    """The intervention (``STEM_arm1``) and control (``STEM_arm2``) columns of one quantity."""
    return (
        _number(f"{stem}_arm1", f"{description}, intervention.", minimum, strict),
        _number(f"{stem}_arm2", f"{description}, control.", minimum, strict),
    )


_COLUMN_LIST = [
    _text("study", "Study label, e.g. 'Smith, 2019'. Required."),
    _text("condition_arm1", "Intervention condition (arm 1)."),
    _text("condition_arm2", "Control condition (arm 2)."),
    _text("multi_arm1", "Label of this intervention arm in a multi-arm trial."),
    _text("multi_arm2", "Label of this control arm in a multi-arm trial."),
    _text("outcome_type", "Kind of outcome, e.g. 'msd', 'change', 'dich'."),
    _text("instrument", "Measurement instrument, e.g. 'phq-9'."),
    _text("time", "Time point, e.g. 'post', 'fu'."),
    _number("time_weeks", "Weeks since randomisation.", 0.0),
    _text("rating", "Who rated the outcome, e.g. 'self-report', 'clinician'."),
    *_arms("mean", "Post-test mean"),
    *_arms("sd", "Post-test SD", 0.0, True),
    *_arms("n", "Sample size analysed", 2.0),
    *_arms("mean_change", "Mean change from baseline"),
    *_arms("sd_change", "SD of the change", 0.0, True),
    *_arms("n_change", "Sample size of the change score", 2.0),
    *_arms("event", "Number of events", 0.0),
    *_arms("totaln", "Number randomised/analysed for the events", 1.0),
    _number("precalc_g", "Precomputed Hedges' g (positive favours the intervention)."),
    _number("precalc_g_se", "Standard error of precalc_g.", 0.0, True),
    _number("precalc_log_rr", "Precomputed log risk ratio."),
    _number("precalc_log_rr_se", "Standard error of precalc_log_rr.", 0.0, True),
    _number("yi", "Precomputed effect size on the analysis scale (log for OR/RR)."),
    _number("vi", "Sampling variance of yi.", 0.0, True),
    _number("sei", "Standard error of yi.", 0.0, True),
    _number("yi_ci_lower", "Lower confidence limit of yi (analysis scale: log for OR/RR)."),
    _number("yi_ci_upper", "Upper confidence limit of yi (analysis scale: log for OR/RR)."),
    _number("ratio", "Reported ratio (OR, RR or HR) on the ratio scale, e.g. 0.62.", 0.0, True),
    _number("ratio_ci_lower", "Lower confidence limit of ratio (ratio scale).", 0.0, True),
    _number("ratio_ci_upper", "Upper confidence limit of ratio (ratio scale).", 0.0, True),
    _text("ratio_measure", "What ratio is: 'OR', 'RR' or 'HR'."),
    _number(
        "ci_level",
        "Confidence level of yi_ci_lower/upper and ratio_ci_lower/upper, e.g. 0.9 (default 0.95).",
        0.0,
        True,
    ),
    _number("t_value", "Two-sample t statistic, arm 1 vs arm 2 (positive: arm 1 mean higher)."),
    _number("f_value", "F(1, df) statistic of the two arms (direction in higher_arm).", 0.0),
    _number(
        "p_value",
        "Two-sided p value of the two-sample t test (direction in higher_arm).",
        0.0,
        True,
    ),
    _text(
        "higher_arm",
        "Arm with the higher mean, for f_value and p_value: 'arm1' or 'arm2'.",
        ("arm1", "arm2"),
    ),
    _text(
        "higher_is_better",
        "Whether higher values favour an arm: 'yes' or 'no' (flips the sign).",
        ("yes", "no"),
    ),
    _number("icc", "Intracluster correlation of a cluster-randomised trial.", 0.0),
    _number("cluster_size", "Average cluster size of a cluster-randomised trial.", 1.0),
]

COLUMNS: dict[str, Column] = {column.name: column for column in _COLUMN_LIST}

DATA_GROUPS: tuple[DataGroup, ...] = (
    DataGroup(
        "means",
        ("mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "n_arm1", "n_arm2"),
        "post-test means, SDs and ns per arm",
    ),
    DataGroup(
        "change",
        (
            "mean_change_arm1",
            "mean_change_arm2",
            "sd_change_arm1",
            "sd_change_arm2",
            "n_change_arm1",
            "n_change_arm2",
        ),
        "mean changes from baseline, their SDs and ns per arm",
    ),
    DataGroup(
        "events",
        ("event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2"),
        "events and totals per arm (dichotomous outcome)",
    ),
    DataGroup("precalc_g", ("precalc_g", "precalc_g_se"), "precomputed Hedges' g and its SE"),
    DataGroup(
        "precalc_log_rr",
        ("precalc_log_rr", "precalc_log_rr_se"),
        "precomputed log risk ratio and its SE",
    ),
    DataGroup("yi_vi", ("yi", "vi"), "precomputed effect size and its variance"),
    DataGroup("yi_sei", ("yi", "sei"), "precomputed effect size and its standard error"),
    DataGroup("yi_ci", ("yi", "yi_ci_lower", "yi_ci_upper"), "precomputed effect size and its CI"),
    DataGroup(
        "ratio_ci",
        ("ratio", "ratio_ci_lower", "ratio_ci_upper", "ratio_measure"),
        "reported ratio (OR, RR, HR) and its CI on the ratio scale",
    ),
    DataGroup(
        "t_stat", ("t_value", "n_arm1", "n_arm2"), "two-sample t statistic and the arm sizes"
    ),
    DataGroup(
        "f_stat",
        ("f_value", "higher_arm", "n_arm1", "n_arm2"),
        "F(1, df) statistic, the arm with the higher mean and the arm sizes",
    ),
    DataGroup(
        "p_value",
        ("p_value", "higher_arm", "n_arm1", "n_arm2"),
        "two-sided p value of a t test, the arm with the higher mean and the arm sizes",
    ),
)

REQUIRED_COLUMNS: tuple[str, ...] = ("study",)

# Pairs of columns in order: the first may not exceed the second (``strict``: must be below it).
ORDERED: tuple[tuple[str, str, bool], ...] = (
    ("event_arm1", "totaln_arm1", False),
    ("event_arm2", "totaln_arm2", False),
    ("yi_ci_lower", "yi_ci_upper", True),
    ("yi_ci_lower", "yi", False),  # a rounded report may print the point at a limit:
    ("yi", "yi_ci_upper", False),  # accepted, and flagged by the CI-symmetry check
    ("ratio_ci_lower", "ratio_ci_upper", True),
    ("ratio_ci_lower", "ratio", False),
    ("ratio", "ratio_ci_upper", False),
)

# Header spellings from other software that mean a standard column (used for suggestions).
COMMON_ALIASES: dict[str, str] = {
    "author": "study",
    "studlab": "study",
    "study_id": "study",
    "te": "yi",
    "sete": "sei",
    "se": "sei",
    "g": "precalc_g",
    "mean.e": "mean_arm1",
    "mean.c": "mean_arm2",
    "sd.e": "sd_arm1",
    "sd.c": "sd_arm2",
    "n.e": "n_arm1",
    "n.c": "n_arm2",
    "event.e": "event_arm1",
    "event.c": "event_arm2",
}
