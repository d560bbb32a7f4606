"""The model contract: everything the layers above ``models/`` need to know about a model.

A model is a package ``models/<name>/`` exposing one :class:`ModelSpec`, registered in
:mod:`models.catalog`. The CLI, experiments, reports, drills and the dashboard read a model's
scenario class, build function, KPI catalogue, levers, order actions and targets, series and
map layers from its spec, and never name a model themselves (``scenario.model == "flood"``
above ``models/`` is a defect). See docs/architecture.md, "Adding a model".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from models.kpis import Kpi, match_template
from models.scenario import ScenarioBase
from models.zones import ZoneBase
from sim.runner import Replication, ReplicationContext

__all__ = ["MapFeature", "MapLayer", "ModelSpec", "Panel", "SeriesSpec", "road_feature"]


@dataclass(frozen=True)
class Panel:
    """A chart of related series with one y axis: its title and the axis' unit (EN/中文);
    ``height`` relative to the other panels of a figure, ``integer`` for whole-number axes."""

    key: str
    title_en: str
    title_zh: str
    unit_en: str
    unit_zh: str
    height: float = 1.0
    integer: bool = False

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


@dataclass(frozen=True)
class SeriesSpec:
    """A time series a model reports (a column of its replication's ``timeseries``): labels,
    a matplotlib/plotly colour and the :class:`Panel` it is drawn in (None: reported in
    timeseries.parquet, not drawn, e.g. stocks in their items' own units). ``style`` "dotted"
    marks a total drawn over its parts. A ``name`` with ``{item}`` describes one series per
    relief item (as :class:`models.kpis.Kpi` families)."""

    name: str
    label_en: str
    label_zh: str
    colour: str
    panel: str | None = "main"
    unit: str = ""
    style: str = "solid"

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def instance(self, name: str, item_zh: Mapping[str, str]) -> SeriesSpec | None:
        item = match_template(self.name, name)
        if item is None:
            return None
        return replace(self, name=name, label_en=self.label_en.format(item=item),
                       label_zh=self.label_zh.format(item=item_zh.get(item, item)))


@dataclass(frozen=True)
class MapLayer:
    """A per-zone layer of a replication's ``extras`` for the map. ``key`` names the extras
    entry: ``{zone id: value}``, or with ``frames`` ``{zone id: {frame: value}}`` at the times
    of ``extras["report_minutes"]`` (``{frame: minutes}``). ``zero_en``/``zero_zh`` describe a
    zone at zero (e.g. "no water"); ``colour_scale`` is a matplotlib/plotly scale name."""

    key: str
    label_en: str
    label_zh: str
    unit: str
    frames: bool = False
    colour_scale: str = "Blues"
    zero_en: str = "zero"
    zero_zh: str = "零"

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class MapFeature:
    """Places a map draws over the zones, read from a scenario: points (shelters, bases,
    hospitals…) or, with ``segments``, lines (roads). ``weight`` sizes each point or line (its
    capacity, units…; empty: all alike); ``text`` is each one's hover text; ``in_view`` says
    which the map's view must include (empty: all; e.g. not a far-away helicopter base).
    ``symbol`` is a plotly marker name (circle, square, diamond, triangle-up, triangle-down,
    star, cross) and ``size`` its size (px); with ``segments`` the lon/lat are the lines' ends.
    ``legend_en``/``legend_zh``: a longer legend entry (default: the label)."""

    key: str
    label_en: str
    label_zh: str
    colour: str
    lon: tuple[float, ...] = ()
    lat: tuple[float, ...] = ()
    text: tuple[str, ...] = ()
    weight: tuple[float, ...] = ()
    in_view: tuple[bool, ...] = ()
    symbol: str = "circle"
    size: float = 11.0
    segments: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = ()
    legend_en: str = ""
    legend_zh: str = ""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def legend(self, lang: str) -> str:
        text = self.legend_zh if lang == "zh" else self.legend_en
        return text or self.label(lang)


def _none(scenario: ScenarioBase) -> list[Any]:
    return []


def _no_targets(scenario: ScenarioBase) -> dict[str, list[str]]:
    return {}


@dataclass(frozen=True)
class ModelSpec:
    """One model's contract.

    ``kpis``: its KPI catalogue (labels, unit, plan target, better direction; ``{item}``
    families for KPIs named at run time, with ``item_zh`` giving items' Chinese names);
    ``headline``: the plan indicators shown first. ``levers(scenario)``: what a leader or an
    experiment can change, read from a scenario (:class:`models.levers.Lever`).
    ``order_actions``: the commanders' order actions the model applies;
    ``order_targets(scenario)``: ids an order may name, by kind (zone, shelter, team, depot,
    agreement, link); ``team_actions(scenario)``: team id -> the actions that may name it.
    ``series`` (drawn in ``panels``), ``map_layers``, ``map_zones(scenario)`` (the zones a map
    draws; none: no map) and ``map_features(scenario)``: what charts and maps show.
    ``explorer``: shown in the dashboard's scenario explorer. (Files a scenario reads beside it
    are the scenario's own ``data_files()``, not the spec's.)
    """

    name: str
    scenario: type[ScenarioBase]
    build: Callable[[ReplicationContext, Any], Replication]
    summary: str
    summary_zh: str = ""
    kpis: tuple[Kpi, ...] = ()
    headline: tuple[str, ...] = ()
    levers: Callable[[Any], list[Any]] = field(default=_none, repr=False)
    order_actions: tuple[str, ...] = ()
    order_targets: Callable[[Any], dict[str, list[str]]] = field(
        default=_no_targets, repr=False)
    team_actions: Callable[[Any], dict[str, list[str]]] = field(
        default=_no_targets, repr=False)
    series: tuple[SeriesSpec, ...] = ()
    panels: tuple[Panel, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    map_zones: Callable[[Any], Sequence[ZoneBase]] = field(default=_none, repr=False)
    map_features: Callable[[Any], list[MapFeature]] = field(default=_none, repr=False)
    item_zh: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)
    explorer: bool = False

    def summary_in(self, lang: str) -> str:
        return (self.summary_zh or self.summary) if lang == "zh" else self.summary

    def kpi(self, name: str) -> Kpi | None:
        """This model's catalogue entry for KPI ``name`` (a family's, filled in), or None."""
        for kpi in self.kpis:
            if kpi.name == name:
                return kpi
        for kpi in self.kpis:
            found = kpi.instance(name, self.item_zh) if kpi.is_family else None
            if found is not None:
                return found
        return None

    @property
    def kpi_table(self) -> Mapping[str, Kpi]:
        """The exactly named KPIs of the catalogue (families not included)."""
        return {k.name: k for k in self.kpis if not k.is_family}

    def series_spec(self, name: str) -> SeriesSpec | None:
        """The spec of series ``name`` (a family's, filled in), or None."""
        for spec in self.series:
            if spec.name == name:
                return spec
        for spec in self.series:
            found = spec.instance(name, self.item_zh)
            if found is not None:
                return found
        return None

    def panel(self, key: str) -> Panel | None:
        return next((p for p in self.panels if p.key == key), None)


def road_feature(roads: Any) -> list[MapFeature]:
    """A scenario's ``[roads]`` (nodes and links, as in :mod:`models.evacuation`) as one map
    feature of lines weighted by capacity; none without roads."""
    if roads is None:
        return []
    nodes = {n.id: (n.lon, n.lat) for n in roads.nodes}
    links = roads.links
    return [MapFeature(
        "roads", "Roads", "道路", "#8c6d31",
        lon=tuple(p[0] for p in nodes.values()), lat=tuple(p[1] for p in nodes.values()),
        segments=tuple((nodes[link.source], nodes[link.target]) for link in links),
        weight=tuple(float(link.capacity_vph) for link in links),
        text=tuple(f"{link.source}–{link.target}" for link in links),
        legend_en="Road (width ∝ capacity)", legend_zh="道路（线宽 ∝ 通行能力）")]
