"""The model contract: everything the layers above ``models/`` need to know about a model.

A model is a package ``models/<name>/`` exposing one :class:`ModelSpec`, registered in
:mod:`models.catalog`. The CLI, experiments, drills and the dashboard read a model's scenario
class, build function, KPI catalogue, levers, order actions and targets, series and map layers
from its spec, and never name a model themselves (``scenario.model == "flood"`` above
``models/`` is a defect). See docs/architecture.md, "Adding a model".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.kpis import Kpi
from models.scenario import ScenarioBase
from sim.runner import Replication, ReplicationContext

__all__ = ["MapLayer", "ModelSpec", "SeriesSpec"]


@dataclass(frozen=True)
class SeriesSpec:
    """A time series a model reports (a column of its replication's ``timeseries``): its
    labels, a matplotlib/plotly colour and the panel (chart) it is drawn in."""

    name: str
    label_en: str
    label_zh: str
    colour: str
    panel: str = "main"
    unit: str = ""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class MapLayer:
    """A per-zone layer of a replication's ``extras`` for the map: ``key`` names the extras
    entry; ``frames`` is True when it holds one value per zone per report time (else one
    value per zone)."""

    key: str
    label_en: str
    label_zh: str
    unit: str
    frames: bool = False
    colour_scale: str = "Blues"

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def _no_levers(scenario: ScenarioBase) -> list[Any]:
    return []


def _no_targets(scenario: ScenarioBase) -> dict[str, list[str]]:
    return {}


@dataclass(frozen=True)
class ModelSpec:
    """One model's contract.

    ``kpis``: its KPI catalogue (labels, unit, plan target, better direction); ``headline``:
    the plan indicators shown first. ``levers(scenario)``: what a leader or an experiment can
    change, read from a scenario (:class:`models.levers.Lever`). ``order_actions``: the
    commanders' order actions the model applies; ``order_targets(scenario)``: ids an order may
    name, by kind (zone, shelter, team, depot, agreement, link); ``team_actions(scenario)``:
    team id -> the actions that may name it. ``series`` and ``map_layers``: what its results
    hold for charts and maps. ``explorer``: shown in the dashboard's scenario explorer.
    """

    name: str
    scenario: type[ScenarioBase]
    build: Callable[[ReplicationContext, Any], Replication]
    summary: str
    summary_zh: str = ""
    kpis: tuple[Kpi, ...] = ()
    headline: tuple[str, ...] = ()
    levers: Callable[[ScenarioBase], list[Any]] = field(default=_no_levers, repr=False)
    order_actions: tuple[str, ...] = ()
    order_targets: Callable[[ScenarioBase], dict[str, list[str]]] = field(
        default=_no_targets, repr=False)
    team_actions: Callable[[ScenarioBase], dict[str, list[str]]] = field(
        default=_no_targets, repr=False)
    series: tuple[SeriesSpec, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    explorer: bool = False

    def kpi(self, name: str) -> Kpi | None:
        """This model's catalogue entry for KPI ``name``, or None."""
        return self.kpi_table.get(name)

    @property
    def kpi_table(self) -> Mapping[str, Kpi]:
        return {k.name: k for k in self.kpis}
