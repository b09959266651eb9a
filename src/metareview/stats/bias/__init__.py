"""Small-study effects and publication bias.

One module per method: :mod:`funnel` (funnel-plot data), :mod:`egger` (regression tests),
:mod:`begg` (rank correlation), :mod:`trimfill`, :mod:`pet_peese`, :mod:`failsafe`,
:mod:`selection` (step-function selection model) and :mod:`small_study` (all of them with the
minimum-k rule, as ``analyze`` reports them).
"""
