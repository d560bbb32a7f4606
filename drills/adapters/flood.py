"""The flood model's drills: what the hidden run's timeline records and the injects made of it.

**Timeline** (:meth:`FloodAdapter.timeline`), kinds: ``forecast``, ``gauge_warning``,
``gauge_peak`` (per gauge), ``water_arrives`` (per zone), ``rescue_first_calls`` (per zone),
``rescue_backlog`` (region), ``shelter_first_arrival``, ``shelter_filling``, ``shelter_full``
(per shelter), ``stockout`` (per depot and item), ``road_closed``, ``road_reopened`` (per link).
Depot stock is read every :data:`STOCK_SAMPLE_MIN` minutes during the run by a passive process
(:class:`StockWatch`: it draws no random numbers and changes no state, so the KPIs equal those
of a run without it; tested).

**Injects** (:meth:`FloodAdapter.injects`): hydrological forecast (expected: warn the areas that
may flood), gauge above warning stage (evacuate the zones at risk), the peak, water entering a
zone, the first calls for rescue (mobilize the nearest local teams), a rescue backlog (request
mutual aid), shelters to be readied (open the nearest), first evacuees at a shelter (release the
depot's supplies), a shelter nearly full or full (open the next), a depot stock-out (activate
agreement reserves or the parent depot), water over a road and off it (close / reopen).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from drills.adapters import DrillAdapter, Watch
from drills.compose import Composer
from drills.names import Names
from drills.packet import Inject, TimelineEvent
from models.geo import haversine_km
from models.response.roads import link_ids, link_key
from sim.runner import ReplicationContext
from sim.trace import Trace

__all__ = ["ADAPTER", "FloodAdapter", "StockWatch"]

STOCK_SAMPLE_MIN = 10.0      # how often the watch reads depot stock (minutes)
FIRST_CALLS_WINDOW = 60.0    # first calls of a zone are summed over this many minutes
FILLING_SHARE = 0.8          # a shelter "filling up" at this share of its capacity

_event = TimelineEvent.at


class StockWatch(Watch):
    """Reads every depot's available stock each :data:`STOCK_SAMPLE_MIN` minutes (read
    only), when the model has supplies."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[tuple[float, list[np.ndarray]]] = []

    def started(self, ctx: ReplicationContext, model: Any) -> None:
        supplies = getattr(model, "supplies", None)
        if supplies is not None:
            ctx.env.process(self._sample(ctx, supplies))

    def _sample(self, ctx: ReplicationContext, supplies: Any):
        env = ctx.env
        while True:
            depots = getattr(supplies, "depots", [])
            try:
                stock = [np.array(d.available(), dtype=float) for d in depots]
            except Exception:  # noqa: BLE001 - a watch must never break the run
                return
            self.samples.append((float(env.now), stock))
            yield env.timeout(STOCK_SAMPLE_MIN)


class FloodAdapter(DrillAdapter):
    """Drills on flood scenarios (see the module docstring)."""

    model = "flood"

    def watch(self, scenario: Any) -> StockWatch:
        return StockWatch()

    def timeline(self, model: Any, scenario: Any, watch: Watch) -> list[TimelineEvent]:
        assert isinstance(watch, StockWatch) and watch.trace is not None
        return _timeline(model, scenario, watch.trace, watch.samples)

    def names(self, scenario: Any) -> Names:
        names = Names()
        for zone in scenario.zones:
            names.add("zone", zone.id, zone.name)
        for shelter in scenario.shelters:
            names.add("shelter", shelter.id, shelter.name)
        for gauge in scenario.hazard.gauges:
            names.add("gauge", gauge.id, gauge.name)
        supplies = scenario.supplies
        if supplies is not None:
            for depot in supplies.depots:
                names.add("depot", depot.id, depot.name)
            for agreement in supplies.agreements:
                names.add("agreement", agreement.id, agreement.supplier)
            for item in supplies.items:
                names.add_item(item.id, item.name)
        for team in scenario.rescue.teams:
            names.add("team", team.id, None)     # rescue teams carry no name
        for key in link_ids(scenario.roads) if scenario.roads is not None else ():
            names.add("link", key, None)
        return names

    def injects(self, timeline: Sequence[TimelineEvent], scenario: Any,
                compose: Composer) -> list[Inject]:
        return _injects(timeline, scenario, compose)


ADAPTER = FloodAdapter()


# --- the timeline -------------------------------------------------------------------------------


def _first_crossing(times: np.ndarray, values: np.ndarray, level: float) -> float:
    """First time ``values`` reaches ``level`` (linear between samples), inf if never."""
    above = np.flatnonzero(values >= level)
    if above.size == 0:
        return math.inf
    k = int(above[0])
    if k == 0:
        return float(times[0])
    v0, v1 = float(values[k - 1]), float(values[k])
    return float(times[k - 1] + (level - v0) / (v1 - v0) * (times[k] - times[k - 1]))


def _timeline(model: Any, sc: Any, trace: Trace,
              stock_samples: list[tuple[float, list[np.ndarray]]]) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    zones = sc.zones
    zone_name = {z.id: z.name or z.id for z in zones}
    arrival = np.asarray(getattr(model, "arrival", np.full(len(zones), np.inf)), dtype=float)
    at_risk = np.isfinite(arrival) & (arrival <= sc.horizon)
    warned_area = np.asarray(getattr(model, "warned_zone", at_risk), dtype=bool)
    hazard = getattr(model, "hazard", None)
    people = np.asarray(getattr(model, "people", np.zeros((len(zones), 1)))).sum(axis=1)

    # Gauges: forecast, warning stage, peak.
    stages = getattr(hazard, "gauge_stage", {}) or {}
    times = np.asarray(getattr(hazard, "times", []), dtype=float)
    for gauge in sc.hazard.gauges:
        series = stages.get(gauge.id)
        if series is None or times.size == 0:
            continue
        series = np.asarray(series, dtype=float)
        mine = np.array([z.gauge == gauge.id for z in zones])
        risk_ids = [z.id for z, m, r in zip(zones, mine, at_risk, strict=True) if m and r]
        area_ids = [z.id for z, m, w in zip(zones, mine, warned_area, strict=True) if m and w]
        peak_k = int(np.argmax(series))
        peak, peak_min = float(series[peak_k]), float(times[peak_k])
        reached = _first_crossing(times, series, gauge.warning_stage_m)
        common = dict(gauge=gauge.id, warning_stage_m=gauge.warning_stage_m,
                      peak_stage_m=round(peak, 2), peak_minute=peak_min,
                      warning_minute=reached if math.isfinite(reached) else None,
                      zones_at_risk=risk_ids, warning_area=area_ids,
                      people_at_risk=int(people[mine & at_risk].sum()))
        if math.isfinite(reached):
            forecast = max(0.0, reached - gauge.forecast_lead_h * 60.0)
            events.append(_event(forecast, "forecast", gauge.id, gauge.name or gauge.id,
                                 peak, lead_h=gauge.forecast_lead_h, **common))
            events.append(_event(reached, "gauge_warning", gauge.id, gauge.name or gauge.id,
                                 gauge.warning_stage_m, **common))
            events.append(_event(peak_min, "gauge_peak", gauge.id, gauge.name or gauge.id,
                                 peak, **common))

    # Water arriving in zones (people still there), first calls for rescue per zone.
    for t, _kind, _entity, place, quantity in trace.rows("water_arrives"):
        events.append(_event(t, "water_arrives", place, zone_name.get(place, place), quantity))
    calls: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t, _kind, _entity, place, quantity in trace.rows("rescue_request"):
        calls[place].append((t, quantity))
    for place, rows in calls.items():
        first = rows[0][0]
        window = [(t, q) for t, q in rows if t <= first + FIRST_CALLS_WINDOW]
        events.append(_event(first, "rescue_first_calls", place, zone_name.get(place, place),
                             sum(q for _, q in window), calls=len(window),
                             nearest_teams=_nearest_local_teams(sc, place)))
    events += _rescue_backlog(sc, trace)

    # Shelters: first arrivals, filling up, full.
    capacity = {s.id: s.capacity for s in sc.shelters}
    names = {s.id: s.name or s.id for s in sc.shelters}
    total: dict[str, float] = defaultdict(float)
    marks: dict[str, set[str]] = defaultdict(set)
    for t, _kind, _entity, place, quantity in trace.rows("shelter_arrival"):
        total[place] += quantity
        cap = capacity.get(place, 0)
        if "first" not in marks[place]:
            marks[place].add("first")
            events.append(_event(t, "shelter_first_arrival", place, names.get(place, place),
                                 quantity, capacity=cap, depot=_serving_depot(sc, place)))
        for kind, share in (("shelter_filling", FILLING_SHARE), ("shelter_full", 1.0)):
            if cap > 0 and total[place] >= share * cap and kind not in marks[place]:
                marks[place].add(kind)
                events.append(_event(t, kind, place, names.get(place, place), total[place],
                                     capacity=cap, next_shelters=_next_shelters(sc, place)))

    events += _stockouts(sc, stock_samples)
    events += _roads(model, sc)
    return events


def _local_teams(sc: Any) -> list[Any]:
    return [t for t in sc.rescue.teams if t.count > 0 and t.available_from <= 0]


def _nearest_local_teams(sc: Any, zone_id: str, k: int = 3) -> list[str]:
    zone = next(z for z in sc.zones if z.id == zone_id)
    teams = [t for t in _local_teams(sc) if t.mode != "helicopter"] or _local_teams(sc)
    teams.sort(key=lambda t: float(haversine_km(t.base_lon, t.base_lat, zone.lon, zone.lat)))
    return [t.id for t in teams[:k]]


def _rescue_backlog(sc: Any, trace: Trace) -> list[TimelineEvent]:
    """The first time more people wait for rescue than three trips of every local unit can
    carry: mutual aid is needed (one event, with the mutual-aid teams to request)."""
    trip = sum(t.count * t.people_per_trip for t in _local_teams(sc))
    threshold = max(3 * trip, 1)
    changes = [(t, q) for t, _k, _e, _p, q in trace.rows("rescue_request")]
    changes += [(t, -q) for t, _k, _e, _p, q in trace.rows("rescued")]
    changes.sort(key=lambda c: c[0])
    waiting = 0.0
    mutual = [t.id for t in sc.rescue.teams if t.count > 0 and t.available_from > 0]
    for t, q in changes:
        waiting += q
        if waiting >= threshold:
            return [_event(t, "rescue_backlog", "", "", waiting, threshold=threshold,
                           mutual_aid=mutual)]
    return []


def _serving_depot(sc: Any, shelter_id: str) -> str | None:
    """The depot a shelter orders from: the nearest with trucks (models/supplies.py)."""
    if sc.supplies is None:
        return None
    shelter = next(s for s in sc.shelters if s.id == shelter_id)
    depots = sorted(sc.supplies.depots,
                    key=lambda d: float(haversine_km(d.lon, d.lat, shelter.lon, shelter.lat)))
    with_trucks = [d for d in depots if d.fleet.trucks > 0]
    return (with_trucks or depots)[0].id if depots else None


def _next_shelters(sc: Any, shelter_id: str, k: int = 2) -> list[str]:
    shelter = next(s for s in sc.shelters if s.id == shelter_id)
    others = [s for s in sc.shelters if s.id != shelter_id and s.capacity > 0]
    others.sort(key=lambda s: float(haversine_km(s.lon, s.lat, shelter.lon, shelter.lat)))
    return [s.id for s in others[:k]]


def _stockouts(sc: Any, samples: list[tuple[float, list[np.ndarray]]]) -> list[TimelineEvent]:
    """A depot's stock of an item falling to zero after it had some (first time only)."""
    if sc.supplies is None or not samples:
        return []
    events = []
    items = sc.supplies.items
    depots = sc.supplies.depots
    had = np.zeros((len(depots), len(items)), dtype=bool)
    out = np.zeros_like(had)
    for t, stock in samples:
        for d, values in enumerate(stock):
            for i in range(min(len(items), values.size)):
                if values[i] > 1e-9:
                    had[d, i] = True
                elif had[d, i] and not out[d, i]:
                    out[d, i] = True
                    depot = depots[d]
                    agreements = [a.id for a in sc.supplies.agreements
                                  if a.depot in (depot.id, depot.parent)]
                    events.append(_event(t, "stockout", depot.id, depot.name or depot.id, 0.0,
                                         item=items[i].id, item_name=items[i].name or items[i].id,
                                         parent=depot.parent, agreements=agreements))
    return events


def _roads(model: Any, sc: Any) -> list[TimelineEvent]:
    """Links closed by water and open again, on the hazard's time grid."""
    roads = getattr(model, "roads", None)
    hazard = getattr(model, "hazard", None)
    if roads is None or sc.roads is None or hazard is None:
        return []
    events = []
    times = np.asarray(hazard.times, dtype=float)
    for link in sc.roads.links:
        closed = np.array([roads.is_closed(link.source, link.target, float(t)) for t in times])
        key = link_key(link.source, link.target)
        changes = np.flatnonzero(np.diff(closed.astype(int)))
        if closed[0]:
            events.append(_event(times[0], "road_closed", key, key))
        for k in changes:
            kind = "road_closed" if closed[k + 1] else "road_reopened"
            events.append(_event(times[k + 1], kind, key, key))
    return events


# --- the injects ----------------------------------------------------------------------------------


def _nearest_shelters(scenario: Any, zone_ids: Sequence[str], per_zone: int = 2,
                      limit: int = 6) -> list[str]:
    shelters = [s for s in scenario.shelters if s.capacity > 0]
    zones = {z.id: z for z in scenario.zones}
    chosen: list[str] = []
    for zone_id in zone_ids:
        zone = zones[zone_id]
        near = sorted(shelters, key=lambda s: float(haversine_km(s.lon, s.lat, zone.lon,
                                                                  zone.lat)))
        chosen += [s.id for s in near[:per_zone]]
    return list(dict.fromkeys(chosen))[:limit]


def _injects(timeline: Sequence[TimelineEvent], scenario: Any, c: Composer) -> list[Inject]:
    out = []
    stockouts: dict[tuple[float, str], list[TimelineEvent]] = defaultdict(list)
    for e in timeline:
        kind, d, t = e.kind, e.data, e.minute
        place = c.names.one(e.place) if e.place else ""
        if kind == "forecast":
            area, risk = d["warning_area"], d["zones_at_risk"]
            warn_clock = c.clock(d["warning_minute"])
            peak_clock = c.clock(d["peak_minute"])
            out.append(c.inject(
                t, "forecast", "hydrology", "report",
                f"水文预报：{place}预计于{warn_clock}前后达到警戒水位{d['warning_stage_m']:g}米，"
                f"预报洪峰水位约{d['peak_stage_m']:.1f}米（{peak_clock}前后）。可能受淹区域："
                f"{c.names(area) or '暂无'}。",
                f"Hydrological forecast: {e.name} is expected to reach its warning stage of "
                f"{d['warning_stage_m']:g} m around {warn_clock}, with a forecast peak of about "
                f"{d['peak_stage_m']:.1f} m around {peak_clock}. Areas that may flood: "
                f"{', '.join(area) or 'none yet'}.",
                (f"{place}洪水预报", f"Flood forecast for {e.name}"),
                "warn", area))
            if risk and scenario.shelters:
                shelters = _nearest_shelters(scenario, risk)
                out.append(c.inject(
                    t, "shelter_opening", "eoc", "phone",
                    f"指挥部通报：{place}沿线可能组织群众转移，涉及约{d['people_at_risk']:,}人。"
                    f"请做好避难场所开放准备，就近场所：{c.names(shelters)}。",
                    f"EOC notice: people along {e.name} may have to be evacuated, about "
                    f"{d['people_at_risk']:,} of them. Get shelters ready to open; nearest: "
                    f"{', '.join(shelters)}.",
                    ("避难场所开放准备", "Shelters to be readied"), "open_shelter", shelters))
        elif kind == "gauge_warning":
            risk = d["zones_at_risk"]
            out.append(c.inject(
                t, "gauge", "gauge", "system",
                f"{place}实测水位{d['warning_stage_m']:g}米，已达警戒水位并继续上涨。"
                f"地势低洼、堤防可能漫顶的区域：{c.names(risk) or '暂无'}。",
                f"{e.name} now reads {d['warning_stage_m']:g} m, at its warning stage and "
                f"rising. Low-lying areas whose levees may be overtopped: "
                f"{', '.join(risk) or 'none'}.",
                (f"{place}超警戒水位", f"{e.name} above warning stage"),
                "evacuate", risk))
        elif kind == "gauge_peak":
            out.append(c.inject(
                t, "gauge", "gauge", "system",
                f"{place}出现洪峰，水位{d['peak_stage_m']:.2f}米。",
                f"{e.name} peaks at {d['peak_stage_m']:.2f} m.",
                (f"{place}洪峰", f"{e.name} peak"), item="事故监测与研判"))
        elif kind == "water_arrives":
            n = int(e.quantity or 0)
            out.append(c.inject(
                t, "flooding", "township", "phone",
                f"{place}：洪水已进入该区域，区内仍有约{n:,}人未转移。",
                f"{e.name} ({e.place}): water is entering the zone; about {n:,} people are "
                "still there.",
                (f"{place}进水", f"Water in {e.name}"), item="事故监测与研判"))
        elif kind == "rescue_first_calls":
            n = int(e.quantity or 0)
            out.append(c.inject(
                t, "rescue_call", "call_119", "phone",
                f"{place}：1小时内接到{d['calls']}起求救电话，约{n:,}人被困。",
                f"{e.name} ({e.place}): {d['calls']} calls for rescue within the hour, "
                f"about {n:,} people trapped.",
                (f"{place}群众被困求救", f"People trapped in {e.name}"),
                "mobilize_team", d["nearest_teams"]))
        elif kind == "rescue_backlog":
            n = int(e.quantity or 0)
            out.append(c.inject(
                t, "rescue_backlog", "call_119", "phone",
                f"全市待救人员已达{n:,}人，超出本地救援力量处置能力，建议请求跨区域增援。",
                f"{n:,} people are now waiting for rescue, more than local teams can reach; "
                "mutual aid is advised.",
                ("待救人员积压", "Rescue backlog"), "request_team", d["mutual_aid"]))
        elif kind == "shelter_first_arrival":
            n = int(e.quantity or 0)
            depot = [d["depot"]] if d.get("depot") else []
            out.append(c.inject(
                t, "supply_request", "shelter", "phone",
                f"{place}：首批{n:,}名转移群众已到达，急需饮用水、食品和被褥。",
                f"{e.name} ({e.place}): the first {n:,} evacuees have arrived and need "
                "water, food and bedding.",
                (f"{place}请求物资", f"{e.name} asks for supplies"),
                "release_supplies", depot))
        elif kind in ("shelter_filling", "shelter_full"):
            n, cap = int(e.quantity or 0), d["capacity"]
            full = kind == "shelter_full"
            out.append(c.inject(
                t, "shelter_filling", "shelter", "phone",
                f"{place}：已安置{n:,}人（容量{cap:,}人）"
                + ("，已满员，后续群众无法接收。" if full else "，即将满员。"),
                f"{e.name} ({e.place}): {n:,} people in (capacity {cap:,})"
                + (", full: no one else can be taken in." if full else ", nearly full."),
                (f"{place}{'满员' if full else '即将满员'}",
                 f"{e.name} {'full' if full else 'nearly full'}"),
                None if full else "open_shelter", [] if full else d["next_shelters"],
                item="人员保护"))
        elif kind == "stockout":
            stockouts[(t, e.place)].append(e)
        elif kind in ("road_closed", "road_reopened"):
            closed = kind == "road_closed"
            out.append(c.inject(
                t, kind, "traffic", "radio",
                f"{place}"
                + ("积水过深，车辆无法通行。" if closed else "积水已退，具备通行条件。"),
                f"Road {e.place}: " + ("under water, impassable." if closed else
                                           "water gone, passable again."),
                (f"{place}{'积水断路' if closed else '恢复通行'}",
                 f"Road {e.place} {'flooded' if closed else 'clear'}"),
                "close_road" if closed else "reopen_road", [e.place]))
    for (t, place), group in sorted(stockouts.items()):
        d = group[0].data
        items_zh = "、".join(dict.fromkeys(c.names.item(g.data["item"], g.data["item_name"])
                                           for g in group))
        if d["agreements"]:
            action, targets = "activate_agreement", d["agreements"]
        elif d.get("parent"):
            action, targets = "release_supplies", [d["parent"]]
        else:
            action, targets = None, []
        out.append(c.inject(
            t, "stockout", "depot", "phone",
            f"{c.names.one(place)}：{items_zh}库存告罄，仍有调拨需求未满足。",
            f"{group[0].name} ({place}): out of {items_zh}; orders are still waiting.",
            (f"{c.names.one(place)}断货", f"Stock-out at {group[0].name}"), action, targets,
            item="应急资源管理"))
    return out
