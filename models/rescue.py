"""Rescue: trapped people call for help; teams travel, rescue, shuttle people out and return.

Requests (a building's or street's worth of trapped people) wait in one dispatch list. Whenever a
team is free and requests wait, the dispatcher takes the most urgent request — highest danger
(hazard-rating class at the place), then most vulnerable people, then longest waiting — and sends
the free team that can be there first. A trip: mobilisation (first trip only), road travel to the
edge of the flooded zone (straight line x detour / road speed), boat travel into the zone (water
speed), rescue of up to ``people_per_trip`` people (minutes per person), boat back to the edge.
The rescued are handed to the shelter system; the team stays at the zone edge for its next trip.
Helicopter teams fly straight there and back. After ``endurance`` of work a unit rests, or, if
it has two or more crews (``shifts``), changes crew (``handover``). Mutual-aid teams join after
``available_from``.

Commanders' orders (:mod:`models.orders`): ``mobilize_team`` calls a local team's units out at
the order (their mobilization delay runs from then, or from their first dispatch if that comes
first); with ``replaces_plan`` a team the orders mobilize is not available before its order
(teams they never name stay on the dispatcher's routine). ``request_team`` brings a mutual-aid
team ``available_from`` minutes after the request: the earlier of that and its fixed time, or
with ``replaces_plan`` only on request.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import simpy
from pydantic import Field

from models.geo import distance_matrix_km
from models.orders import OrdersSection
from models.response.orders import decided_at
from models.response.roads import travel_minutes
from models.waiting import WaitingRisk
from models.zones import Zone
from sim.config import StrictModel
from sim.monitors import LevelMonitor, TallyMonitor
from sim.trace import Trace
from sim.units import Duration

__all__ = ["TeamSpec", "RescueSection", "RescueRequest", "RescueService"]

TeamType = Literal["fire_rescue", "water_rescue", "comprehensive_city", "comprehensive_county",
                   "comprehensive_township", "social", "military", "helicopter"]


class TeamSpec(StrictModel):
    """A kind of rescue unit at one base; ``count`` identical units."""

    id: str = Field(min_length=1)
    type: TeamType
    base_lon: float = Field(ge=-180, le=180)
    base_lat: float = Field(ge=-90, le=90)
    count: int = Field(default=1, ge=0, description="Identical units at this base.")
    crew: int = Field(default=10, ge=1, description="People per unit.")
    people_per_trip: int = Field(ge=1, description="Rescued people carried out per trip "
                                 "(boats x seats, or helicopter seats).")
    mode: Literal["boat", "helicopter"] = "boat"
    road_speed_kmh: float = Field(default=40.0, gt=0)
    water_speed_kmh: float = Field(default=8.0, gt=0)
    air_speed_kmh: float = Field(default=200.0, gt=0)
    mobilization_delay: Duration = Field(default=60.0, description="Call-out to departure.")
    minutes_per_person: Duration = Field(default=3.0, description="Rescue time per person.")
    endurance: Duration = Field(default=720.0, gt=0, description="Work before a rest.")
    rest: Duration = Field(default=480.0, description="Rest after endurance is used up.")
    shifts: int = Field(default=1, ge=1, description="Crews per unit taking turns: with 2 or "
                        "more, a fresh crew takes over after `handover` instead of a rest.")
    handover: Duration = Field(default=30.0, description="Crew change time when shifts >= 2.")
    available_from: Duration = Field(default=0.0, description="Mutual aid: joins at this time.")


class RescueSection(StrictModel):
    """The scenario's ``[rescue]`` section."""

    teams: list[TeamSpec] = Field(default_factory=list)
    people_per_request: int = Field(default=30, ge=1, description="Trapped people per call "
                                    "for help (a building or street; assumption).")
    call_delay: Duration = Field(default=20.0, description="From being trapped to the call "
                                 "reaching the dispatcher (assumption).")
    rescue_depth_m: float = Field(default=0.5, gt=0, description="People in water deeper than "
                                  "this at its peak cannot leave unaided (assumption).")
    detour_factor: float = Field(default=1.3, ge=1)


class RescueRequest:
    """Trapped people at one place: ``people[g]`` by group (children, adults, elderly) still
    waiting, ``upper`` of them in an upper-floor refuge. Compared by identity: two calls with
    equal counts are still different calls."""

    __slots__ = ("zone", "created", "_people", "upper", "danger", "number", "home",
                 "in_vehicle", "first_reached", "done", "waiting", "risk_at")

    def __init__(self, zone: int, created: float, people: np.ndarray, upper: np.ndarray,
                 danger: int, number: int, home: int, in_vehicle: bool) -> None:
        self.zone = zone
        self.created = created
        self.people = people
        self.upper = upper
        self.danger = danger                  # hazard-rating class 0-3 at the place
        self.number = number
        self.home = home                      # zone the people live in (population ledger)
        self.in_vehicle = in_vehicle          # caught on the road while evacuating
        self.first_reached = math.inf
        self.done = False
        self.risk_at = created                # survival drawn up to here (models.waiting)

    @property
    def people(self) -> np.ndarray:
        return self._people

    @people.setter
    def people(self, value: np.ndarray) -> None:
        # ``waiting`` is read on every dispatch decision: keep it as a plain int (summed in
        # Python: ndarray.sum() costs more than the whole rest on a three-element vector).
        self._people = np.asarray(value, dtype=np.int64)
        self.waiting = sum(self._people.tolist())

    def set_counts(self, people: list[int], upper: list[int]) -> None:
        """Set people and upper-floor counts from lists of Python ints (one rescue trip's
        take, thousands per run: the setter's conversions and sum skipped)."""
        self._people = np.array(people, dtype=np.int64)
        self.upper = np.array(upper, dtype=np.int64)
        self.waiting = sum(people)

    def key(self) -> tuple:
        children, _, elderly = self._people.tolist()
        vulnerable = children + elderly
        return (-self.danger, -vulnerable / max(self.waiting, 1), self.created, self.number)


@dataclass
class _Unit:
    spec: TeamSpec
    index: int
    lon: float
    lat: float
    place: int          # row of RescueService._distance_km: a zone, or the unit's base
    base: int
    worked: float = 0.0
    mobilized: bool = False
    busy_since: float = 0.0
    joins_at: float = 0.0           # when the dispatcher may use it (inf: never)
    called_out: float = math.inf    # ordered call-out; the first dispatch calls out otherwise


class RescueService:
    """Dispatcher and teams for one replication.

    ``on_rescued(request, counts_by_group, upper_by_group)`` is called when a trip brings people
    out; it moves them in the population ledger and to shelters. ``risk`` (a
    :class:`models.waiting.WaitingRisk`, optional) draws deaths while people wait: a request is
    brought up to date before a team takes people from it, and the people taken face it until
    the team has reached them and finished its rescue work there.
    """

    def __init__(self, env: simpy.Environment, section: RescueSection, zones: Sequence[Zone],
                 on_rescued: Callable[[RescueRequest, np.ndarray, np.ndarray], None],
                 trace: Trace, orders: OrdersSection | None = None,
                 risk: WaitingRisk | None = None) -> None:
        self.env = env
        self.risk = risk
        self.section = section
        self.zones = zones
        self.on_rescued = on_rescued
        self.trace = trace
        # Open requests as a heap of (urgency key, number, request); finished ones are dropped
        # lazily when they reach the top.
        self._queue: list[tuple[tuple, int, RescueRequest]] = []
        self.requests: list[RescueRequest] = []
        self.by_zone: dict[int, list[RescueRequest]] = {}
        self.idle: list[_Unit] = []
        self.units: list[_Unit] = []
        self.busy = LevelMonitor(env, "rescue.teams_busy")
        self.rescue_times = TallyMonitor("rescue.time_to_rescue")   # per person, minutes
        self.rescued = 0
        self._wake = env.event()
        # Places a unit can be: zone edges (rows 0..Z-1), then team bases. Distances from each
        # place to each zone centre are computed once.
        place_lon = [z.lon for z in zones] + [t.base_lon for t in section.teams]
        place_lat = [z.lat for z in zones] + [t.base_lat for t in section.teams]
        self._distance_km = distance_matrix_km(place_lon, place_lat, [z.lon for z in zones],
                                               [z.lat for z in zones])
        # The same as nested lists of floats, for timing trips one unit at a time.
        self._distance_rows: list[list[float]] = self._distance_km.tolist()
        for b, spec in enumerate(section.teams):
            joins_at, called_out = _availability(spec, orders)
            for _ in range(spec.count):
                base = len(zones) + b
                unit = _Unit(spec, len(self.units), spec.base_lon, spec.base_lat, base, base,
                             joins_at=joins_at, called_out=called_out)
                self.units.append(unit)
                env.process(self._join(unit))
        env.process(self._dispatcher())
        # Zone "edge": where roads end and boats start; the in-zone boat leg is half the
        # equivalent square's side (assumption: trapped people spread evenly over the zone).
        self._water_leg_km = [math.sqrt(z.area_km2) / 2 for z in zones]

    # --- requests ----------------------------------------------------------------------------

    def request(self, zone: int, people: np.ndarray, upper: np.ndarray, danger: int, *,
                home: int | None = None, in_vehicle: bool = False) -> None:
        """Register trapped people at ``zone`` now (split into calls of people_per_request);
        ``home`` is their home zone (default ``zone``)."""
        total = int(people.sum())
        size = self.section.people_per_request
        parts = max(1, math.ceil(total / size))
        # Split groups evenly across calls, keeping integer counts exact.
        people_parts = _split_rows(people, parts)
        upper_parts = np.minimum(_split_rows(upper, parts), people_parts)
        in_zone = self.by_zone.setdefault(zone, [])
        # Empty parts (fewer people than calls in some group) are skipped; tested once for all.
        for p, u, anyone in zip(people_parts, upper_parts, people_parts.any(axis=1).tolist(),
                                strict=True):
            if not anyone:
                continue
            req = RescueRequest(zone, self.env.now, p, u, danger,
                                len(self.requests), zone if home is None else home, in_vehicle)
            self.requests.append(req)
            in_zone.append(req)
            heapq.heappush(self._queue, (req.key(), req.number, req))
            if self.trace.enabled:
                self.trace.log(self.env.now, "rescue_request", f"request-{req.number}",
                               self.zones[zone].id, float(p.sum()))
        self._poke()

    def drop(self, req: RescueRequest) -> None:
        """Forget a request nobody is left to rescue (e.g. all died)."""
        req.done = True

    @property
    def reach_times(self) -> TallyMonitor:
        """Minutes from each call to the first team's arrival (calls reached so far)."""
        tally = TallyMonitor("rescue.time_to_reach")
        now = self.env.now
        for req in self.requests:
            if req.first_reached <= now:
                tally.observe(req.first_reached - req.created)
        return tally

    @property
    def pending(self) -> list[RescueRequest]:
        """Requests still waiting for a team, most urgent first."""
        return [r for _, _, r in sorted(self._queue) if not r.done and r.waiting > 0]

    # --- teams -------------------------------------------------------------------------------

    def _join(self, unit: _Unit):
        if not math.isfinite(unit.joins_at):
            return   # a mutual-aid team never requested (replaces_plan)
        if unit.joins_at > 0:
            yield self.env.timeout(unit.joins_at)
        self.idle.append(unit)
        self._poke()

    def _poke(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def _dispatcher(self):
        while True:
            yield self._wake
            self._wake = self.env.event()
            queue = self._queue
            risk = self.risk
            while self.idle:
                while queue and (queue[0][2].done or queue[0][2].waiting == 0):
                    heapq.heappop(queue)
                if not queue:
                    break
                req = queue[0][2]
                if risk is not None:
                    # Who is still alive to be taken: survival up to now (lazy, exact).
                    risk.bring_up_to_date(req)
                    if req.waiting == 0:
                        self.drop(req)
                        continue
                position, there = self._fastest(req.zone)
                unit = self.idle.pop(position)
                load = min(req.waiting, unit.spec.people_per_trip)
                # Reserve the people this trip will carry so other teams take the next ones.
                take, take_upper = _take(req, load)
                self._start_trip(unit, req, take, take_upper, there)

    def _fastest(self, zone: int) -> tuple[int, float]:
        """Position in the idle list of the unit that can be at ``zone`` first (the earliest
        listed on a tie), and its minutes to get there (returned so the trip need not time
        the unit again)."""
        idle = self.idle
        if len(idle) == 1:
            return 0, self._arrival_minutes(idle[0], zone)
        # A plain loop: most dispatches see a handful of idle units (one returning from a
        # trip), where NumPy's per-call overhead would cost more than the arithmetic.
        best, best_minutes = 0, math.inf
        for i, unit in enumerate(idle):
            minutes = self._arrival_minutes(unit, zone)
            if minutes < best_minutes:
                best, best_minutes = i, minutes
        return best, best_minutes

    def _arrival_minutes(self, unit: _Unit, zone: int) -> float:
        """Minutes until ``unit``, sent now, reaches the people at ``zone``."""
        spec = unit.spec
        distance = self._distance_rows[unit.place][zone]
        wait = 0.0 if unit.mobilized else spec.mobilization_delay
        if not unit.mobilized and unit.called_out < self.env.now:
            wait = max(0.0, unit.called_out + spec.mobilization_delay - self.env.now)
        if spec.mode == "helicopter":
            return wait + travel_minutes(distance, spec.air_speed_kmh)
        leg = self._water_leg_km[zone]
        road = max(0.0, distance - leg) * self.section.detour_factor
        # Road and water legs summed before converting to minutes (as first written: the
        # golden results depend on this rounding).
        return wait + (road / spec.road_speed_kmh + leg / spec.water_speed_kmh) * 60.0

    def _after(self, delay: float, action: Callable, *args) -> None:
        """Call ``action(*args)`` in ``delay`` minutes (a bare timeout with a callback: cheaper
        than a process for a step that needs no waiting of its own)."""
        self.env.timeout(delay).callbacks.append(lambda _: action(*args))

    def _start_trip(self, unit: _Unit, req: RescueRequest, take: np.ndarray,
                    take_upper: np.ndarray, there: float) -> None:
        """Send ``unit``, ``there`` minutes from ``req``, now to bring out ``take``. The whole
        trip is known at dispatch, so its end is one scheduled callback (the team's arrival at
        the call is recorded as the time it will get there)."""
        env, spec = self.env, unit.spec
        self.busy.record(self.busy.current + 1)
        unit.mobilized = True
        req.first_reached = min(req.first_reached, env.now + there)
        people = sum(take.tolist())
        z = self.zones[req.zone]
        if spec.mode == "boat":   # back to the zone edge; the boat stays there
            back = travel_minutes(self._water_leg_km[req.zone], spec.water_speed_kmh)
            unit.lon, unit.lat, unit.place = z.lon, z.lat, req.zone
        else:                     # helicopters fly the rescued straight back to base
            back = travel_minutes(self._distance_rows[unit.base][req.zone], spec.air_speed_kmh)
            unit.lon, unit.lat, unit.place = spec.base_lon, spec.base_lat, unit.base
        rescue = people * spec.minutes_per_person
        self._after(there + rescue + back, self._end_trip, unit, req, take, take_upper, people,
                    env.now, env.now + there + rescue)

    def _end_trip(self, unit: _Unit, req: RescueRequest, take: np.ndarray,
                  take_upper: np.ndarray, people: int, started: float, picked_up: float) -> None:
        """The trip of ``unit`` that started at ``started`` brings ``people`` out now (those of
        them who survived the wait until ``picked_up``, the end of the rescue work there)."""
        env, spec = self.env, unit.spec
        if self.risk is not None:
            dead, dead_upper = self.risk.until_pickup(req, take.tolist(), take_upper.tolist(),
                                                      started, picked_up)
            if any(dead):
                take = take - np.array(dead, dtype=np.int64)
                take_upper = take_upper - np.array(dead_upper, dtype=np.int64)
                people -= sum(dead)
        if people:
            self.rescue_times.observe(env.now - req.created, people)
            self.rescued += people
            self.on_rescued(req, take, take_upper)
        if self.trace.enabled:
            self.trace.log(env.now, "rescued", f"team-{spec.id}-{unit.index}",
                           self.zones[req.zone].id, people)
        unit.worked += env.now - started
        self.busy.record(self.busy.current - 1)
        if unit.worked >= spec.endurance:
            unit.worked = 0.0
            self._after(spec.handover if spec.shifts >= 2 else spec.rest, self._back, unit)
        else:
            self._back(unit)

    def _back(self, unit: _Unit) -> None:
        """``unit`` is ready for the next call."""
        self.idle.append(unit)
        self._poke()


def _availability(spec: TeamSpec, orders: OrdersSection | None) -> tuple[float, float]:
    """(minute the team's units join the dispatcher's pool, minute they are called out by
    order) under ``orders`` (see the module docstring); inf: never / not by order."""
    if orders is None:
        return spec.available_from, math.inf
    if spec.available_from > 0:   # mutual aid
        return decided_at(orders, "request_team", spec.id, spec.available_from,
                          delay=spec.available_from), math.inf
    mobilized = orders.earliest("mobilize_team", spec.id)
    if mobilized is None:
        return 0.0, math.inf
    return (mobilized if orders.replaces_plan else 0.0), mobilized


def _split(counts: np.ndarray, parts: int) -> list[np.ndarray]:
    """Split integer group counts into ``parts`` near-equal integer vectors summing exactly."""
    return list(_split_rows(counts, parts))


def _split_rows(counts: np.ndarray, parts: int) -> np.ndarray:
    """:func:`_split` as a (parts, G) array."""
    base, extra = np.divmod(np.asarray(counts, dtype=np.int64), parts)
    return base[None, :] + (np.arange(parts)[:, None] < extra[None, :])


def _take(req: RescueRequest, load: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove ``load`` people from a request, vulnerable groups first, upper-floor last."""
    # Plain Python ints, the three groups unrolled: a trip's take runs thousands of times per
    # replication, where NumPy calls or a loop per group would cost more than the arithmetic.
    children, adults, elderly = req.people.tolist()
    up_children, up_adults, up_elderly = req.upper.tolist()
    take_elderly = min(load, elderly)                 # elderly, children, adults
    take_children = min(load - take_elderly, children)
    take_adults = min(load - take_elderly - take_children, adults)
    # From the ground floor first: only what the ground floor cannot give comes from upstairs.
    upper_children = max(0, take_children - (children - up_children))
    upper_adults = max(0, take_adults - (adults - up_adults))
    upper_elderly = max(0, take_elderly - (elderly - up_elderly))
    req.set_counts([children - take_children, adults - take_adults, elderly - take_elderly],
                   [up_children - upper_children, up_adults - upper_adults,
                    up_elderly - upper_elderly])
    return (np.array([take_children, take_adults, take_elderly], dtype=np.int64),
            np.array([upper_children, upper_adults, upper_elderly], dtype=np.int64))
