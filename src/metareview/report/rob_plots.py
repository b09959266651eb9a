"""Risk-of-bias figures, in the style of robvis (McGuinness & Higgins 2021).

- :func:`traffic_light_plot`: one row per study, one coloured dot per domain and the overall
  judgement, with the robvis symbols (``+`` low, ``-`` some concerns, ``X`` high, ``?`` unclear
  or no information).
- :func:`summary_plot`: one stacked bar per domain, the share of studies (or, weighted, of the
  meta-analytic weight) at each level.
- :func:`draw_rob_columns`: the same dots as extra columns beside a forest plot's rows.
- :func:`rob_figure`: the report's figure of either plot.

Two palettes: ``"cochrane"`` (the Cochrane/RevMan green–yellow–red) and ``"colourblind"``
(an orange ramp readable with red–green colour blindness). Every function takes ``ax=None``
and returns the axes; nothing is shown or saved here.

>>> from metareview.rob.table import RobTable
>>> from metareview.rob.vocabulary import Judgement as J
>>> t = RobTable("RoB 2", ("D1", "D2"), ("Randomization", "Deviations"), ("A", "B"),
...              ((J.LOW, J.HIGH), (J.SOME_CONCERNS, J.LOW)), (J.HIGH, J.SOME_CONCERNS))
>>> ax = traffic_light_plot(t)
>>> [label.get_text() for label in ax.get_yticklabels()]
['A', 'B']
>>> import matplotlib.pyplot as plt; plt.close("all")
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from metareview.report.plain_text import plain, plain_all
from metareview.rob.table import ROBVIS_OVERALL, RobTable
from metareview.rob.vocabulary import SEVERITY, Judgement, parse_judgement

PALETTES: dict[str, dict[Judgement, str]] = {
    "cochrane": {
        Judgement.LOW: "#02C100",
        Judgement.SOME_CONCERNS: "#E2DF07",
        Judgement.UNCLEAR: "#E2DF07",
        Judgement.HIGH: "#BF0000",
        Judgement.NO_INFORMATION: "#4EA1F7",
        Judgement.NOT_APPLICABLE: "#CCCCCC",
    },
    "colourblind": {
        Judgement.LOW: "#FED98E",
        Judgement.SOME_CONCERNS: "#FE9929",
        Judgement.UNCLEAR: "#FE9929",
        Judgement.HIGH: "#D95F0E",
        Judgement.NO_INFORMATION: "#FFFFFF",
        Judgement.NOT_APPLICABLE: "#E0E0E0",
    },
}
SYMBOLS = {
    Judgement.LOW: "+",
    Judgement.SOME_CONCERNS: "-",
    Judgement.UNCLEAR: "?",
    Judgement.HIGH: "X",
    Judgement.NO_INFORMATION: "?",
    Judgement.NOT_APPLICABLE: "",
}
_LEGEND_NAMES = {Judgement.HIGH: "High", Judgement.LOW: "Low"}
UNRECOGNISED = "#BBBBBB"  # a judgement no RoB tool's vocabulary names


def judgement_mark(value: object, palette: str = "cochrane") -> tuple[str, str] | None:
    """The robvis symbol and colour of a judgement as typed ("Low", "No information",
    "serious" …), the same in every figure; ``None`` for a blank, ``("?", grey)`` for a value
    no vocabulary names.

    >>> judgement_mark("High risk"), judgement_mark("No information"), judgement_mark("")
    (('X', '#BF0000'), ('?', '#4EA1F7'), None)
    """
    try:
        judgement = parse_judgement(value)
    except ValueError:
        return "?", UNRECOGNISED
    if judgement is None:
        return None
    return SYMBOLS[judgement], palette_colours(palette)[judgement]


def judgement_legend(values: Sequence[object]) -> str:
    """One line naming the symbols of the judgements among ``values``, worst first, as the
    traffic-light plot's legend names them.

    >>> judgement_legend(["Low", "High", "some concerns", "Low", None])
    'Risk of bias: X High, - Some concerns, + Low'
    """
    found = set()
    for value in values:
        try:
            judgement = parse_judgement(value)
        except ValueError:
            continue
        if judgement is not None and SYMBOLS[judgement]:
            found.add(judgement)
    ordered = sorted(found, key=lambda j: (-SEVERITY[j], list(Judgement).index(j)))
    named = [f"{SYMBOLS[j]} {_LEGEND_NAMES.get(j, j.value)}" for j in ordered]
    return "Risk of bias: " + ", ".join(named) if named else ""


def palette_colours(palette: str) -> dict[Judgement, str]:
    """The colours of a named palette (``cochrane`` or ``colourblind``).

    >>> palette_colours("colourblind")[Judgement.HIGH]
    '#D95F0E'
    """
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)}; got {palette!r}")
    return PALETTES[palette]


def _levels_used(table: RobTable) -> list[Judgement]:
    used = {j for row in table.judgements for j in row} | set(table.overall)
    return sorted(used, key=lambda j: (-SEVERITY[j], list(Judgement).index(j)))


def _judgement_legend(ax: Axes, levels: Sequence[Judgement], colours, **kwargs) -> None:
    handles = [
        Patch(
            facecolor=colours[j],
            edgecolor="black",
            linewidth=0.5,
            label=_LEGEND_NAMES.get(j, j.value),
        )
        for j in levels
    ]
    ax.legend(handles=handles, frameon=False, **kwargs)


def _dots(ax, xpos, y, levels, colours, size, symbol_scale, transform) -> None:
    """One column of judgement dots with their robvis symbols."""
    ax.scatter(
        [xpos] * len(levels),
        y,
        s=size,
        c=[colours[j] for j in levels],
        edgecolors="black",
        linewidths=0.4,
        transform=transform,
        clip_on=False,
        zorder=3,
    )
    for level, ypos in zip(levels, y, strict=True):
        ax.text(
            xpos,
            ypos,
            SYMBOLS[level],
            ha="center",
            va="center",
            fontsize=size**0.5 * symbol_scale,
            fontweight="bold",
            transform=transform,
            clip_on=False,
            zorder=4,
        )


def draw_rob_columns(
    ax: Axes,
    table: RobTable,
    y: Sequence[float],
    *,
    x: Sequence[float],
    palette: str = "cochrane",
    size: float = 80.0,
    include_overall: bool = True,
    header_y: float | None = None,
) -> Axes:
    """Draw RoB dots beside existing rows (e.g. a forest plot's studies).

    ``y`` gives each study's row in data coordinates (same order as ``table.studies``); ``x``
    the horizontal position of each column in axes fraction (values > 1 lie right of the plot
    area), one per domain plus one for the overall when ``include_overall``. ``header_y``
    (data coordinates) places the column labels.
    """
    colours = palette_colours(palette)
    columns = [*table.domains, *([ROBVIS_OVERALL] if include_overall else [])]
    if len(x) != len(columns):
        raise ValueError(
            f"x needs {len(columns)} positions (domains{' + overall' if include_overall else ''})"
        )
    if len(y) != table.n_studies:
        raise ValueError(f"y needs one position per study ({table.n_studies})")
    transform = blended_transform_factory(ax.transAxes, ax.transData)
    for column, xpos in zip(columns, x, strict=True):
        levels = table.column(column)
        _dots(ax, xpos, y, levels, colours, size, 0.8, transform)
        if header_y is not None:
            ax.text(
                xpos,
                header_y,
                "Overall" if column == ROBVIS_OVERALL else plain(column),
                ha="center",
                va="bottom",
                fontsize=8,
                fontweight="bold",
                transform=transform,
                clip_on=False,
            )
    return ax


def traffic_light_plot(
    table: RobTable, *, ax: Axes | None = None, palette: str = "cochrane", size: float | None = None
) -> Axes:
    """The traffic-light plot: studies down, domains and the overall across.

    The figure is sized to the number of studies when ``ax`` is None. Domain names are listed
    under the plot; the legend names the judgement levels present.
    """
    n, k = table.n_studies, len(table.domains)
    if ax is None:
        height = 0.28 * n + 1.2 + 0.18 * k
        _, ax = plt.subplots(figsize=(max(4.5, 0.55 * (k + 1) + 2.6), height))
    marker = size if size is not None else 110.0
    y = list(range(n))
    x_cols = list(range(k + 1))
    ax.set_xlim(-0.6, k + 0.6)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks(x_cols, [*plain_all(table.domains), "Overall"], fontsize=8, fontweight="bold")
    ax.xaxis.tick_top()
    ax.set_yticks(y, plain_all(table.studies), fontsize=7)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.axvline(k - 0.5, color="grey", linewidth=0.6)
    colours = palette_colours(palette)
    for column, xpos in zip([*table.domains, ROBVIS_OVERALL], x_cols, strict=True):
        levels = table.column(column)
        _dots(ax, xpos, y, levels, colours, marker, 0.7, ax.transData)
    names = "\n".join(
        plain(f"{d}: {name}") for d, name in zip(table.domains, table.domain_names, strict=True)
    )
    ax.set_xlabel(names, fontsize=7, loc="left", labelpad=6)
    _judgement_legend(
        ax,
        _levels_used(table),
        colours,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=7,
        title="Judgement",
        title_fontsize=7,
    )
    ax.set_title(plain(f"Risk of bias ({table.tool})"), fontsize=9, pad=18)
    return ax


def summary_plot(
    table: RobTable, *, ax: Axes | None = None, weighted: bool = False, palette: str = "cochrane"
) -> Axes:
    """The summary bar plot: per domain, the share of studies (or of weight) at each level.

    ``weighted=True`` uses ``table.weights`` (e.g. each study's weight in the meta-analysis),
    as robvis's ``rob_summary(weighted = TRUE)``; it is an error when the table has none.
    """
    if weighted and not table.weights:
        raise ValueError("weighted=True needs weights in the RoB table (a Weight column)")
    shares = table.proportions(weighted=weighted)
    colours = palette_colours(palette)
    levels = sorted((Judgement(c) for c in shares.columns), key=lambda j: SEVERITY[j])
    rows = [*table.domains, ROBVIS_OVERALL]
    labels = [*plain_all(table.domain_names), "Overall risk of bias"]
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 0.42 * len(rows) + 1.3))
    y = list(range(len(rows)))
    left = [0.0] * len(rows)
    for level in levels:
        widths = [float(shares.loc[r, level.value]) * 100 for r in rows]
        ax.barh(
            y, widths, left=left, color=colours[level], edgecolor="black", linewidth=0.5, height=0.7
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.set_xlabel("Share of " + ("weight" if weighted else "studies"), fontsize=8)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    _judgement_legend(
        ax,
        list(reversed(levels)),
        colours,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.5 / len(rows)),
        ncol=len(levels),
        fontsize=8,
    )
    ax.set_title(
        plain(f"Risk of bias ({table.tool}, {table.n_studies} studies")
        + (", weighted)" if weighted else ")"),
        fontsize=9,
    )
    return ax


def rob_figure(table: RobTable, kind: str) -> Figure:
    """The traffic-light (``traffic``) or summary (``summary``) plot of ``table``."""
    if kind == "traffic":
        figure = Figure(
            figsize=(
                0.55 * (len(table.domains) + 1) + 3.2,
                0.28 * table.n_studies + 1.6 + 0.18 * len(table.domains),
            )
        )
        traffic_light_plot(table, ax=figure.add_subplot())
    else:
        figure = Figure(figsize=(8.0, 0.45 * (len(table.domains) + 1) + 1.4))
        summary_plot(table, ax=figure.add_subplot())
    figure.tight_layout()
    return figure
