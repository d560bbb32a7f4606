"""Emergency medical services for a chemical release: ambulances carry casualties by triage
priority to hospitals with free beds (SimPy processes).

A zone's casualties are ready for pick-up at one minute (the model's: its air's first AEGL-2
exceedance) and ask for ambulances in groups of ``patients_per_trip``; zones with a point in the
AEGL-3 zone have priority 0, the others 1 (a priority resource, first come first served within
a priority, no preemption). A trip: from the ambulance base (default: the source) to the zone
centre, to the nearest hospital with enough free beds for the group (else the nearest), plus
``handover`` (loading and handover), then back to base; legs are straight lines x
``detour_factor`` at ``ambulance_speed_kmh`` (:func:`models.response.roads.travel_minutes`), or
with ``[roads]`` over the links open to responders when each leg starts (the hospital the
fastest to reach with enough beds). Beds are taken on arrival; whoever finds no free bed is
*not admitted*, and so is everyone when there are no ambulances or no hospitals.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy

from models.geo import distance_matrix_km, haversine_km
from models.response.roads import RoadNetwork, travel_minutes
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredPriorityResource
from sim.trace import Trace

if TYPE_CHECKING:
    from models.chemical.scenario import ChemicalScenario

__all__ = ["Ems"]


class Ems:
    """Ambulances and hospitals of one replication: casualties by zone, trips, beds, KPIs."""

    def __init__(self, env: simpy.Environment, sc: ChemicalScenario, trace: Trace,
                 roads: RoadNetwork | None = None) -> None:
        self.env = env
        r = sc.response
        self.r = r
        self.roads = roads
        self.zones = zones = sc.zones
        self.ambulances = (MonitoredPriorityResource(env, r.ambulances, name="ambulances",
                                                     trace=trace) if r.ambulances else None)
        base = (r.ambulance_base_lon, r.ambulance_base_lat)
        if base[0] is None or base[1] is None:
            base = (sc.source.lon, sc.source.lat)
        self.base = base
        self.free_beds = [h.beds for h in r.hospitals]
        if r.hospitals:
            self.zone_hospital_km = distance_matrix_km([z.lon for z in zones],
                                                       [z.lat for z in zones],
                                                       [h.lon for h in r.hospitals],
                                                       [h.lat for h in r.hospitals])
        self.waiting = LevelMonitor(env, "awaiting_ambulance")
        self.in_hospital = LevelMonitor(env, "in_hospital")
        self.times_to_hospital = TallyMonitor("time_to_hospital")
        self.not_admitted = 0
        self.casualty_total = 0

    def casualties(self, zone: int, people: int, at: float, severe: bool) -> None:
        """``people`` of ``zone`` need hospital care from minute ``at`` (``severe``: the zone
        is in the AEGL-3 zone, triage priority 0)."""
        self.casualty_total += people
        self.env.process(self._zone(zone, people, at, severe))

    def _zone(self, zone: int, people: int, at: float, severe: bool):
        env = self.env
        yield env.timeout(max(0.0, at - env.now))
        self.waiting.record(self.waiting.current + people)
        if self.ambulances is None or not self.r.hospitals:
            self.not_admitted += people
            return
        left = people
        while left > 0:
            n = min(left, self.r.patients_per_trip)
            left -= n
            env.process(self._trip(zone, n, at, 0 if severe else 1))

    def _trip(self, zone: int, n: int, since: float, priority: int):
        env, r = self.env, self.r
        assert self.ambulances is not None
        with self.ambulances.request(priority=priority, entity=f"zone-{zone}") as req:
            yield req
            if self.roads is not None:
                yield from self._road_trip(zone, n, since)
                return
            z = self.zones[zone]
            out_km = float(haversine_km(self.base[0], self.base[1], z.lon, z.lat))
            yield env.timeout(travel_minutes(out_km, r.ambulance_speed_kmh, r.detour_factor))
            self.waiting.record(self.waiting.current - n)
            order = np.argsort(self.zone_hospital_km[zone], kind="stable")
            hospital = next((int(h) for h in order if self.free_beds[h] >= n), int(order[0]))
            to_km = float(self.zone_hospital_km[zone, hospital])
            yield env.timeout(travel_minutes(to_km, r.ambulance_speed_kmh, r.detour_factor)
                              + r.handover)
            admitted = min(n, self.free_beds[hospital])
            self.free_beds[hospital] -= admitted
            self.not_admitted += n - admitted
            self.in_hospital.record(self.in_hospital.current + admitted)
            self.times_to_hospital.observe(env.now - since, n)
            back_km = float(haversine_km(r.hospitals[hospital].lon, r.hospitals[hospital].lat,
                                         self.base[0], self.base[1]))
            yield env.timeout(travel_minutes(back_km, r.ambulance_speed_kmh, r.detour_factor))

    def _road_trip(self, zone: int, n: int, since: float):
        """The same trip over the road network: legs over links open to responders when they
        start (waiting where a closure cuts every way); the hospital with enough free beds
        that is fastest to reach from the zone, else the fastest."""
        env, r, roads = self.env, self.r, self.roads
        assert roads is not None
        z = self.zones[zone]
        spot = (z.lon, z.lat)

        def drive(a: tuple[float, float], b: tuple[float, float]) -> float:
            return roads.drive_minutes(a, b, env.now, r.ambulance_speed_kmh, r.detour_factor)

        out = drive(self.base, spot)
        if math.isfinite(out):
            yield env.timeout(out)
        self.waiting.record(self.waiting.current - n)
        minutes = [drive(spot, (h.lon, h.lat)) for h in r.hospitals]
        reachable = [int(h) for h in np.argsort(minutes, kind="stable")
                     if math.isfinite(minutes[h])]
        if not math.isfinite(out) or not reachable:
            self.not_admitted += n     # cut off for the rest of the run
            return
        hospital = next((h for h in reachable if self.free_beds[h] >= n), reachable[0])
        yield env.timeout(minutes[hospital] + r.handover)
        admitted = min(n, self.free_beds[hospital])
        self.free_beds[hospital] -= admitted
        self.not_admitted += n - admitted
        self.in_hospital.record(self.in_hospital.current + admitted)
        self.times_to_hospital.observe(env.now - since, n)
        h = r.hospitals[hospital]
        back = drive((h.lon, h.lat), self.base)
        if math.isfinite(back):
            yield env.timeout(back)

    def kpis(self) -> dict[str, float]:
        return {
            "time_to_hospital_p50_min": float(self.times_to_hospital.quantile(0.5)),
            "time_to_hospital_p90_min": float(self.times_to_hospital.quantile(0.9)),
            "hospital_peak_load": self.in_hospital.peak,
            "casualties_not_admitted": float(self.not_admitted),
            "ambulance_utilisation": (self.ambulances.utilisation() if self.ambulances
                                      else math.nan),
        }
