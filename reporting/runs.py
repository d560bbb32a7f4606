"""The figures of a run, read from its model's spec: ``timeline.png`` (its series, when the run
has any it draws) and ``map.png`` (its zones by its first per-zone layer the runs report)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from models.catalog import MODELS
from models.scenario import ScenarioBase
from models.spec import MapLayer, ModelSpec
from reporting.maps import map_figure
from reporting.timeline import panels_of, timeline_figure
from sim.output import timeseries_frame
from sim.runner import ReplicationResult

__all__ = ["figures_for", "map_values"]


def map_values(spec: ModelSpec, scenario: ScenarioBase, results: Sequence[ReplicationResult]
               ) -> tuple[MapLayer, np.ndarray] | None:
    """The first of ``spec``'s one-value-per-zone layers that every replication reports, and
    its values per zone (scenario order) averaged over the replications; None if there is none
    (or the spec draws no zones)."""
    zones = list(spec.map_zones(scenario))
    if not zones or not results:
        return None
    for layer in spec.map_layers:
        found = [r.extras.get(layer.key) for r in results]
        if layer.frames or not all(isinstance(f, Mapping) for f in found):
            continue
        table = np.array([[_number(f.get(z.id)) for z in zones] for f in found
                          if isinstance(f, Mapping)])
        with np.errstate(invalid="ignore"):
            return layer, np.nanmean(table, axis=0) if table.size else table
    return None


def _number(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def figures_for(scenario: ScenarioBase, results: Sequence[ReplicationResult]
                ) -> dict[str, Figure]:
    """The figures of a run by file name: ``timeline.png`` when the spec draws some series the
    runs report, ``map.png`` when the runs report one of its per-zone layers; nothing for a
    model that is not registered or no results."""
    spec = MODELS.get(scenario.model)
    if spec is None or not results:
        return {}
    n = len(results)
    reps = f"{n} replication{'s' * (n > 1)}"
    figures: dict[str, Figure] = {}
    frame = timeseries_frame(results)
    if panels_of(spec, [c for c in frame.columns if c not in ("time", "replication")]):
        figures["timeline.png"] = timeline_figure(frame, f"Over time · {scenario.name} ({reps})",
                                                  spec)
    found = map_values(spec, scenario, results)
    if found is not None:
        layer, values = found
        which = f"mean of {reps}" if n > 1 else f"replication {results[0].replication}"
        figures["map.png"] = map_figure(scenario, values, f"{layer.label_en} by zone · "
                                        f"{scenario.name} ({which})", spec, layer)
    return figures
