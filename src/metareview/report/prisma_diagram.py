"""The PRISMA 2020 flow diagram, laid out like the official template.

Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement. BMJ 2021;372:n71,
Figure 1 ("PRISMA 2020 flow diagram for new systematic reviews which included searches of
databases, registers and other sources", and the version for updated reviews): phases
Identification / Screening / Included down the left; a column for studies from the previous
version of the review (updates only), the databases-and-registers column with its exclusion
boxes to the right, and the other-methods column (websites, organisations, citation searching)
when such records exist. The counts are checked before drawing (:meth:`PrismaCounts.check`),
so an inconsistent flow is never drawn.

>>> from metareview.rob.prisma import PrismaCounts
>>> c = PrismaCounts(database_results=50, duplicates=10, records_screened=40,
...                  records_excluded=30, dbr_sought_reports=10, dbr_assessed=10,
...                  dbr_excluded=(("Not randomized", 6),), new_studies=4)
>>> ax = prisma_diagram(c)
>>> any("n = 40" in t.get_text() for t in ax.texts)
True
>>> import matplotlib.pyplot as plt; plt.close("all")
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch, Rectangle

from metareview.report.plain_text import plain
from metareview.rob.prisma import PrismaCounts, Reasons

BOX_W, BOX_GAP, COL_GAP = 3.2, 0.5, 0.45
PHASE_W = 0.45
YELLOW, GREY, BLUE = "#FFC000", "#D9D9D9", "#A6C9EC"
FORMATS = {".svg", ".png", ".pdf"}


def _n(value: int | None) -> str:
    return "n not reported" if value is None else f"n = {value}"


def excluded_lines(reasons: Reasons) -> list[str]:
    """The lines of a "Reports excluded" box: one per reason, or one line when the reasons
    are not given separately (no reason, or one named like the box itself).

    >>> excluded_lines((("Reports excluded", 103),)), excluded_lines(())
    (['Reports excluded (n = 103)'], ['Reports excluded (n not reported)'])
    >>> excluded_lines((("Not randomized", 70), ("Wrong population", 6)))
    ['Reports excluded:', 'Not randomized (n = 70)', 'Wrong population (n = 6)']
    """
    if not reasons:
        return [f"Reports excluded ({_n(None)})"]
    generic = reasons[0][0].strip().rstrip(":").lower() in ("", "reports excluded", "excluded")
    if len(reasons) == 1 and generic:
        return [f"Reports excluded ({_n(reasons[0][1])})"]
    return ["Reports excluded:", *(f"{name} ({_n(n)})" for name, n in reasons)]


_COUNT = re.compile(r"\s*(\(n = [^)]*\))$")


def _wrap(lines: list[str], width: int) -> str:
    """Wrap each line to ``width`` characters, never splitting a trailing "(n = …)"."""
    out = []
    for line in lines:
        match = _COUNT.search(line)
        label, count = (line[: match.start()], match.group(1)) if match else (line, "")
        wrapped = textwrap.wrap(label, width, break_on_hyphens=False) or [""]
        if count and len(wrapped[-1]) + len(count) + 1 > width:
            wrapped.append(count)
        elif count:
            wrapped[-1] = f"{wrapped[-1]} {count}".strip()
        out.extend(wrapped)
    return "\n".join(out)


class _Canvas:
    def __init__(self, ax: Axes):
        self.ax = ax

    def box(
        self,
        x: float,
        top: float,
        lines: list[str],
        *,
        width: float = BOX_W,
        colour: str = "white",
        bold: bool = False,
        min_height: float = 0.0,
    ) -> tuple[float, float, float, float]:
        text = _wrap(lines, int(width * 9.5))
        height = max(0.22 * (text.count("\n") + 1) + 0.25, min_height)
        self.ax.add_patch(
            Rectangle(
                (x, top - height), width, height, facecolor=colour, edgecolor="black", linewidth=0.8
            )
        )
        self.ax.text(
            x + width / 2,
            top - height / 2,
            plain(text),
            ha="center",
            va="center",
            fontsize=7.5,
            fontweight="bold" if bold else "normal",
            linespacing=1.25,
        )
        return x, top - height, width, height

    def arrow(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        self.ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "black",
                "lw": 0.8,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 9,
            },
        )

    def elbow(
        self, start: tuple[float, float], corner: tuple[float, float], end: tuple[float, float]
    ) -> None:
        """A line from ``start`` to ``corner``, then an arrow on to ``end``."""
        self.ax.plot([start[0], corner[0]], [start[1], corner[1]], color="black", lw=0.8)
        self.arrow(corner, end)

    def phase(self, x: float, top: float, bottom: float, label: str) -> None:
        self.ax.add_patch(
            FancyBboxPatch(
                (x, bottom + 0.05),
                PHASE_W,
                top - bottom - 0.1,
                boxstyle="round,pad=0,rounding_size=0.12",
                facecolor=BLUE,
                edgecolor="black",
                linewidth=0.6,
            )
        )
        self.ax.text(
            x + PHASE_W / 2,
            (top + bottom) / 2,
            label,
            rotation=90,
            ha="center",
            va="center",
            fontsize=8.5,
            fontweight="bold",
        )


def _reported(reasons: Reasons) -> Reasons:
    """The named counts, or none when every count is unreported (the template's ``xxx``)."""
    return reasons if any(n is not None for _, n in reasons) else ()


def _identification_lines(c: PrismaCounts) -> list[str]:
    lines = ["Records identified from:"]
    if _reported(c.database_specific_results):
        lines += [f"{name} ({_n(n)})" for name, n in c.database_specific_results]
    else:
        lines.append(f"Databases ({_n(c.database_results)})")
    if _reported(c.register_specific_results):
        lines += [f"{name} ({_n(n)})" for name, n in c.register_specific_results]
    elif c.register_results is not None:
        lines.append(f"Registers ({_n(c.register_results)})")
    return lines


def _removed_lines(c: PrismaCounts) -> list[str]:
    lines = ["Records removed before screening:", f"Duplicate records removed ({_n(c.duplicates)})"]
    if c.excluded_automatic is not None:
        lines.append(
            f"Records marked as ineligible by automation tools ({_n(c.excluded_automatic)})"
        )
    if c.excluded_other is not None:
        lines.append(f"Records removed for other reasons ({_n(c.excluded_other)})")
    return lines


def _included_lines(studies: int | None, reports: int | None, what: str) -> list[str]:
    lines = [f"{what} ({_n(studies)})"]
    if reports:
        lines.append(
            f"Reports of {what[0].lower() + what[1:].replace('Studies', 'studies')} ({_n(reports)})"
        )
    return lines


def _branch_header(canvas: _Canvas, x: float, top: float, via: str, colour: str) -> None:
    """The bold header across a branch's two columns of boxes."""
    canvas.box(
        x,
        top,
        [f"Identification of new studies via {via}"],
        width=2 * BOX_W + COL_GAP,
        colour=colour,
        bold=True,
    )


def prisma_diagram(counts: PrismaCounts, *, ax: Axes | None = None, check: bool = True) -> Axes:
    """Draw the flow diagram of ``counts`` (checked first unless ``check=False``)."""
    if check:
        counts.check()
    c = counts
    n_cols = 2 + (1 if c.has_previous else 0) + (2 if c.has_other_methods else 0)
    width = PHASE_W + 0.3 + n_cols * BOX_W + (n_cols - 1) * COL_GAP + 0.2
    if ax is None:
        _, ax = plt.subplots(figsize=(width * 0.95, 8.2))
    canvas = _Canvas(ax)
    x = PHASE_W + 0.3
    prev_x = x if c.has_previous else None
    db_x = x + (BOX_W + COL_GAP if c.has_previous else 0)
    side_x = db_x + BOX_W + COL_GAP
    oth_x = side_x + BOX_W + COL_GAP if c.has_other_methods else None
    top = 0.0
    header_h = 0.45
    if c.has_previous:
        canvas.box(prev_x, top, ["Previous studies"], colour=GREY, bold=True)
    _branch_header(canvas, db_x, top, "databases and registers", YELLOW)
    if oth_x is not None:
        _branch_header(canvas, oth_x, top, "other methods", GREY)
    y = top - header_h - 0.35
    ident_top = y
    ident = canvas.box(db_x, y, _identification_lines(c), min_height=1.3)
    removed = canvas.box(side_x, y, _removed_lines(c), min_height=1.3)
    _right_arrow(canvas, ident, removed)
    other_ident = None
    if oth_x is not None:
        other_ident = canvas.box(
            oth_x,
            y,
            [
                "Records identified from:",
                f"Websites ({_n(c.website_results)})",
                f"Organisations ({_n(c.organisation_results)})",
                f"Citation searching ({_n(c.citations_results)})",
            ],
            min_height=1.3,
        )
    y = min(ident[1], removed[1]) - BOX_GAP
    ident_bottom = y + BOX_GAP / 2
    screened = canvas.box(db_x, y, [f"Records screened ({_n(c.records_screened)})"])
    canvas.arrow((db_x + BOX_W / 2, ident[1]), (db_x + BOX_W / 2, screened[1] + screened[3]))
    excluded = canvas.box(side_x, y, [f"Records excluded ({_n(c.records_excluded)})"])
    _right_arrow(canvas, screened, excluded)
    y = min(screened[1], excluded[1]) - BOX_GAP
    sought, other_sought = _pair(
        canvas,
        db_x,
        side_x,
        y,
        screened,
        f"Reports sought for retrieval ({_n(c.dbr_sought_reports)})",
        f"Reports not retrieved ({_n(c.dbr_notretrieved_reports)})",
    )
    if oth_x is not None:
        o_sought, _ = _pair(
            canvas,
            oth_x,
            oth_x + BOX_W + COL_GAP,
            y,
            other_ident,
            f"Reports sought for retrieval ({_n(c.other_sought_reports)})",
            f"Reports not retrieved ({_n(c.other_notretrieved_reports)})",
        )
    y = min(sought[1], other_sought[1]) - BOX_GAP
    assessed = canvas.box(db_x, y, [f"Reports assessed for eligibility ({_n(c.dbr_assessed)})"])
    canvas.arrow((db_x + BOX_W / 2, sought[1]), (db_x + BOX_W / 2, y))
    rep_excl = canvas.box(
        side_x,
        y,
        excluded_lines(c.dbr_excluded),
    )
    _right_arrow(canvas, assessed, rep_excl)
    o_assessed = None
    if oth_x is not None:
        o_assessed = canvas.box(
            oth_x, y, [f"Reports assessed for eligibility ({_n(c.other_assessed)})"]
        )
        canvas.arrow((oth_x + BOX_W / 2, o_sought[1]), (oth_x + BOX_W / 2, y))
        o_excl = canvas.box(
            oth_x + BOX_W + COL_GAP,
            y,
            excluded_lines(c.other_excluded),
        )
        _right_arrow(canvas, o_assessed, o_excl)
    bottoms = [assessed[1], rep_excl[1]] + ([o_assessed[1], o_excl[1]] if o_assessed else [])
    screening_bottom = min(bottoms) - BOX_GAP / 2
    y = min(bottoms) - BOX_GAP
    new = canvas.box(
        db_x, y, _included_lines(c.new_studies, c.new_reports, "New studies included in review")
    )
    canvas.arrow((db_x + BOX_W / 2, assessed[1]), (db_x + BOX_W / 2, y))
    if o_assessed is not None:
        mid = new[1] + new[3] / 2
        canvas.elbow(
            (oth_x + BOX_W / 2, o_assessed[1]), (oth_x + BOX_W / 2, mid), (db_x + BOX_W, mid)
        )
    last = new
    if c.has_previous or c.total_studies:
        y = new[1] - BOX_GAP
        total = canvas.box(
            db_x,
            y,
            _included_lines(c.total_studies, c.total_reports, "Total studies included in review"),
        )
        canvas.arrow((db_x + BOX_W / 2, new[1]), (db_x + BOX_W / 2, y))
        if prev_x is not None:
            prev = canvas.box(
                prev_x,
                ident_top,
                _included_lines(
                    c.previous_studies,
                    c.previous_reports,
                    "Studies included in previous version of review",
                ),
                min_height=1.3,
            )
            mid = total[1] + total[3] / 2
            canvas.elbow((prev_x + BOX_W / 2, prev[1]), (prev_x + BOX_W / 2, mid), (db_x, mid))
        last = total
    if c.total_studies_ma is not None:
        y = last[1] - BOX_GAP
        ma = canvas.box(
            db_x,
            y,
            _included_lines(
                c.total_studies_ma, c.total_reports_ma, "Studies included in meta-analysis"
            ),
        )
        canvas.arrow((db_x + BOX_W / 2, last[1]), (db_x + BOX_W / 2, y))
        last = ma
    bottom = last[1] - 0.15
    canvas.phase(0.1, ident_top + 0.05, ident_bottom, "Identification")
    canvas.phase(0.1, ident_bottom, screening_bottom, "Screening")
    canvas.phase(0.1, screening_bottom, bottom, "Included")
    ax.set_xlim(0, width)
    ax.set_ylim(bottom - 0.1, top + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _right_arrow(canvas: _Canvas, left: tuple, right: tuple) -> None:
    y = min(left[1] + left[3] / 2, right[1] + right[3] / 2)
    y = max(y, max(left[1], right[1]) + 0.1)
    canvas.arrow((left[0] + left[2], y), (right[0], y))


def _pair(canvas: _Canvas, x: float, side_x: float, y: float, above: tuple, main: str, side: str):
    box = canvas.box(x, y, [main])
    canvas.arrow((x + BOX_W / 2, above[1]), (x + BOX_W / 2, y))
    right = canvas.box(side_x, y, [side])
    _right_arrow(canvas, box, right)
    return box, right


def save_prisma_diagram(
    counts: PrismaCounts, path: str | Path, *, dpi: int = 200, check: bool = True
) -> Path:
    """Draw and write the diagram as SVG, PNG or PDF (by the file's extension).

    SVG keeps its text as text (searchable, editable in a vector editor). ``check=False``
    draws counts that do not add up yet (a review still screening).
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"the diagram file must end in .svg, .png or .pdf; got {path.name!r}")
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "metareview", "pdf.fonttype": 42}):
        ax = prisma_diagram(counts, check=check)
        ax.figure.savefig(path, dpi=dpi, bbox_inches="tight", metadata=_metadata(path))
        plt.close(ax.figure)
    return path


def _metadata(path: Path) -> dict[str, str | None]:
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return {}
