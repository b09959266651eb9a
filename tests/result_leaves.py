"""Every leaf of a results document (``results.json``, a served run, a ``to_dict()``) by its
path, so that two runs can be compared number by number."""

from __future__ import annotations

from typing import Any

#: what differs between two runs of the same review by design: where (the data file, the
#: PRISMA counts file) and by which version
RUN_KEYS = frozenset({"file", "counts", "cache_key", "metareview_version"})


def leaves(value: Any, skip: frozenset[str] = RUN_KEYS, path: str = "") -> dict[str, Any]:
    """``{"/a/0/b": leaf, ...}``: dictionaries and lists (or tuples) walked down, the keys in
    ``skip`` (at any depth) left out.

    >>> leaves({"pooled": {"estimate": 0.5, "ci": [0.1, 0.9]}, "file": "x.csv"})
    {'/pooled/estimate': 0.5, '/pooled/ci/0': 0.1, '/pooled/ci/1': 0.9}
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in skip:
                out |= leaves(item, skip, f"{path}/{key}")
        return out
    if isinstance(value, list | tuple):
        out = {}
        for index, item in enumerate(value):
            out |= leaves(item, skip, f"{path}/{index}")
        return out
    return {path: value}
