"""The hidden run: one replication of the drawn scenario with its trace on, and the timeline of
what happened in it, in the order the response would learn of it.

The run is the plan's built-in response (no orders) with the sealed seed, replication 0; its
KPIs are the baseline of the score. It is built exactly as :func:`sim.runner.run_replication`
builds a replication (same streams, same model), plus one passive observer process that reads
the depots' stock every few minutes (it draws no random numbers and changes no state, so the
KPIs equal those of ``run_replication``; tested).

The timeline is a list of plain dicts (JSON-ready) sorted by minute::

    {"minute": 130.0, "kind": "gauge_warning", "place": "river", "name": "River gauge",
     "quantity": 21.5, "data": {...}}

Flood kinds: ``forecast``, ``gauge_warning``, ``gauge_peak`` (per gauge), ``water_arrives`` (per
zone), ``rescue_first_calls`` (per zone), ``rescue_backlog`` (region), ``shelter_first_arrival``,
``shelter_filling``, ``shelter_full`` (per shelter), ``stockout`` (per depot and item),
``road_closed``, ``road_reopened`` (per link). Chemical kinds: ``detector_alarm``,
``public_call``, ``plume_aegl2`` (zones whose air reaches AEGL-2, grouped by 10 minutes),
``hospital_load``, ``leak_stopped``, ``cordon`` and ``cordon_lifted`` (the links the police
cordon closes around the source, with roads).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from models.catalog import build
from models.geo import haversine_km
from models.orders import link_key
from models.scenario import ScenarioBase
from sim.runner import ReplicationContext
from sim.streams import Streams
from sim.trace import Trace

__all__ = ["HiddenRun", "hidden_run", "observe"]

STOCK_SAMPLE_MIN = 10.0      # how often the observer reads depot stock (minutes)
FIRST_CALLS_WINDOW = 60.0    # first calls of a zone are summed over this many minutes
FILLING_SHARE = 0.8          # a shelter "filling up" at this share of its capacity
PLUME_BIN_MIN = 10.0         # zones reaching AEGL-2 are reported together per 10 minutes
HOSPITAL_SHARES = (0.5, 0.9)  # hospital load reports at these shares of all beds


@dataclass(frozen=True)
class HiddenRun:
    """The hidden run's KPIs, its timeline and how long it took (wall seconds)."""

    kpis: dict[str, float]
    timeline: list[dict[str, Any]]
    wall_time_s: float
    events: int


class _StockObserver:
    """Reads every depot's available stock each ``STOCK_SAMPLE_MIN`` minutes (read only)."""

    def __init__(self, env: simpy.Environment, supplies: Any) -> None:
        self.env = env
        self.supplies = supplies
        self.samples: list[tuple[float, list[np.ndarray]]] = []

    def run(self):
        while True:
            depots = getattr(self.supplies, "depots", [])
            try:
                stock = [np.array(d.available(), dtype=float) for d in depots]
            except Exception:  # noqa: BLE001 - an observer must never break the run
                return
            self.samples.append((float(self.env.now), stock))
            yield self.env.timeout(STOCK_SAMPLE_MIN)


def hidden_run(scenario: ScenarioBase, seed: int) -> HiddenRun:
    """Run replication 0 of ``scenario`` with root seed ``seed`` and the trace on; observe."""
    started = time.perf_counter()
    env = simpy.Environment()
    streams = Streams(seed, 0)
    trace = Trace(enabled=True)
    model = build(ReplicationContext(env, streams, trace), scenario)
    supplies = getattr(model, "supplies", None)
    observer = _StockObserver(env, supplies) if supplies is not None else None
    if observer is not None:
        env.process(observer.run())
    env.run(until=scenario.horizon)
    kpis = {name: float(value) for name, value in model.kpis().items()}
    timeline = observe(model, scenario, trace, observer.samples if observer else [])
    scheduled = next(env._eid)  # type: ignore[attr-defined]
    events = scheduled - len(env._queue)  # type: ignore[attr-defined]
    return HiddenRun(kpis, timeline, time.perf_counter() - started, int(events))


def observe(model: Any, scenario: ScenarioBase, trace: Trace,
            stock_samples: list[tuple[float, list[np.ndarray]]] | None = None
            ) -> list[dict[str, Any]]:
    """The timeline of a finished run (see the module docstring), sorted by minute."""
    if scenario.model == "flood":
        events = _flood(model, scenario, trace, stock_samples or [])
    elif scenario.model == "chemical":
        events = _chemical(model, scenario)
    else:
        events = []
    horizon = scenario.horizon
    events = [e for e in events if math.isfinite(e["minute"]) and 0 <= e["minute"] <= horizon]
    events.sort(key=lambda e: (e["minute"], e["kind"], e["place"]))
    return events


def _event(minute: float, kind: str, place: str = "", name: str = "",
           quantity: float | None = None, **data: Any) -> dict[str, Any]:
    return {"minute": round(float(minute), 3), "kind": kind, "place": place, "name": name,
            "quantity": None if quantity is None or not math.isfinite(quantity)
            else round(float(quantity), 3), "data": data}


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


# --- flood ------------------------------------------------------------------------------------


def _flood(model: Any, sc: Any, trace: Trace,
           stock_samples: list[tuple[float, list[np.ndarray]]]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
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


def _rescue_backlog(sc: Any, trace: Trace) -> list[dict[str, Any]]:
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


def _stockouts(sc: Any, samples: list[tuple[float, list[np.ndarray]]]) -> list[dict[str, Any]]:
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


def _roads(model: Any, sc: Any) -> list[dict[str, Any]]:
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


# --- chemical ---------------------------------------------------------------------------------


def _chemical(model: Any, sc: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    zones = sc.zones
    response = sc.response
    teams = [t.id for t in response.hazmat_teams
             if not (sc.source.transport and t.type == "enterprise")]
    warning = getattr(model, "warning", None)
    issued = np.asarray(getattr(warning, "issued_at", np.full(len(zones), np.inf)), dtype=float)
    warn_zones = [z.id for z, t in zip(zones, issued, strict=True) if math.isfinite(t)]
    evacuate = response.instruction == "evacuate"
    instruction = {z.id: "evacuate" if evacuate or z.id in response.evacuate_zones
                   else "shelter_in_place" for z in zones}
    common = dict(source=sc.source.name, chemical=sc.source.release.chemical,
                  hazmat_teams=teams, warn_zones=warn_zones,
                  evacuate_zones=[z for z in warn_zones if instruction[z] == "evacuate"],
                  shelter_zones=[z for z in warn_zones if instruction[z] != "evacuate"])
    detected = float(getattr(model, "detected_at", response.public_call_delay))
    by_detector = response.detectors and not sc.source.transport
    if by_detector:
        events.append(_event(detected, "detector_alarm", "", sc.source.name, None, **common))
    events.append(_event(response.public_call_delay, "public_call", "", sc.source.name, None,
                         first_report=not by_detector, **common))

    # Zones whose outdoor air first reaches AEGL-2 (60 min) at some receptor point.
    outdoor = getattr(model, "outdoor", None)
    times = np.asarray(getattr(model, "times", []), dtype=float)
    limit = getattr(getattr(model, "harm", None), "limit2", None)
    if outdoor is not None and limit is not None and times.size:
        above = (np.asarray(outdoor) >= limit).any(axis=1)               # (Z, T)
        first = np.where(above.any(axis=1), times[np.argmax(above, axis=1)], np.inf)
        peak = np.asarray(outdoor).max(axis=(1, 2))
        groups: dict[float, list[int]] = defaultdict(list)
        for z in np.flatnonzero(np.isfinite(first)):
            groups[math.floor(first[z] / PLUME_BIN_MIN) * PLUME_BIN_MIN].append(int(z))
        for _, members in sorted(groups.items()):
            t = float(min(first[z] for z in members))
            ids = [zones[z].id for z in members]
            events.append(_event(t, "plume_aegl2", ids[0], zones[members[0]].name or ids[0],
                                 float(max(peak[z] for z in members)), zones=ids,
                                 limit_ppm=float(limit),
                                 actions={i: instruction[i] for i in ids}))

    ems = getattr(model, "ems", None)
    beds = sum(h.beds for h in response.hospitals)
    monitor = getattr(ems, "in_hospital", None)
    if monitor is not None and beds > 0:
        change_t, values = monitor.arrays()
        for share in HOSPITAL_SHARES:
            reached = np.flatnonzero(values >= share * beds)
            if reached.size:
                k = int(reached[0])
                events.append(_event(float(change_t[k]), "hospital_load", "", "",
                                     float(values[k]), beds=beds, share=share))
    stopped = float(getattr(model, "stopped_at", math.inf))
    if math.isfinite(stopped):
        events.append(_event(stopped, "leak_stopped", "", sc.source.name, None))
    # The police cordon the plan sets up around the source (models/chemical.py, roads).
    names = getattr(model, "link_names", {}) or {}
    cordon = sorted(names[link] for link in getattr(model, "cordon_links", []) or []
                    if link in names)
    if cordon:
        events.append(_event(detected, "cordon", "", sc.source.name, None, links=cordon,
                             radius_m=response.closure_radius_m))
        lifted = float(getattr(model, "release_end", math.inf)) + response.closure_clearance
        if math.isfinite(lifted):
            events.append(_event(lifted, "cordon_lifted", "", sc.source.name, None,
                                 links=cordon))
    return events
