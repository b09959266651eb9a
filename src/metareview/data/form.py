"""The extraction form: the fields a reviewer fills in for a study, built from the data standard.

A study's form has three levels. **Study** fields hold one value per study (country, setting,
design, the cluster ICC and cluster size). **Arm** fields describe each arm (its condition, its
``multi_arm`` label, the number randomised). **Row** fields hold the data of one comparison ×
outcome × time point × instrument (a :class:`RowKey`): one data group of the data standard
(means/SD/n, change scores, events/totals, t/F/p, a ratio with its CI, a precomputed g/SE or
yi/vi) and the row's settings. The lead adds review-specific fields (text, number, one of a
list, yes/no) at the study or row level; they become moderator columns of the table.

Every value lives in a :class:`Cell`: a field, and the arm or row it belongs to.

>>> form = Form.standard().with_field(CustomField("population", "study", "choice",
...                                               choices=("SMI", "depression")))
>>> form.field("sd_arm1", "row").expected, form.field("population", "study").expected
('a number > 0', 'one of SMI, depression')
>>> row = RowKey(1, 2, "depressive symptoms", "post", "PHQ-9")
>>> cell = Cell("mean_arm1", row=row)
>>> Cell.from_code(cell.code) == cell, cell.column
(True, 'mean_arm1')
>>> Cell("condition", arm=2).column
'condition_arm2'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from metareview.data.mapping import did_you_mean
from metareview.data.standard import COLUMNS
from metareview.stats.result_base import document


class Level(StrEnum):
    """Where a field's value belongs: the study, one arm, or one row of data."""

    STUDY = "study"
    ARM = "arm"
    ROW = "row"


class FieldType(StrEnum):
    """The kinds of value a review-specific field takes."""

    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"  #: one of a list the lead gives
    YES_NO = "yes_no"


# Study-level columns of the data standard (one value per study, repeated on every row).
STANDARD_STUDY_FIELDS = ("icc", "cluster_size")
# Study-level fields every form has that the standard does not define: moderators.
STUDY_TEXT_FIELDS = ("country", "setting", "design")
# Arm fields and the columns they fill for arm 1 and arm 2 of a row (``n_randomised_armN``
# is no standard column: it is kept as a moderator).
ARM_FIELDS = {
    "condition": "condition_arm",
    "label": "multi_arm",
    "n_randomised": "n_randomised_arm",
}
# What identifies a row (its key) rather than being a value of it.
ROW_KEY_COLUMNS = ("outcome", "time", "instrument")
_NOT_ROW_FIELDS = {
    "study",
    *STANDARD_STUDY_FIELDS,
    *ROW_KEY_COLUMNS,
    *(f"{prefix}{n}" for prefix in ("condition_arm", "multi_arm") for n in (1, 2)),
}
STANDARD_ROW_FIELDS = tuple(name for name in COLUMNS if name not in _NOT_ROW_FIELDS)
"""Every other column of the data standard: the data groups and a row's settings."""

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_YES_NO = {"yes": "yes", "no": "no", "true": "yes", "false": "no", "y": "yes", "n": "no"}


@dataclass(frozen=True)
class CustomField:
    """A review-specific field the lead adds to the form; its ``key`` is its column's name.

    >>> CustomField("Format", "row", "text")
    Traceback (most recent call last):
    ...
    ValueError: a field's key must be lower-case letters, digits and _ (starting with a letter), e.g. 'format'; got 'Format'
    >>> CustomField("sd_am1", "row", "number")
    Traceback (most recent call last):
    ...
    ValueError: field 'sd_am1' is so close to the data standard's 'sd_arm1' that validation would refuse the column; choose another key
    """

    key: str
    level: str
    type: str
    label: str = ""
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            suggestion = re.sub(r"[^a-z0-9_]", "_", self.key.lower()).strip("_") or "format"
            raise ValueError(
                "a field's key must be lower-case letters, digits and _ (starting with a "
                f"letter), e.g. {suggestion!r}; got {self.key!r}"
            )
        if self.level not in (Level.STUDY, Level.ROW):
            raise ValueError(
                f"a review-specific field is at level study or row; got {self.level!r}"
            )
        allowed = ", ".join(t.value for t in FieldType)
        if self.type not in set(FieldType):
            raise ValueError(f"field type must be one of {allowed}; got {self.type!r}")
        if self.key in COLUMNS or self.key in _builtin_keys():
            raise ValueError(f"{self.key!r} is a field of every form already; choose another key")
        near = did_you_mean(self.key, COLUMNS, cutoff=0.85)
        if near:
            raise ValueError(
                f"field {self.key!r} is so close to the data standard's {near!r} that validation "
                "would refuse the column; choose another key"
            )
        choices = tuple(str(c).strip() for c in self.choices)
        if self.type == FieldType.CHOICE and (not choices or any(not c for c in choices)):
            raise ValueError(
                f"field {self.key!r}: a choice field needs a list of non-empty choices"
            )
        if self.type != FieldType.CHOICE and choices:
            raise ValueError(f"field {self.key!r}: only a choice field takes choices")
        object.__setattr__(self, "choices", choices)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "level": str(self.level),
            "type": str(self.type),
            "label": self.label,
            "choices": list(self.choices),
        }


def _builtin_keys() -> set[str]:
    return {
        *STUDY_TEXT_FIELDS,
        *ARM_FIELDS,
        *ROW_KEY_COLUMNS,
        *(f"{p}1" for p in ARM_FIELDS.values()),
    }


@dataclass(frozen=True)
class FormField:
    """One field of the form: where it belongs, and the rule its value must meet."""

    key: str
    level: Level
    type: FieldType
    standard: bool  #: a data-standard column, checked by the standard's rules
    label: str = ""
    choices: tuple[str, ...] = ()

    @property
    def expected(self) -> str:
        """What a value must be, in the words of the messages."""
        if self.standard:
            if self.key == "ratio_measure":
                return "one of OR, RR, HR"
            return COLUMNS[self.key].expected
        if self.type == FieldType.NUMBER:
            return "a number >= 1" if self.key == "n_randomised" else "a number"
        if self.type == FieldType.CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.type == FieldType.YES_NO:
            return "'yes' or 'no'"
        return "text"

    @property
    def numeric(self) -> bool:
        return self.type == FieldType.NUMBER

    def to_dict(self) -> dict[str, Any]:
        values = document(
            self, level=self.level.value, type=self.type.value, choices=list(self.choices)
        )
        return {**values, "expected": self.expected}


def _standard_field(name: str, level: Level) -> FormField:
    column = COLUMNS[name]
    kind = FieldType.NUMBER if column.numeric else FieldType.TEXT
    if name == "higher_is_better":
        kind = FieldType.YES_NO
    return FormField(name, level, kind, True, column.description)


@dataclass(frozen=True)
class Form:
    """The fields of a review's extraction form: the standard ones and the lead's own.

    >>> [f.key for f in Form.standard().fields(Level.ARM)]
    ['condition', 'label', 'n_randomised']
    """

    custom: tuple[CustomField, ...] = ()
    _index: dict[tuple[str, str], FormField] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], FormField] = {}
        for name in STANDARD_STUDY_FIELDS:
            index[(Level.STUDY, name)] = _standard_field(name, Level.STUDY)
        for name in STUDY_TEXT_FIELDS:
            index[(Level.STUDY, name)] = FormField(name, Level.STUDY, FieldType.TEXT, False)
        index[(Level.ARM, "condition")] = FormField("condition", Level.ARM, FieldType.TEXT, False)
        index[(Level.ARM, "label")] = FormField("label", Level.ARM, FieldType.TEXT, False)
        index[(Level.ARM, "n_randomised")] = FormField(
            "n_randomised", Level.ARM, FieldType.NUMBER, False, "Number randomised."
        )
        for name in STANDARD_ROW_FIELDS:
            index[(Level.ROW, name)] = _standard_field(name, Level.ROW)
        keys = {key for _, key in index}
        for custom in self.custom:
            if custom.key in keys:
                raise ValueError(f"the form has a field {custom.key!r} already")
            keys.add(custom.key)
            index[(Level(custom.level), custom.key)] = FormField(
                custom.key,
                Level(custom.level),
                FieldType(custom.type),
                False,
                custom.label,
                custom.choices,
            )
        object.__setattr__(self, "_index", index)

    @classmethod
    def standard(cls) -> Form:
        """The form every review starts with (no review-specific fields)."""
        return cls()

    def with_field(self, custom: CustomField) -> Form:
        """This form with one more review-specific field."""
        return Form((*self.custom, custom))

    def fields(self, level: Level | str) -> tuple[FormField, ...]:
        """The fields of one level, in form order."""
        return tuple(f for (lv, _), f in self._index.items() if lv == level)

    def field(self, key: str, level: Level | str) -> FormField:
        """The field ``key`` of ``level``; a ``ValueError`` names the level's fields if none."""
        found = self._index.get((Level(level), key))
        if found is None:
            names = ", ".join(f.key for f in self.fields(level))
            raise ValueError(f"the form has no {level}-level field {key!r}; it has {names}")
        return found

    def field_of(self, cell: Cell) -> FormField:
        """The field a cell holds a value of."""
        return self.field(cell.field, cell.level)

    def moderators(self, level: Level | str) -> tuple[str, ...]:
        """The review-specific field keys of a level (moderator columns)."""
        return tuple(c.key for c in self.custom if c.level == level)


@dataclass(frozen=True, order=True)
class RowKey:
    """What one row of data is: arm ``arm1`` (intervention) against arm ``arm2`` (control), for
    one outcome at one time point measured with one instrument."""

    arm1: int
    arm2: int
    outcome: str
    time: str
    instrument: str = ""

    def __post_init__(self) -> None:
        for name in ("arm1", "arm2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"a row's {name} is an arm number (1, 2, …); got {value!r}")
        if self.arm1 == self.arm2:
            raise ValueError(f"a row compares two different arms; got arm {self.arm1} twice")
        for name in ROW_KEY_COLUMNS:
            text = str(getattr(self, name)).strip()
            if name != "instrument" and not text:
                raise ValueError(f"a row needs its {name}")
            object.__setattr__(self, name, text)

    def label(self) -> str:
        """The row in words, e.g. for a comparison view.

        >>> RowKey(1, 2, "depression", "post", "PHQ-9").label()
        'arm 1 vs 2, depression, post, PHQ-9'
        """
        parts = [f"arm {self.arm1} vs {self.arm2}", self.outcome, self.time, self.instrument]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Cell:
    """Where one value goes: a field of the study, of arm ``arm``, or of row ``row``."""

    field: str
    arm: int | None = None
    row: RowKey | None = None

    def __post_init__(self) -> None:
        if self.arm is not None and self.row is not None:
            raise ValueError("a cell belongs to an arm or to a row, not both")
        if self.arm is not None and (isinstance(self.arm, bool) or self.arm < 1):
            raise ValueError(f"arms are numbered 1, 2, …; got {self.arm!r}")

    @property
    def level(self) -> Level:
        if self.row is not None:
            return Level.ROW
        return Level.ARM if self.arm is not None else Level.STUDY

    @property
    def column(self) -> str:
        """The table column the value fills (an arm field names its arm's column)."""
        if self.arm is not None:
            return f"{ARM_FIELDS.get(self.field, self.field + '_arm')}{self.arm}"
        return self.field

    @property
    def code(self) -> str:
        """The cell as stored: canonical JSON text (see :meth:`from_code`)."""
        if self.row is not None:
            r = self.row
            parts: list[Any] = ["row", r.arm1, r.arm2, r.outcome, r.time, r.instrument]
        elif self.arm is not None:
            parts = ["arm", self.arm]
        else:
            parts = ["study"]
        return json.dumps([*parts, self.field], ensure_ascii=False)

    @classmethod
    def from_code(cls, code: str) -> Cell:
        parts = json.loads(code)
        if parts[0] == "row":
            return cls(parts[6], row=RowKey(*parts[1:6]))
        if parts[0] == "arm":
            return cls(parts[2], arm=parts[1])
        return cls(parts[1])

    def label(self) -> str:
        """The cell in words.

        >>> Cell("sd_arm1", row=RowKey(1, 2, "hope", "post")).label()
        'arm 1 vs 2, hope, post: sd_arm1'
        """
        if self.row is not None:
            return f"{self.row.label()}: {self.field}"
        return f"arm {self.arm}: {self.field}" if self.arm is not None else f"study: {self.field}"
