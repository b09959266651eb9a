r"""Tables the workspace appends to a plan's own text at each run (the reviewers' GRADE
decisions, the risk-of-bias overrides), after a marker comment, so the text a run keeps is
what ``metareview run`` reads and shows exactly what the run used.

>>> text = 'title = "T"\n[data]\nfile = "x.csv"\n'
>>> added = appended_tables(text, "# added", "rob.override", [{"study": "A", "domain": "D1"}],
...                         ("study", "domain"))
>>> print(added[len(text):])
<BLANKLINE>
# added
[[rob.override]]
study = "A"
domain = "D1"
<BLANKLINE>
>>> appended_tables(added, "# added", "rob.override", [], ()) == text
True
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from metareview.errors import PlanError
from metareview.rob.items import OVERRIDE_FIELDS


def appended_tables(
    text: str, marker: str, table: str, entries: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> str:
    """``text`` without any block after ``marker``, then (when there are ``entries``) the
    marker and one ``[[table]]`` per entry with its ``keys`` (those it has) as TOML values."""
    own = text.split("\n" + marker + "\n", 1)[0]
    if not entries:
        return own
    lines = ["", marker]
    for entry in entries:
        lines.append(f"[[{table}]]")
        for key in keys:
            if key in entry:
                lines.append(f"{key} = {json.dumps(entry[key], ensure_ascii=False)}")
    return own.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


OVERRIDES_MARKER = "# Risk-of-bias overrides agreed in the workspace (added at each run)"


def plan_text_with_overrides(text: str, overrides: Sequence[Mapping[str, Any]]) -> str:
    r"""A plan's TOML ``text`` with the agreed RoB 2 overrides appended as ``[[rob.override]]``
    tables after :data:`OVERRIDES_MARKER` (any block appended before is replaced).

    >>> text = '[data]\nfile = "x.csv"\n'
    >>> added = plan_text_with_overrides(text, [{"study": "A", "result": "pain", "domain": "D3",
    ...     "proposed": "High", "judgement": "Low", "justification": "all followed up"}])
    >>> tomllib.loads(added)["rob"]["override"][0]["justification"]
    'all followed up'
    """
    added = appended_tables(text, OVERRIDES_MARKER, "rob.override", overrides, OVERRIDE_FIELDS)
    try:
        tomllib.loads(added)
    except tomllib.TOMLDecodeError as err:
        raise PlanError(
            f"the workspace's risk-of-bias overrides cannot be added to the plan ({err}): write "
            "the plan's [rob] settings as a [rob] table, not an inline table"
        ) from None
    return added
