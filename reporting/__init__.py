"""Figures and their files, above the domain layer: the one figure set-up and PNG writer
(:mod:`reporting.figures`), run figures read from a model's spec — the timeline of its series
(:mod:`reporting.timeline`) and the map of a per-zone layer (:mod:`reporting.maps`) — and
:func:`reporting.runs.figures_for`, the figures ``drsim run --out`` writes.

Layer position: imports models and sim; experiments, drills, the dashboard and the CLI import it.
Everything uses matplotlib's object API (a :class:`~matplotlib.figure.Figure` with an Agg
canvas), never pyplot, so figures can be made in any thread and need no display.
"""
