"""Emergency medical services shared by the hazard models: casualties by zone with a triage
category and the minute they were injured, ambulances (a SimPy priority resource), hospitals with
beds, travel through a callable; casualties deteriorate while they wait for care.

**Outcome model** (per casualty of category c, docs/models/chemical.md "Care and outcome"): a
share ``m`` (``untreated_mortality``) would die without care, at an exponentially distributed
time (mean ``deterioration`` minutes) after being injured; care that starts before that time
saves each of them with probability ``e`` (``care_efficacy``). So a casualty admitted ``w``
minutes after injury dies with probability

    P(death | w) = m · (1 − e · exp(−w / τ))      (never admitted: w = ∞, P = m)

Each casualty's fate (would die untreated? when? saved by care?) is drawn when they are
injured, from the caller's stream and in a fixed order, so options that change the fleet or the
beds see the same casualties (common random numbers) and differ only in when care comes.

**Trips.** A zone's casualties ask for ambulances in groups of ``patients_per_trip`` (priority:
the category's, lower first; first come first served within a priority, no preemption). An
ambulance granted to a zone drives from base to the zone, picks up the most urgent casualties
still alive there, drives to the hospital fastest to reach with enough free beds for them (else
the fastest), plus ``handover``; whoever finds no free bed is carried on to the fastest hospital
that has one (plus ``handover``), or, with none left, waits at the last one for a bed that never
frees within the run (no discharges are modelled). Then back to base. A leg with no way
(``travel`` gives inf) ends the trip: who was aboard is left where they are, waiting.

Care starts on admission to a bed; deaths while waiting for an ambulance, in it or for a bed are
*deaths awaiting care*; deaths after admission are *deaths in care*.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from sim.monitors import LevelMonitor
from sim.resources import MonitoredPriorityResource
from sim.trace import Trace

__all__ = ["WAITING", "ADMITTED", "DEAD_AWAITING", "DEAD_IN_CARE", "Ems", "Hospital", "Point",
           "Travel", "Triage", "quantile_with_inf"]

Point = tuple[float, float]
# Minutes from a to b leaving at minute t (inf: no way).
Travel = Callable[[Point, Point, float], float]

# A casualty's state.
WAITING, ADMITTED, DEAD_AWAITING, DEAD_IN_CARE = 0, 1, 2, 3


@dataclass(frozen=True)
class Triage:
    """A triage category with this replication's outcome parameters."""

    name: str
    priority: int                  # ambulance priority (lower first)
    untreated_mortality: float     # m: share who die without care
    deterioration_min: float       # tau: mean minutes from injury to death without care
    care_efficacy: float           # e: share of those care reaches in time that it saves

    def death_probability(self, wait: float) -> float:
        """P(death) of a casualty admitted ``wait`` minutes after injury (inf: never)."""
        if not math.isfinite(wait):
            return self.untreated_mortality
        return self.untreated_mortality * (
            1.0 - self.care_efficacy * math.exp(-max(wait, 0.0) / self.deterioration_min))


@dataclass(frozen=True)
class Hospital:
    at: Point
    beds: int


def quantile_with_inf(values: np.ndarray, q: float) -> float:
    """Quantile ``q`` (linear interpolation) of values that may be +inf (never happened): inf
    as soon as the interpolation touches an inf; NaN when empty."""
    v = np.sort(np.asarray(values, dtype=float))
    if v.size == 0:
        return math.nan
    h = (v.size - 1) * q
    lo, hi = int(math.floor(h)), int(math.ceil(h))
    if not math.isfinite(v[lo]) or (hi > lo and not math.isfinite(v[hi])):
        return math.inf
    return float(v[lo] + (h - lo) * (v[hi] - v[lo]))


class Ems:
    """Ambulances, hospitals and casualties of one replication (see the module docstring)."""

    def __init__(self, env: simpy.Environment, *, zones: Sequence[Point], base: Point,
                 ambulances: int, hospitals: Sequence[Hospital], travel: Travel,
                 patients_per_trip: int, handover: float, categories: Sequence[Triage],
                 trace: Trace | None = None) -> None:
        self.env = env
        self.zones, self.base, self.travel = list(zones), base, travel
        self.hospitals = list(hospitals)
        self.patients_per_trip, self.handover = patients_per_trip, handover
        self.categories = list(categories)
        self.ambulances = (MonitoredPriorityResource(env, ambulances, name="ambulances",
                                                     trace=trace) if ambulances else None)
        self.free_beds = [h.beds for h in self.hospitals]
        # Per casualty (index = id): zone, category, minute injured, minute they would die
        # without care (inf: they would not), saved if care comes first, state, minute admitted.
        self.zone: list[int] = []
        self.category: list[int] = []
        self.injured_at: list[float] = []
        self.dies_at: list[float] = []
        self.saved: list[bool] = []
        self.state: list[int] = []
        self.admitted_at: list[float] = []
        self._at_zone: list[bool] = []
        self._queues: dict[int, list[int]] = {}      # per zone: ids waiting for pick-up
        self.injured = LevelMonitor(env, "injured")              # injured so far
        self.waiting = LevelMonitor(env, "awaiting_ambulance")   # at their zone
        self.awaiting_care = LevelMonitor(env, "awaiting_care")  # alive, not admitted
        self.in_hospital = LevelMonitor(env, "in_hospital")      # alive, admitted
        self.dead_awaiting = LevelMonitor(env, "deaths_awaiting_care")
        self.dead_in_care = LevelMonitor(env, "deaths_in_care")

    # --- casualties ---------------------------------------------------------------------------

    @property
    def casualty_total(self) -> int:
        return len(self.state)

    def casualties(self, zone: int, category: int, count: int, at: float,
                   rng: np.random.Generator) -> None:
        """``count`` casualties of ``category`` in ``zone`` need care from minute ``at``; their
        fates are drawn now from ``rng`` (three draws per casualty, whatever the response)."""
        if count <= 0:
            return
        c = self.categories[category]
        doomed = rng.random(count) < c.untreated_mortality
        delay = rng.exponential(c.deterioration_min, count)
        saved = rng.random(count) < c.care_efficacy
        first = len(self.state)
        for k in range(count):
            self.zone.append(zone)
            self.category.append(category)
            self.injured_at.append(at)
            self.dies_at.append(at + float(delay[k]) if doomed[k] else math.inf)
            self.saved.append(bool(saved[k]))
            self.state.append(WAITING)
            self.admitted_at.append(math.inf)
            self._at_zone.append(False)
        self.env.process(self._zone(zone, range(first, first + count), c.priority))

    def _zone(self, zone: int, ids: range, priority: int):
        env = self.env
        yield env.timeout(max(0.0, self.injured_at[ids[0]] - env.now))
        n = len(ids)
        self._bump(self.injured, n)
        self._bump(self.awaiting_care, n)
        self._bump(self.waiting, n)
        queue = self._queues.setdefault(zone, [])
        for i in ids:
            self._at_zone[i] = True
            queue.append(i)
            if math.isfinite(self.dies_at[i]):
                env.process(self._death(i))
        queue.sort(key=lambda i: (self.categories[self.category[i]].priority,
                                  self.injured_at[i], i))
        if self.ambulances is None or not self.hospitals:
            return
        for _ in range(math.ceil(n / self.patients_per_trip)):
            env.process(self._trip(zone, priority))

    def _death(self, i: int):
        yield self.env.timeout(max(0.0, self.dies_at[i] - self.env.now))
        if self.state[i] == WAITING:
            self.state[i] = DEAD_AWAITING
            self._bump(self.awaiting_care, -1)
            self._bump(self.dead_awaiting, 1)
            if self._at_zone[i]:
                self._at_zone[i] = False
                self._queues[self.zone[i]].remove(i)
                self._bump(self.waiting, -1)
        elif self.state[i] == ADMITTED and not self.saved[i]:
            self.state[i] = DEAD_IN_CARE
            self._bump(self.in_hospital, -1)
            self._bump(self.dead_in_care, 1)

    @staticmethod
    def _bump(monitor: LevelMonitor, by: int) -> None:
        monitor.record(monitor.current + by)

    # --- trips --------------------------------------------------------------------------------

    def _trip(self, zone: int, priority: int):
        env = self.env
        assert self.ambulances is not None
        with self.ambulances.request(priority=priority, entity=f"zone-{zone}") as req:
            yield req
            if not self._queues[zone]:
                return          # everyone already picked up or dead
            spot = self.zones[zone]
            out = self.travel(self.base, spot, env.now)
            if not math.isfinite(out):
                return          # cut off: they keep waiting
            yield env.timeout(out)
            queue = self._queues[zone]
            aboard = queue[:self.patients_per_trip]
            del queue[:len(aboard)]
            for i in aboard:
                self._at_zone[i] = False
            self._bump(self.waiting, -len(aboard))
            at = spot
            first = True
            while aboard:
                alive = [i for i in aboard if self.state[i] == WAITING]
                if not alive:
                    break
                need = len(alive) if first else 1
                hospital, minutes = self._hospital(at, need, any_fallback=first)
                if hospital is None:
                    break       # no way to (another) hospital: they wait where they are
                first = False
                yield env.timeout(minutes + self.handover)
                at = self.hospitals[hospital].at
                alive = [i for i in aboard if self.state[i] == WAITING]
                taken = alive[:self.free_beds[hospital]]
                self.free_beds[hospital] -= len(taken)
                for i in taken:
                    self.state[i] = ADMITTED
                    self.admitted_at[i] = env.now
                self._bump(self.awaiting_care, -len(taken))
                self._bump(self.in_hospital, len(taken))
                aboard = alive[len(taken):]
            back = self.travel(at, self.base, env.now)
            if math.isfinite(back):
                yield env.timeout(back)

    def _hospital(self, at: Point, need: int, any_fallback: bool) -> tuple[int | None, float]:
        """The hospital fastest to reach from ``at`` with at least ``need`` free beds; else,
        with ``any_fallback``, the fastest reachable (None: none qualifies)."""
        now = self.env.now
        minutes = [self.travel(at, h.at, now) for h in self.hospitals]
        reachable = [int(h) for h in np.argsort(minutes, kind="stable")
                     if math.isfinite(minutes[h])]
        pick = next((h for h in reachable if self.free_beds[h] >= need), None)
        if pick is None and any_fallback and reachable:
            pick = reachable[0]
        return pick, (minutes[pick] if pick is not None else math.inf)

    # --- outcomes -----------------------------------------------------------------------------

    def waits(self) -> np.ndarray:
        """Minutes from injury to admission per casualty (inf: never admitted)."""
        return np.asarray(self.admitted_at, float) - np.asarray(self.injured_at, float)

    def care_deaths(self) -> tuple[int, int]:
        """Deaths awaiting care and in care, counting everyone's fate (also beyond the
        horizon): the doomed not admitted before their time die awaiting care (never admitted:
        the untreated risk), the admitted whom care does not save die in care."""
        awaiting = in_care = 0
        for dies, admitted, saved in zip(self.dies_at, self.admitted_at, self.saved,
                                         strict=True):
            if not math.isfinite(dies):
                continue
            if admitted < dies:
                in_care += not saved
            else:
                awaiting += 1
        return awaiting, in_care

    def expected_care_deaths(self) -> float:
        """Σ P(death | wait) over casualties (never admitted: the untreated risk)."""
        return float(sum(self.categories[c].death_probability(w)
                         for c, w in zip(self.category, self.waits(), strict=True)))

    def kpis(self) -> dict[str, float]:
        waits = self.waits()
        awaiting, in_care = self.care_deaths()
        admitted = int(np.isfinite(waits).sum())
        return {
            "time_to_hospital_p50_min": quantile_with_inf(waits, 0.5),
            "time_to_hospital_p90_min": quantile_with_inf(waits, 0.9),
            "hospital_peak_load": self.in_hospital.peak,
            "casualties_not_admitted": float(waits.size - admitted),
            "deaths_awaiting_care": float(awaiting),
            "deaths_in_care": float(in_care),
            "ambulance_utilisation": (self.ambulances.utilisation() if self.ambulances
                                      else math.nan),
        }
