"""The flood response model: hazard, warnings, evacuation, shelters, rescue and life loss.

One replication, in order of events (details in docs/models/flood.md):

1. The hazard field (:mod:`models.hazards.flood`) gives each zone's depth and velocity over time,
   when its threat can be identified, when water arrives and when it peaks.
2. Warnings (:mod:`models.warnings`) turn identification into per-zone alert and action curves;
   people are drawn into integer cohorts by zone, group and time bin
   (:func:`models.response.cohorts.warn_people`, shared with the chemical model).
3. At each bin time a zone's newly alerted people become *warned*; those who begin to act go to a
   vertical refuge or leave for a public shelter or self-arranged accommodation
   (:mod:`models.evacuation`, :mod:`models.shelters`), by road if there is a network
   (:mod:`models.response.roads`: convoys, closures by water and by order).
4. When water arrives in a zone, everyone still there (at home, warned, in a refuge, or still
   leaving) is caught; if the zone's water will be deep enough to cut people off they become
   *trapped* and call for rescue (:mod:`models.rescue`).
5. At the zone's peak, people still in the water face the lethality of their hazard rating
   (:mod:`models.lifeloss`); deaths are drawn from the replication's stream, the expected value
   is recorded too.
6. People waiting for rescue also die at a rate that grows with their wait
   (:mod:`models.waiting`): a call's survival is brought up to date when a team takes people
   from it, at the zone's peak, in a periodic sweep and at the end of the run.

Commanders' timed decisions (the scenario's ``[orders]``, :mod:`models.orders`) move warning
issuance, shelter opening, team call-out and mutual aid, supply release and road closures; each
part applies its own (see docs/models/flood.md, "Orders").

Every person is in exactly one state at every time (:class:`models.population.Ledger`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping

import numpy as np

from models.flood.scenario import FLOOD_ACTIONS, FloodScenario
from models.hazards.flood import flood_hazard
from models.lifeloss import (
    hazard_class,
    hazard_rating,
    lethality,
    lethality_in_building,
)
from models.orders import OrdersSection
from models.population import VULNERABLE, Ledger, State
from models.rescue import RescueRequest, RescueService
from models.response.cohorts import warn_people
from models.response.roads import (
    Convoy,
    RoadNetwork,
    closure_windows,
    link_ids,
    travel_minutes,
)
from models.shelters import Shelters
from models.supplies import SupplyChain
from models.waiting import WaitingHazard, WaitingRisk
from models.warnings import WARNING_ACTIONS
from sim.monitors import LevelMonitor
from sim.runner import ReplicationContext, report_grid

__all__ = ["FloodRun", "build_flood", "quantile_with_never"]



class FloodRun:
    """One replication of a flood scenario (see the module docstring)."""

    def __init__(self, ctx: ReplicationContext, scenario: FloodScenario) -> None:
        self.ctx = ctx
        self.sc = sc = scenario
        self.env = env = ctx.env
        self.trace = ctx.trace
        streams = ctx.streams
        self.zones = zones = sc.zones
        self.n_zones = len(zones)
        horizon = sc.horizon

        self.hazard = flood_hazard(sc.hazard, zones, streams["hazard"], horizon,
                                   sc.source_file)
        self.arrival = self.hazard.arrival_times(sc.arrival_depth_m)
        self.peak_time = self.hazard.peak_time()
        self.peak_depth = self.hazard.peak_depth()
        self.peak_velocity = self.hazard.peak_velocity()
        self.at_risk_zone = np.isfinite(self.arrival) & (self.arrival <= horizon)

        step = sc.cohort_step
        self.grid = np.arange(0.0, horizon + step, step)
        self.warned_zone = self._warning_area()
        identified = np.where(self.warned_zone, self.hazard.identified_at, np.inf)
        warned = warn_people(sc.warnings, zones, identified, self.grid, sc.start_hour, streams,
                             orders=sc.orders)
        self.warnings, self.people, self.cohorts = warned.warning, warned.people, warned.cohorts

        self.ledger = Ledger(env, self.people)
        self.evac_rng = streams["evacuation"]
        self.lifeloss_rng = streams["lifeloss"]
        zone_lon = np.array([z.lon for z in zones])
        zone_lat = np.array([z.lat for z in zones])
        self.shelters = Shelters(env, sc.shelters, zone_lon, zone_lat, ctx.trace)
        first_issue = float(np.min(self.warnings.issued_at)) if self.n_zones else math.inf
        self.shelters.schedule_opening(first_issue if math.isfinite(first_issue) else 0.0,
                                       sc.orders)
        # Deaths by cause (``dead`` is the ledger's total): at a zone's peak, on the road, and
        # while waiting for rescue (the waiting risk's own monitor).
        self.dead_at_peak = LevelMonitor(env, "dead_at_peak")
        self.dead_in_transit = LevelMonitor(env, "dead_in_transit")
        self.waiting_risk: WaitingRisk | None = None
        self.dead_while_waiting = LevelMonitor(env, "dead_while_waiting")   # stays 0 if disabled
        if sc.lifeloss.waiting.enabled:
            hazard = WaitingHazard.draw(sc.lifeloss.waiting, streams["waiting"])
            self.waiting_risk = WaitingRisk(env, hazard, streams["waiting.deaths"],
                                            self._recede_times(), self._died_waiting)
            self.dead_while_waiting = self.waiting_risk.dead
        self.rescue = RescueService(env, sc.rescue, zones, self._rescued, ctx.trace, sc.orders,
                                    risk=self.waiting_risk)
        if self.waiting_risk is not None:
            env.process(self._sweeps(sc.lifeloss.waiting.sweep_every))
        self.roads: RoadNetwork | None = None
        if sc.roads is not None:
            self.roads = RoadNetwork(sc.roads, zones, self._depth, sc.evacuation.closure_depth_m)
            # Ordered closures are known before the run: each link's windows from the orders.
            windows, _ = closure_windows(self.roads.links, link_ids(sc.roads), sc.orders)
            self.roads.set_windows(windows)
        self.first_warning = first_issue if math.isfinite(first_issue) else math.inf
        wet = self.arrival[np.isfinite(self.arrival)]
        # Disaster onset for the supply indicator: the first water anywhere (else the first
        # warning, else time zero).
        self.onset = float(wet.min()) if wet.size else (
            self.first_warning if math.isfinite(self.first_warning) else 0.0)
        self.supplies: SupplyChain | None = None
        if sc.supplies is not None:
            self.supplies = SupplyChain(
                env, sc.supplies, [(s.lon, s.lat) for s in sc.shelters], zones,
                streams["supplies"], ctx.trace,
                self.roads.trip_minutes if self.roads is not None else None)
            self.supplies.start(self.first_warning if math.isfinite(self.first_warning)
                                else 0.0, sc.orders)
        self._vulnerable_share = np.array([z.share_children + z.share_elderly for z in zones])
        # Plain floats for per-event arithmetic (NumPy scalars cost several times more, and a
        # NumPy delay would make env.now a NumPy scalar for every event after it).
        self._exit_free = [0.0] * self.n_zones
        self._arrival = self.arrival.tolist()
        self.trapped_total = np.zeros(3, dtype=np.int64)
        self.exposed_total = 0
        self.caught_in_transit = 0
        self.deaths_expected = 0.0
        self.rescued_unsheltered = 0
        self.order_log: list[tuple[float, str, str, float]] = []
        if sc.orders is not None:
            self._apply_orders(sc.orders)
        for z in range(self.n_zones):
            env.process(self._zone_timeline(z))

    # --- commanders' orders ------------------------------------------------------------------

    def _apply_orders(self, orders: OrdersSection) -> None:
        """Log every order (``order_log``; trace rows of kind "order" at its time). The actions
        were applied where their decision is made (warning issuance, shelter opening, rescue
        teams, supplies, the roads' closure windows)."""
        for order in orders.of(*FLOOD_ACTIONS):
            for target in order.targets:
                effective = self._takes_effect(order.action, target, order.at)
                self.order_log.append((order.at, order.action, target, effective))
                if self.trace.enabled:
                    self._now_or_at(order.at, self.trace.log, order.at, "order", order.action,
                                    target, effective)

    def _now_or_at(self, t: float, action, *args) -> None:
        if t <= self.env.now:
            action(*args)   # before any process runs (a closure at 0 is there for everyone)
        else:
            self._at(t, action, *args)

    def _takes_effect(self, action: str, target: str, at: float) -> float:
        """Minute the decision on ``target`` takes effect in this run (the plan's may come
        first; inf: never)."""
        if action in WARNING_ACTIONS:
            return float(self.warnings.issued_at[[z.id for z in self.zones].index(target)])
        if action == "open_shelter":
            return float(self.shelters.open_at[[s.id for s in self.sc.shelters].index(target)])
        if action == "request_team":
            units = [u for u in self.rescue.units if u.spec.id == target]
            return units[0].joins_at if units else math.inf
        if action == "release_supplies" and self.supplies is not None:
            return next(d.open_at for d in self.supplies.depots if d.spec.id == target)
        if action == "activate_agreement" and self.supplies is not None:
            return self.supplies.agreement_start.get(target, math.inf)
        return at   # call-out, road closure and reopening: at the order

    # --- hazard helpers ----------------------------------------------------------------------

    def _warning_area(self) -> np.ndarray:
        """Zones the authorities warn: the forecast flood area (see warning_area_margin_m)."""
        margin = self.sc.warning_area_margin_m
        if margin is None:
            return np.ones(self.n_zones, dtype=bool)
        stages = self.hazard.gauge_stage
        if not stages:  # imported field: no river stages, warn where water will come
            return self.hazard.peak_depth() > 0
        peak = {gauge: float(np.max(series)) for gauge, series in stages.items()}
        return np.array([peak[z.gauge] - z.ground_elevation_m > -margin for z in self.zones])

    def _recede_times(self) -> list[float]:
        """Per zone, the first minute after its peak when the water is back below the rescue
        depth (inf: not within the field's times); people there are no longer cut off."""
        times, depth = self.hazard.times, self.hazard.depth
        limit = self.sc.rescue.rescue_depth_m
        out = []
        for z in range(self.n_zones):
            i = int(np.searchsorted(times, self.peak_time[z]))
            below = np.flatnonzero(depth[z, i:] < limit)
            out.append(float(times[i + below[0]]) if below.size else math.inf)
        return out

    def _depth(self, zone: int, t: float) -> float:
        return self.hazard.depth_at(zone, t)

    def _danger(self, zone: int, debris: float) -> int:
        hr = hazard_rating(self.peak_depth[zone], self.peak_velocity[zone], debris)
        return int(hazard_class(hr))

    # --- per-zone timeline -------------------------------------------------------------------

    def _zone_timeline(self, z: int):
        """Alerts and actions bin by bin until water arrives, then the arrival, then the peak."""
        env, grid, cohorts = self.env, self.grid, self.cohorts
        arrival = self._arrival[z]
        alerted, acting = cohorts.alerted[z], cohorts.acting[z]
        active = np.flatnonzero((alerted.sum(axis=0) + acting.sum(axis=0) > 0) & (grid < arrival))
        # Rows become lists of plain ints one bin at a time: lists made up front would live
        # until the zone's last bin and make the garbage collector's full passes more frequent.
        for t, newly_alerted, starting in zip(grid[active].tolist(), alerted[:, active].T,
                                              acting[:, active].T, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            self.ledger.move(z, State.AT_HOME, State.WARNED, newly_alerted.tolist())
            starting = starting.tolist()
            if any(starting):
                self._act(z, starting)
        if not self.at_risk_zone[z]:
            return
        yield env.timeout(max(0.0, arrival - env.now))
        self._water_arrives(z)
        peak = float(self.peak_time[z])
        if peak <= self.sc.horizon:
            yield env.timeout(max(0.0, peak - env.now))
            self._peak(z)

    def _act(self, z: int, people: list[int]) -> None:
        """People of zone z begin protective action: refuge upstairs, shelter or self-arranged."""
        zone, evac = self.zones[z], self.sc.evacuation
        # Acting people come from the warned; people alerted and acting in the same bin were
        # moved to warned just before.
        warned = self.ledger.held_list(z, State.WARNED)
        people = list(map(min, people, warned))   # map of a builtin: no comprehension frame
        p_vertical = zone.share_multistorey * evac.vertical_refuge
        p_shelter = (1.0 - p_vertical) * evac.public_shelter
        split = self.evac_rng.multinomial(
            people, [p_vertical, p_shelter, max(0.0, 1 - p_vertical - p_shelter)])  # (G, 3)
        # From here on, group counts travel as short lists of Python ints: NumPy's per-call
        # overhead would dominate on three-element vectors.
        vertical, shelter, self_arranged = split.T.tolist()
        self.ledger.move(z, State.WARNED, State.VERTICAL_REFUGE, vertical)
        self.ledger.move(z, State.WARNED, State.IN_TRANSIT,
                         list(map(operator.add, shelter, self_arranged)))
        for kind, leaving in (("shelter", shelter), ("self", self_arranged)):
            if any(leaving):
                self._evacuate(z, leaving, kind)

    # --- evacuation --------------------------------------------------------------------------

    def _at(self, t: float, action, *args) -> None:
        """Call ``action(*args)`` at time ``t`` (a bare timeout with a callback: cheaper than a
        process, and enough for a one-step action)."""
        self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(lambda _: action(*args))

    def _evacuate(self, z: int, people: list[int], kind: str) -> None:
        """Send people of zone z on their way; schedule their arrival or their being caught."""
        evac, zone = self.sc.evacuation, self.zones[z]
        plan: list[tuple[int, int]] = []
        if kind == "shelter":
            plan, _ = self.shelters.assign(z, sum(people))  # the rest self-arrange
        vehicles = sum(people) / evac.people_per_vehicle
        if self.roads is not None and (plan or self.roads.safe_nodes):
            self.env.process(self._evacuate_by_road(z, people, vehicles, plan))
            return
        # No network, or nowhere on it to go (self-arranged, no safe node): leave by the zone
        # exit and travel the straight-line way.
        # One exit per zone, a point queue: platoons leave at its capacity, in order.
        start = max(self.env.now, self._exit_free[z])
        self._exit_free[z] = start + vehicles / (evac.zone_exit_capacity_vph / 60.0)
        cleared = self._exit_free[z] + travel_minutes(math.sqrt(zone.area_km2) / 2,
                                                      evac.speed_kmh, evac.detour_factor)
        if self._arrival[z] < cleared:
            self._at(self._arrival[z], self._caught, z, z, people, plan)
            return
        for minutes, state, shelter, part in self._destinations(z, people, plan):
            t = cleared + minutes
            if shelter is not None:
                # Wait at the door until it opens (a float: a NumPy time would make env.now
                # and every later time computed from it a NumPy scalar).
                t = max(t, float(self.shelters.open_at[shelter]))
            self._at(t, self._arrive, z, state, shelter, part)

    def _destinations(self, z: int, people: list[int], plan: list[tuple[int, int]]
                      ) -> list[tuple[float, State, int | None, list[int]]]:
        """Split a departing group over shelters (reserved places) and self-arranged trips,
        with the straight-line travel minutes from the zone to each."""
        evac = self.sc.evacuation
        reserved = [n for _, n in plan]
        parts = _split_people(people, [*reserved, sum(people) - sum(reserved)])
        trips = []
        for (shelter, _), part in zip(plan, parts, strict=False):
            km = float(self.shelters.distance_km[z, shelter])   # a float: no NumPy time
            trips.append((travel_minutes(km, evac.speed_kmh, evac.detour_factor),
                          State.PUBLIC_SHELTER, shelter, part))
        rest = parts[-1]
        if sum(rest) > 0:
            trips.append((travel_minutes(evac.self_arranged_km, evac.speed_kmh),
                          State.SELF_ARRANGED, None, rest))
        return trips

    def _arrive(self, z: int, state: State, shelter: int | None, people: list[int]) -> None:
        self.ledger.move(z, State.IN_TRANSIT, state, people)
        if shelter is not None:
            self._enter_shelter(shelter, z, sum(people))
        elif state == State.SELF_ARRANGED and self.supplies is not None:
            self.supplies.arrive_self_arranged(z, sum(people), float(self._vulnerable_share[z]))

    def _enter_shelter(self, shelter: int, zone: int, people: int) -> None:
        self.shelters.arrive(shelter, people)
        if self.supplies is not None:
            self.supplies.arrive(shelter, zone, people, float(self._vulnerable_share[zone]))

    def _evacuate_by_road(self, z: int, people: list[int], vehicles: float,
                          plan: list[tuple[int, int]]):
        """A platoon's drive to its shelter's road node or the nearest safe node, link by link
        at the pace of the simulation (the water rises as it goes)."""
        env, roads = self.env, self.roads
        assert roads is not None
        if plan:
            spec = self.shelters.specs[plan[0][0]]
            targets = [roads.nearest_node(spec.lon, spec.lat)]
        else:
            targets = roads.safe_nodes
        convoy = Convoy(roads, roads.zone_node[z], targets, vehicles)
        while not convoy.arrived:
            leg = convoy.drive(env.now)
            if leg is None:
                # Cut off: they turn back home and wait (they will be caught if water comes).
                self._release_plan(plan)
                self.ledger.move(z, State.IN_TRANSIT, State.WARNED, people)
                return
            a, b, t_in, t_out = leg
            flooded = roads.flooded_between(a, b, t_in, t_out)
            if math.isfinite(flooded):
                yield env.timeout(max(0.0, flooded - env.now))
                where = roads.link_zone(a, b)
                self._caught(z, where if where is not None else z, people, plan)
                return
            yield env.timeout(t_out - env.now)
        for _, state, shelter, group_people in self._destinations(z, people, plan):
            t = env.now
            if shelter is not None:
                t = max(t, float(self.shelters.open_at[shelter]))
            self._at(t, self._arrive, z, state, shelter, group_people)

    def _release_plan(self, plan: list[tuple[int, int]]) -> None:
        for shelter, n in plan:
            self.shelters.release(shelter, n)

    def _caught(self, home: int, where: int, people: np.ndarray,
                plan: list[tuple[int, int]]) -> None:
        """Evacuees caught by water in transit: exposed in the open to the water they meet now
        (hazard rating, in-transit debris factor); survivors take refuge in the nearest building
        (upstairs if it has floors) and wait for rescue there."""
        self._release_plan(plan)
        people = np.asarray(people, dtype=np.int64)
        n = int(people.sum())
        self.caught_in_transit += n
        self.exposed_total += n
        ll = self.sc.lifeloss
        depth, velocity = self.hazard.at(self.env.now)
        hr = hazard_rating(depth[where], velocity[where], ll.in_transit_debris_factor)
        p = lethality(hr, VULNERABLE, ll) if depth[where] > 0 else np.zeros(3)
        dead = self.lifeloss_rng.binomial(people, p)
        self.deaths_expected += float(people @ p)
        self.ledger.move(home, State.IN_TRANSIT, State.DEAD, dead)
        self._count(self.dead_in_transit, dead)
        survivors = people - dead
        self.ledger.move(home, State.IN_TRANSIT, State.TRAPPED, survivors)
        self.trapped_total += survivors
        # The nearest building is multi-storey as often as the zone's buildings are.
        upstairs = self.evac_rng.binomial(survivors, self.zones[where].share_multistorey)
        self._call_for_rescue(home, where, survivors, upstairs,
                              self._danger(where, ll.debris_factor), in_vehicle=True)

    # --- water arrives, peak -----------------------------------------------------------------

    def _water_arrives(self, z: int) -> None:
        zone, ledger = self.zones[z], self.ledger
        at_home = ledger.held(z, State.AT_HOME) + ledger.held(z, State.WARNED)
        refuge = ledger.held(z, State.VERTICAL_REFUGE)
        upstairs = self.evac_rng.binomial(at_home, zone.share_multistorey)
        upper = upstairs + refuge
        people = at_home + refuge
        self.exposed_total += int(people.sum())
        if self.trace.enabled:
            self.trace.log(self.env.now, "water_arrives", "", zone.id, float(people.sum()))
        if self.peak_depth[z] < self.sc.rescue.rescue_depth_m:
            # Shallow water: people stay where they are; the peak may still harm a few.
            return
        for state in (State.AT_HOME, State.WARNED, State.VERTICAL_REFUGE):
            ledger.move(z, state, State.TRAPPED, ledger.held(z, state))
        self.trapped_total += people
        debris = self.sc.lifeloss.debris_factor
        self._call_for_rescue(z, z, people, upper, self._danger(z, debris), in_vehicle=False)

    def _call_for_rescue(self, home: int, where: int, people: np.ndarray, upper: np.ndarray,
                         danger: int, in_vehicle: bool) -> None:
        def call():
            yield self.env.timeout(self.sc.rescue.call_delay)
            self.rescue.request(where, people, upper, danger, home=home, in_vehicle=in_vehicle)

        if people.sum() > 0:
            self.env.process(call())

    def _peak(self, z: int) -> None:
        """Deaths among people still in the water of zone z at its peak."""
        sc, ll = self.sc, self.sc.lifeloss
        depth, velocity = self.peak_depth[z], self.peak_velocity[z]
        in_zone = self.rescue.by_zone.get(z, [])
        if self.waiting_risk is not None:
            # The waiting risk up to the peak first: the peak meets those still alive.
            self.waiting_risk.sweep(in_zone)
        waiting = [r for r in in_zone if r.waiting > 0]
        if waiting:
            people = np.array([r.people for r in waiting])                    # (R, G)
            upper = np.array([r.upper for r in waiting])
            ground = people - upper
            # Everyone still waiting is in a building by now (caught evacuees took refuge on a
            # ground floor): the building's lethality applies.
            p_ground = lethality_in_building(depth, velocity, 0.0, ll)
            p_upper = lethality_in_building(depth, velocity, ll.refuge_floor_m, ll)
            dead_ground = self.lifeloss_rng.binomial(ground, p_ground)
            dead_upper = self.lifeloss_rng.binomial(upper, p_upper)
            self.deaths_expected += float((ground * p_ground).sum() + upper.sum() * p_upper)
            dead = dead_ground + dead_upper
            self._count(self.dead_at_peak, dead)
            for i in np.flatnonzero(dead.any(axis=1)).tolist():   # requests with deaths
                req, d = waiting[i], dead[i]
                req.people = req.people - d
                req.upper = req.upper - dead_upper[i]
                self.ledger.move(req.home, State.TRAPPED, State.DEAD, d)
                if req.waiting == 0:
                    self.rescue.drop(req)
        if self.peak_depth[z] < sc.rescue.rescue_depth_m:
            # Shallow water: people at home on the ground floor are exposed, lightly.
            p = np.full(3, lethality_in_building(depth, velocity, 0.0, ll))
            for state in (State.AT_HOME, State.WARNED):
                held = self.ledger.held(z, state)
                ground = held - self.evac_rng.binomial(held, self.zones[z].share_multistorey)
                dead = self.lifeloss_rng.binomial(ground, p)
                self.deaths_expected += float(ground @ p)
                self.ledger.move(z, state, State.DEAD, dead)
                self._count(self.dead_at_peak, dead)

    @staticmethod
    def _count(monitor: LevelMonitor, dead: np.ndarray) -> None:
        n = int(dead.sum())
        if n:
            monitor.record(monitor.current + n)

    # --- waiting for rescue ------------------------------------------------------------------

    def _died_waiting(self, req: RescueRequest, dead: list[int]) -> None:
        """``dead[g]`` of ``req``'s people died while waiting (their counts are already off)."""
        self.ledger.move(req.home, State.TRAPPED, State.DEAD, dead)
        if req.waiting == 0:
            self.rescue.drop(req)

    def _sweeps(self, every: float):
        """Bring every waiting call up to date every ``every`` minutes (for the series: the
        deaths' distribution does not depend on it)."""
        while True:
            yield self.env.timeout(every)
            self._sweep()

    def _sweep(self) -> None:
        if self.waiting_risk is not None:
            self.waiting_risk.sweep(self.rescue.requests)

    # --- rescue outcome ----------------------------------------------------------------------

    def _rescued(self, req: RescueRequest, people: np.ndarray, upper: np.ndarray) -> None:
        people = people.tolist()
        self.ledger.move(req.home, State.TRAPPED, State.RESCUED, people)
        plan, left = self.shelters.assign(req.zone, sum(people))
        for shelter, n in plan:
            # Transport from the boat landing is not modelled; they enter once it is open.
            self._at(max(self.env.now, float(self.shelters.open_at[shelter])), self._enter_shelter,
                     shelter, req.home, n)
        self.rescued_unsheltered += left

    # --- results -----------------------------------------------------------------------------

    def kpis(self) -> Mapping[str, float]:
        ledger, cohorts = self.ledger, self.cohorts
        total = ledger.total
        risk = self.at_risk_zone
        at_risk = float(self.people[risk].sum())
        # Warned before water: alert bins strictly before the zone's arrival.
        before = self.grid[None, :] < self.arrival[:, None]                   # (Z, T)
        warned_before = (cohorts.alerted.sum(axis=1) * before)                # (Z, T)
        lead = (self.arrival[:, None] - self.grid[None, :])
        # Over everyone at risk: people not warned before their water (warned late or never)
        # had no effective lead time and count at 0 min, so warning more people late can no
        # longer raise the median by leaving them out (issue 15, docs/models/rescue.md).
        weights = warned_before[risk].ravel()
        lead_values = np.append(lead[risk].ravel(), 0.0)
        lead_weights = np.append(weights, max(0.0, at_risk - float(weights.sum())))
        counts = ledger.counts
        evacuated = counts[risk][:, [State.PUBLIC_SHELTER, State.SELF_ARRANGED]].sum()
        trapped = float(self.trapped_total.sum())
        self._sweep()   # the people still waiting face their risk up to now (the horizon)
        deaths = float(ledger.state_total(State.DEAD))
        waiting = self.waiting_risk
        n_units = len(self.rescue.units)
        return {
            "population": float(total),
            "population_at_risk": at_risk,
            "warning_coverage": _ratio(float(weights.sum()), at_risk),
            "warning_lead_time_p50_min": _weighted_median(lead_values, lead_weights),
            "share_evacuated": _ratio(float(evacuated), at_risk),
            "share_exposed": _ratio(float(self.exposed_total), at_risk),
            "caught_in_transit": float(self.caught_in_transit),
            "trapped": trapped,
            "share_trapped": _ratio(trapped, at_risk),
            "rescued": float(self.rescue.rescued),
            "share_rescued": _ratio(float(self.rescue.rescued), trapped),
            **self._rescue_time_kpis(trapped),
            "deaths": deaths,
            "deaths_expected": self.deaths_expected + (waiting.expected if waiting else 0.0),
            "deaths_while_waiting": float(waiting.deaths) if waiting else 0.0,
            "deaths_while_waiting_expected": waiting.expected if waiting else 0.0,
            "deaths_per_million": deaths / total * 1e6 if total else math.nan,
            "shelter_peak_occupancy": self.shelters.peak_occupancy(),
            "shelter_turned_away": float(self.shelters.turned_away),
            "shelter_area_per_person_m2": self.shelters.area_per_person_at_peak(),
            "team_utilisation": (self.rescue.busy.mean(self.sc.horizon) / n_units
                                 if n_units else math.nan),
            **(self.supplies.kpis(self.onset, self.sc.horizon) if self.supplies else {}),
        }

    def _rescue_time_kpis(self, trapped: float) -> dict[str, float]:
        """The rescue time KPIs over everyone they are about (docs/models/rescue.md): reach over
        every call made, a call no team reached within the horizon counting as never (+inf);
        time to rescue over everyone trapped, the rescued at their time, everyone else (still
        waiting at the horizon, or dead before a team brought them out) as never (+inf)."""
        now = self.env.now
        requests = self.rescue.requests
        reach = np.array([r.first_reached - r.created if r.first_reached <= now else math.inf
                          for r in requests], dtype=float)
        calls = reach.size
        never = int(np.isinf(reach).sum())
        times = self.rescue.rescue_times      # one value per person rescued
        rescued = times.values
        not_rescued = max(0.0, trapped - float(times.count))
        return {
            "rescue_calls": float(calls),
            "rescue_calls_never_reached": float(never),
            "share_calls_reached": _ratio(float(calls - never), float(calls)),
            "rescue_reached_within_1h": float((reach <= 60.0).mean()) if calls else math.nan,
            "rescue_reach_p50_min": quantile_with_never(reach, 0.5),
            "rescue_reach_p90_min": quantile_with_never(reach, 0.9),
            "rescue_time_p50_min": quantile_with_never(rescued, 0.5, never=not_rescued),
            "rescue_time_p90_min": quantile_with_never(rescued, 0.9, never=not_rescued),
        }

    def series(self) -> Mapping[str, LevelMonitor]:
        self._sweep()   # the people still waiting face their risk up to now (the horizon)
        out = {state.label: monitor for state, monitor in self.ledger.monitors.items()}
        out["dead_at_peak"] = self.dead_at_peak
        out["dead_in_transit"] = self.dead_in_transit
        out["dead_while_waiting"] = self.dead_while_waiting
        out["shelter_occupants"] = self.shelters.total
        out["rescue_teams_busy"] = self.rescue.busy
        if self.supplies is not None:
            out["displaced_in_shelters"] = self.supplies.displaced
            out["displaced_with_kit"] = self.supplies.with_kit
            for item, monitor in zip(self.supplies.items, self.supplies.depot_stock, strict=True):
                out[f"depot_stock_{item.id}"] = monitor
        return out

    def extras(self) -> dict[str, dict]:
        """Per-zone data for maps (JSON-friendly), by zone id: each zone's peak water depth (m),
        the minute the authorities' warning was issued to it (null: never) and its depth (m) on
        the report grid (``zone_depth_m``, times in ``report_minutes``)."""
        extras: dict[str, dict[str, float | None]] = {
            "peak_depth_m": {zone.id: float(depth) for zone, depth
                             in zip(self.zones, self.peak_depth, strict=True)},
            "warning_issued_min": {zone.id: (float(t) if math.isfinite(t) else None)
                                   for zone, t in zip(self.zones, self.warnings.issued_at,
                                                      strict=True)}}
        # Map layers: each zone's water depth (m) on the series' report grid, as the chemical
        # model reports its concentrations (report_minutes: index -> minute).
        grid = report_grid(self.sc.horizon, self.sc.report_every)
        times = self.hazard.times
        i = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, times.size - 2)
        w = np.clip((grid - times[i]) / (times[i + 1] - times[i]), 0.0, 1.0)
        layers = self.hazard.depth[:, i] * (1 - w) + self.hazard.depth[:, i + 1] * w
        keys = [str(k) for k in range(grid.size)]
        extras["report_minutes"] = dict(zip(keys, grid.tolist(), strict=True))
        extras["zone_depth_m"] = {zone.id: dict(zip(keys, [round(d, 4) for d in row], strict=True))
                                  for zone, row in zip(self.zones, layers.tolist(), strict=True)}
        if self.supplies is not None:
            hours = self.supplies.needs_met_hours_by_zone(self.onset, self.sc.horizon)
            # JSON has no infinity: "never" within the horizon is written as null.
            extras["basic_needs_met_hours_by_zone"] = {
                self.zones[z].id: (h if math.isfinite(h) else None) for z, h in hours.items()}
        return extras


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def quantile_with_never(values: np.ndarray, q: float, weights: np.ndarray | None = None,
                        never: float = 0.0) -> float:
    """The ``q`` quantile of ``values`` (minutes; +inf: never within the horizon) with ``never``
    more observations at +inf, each value counted ``weights`` times (default once): the smallest
    value by which at least ``q`` of all observations had happened (the inverse of the empirical
    distribution, Hyndman & Fan 1996 type 1, as the Kaplan-Meier quantile is read off a
    survival curve), so +inf when fewer than ``q`` of them happened at all. NaN when there are
    no observations."""
    values = np.asarray(values, dtype=float)
    weights = np.ones(values.size) if weights is None else np.asarray(weights, dtype=float)
    total = float(weights.sum()) + never
    if total <= 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    # The first value whose cumulative count reaches q of the total (a relative tolerance so
    # that q x total = 27.000000000000004 still means the 27th of 30).
    i = int(np.searchsorted(cumulative, q * total * (1 - 1e-12), side="left"))
    return float(values[order][i]) if i < values.size else math.inf


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    keep = weights > 0
    if not keep.any():
        return math.nan
    order = np.argsort(values[keep])
    v, w = values[keep][order], weights[keep][order].astype(float)
    cumulative = np.cumsum(w)
    return float(v[np.searchsorted(cumulative, cumulative[-1] / 2)])


def _split_people(people: list[int], sizes: list[int]) -> list[list[int]]:
    """Split group counts into parts of the given total sizes, exactly (largest remainder)."""
    left = list(people)
    remaining = sum(left)
    parts = []
    for size in sizes:
        size = min(size, remaining)
        if size <= 0:
            parts.append([0] * len(left))
            continue
        if size == remaining:
            # Everyone left (the usual last part): exactly what the shares below would give,
            # since n * size / remaining == n in floating point for these integers.
            parts.append(left)
            left = [0] * len(left)
            remaining = 0
            continue
        share = [n * size / remaining for n in left]
        part = [int(x) for x in share]
        # Hand the missing units to the groups with the largest fractional remainders.
        for g in sorted(range(len(left)), key=lambda g: part[g] - share[g])[: size - sum(part)]:
            part[g] += 1
        parts.append(part)
        left = [n - p for n, p in zip(left, part, strict=True)]
        remaining -= size
    return parts


def build_flood(ctx: ReplicationContext, scenario: FloodScenario) -> FloodRun:
    """Register the flood model's processes for one replication."""
    return FloodRun(ctx, scenario)

