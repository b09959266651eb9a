"""The keys of the heterogeneity results' JSON rows, written out once for the tests.

They are spelled here, not imported from ``metareview.stats`` (``batch.COLUMNS``,
``influence.INFLUENCE_COLUMNS``, ...), so that a renamed, dropped or reordered key in the
library fails the library's tests and the CLI's tests alike.
"""

from __future__ import annotations

#: one row of ``leave_one_out(...).to_dict()`` and of ``analyze --json``'s "leave_one_out"
LEAVE_ONE_OUT_ROW = "omitted estimate se ci_lower ci_upper pvalue tau2 i2 q".split()  # noqa: SIM905
#: one row of ``influence(...).rows()``
INFLUENCE_ROW = (  # noqa: SIM905
    "study rstudent dffits cooks_d cov_ratio tau2_del q_del hat weight influential"
).split()
#: one row of ``analyze --json``'s "influence": the row plus the Baujat plot and DFBETAS
INFLUENCE_JSON_ROW = [*INFLUENCE_ROW, "baujat_x", "baujat_y", "dfbetas"]
#: keys every subgroup of a subgroup analysis's JSON has (at least)
SUBGROUP_GROUP = frozenset("level k estimate se ci_lower ci_upper tau2 i2".split())  # noqa: SIM905
#: keys a meta-regression's JSON has (at least)
METAREG = frozenset("k coefficients qm qm_df qm_pvalue tau2 i2 r2 permutation".split())  # noqa: SIM905
