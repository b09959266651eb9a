"""The metafor 3.8-1 values of issue 14's numerical items (tests/reference/trust_stats.json,
made by tests/reference/trust_stats.R); every input is stored in the fixture."""

from __future__ import annotations

import json
from pathlib import Path

REFERENCE: dict = json.loads((Path(__file__).parent / "reference" / "trust_stats.json").read_text())
