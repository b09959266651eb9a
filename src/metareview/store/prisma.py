"""A project's PRISMA 2020 counts, from its log, in the PRISMA2020 R package's CSV format.

>>> from metareview.records.record import Record
>>> project = Project.open("sqlite://")
>>> _ = project.add_import("a.ris", [Record(title="A")], actor="ana", source_database="PubMed")
>>> project_prisma(project).database_specific_results
(('PubMed', 1),)
"""

from __future__ import annotations

from pathlib import Path

from metareview.records.prisma_counts import FlowCounts, flow_counts
from metareview.rob.prisma import PrismaCounts
from metareview.store.project import Project
from metareview.store.review import screening_config


def project_flow(project: Project) -> FlowCounts:
    """The flow counts of a project (see :func:`~metareview.records.prisma_counts.flow_counts`)."""
    kinds = project.source_kinds()
    sources = {}
    for record_id, record in project.records().items():
        name = record.source_database or Path(record.source_file).name or "unknown source"
        sources[record_id] = (name, kinds[record_id])
    config = screening_config(project)
    return flow_counts(sources, project.events(), config.reviewers_required)


def project_prisma(project: Project, template: str | Path | None = None) -> PrismaCounts:
    """The project's counts as :class:`~metareview.rob.prisma.PrismaCounts`, written into the
    rows of ``template`` (a PRISMA2020 CSV) when given, else into the standard template."""
    fields = project_flow(project).prisma_fields()
    base = PrismaCounts.from_csv(template) if template else PrismaCounts(source=project.url)
    return base.with_counts(**fields)
