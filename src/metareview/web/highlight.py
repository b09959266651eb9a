"""Include and exclude terms marked in a record's text, safely escaped.

The text is split on the terms first and every piece escaped on its own, so a record's text
can never inject markup; only the ``<mark>`` elements added here are HTML.

>>> str(highlight("Exercise <b>for</b> depression", ("exercise",), ("depression",)))
'<mark class="inc">Exercise</mark> &lt;b&gt;for&lt;/b&gt; <mark class="exc">depression</mark>'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape


def highlight(text: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Markup:
    """``text`` escaped, with include terms in ``<mark class="inc">`` and exclude terms in
    ``<mark class="exc">`` (case-insensitive; longer terms win)."""
    kinds = {t.strip().lower(): "exc" for t in exclude if t.strip()}
    kinds |= {t.strip().lower(): "inc" for t in include if t.strip()}
    if not text or not kinds:
        return escape(text or "")
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(kinds, key=len, reverse=True)), re.IGNORECASE
    )
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        css = kinds[match.group(0).lower()]
        out.append(Markup('<mark class="{}">{}</mark>').format(css, match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
