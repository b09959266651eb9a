"""Multilevel meta-analysis: the three-level model, the CHE working model and robust variance.

One module per concept: ``clusters`` (effects grouped by study), ``covariance`` (sampling and
marginal covariance, solved per study), ``likelihood`` and ``optimize`` (REML/ML fit),
``profile`` (σ² CIs and level LRTs), ``heterogeneity`` (multilevel I²), ``robust`` (CR1, CR2,
Satterthwaite, HTZ), ``robumeta`` (Hedges–Tipton–Johnson weights), ``model`` (``fit_multilevel``)
and ``result`` (``MultilevelResult``).
"""

from metareview.stats.multilevel.model import fit_multilevel
from metareview.stats.multilevel.result import MultilevelResult

__all__ = ["MultilevelResult", "fit_multilevel"]
