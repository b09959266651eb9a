"""Risk of bias and certainty of evidence.

- ``rob2``: RoB 2 signalling questions, domain algorithms, overall rule, overrides;
  ``rob2_table``: a whole table of answers.
- ``rob1``: RoB 1, modified tools from TOML, AHRQ good/fair/poor.
- ``table``: ``RobTable`` (study × domain judgements) and the robvis format.
- ``grade``: GRADE domains and certainty; ``sof``: GRADE inputs from a pooled result and the
  summary-of-findings table.
- ``prisma``: PRISMA 2020 counts (the PRISMA2020 CSV) and their arithmetic checks.

Figures are in ``metareview.report.rob_plots`` and ``metareview.report.prisma_diagram``.
"""
