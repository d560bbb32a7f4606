"""Relief supplies: reserve depots, agreement reserves, donations, trucks, and the "basic needs
met within 10 hours" indicator (受灾人员基本生活得到有效救助的时间).

The chain, as the plans fund it:

* **Items** (water, food, bedding …) with unit, weight, volume and per-person needs (Sphere:
  15 L of water and 2,100 kcal a day). Items marked ``in_kit`` make up the *basic kit*: a first
  day's ration of each daily item plus one of each once-only item (e.g. a quilt).
* **Depots** at province / city / county / township / village level hold government stock and a
  truck fleet; each demand point orders from its nearest depot, and what that depot lacks is
  passed up to its ``parent`` (which then delivers directly).
* **Agreement reserves** (协议储备) at suppliers start after an activation delay and deliver into a
  depot at a rate up to a cap; **donations** arrive later, uncertain.
* **Demand points** are the public shelters (displaced and rescued people). People are served in
  order of arrival (first in, first out); each person receives each item when the shelter has
  it, and has the basic kit once they hold every kit item.
* **Allocation policy** when a depot cannot meet every order: ``fcfs`` (first come, first
  served), ``most_vulnerable`` (shelters with the largest share of children and elderly first) or
  ``fair_share`` (every waiting order gets the same fraction of its need).

Every unit is accounted for: in a depot, on a truck, at a shelter (delivered, not yet handed out)
or handed out. Trucks follow the road network when the scenario has one (waiting while the
destination is cut off), else straight line x detour factor.

Commanders' orders (:mod:`models.orders`): ``release_supplies`` lets a depot ship from the
order, ``activate_agreement`` starts an agreement's supplier at the order; the earlier of the
order and the plan's time counts, or with ``replaces_plan`` the order's alone (never without).

The headline KPI ``basic_needs_met_hours`` is defined exactly in docs/models/supplies.md.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

import numpy as np
import simpy
from pydantic import Field, model_validator

from models.geo import distance_matrix_km
from models.orders import OrdersSection
from models.response.orders import decided_at
from models.response.roads import travel_minutes
from models.zones import Share, Zone
from sim.config import StrictModel
from sim.distributions import Uncertain, sample
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredResource
from sim.trace import Trace
from sim.units import Duration

__all__ = ["Item", "Fleet", "Depot", "Agreement", "Donation", "SuppliesSection", "SupplyChain"]

Quantity = Annotated[float, Field(ge=0)]
Level = Literal["province", "city", "county", "township", "village"]
Origin = Literal["physical", "agreement", "donation"]
ORIGINS: tuple[Origin, ...] = ("physical", "agreement", "donation")


class Item(StrictModel):
    """A relief item and what one person needs of it."""

    id: str = Field(min_length=1)
    name: str = ""
    unit: str = Field(min_length=1, description="Counting unit, e.g. 'L', 'ration', 'set'.")
    kg_per_unit: float = Field(gt=0, description="Weight of one unit (kg).")
    m3_per_unit: float = Field(gt=0, description="Volume of one unit (m³).")
    per_person_per_day: float = Field(default=0.0, ge=0,
                                      description="Daily need per person (units/day).")
    per_person_once: float = Field(default=0.0, ge=0,
                                   description="One-off need per person (units), e.g. bedding.")
    in_kit: bool = Field(default=True, description="Part of the basic kit.")
    source: str = Field(default="", description="Where the need figure comes from.")

    @model_validator(mode="after")
    def _some_need(self) -> Item:
        if self.per_person_per_day == 0 and self.per_person_once == 0:
            raise ValueError("give per_person_per_day or per_person_once (the need per person)")
        return self

    @property
    def kit_amount(self) -> float:
        """Units in one person's basic kit: a first day's ration plus the one-off need."""
        return self.per_person_per_day + self.per_person_once


class Fleet(StrictModel):
    """Trucks of a depot or supplier."""

    trucks: int = Field(default=0, ge=0)
    capacity_kg: float = Field(default=8000.0, gt=0, description="Payload (kg); 8 t assumption.")
    capacity_m3: float = Field(default=30.0, gt=0, description="Cargo volume (m³); assumption.")
    speed_kmh: float = Field(default=40.0, gt=0, description="Mean road speed; assumption.")
    load_minutes: Duration = Field(default=30.0, description="Loading time per truck.")
    unload_minutes: Duration = Field(default=30.0, description="Unloading time per truck.")


class Depot(StrictModel):
    """A reserve depot (储备库) or distribution point."""

    id: str = Field(min_length=1)
    name: str = ""
    level: Level
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    stock: dict[str, Quantity] = Field(
        default_factory=dict, description="Government stock by item id (units).")
    parent: str | None = Field(default=None, description="Depot that backs this one up.")
    opening_delay: Duration = Field(default=60.0, description="From the first warning until it "
                                    "can ship (assumption).")
    fleet: Fleet = Fleet()


class Agreement(StrictModel):
    """An agreement (contract) reserve: a supplier who delivers into a depot once activated."""

    id: str = Field(min_length=1)
    supplier: str = ""
    depot: str = Field(min_length=1, description="Depot it delivers into.")
    activation_delay: Uncertain = Field(
        default=4.0, description="Hours from the first warning until the supplier starts; "
        "its goods then reach the depot hour by hour.")
    rate_per_hour: dict[str, Quantity] = Field(
        description="Units per hour delivered into the depot, by item id.")
    cap: dict[str, Quantity] = Field(
        default_factory=dict, description="Total units the agreement covers (default: no cap).")


class Donation(StrictModel):
    """A donation arriving at a depot."""

    depot: str = Field(min_length=1)
    arrival_h: Uncertain = Field(description="Hours after the first warning.")
    items: dict[str, Quantity]


class SuppliesSection(StrictModel):
    """The scenario's ``[supplies]`` section."""

    items: list[Item] = Field(min_length=1)
    depots: list[Depot] = Field(min_length=1)
    agreements: list[Agreement] = Field(default_factory=list)
    donations: list[Donation] = Field(default_factory=list)
    policy: Literal["fcfs", "most_vulnerable", "fair_share"] = "fcfs"
    serve_self_arranged: bool = Field(
        default=False, description="Also supply self-arranged evacuees (with relatives, in "
        "hotels), who collect relief at the township/village distribution point nearest their "
        "home; they then count among the displaced in the indicator.")
    kit_share: Share = Field(default=0.95, description="Share of displaced people who must hold "
                             "the basic kit for the indicator to be met.")
    target_hours: float = Field(default=10.0, gt=0, description="The plans' target (h).")
    detour_factor: float = Field(default=1.3, ge=1)

    @model_validator(mode="after")
    def _references(self) -> SuppliesSection:
        items = {i.id for i in self.items}
        depots = [d.id for d in self.depots]
        problems = []
        if len(set(depots)) != len(depots):
            problems.append("depots: repeated depot ids")
        if len(items) != len(self.items):
            problems.append("items: repeated item ids")
        known = set(depots)
        for k, depot in enumerate(self.depots):
            problems += [f"depots[{k}].stock: unknown item {i!r}" for i in depot.stock
                         if i not in items]
            if depot.parent is not None and depot.parent not in known:
                problems.append(f"depots[{k}].parent: unknown depot {depot.parent!r}")
        for k, agreement in enumerate(self.agreements):
            if agreement.depot not in known:
                problems.append(f"agreements[{k}].depot: unknown depot {agreement.depot!r}")
            problems += [f"agreements[{k}].rate_per_hour: unknown item {i!r}"
                         for i in agreement.rate_per_hour if i not in items]
            problems += [f"agreements[{k}].cap: unknown item {i!r}"
                         for i in agreement.cap if i not in items]
        for k, donation in enumerate(self.donations):
            if donation.depot not in known:
                problems.append(f"donations[{k}].depot: unknown depot {donation.depot!r}")
            problems += [f"donations[{k}].items: unknown item {i!r}" for i in donation.items
                         if i not in items]
        # Parents must not form a loop.
        parent = {d.id: d.parent for d in self.depots}
        for k, depot in enumerate(self.depots):
            seen, node = set(), depot.id
            while node is not None and node not in seen:
                seen.add(node)
                node = parent.get(node)
            if node is not None:
                problems.append(f"depots[{k}].parent: the chain of parents loops")
                break
        if problems:
            raise ValueError("; ".join(problems))
        return self


# --- runtime --------------------------------------------------------------------------------


@dataclass(eq=False)
class _Order:
    """What a shelter still needs shipped, waiting at one depot."""

    shelter: int
    created: float
    need: np.ndarray            # (I,) units
    vulnerable: float           # share of children and elderly among its people
    number: int


@dataclass(eq=False)
class _DemandPoint:
    """A shelter as seen by the supply chain."""

    depot: int                                   # the depot it orders from
    present: int = 0                             # displaced people who have arrived
    kits: int = 0                                # of them, holding the whole basic kit
    served: np.ndarray = field(default_factory=lambda: np.zeros(0))    # (I,) people
    stock: np.ndarray = field(default_factory=lambda: np.zeros(0))     # (I,) units here
    pipeline: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (I,) ordered
    queue: deque = field(default_factory=deque)  # [arrival time, zone, people without kit]
    vulnerable_people: float = 0.0


class _DepotState:
    def __init__(self, env: simpy.Environment, spec: Depot, items: list[Item],
                 trace: Trace) -> None:
        self.spec = spec
        n = len(items)
        self.stock = {origin: np.zeros(n) for origin in ORIGINS}
        for k, item in enumerate(items):
            self.stock["physical"][k] = spec.stock.get(item.id, 0.0)
        self.orders: list[_Order] = []
        self.trucks = (MonitoredResource(env, spec.fleet.trucks, name=f"trucks.{spec.id}",
                                         trace=trace) if spec.fleet.trucks > 0 else None)
        self.open_at = math.inf
        self.wake = env.event()
        self.loaded = 0                          # trucks loaded and not back yet
        self.out_of: set[int] = set()            # items currently out of stock with demand

    def available(self) -> np.ndarray:
        return self.stock["physical"] + self.stock["agreement"] + self.stock["donation"]


class SupplyChain:
    """Depots, agreement reserves, donations, trucks and shelters' basic kits for one run.

    ``travel_minutes(depot_index, shelter_index, t)`` gives a truck's driving time now, or None
    when the shelter cannot be reached (roads cut); the flood model supplies it.
    """

    def __init__(self, env: simpy.Environment, section: SuppliesSection,
                 shelter_lonlat: Sequence[tuple[float, float]], zones: Sequence[Zone],
                 rng: np.random.Generator, trace: Trace,
                 route_minutes: Callable[[tuple[float, float], tuple[float, float], float],
                                         float | None] | None = None) -> None:
        self.env = env
        self.section = section
        self.items = list(section.items)
        self.kit = np.array([i.kit_amount for i in self.items])
        self.in_kit = np.array([i.in_kit for i in self.items])
        self.kg = np.array([i.kg_per_unit for i in self.items])
        self.m3 = np.array([i.m3_per_unit for i in self.items])
        self.zones = zones
        self.trace = trace
        self.rng = rng
        self._route_minutes = route_minutes
        self.depots = [_DepotState(env, d, self.items, trace) for d in section.depots]
        self._depot_index = {d.id: k for k, d in enumerate(section.depots)}
        # Demand points: the shelters, then (if self-arranged people are served) one relief
        # distribution point at each township/village depot.
        self.n_shelters = len(shelter_lonlat)
        self._distribution_depots = [k for k, d in enumerate(section.depots)
                                     if d.level in ("township", "village")] or list(
                                         range(len(section.depots)))
        if section.serve_self_arranged:
            shelter_lonlat = [*shelter_lonlat, *[(section.depots[k].lon, section.depots[k].lat)
                                                 for k in self._distribution_depots]]
        self._shelter_lonlat = list(shelter_lonlat)
        depot_lon = [d.lon for d in section.depots]
        depot_lat = [d.lat for d in section.depots]
        if shelter_lonlat:
            self.distance_km = distance_matrix_km(depot_lon, depot_lat,
                                                  [p[0] for p in shelter_lonlat],
                                                  [p[1] for p in shelter_lonlat])  # (D, S)
        else:
            self.distance_km = np.zeros((len(self.depots), 0))
        # Each demand point orders from its nearest depot that has trucks.
        self.points = [self._demand_point(s) for s in range(len(shelter_lonlat))]
        # Self-arranged people of a zone collect relief at the distribution point nearest home.
        if section.serve_self_arranged and zones:
            to_points = distance_matrix_km(
                [z.lon for z in zones], [z.lat for z in zones],
                [section.depots[k].lon for k in self._distribution_depots],
                [section.depots[k].lat for k in self._distribution_depots])
            self._zone_point = self.n_shelters + np.argmin(to_points, axis=1)
        else:
            self._zone_point = np.zeros(len(zones), dtype=np.int64)
        n = len(self.items)
        self.received = {origin: np.zeros(n) for origin in ORIGINS}   # into depots
        for depot in self.depots:
            self.received["physical"] += depot.stock["physical"]
        self.on_trucks = np.zeros(n)
        self.delivered = {origin: np.zeros(n) for origin in ORIGINS}  # to shelters
        self.handed_out = np.zeros(n)
        self.stockouts = 0
        self.kit_waits = TallyMonitor("supplies.kit_wait")             # minutes, per person
        self.displaced = LevelMonitor(env, "supplies.displaced")
        self.with_kit = LevelMonitor(env, "supplies.with_kit")
        self.zone_displaced: dict[int, LevelMonitor] = {}
        self.zone_with_kit: dict[int, LevelMonitor] = {}
        self.unmet = [LevelMonitor(env, f"supplies.unmet.{i.id}") for i in self.items]
        self.depot_stock = [LevelMonitor(env, f"supplies.stock.{i.id}",
                                         float(sum(d.stock["physical"][k] for d in self.depots)))
                            for k, i in enumerate(self.items)]
        self._orders = 0
        self.started = False
        self.agreement_start: dict[str, float] = {}   # minute each supplier starts (inf: never)
        # Agreement deliveries still to come into each depot, per hour (orders wait for them
        # there instead of being passed up).
        self._incoming_rate = [np.zeros(n) for _ in self.depots]

    def _demand_point(self, shelter: int) -> _DemandPoint:
        order = np.argsort(self.distance_km[:, shelter], kind="stable")
        with_trucks = [int(d) for d in order if self.depots[d].trucks is not None]
        depot = with_trucks[0] if with_trucks else int(order[0])
        n = len(self.items)
        return _DemandPoint(depot, served=np.zeros(n), stock=np.zeros(n), pipeline=np.zeros(n))

    # --- start ---------------------------------------------------------------------------

    def start(self, first_warning: float, orders: OrdersSection | None = None) -> None:
        """Open depots and activate agreements and donations relative to the first warning,
        or as ``release_supplies``/``activate_agreement`` orders say (module docstring)."""
        if self.started:
            return
        self.started = True
        rng = self.rng
        for depot in self.depots:
            depot.open_at = first_warning + depot.spec.opening_delay
            depot.open_at = decided_at(orders, "release_supplies", depot.spec.id,
                                       depot.open_at)
            if math.isfinite(depot.open_at):
                self.env.process(self._dispatcher(depot))
        for agreement in self.section.agreements:
            # Drawn whatever the orders, so the stream stays aligned.
            start = first_warning + 60.0 * max(0.0, sample(agreement.activation_delay, rng))
            start = decided_at(orders, "activate_agreement", agreement.id, start)
            self.agreement_start[agreement.id] = start
            if math.isfinite(start):
                self.env.process(self._agreement(agreement, start))
        for donation in self.section.donations:
            at = first_warning + 60.0 * max(0.0, sample(donation.arrival_h, rng))
            self.env.process(self._donation(donation, at))

    # --- inflows -------------------------------------------------------------------------

    def _add_stock(self, depot: _DepotState, origin: Origin, amounts: np.ndarray) -> None:
        depot.stock[origin] += amounts
        self.received[origin] += amounts
        for k in np.flatnonzero(amounts > 0):
            self.depot_stock[k].record(self.depot_stock[k].current + amounts[k])
        self._poke(depot)

    def _agreement(self, agreement: Agreement, start: float):
        env = self.env
        depot = self.depots[self._depot_index[agreement.depot]]
        rate = np.array([agreement.rate_per_hour.get(i.id, 0.0) for i in self.items])
        cap = np.array([agreement.cap.get(i.id, math.inf) for i in self.items])
        delivered = np.zeros(len(self.items))
        incoming = self._incoming_rate[self._depot_index[agreement.depot]]
        flowing = np.where(cap > 0, rate, 0.0)
        incoming += flowing
        yield env.timeout(max(0.0, start - env.now))
        while (flowing > 0).any():
            yield env.timeout(60.0)  # deliveries arrive hour by hour
            batch = np.minimum(flowing, cap - delivered)
            delivered += batch
            done = (delivered >= cap - 1e-9) & (flowing > 0)
            incoming -= np.where(done, flowing, 0.0)
            flowing = np.where(done, 0.0, flowing)
            self._add_stock(depot, "agreement", batch)
            if self.trace.enabled:
                self.trace.log(env.now, "agreement_delivery", agreement.id, depot.spec.id,
                               float(batch.sum()))

    def _donation(self, donation: Donation, at: float):
        yield self.env.timeout(max(0.0, at - self.env.now))
        depot = self.depots[self._depot_index[donation.depot]]
        amounts = np.array([donation.items.get(i.id, 0.0) for i in self.items])
        self._add_stock(depot, "donation", amounts)

    # --- demand --------------------------------------------------------------------------

    def arrive_self_arranged(self, zone: int, people: int, vulnerable_share: float) -> None:
        """Self-arranged evacuees of ``zone`` register for relief at their distribution point
        (only when the scenario serves them)."""
        if self.section.serve_self_arranged:
            self.arrive(int(self._zone_point[zone]), zone, people, vulnerable_share)

    def arrive(self, shelter: int, zone: int, people: int, vulnerable_share: float) -> None:
        """``people`` from ``zone`` arrive at ``shelter`` and need the basic kit."""
        if people <= 0:
            return
        point = self.points[shelter]
        point.present += people
        point.vulnerable_people += people * vulnerable_share
        point.queue.append([self.env.now, zone, people])
        self.displaced.record(self.displaced.current + people)
        zone_monitor = self._zone_monitor(self.zone_displaced, zone, "displaced")
        zone_monitor.record(zone_monitor.current + people)
        self._zone_monitor(self.zone_with_kit, zone, "with_kit")
        for k in range(len(self.items)):
            self.unmet[k].record(self.unmet[k].current + people)
        self._hand_out(shelter)
        self._order(shelter)

    def _zone_monitor(self, table: dict[int, LevelMonitor], zone: int, kind: str) -> LevelMonitor:
        monitor = table.get(zone)
        if monitor is None:
            monitor = table[zone] = LevelMonitor(self.env, f"supplies.{kind}.{zone}")
        return monitor

    def _order(self, shelter: int) -> None:
        point = self.points[shelter]
        lacking = (point.present - point.served) * self.kit - point.stock - point.pipeline
        need = np.where(lacking > 1e-9, lacking, 0.0)
        if not need.any():
            return
        point.pipeline += need
        vulnerable = point.vulnerable_people / max(point.present, 1)
        self._orders += 1
        order = _Order(shelter, self.env.now, need, vulnerable, self._orders)
        depot = self.depots[point.depot]
        depot.orders.append(order)
        self._poke(depot)

    # --- dispatch ------------------------------------------------------------------------

    def _poke(self, depot: _DepotState) -> None:
        if not depot.wake.triggered:
            depot.wake.succeed()

    def _dispatcher(self, depot: _DepotState):
        env = self.env
        yield env.timeout(max(0.0, depot.open_at - env.now))
        while True:
            self._dispatch(depot)
            yield depot.wake
            depot.wake = env.event()

    def _priority(self, order: _Order) -> tuple:
        if self.section.policy == "most_vulnerable":
            return (-order.vulnerable, order.created, order.number)
        return (order.created, order.number)

    def _pick(self, orders: list[_Order]) -> _Order:
        return min(orders, key=self._priority)

    def _dispatch(self, depot: _DepotState) -> None:
        """Load free trucks with what waiting orders need and the depot has; pass what it lacks
        up to its parent."""
        self._forward_shortfall(depot)
        trucks = depot.trucks
        allot = {o.number: o.need.copy() for o in depot.orders}
        if self.section.policy == "fair_share" and depot.orders:
            # Every waiting order gets the same fraction of its need of a scarce item, shared
            # out once per dispatch (not again after each load).
            total = np.sum([o.need for o in depot.orders], axis=0)
            available = depot.available()
            share = np.where(total > available, available / np.maximum(total, 1e-12), 1.0)
            allot = {o.number: o.need * share for o in depot.orders}
        while depot.orders and trucks is not None and depot.loaded < trucks.capacity:
            available = depot.available()
            shippable = [o for o in depot.orders
                         if (np.minimum(allot.get(o.number, 0.0), available) > 1e-9).any()]
            if not shippable:
                break
            order = self._pick(shippable)
            # One truck carries what waiting orders for the same shelter were allotted, the
            # picked order first, as far as its payload and volume allow.
            same = sorted((o for o in shippable if o is not order and o.shelter == order.shelter),
                          key=self._priority)
            fleet = depot.spec.fleet
            room_kg, room_m3 = fleet.capacity_kg, fleet.capacity_m3
            load = np.zeros(len(self.items))
            for o in [order, *same]:
                want = np.minimum(allot[o.number], available - load)
                weight, volume = float(want @ self.kg), float(want @ self.m3)
                fit = min(1.0, room_kg / max(weight, 1e-12), room_m3 / max(volume, 1e-12))
                part = want * fit
                if part.sum() <= 1e-9:
                    continue
                load += part
                room_kg -= float(part @ self.kg)
                room_m3 -= float(part @ self.m3)
                allot[o.number] = allot[o.number] - part
                o.need = o.need - part
                if not (o.need > 1e-9).any():
                    depot.orders.remove(o)
                if fit < 1.0:
                    break
            if load.sum() <= 1e-9:
                allot[order.number] = np.zeros(len(self.items))   # try the next order
                continue
            depot.loaded += 1
            by_origin = self._take(depot, load)
            self.on_trucks += load
            self.env.process(self._truck(depot, order.shelter, by_origin))
        self._count_stockouts(depot)

    def _take(self, depot: _DepotState, load: np.ndarray) -> dict[Origin, np.ndarray]:
        """Take ``load`` from the depot's stock: government stock first, then agreement, then
        donated goods."""
        left = load.copy()
        taken: dict[Origin, np.ndarray] = {}
        for origin in ORIGINS:
            part = np.minimum(left, depot.stock[origin])
            depot.stock[origin] -= part
            taken[origin] = part
            left -= part
        for k in np.flatnonzero(load > 0):
            self.depot_stock[k].record(max(0.0, self.depot_stock[k].current - load[k]))
        return taken

    def _forward_shortfall(self, depot: _DepotState) -> None:
        """What this depot cannot supply goes to its parent, which will deliver directly."""
        if depot.spec.parent is None:
            return
        left = depot.available().copy()
        waits = self._incoming(depot) > 0        # an agreement will still deliver these
        parent = self.depots[self._depot_index[depot.spec.parent]]
        for order in sorted(depot.orders, key=self._priority):
            covered = np.minimum(order.need, left)
            left -= covered
            short = np.where(waits, 0.0, order.need - covered)
            short = np.where(short > 1e-9, short, 0.0)
            if not short.any():
                continue
            order.need = order.need - short
            if not (order.need > 1e-9).any():
                depot.orders.remove(order)
            self._orders += 1
            parent.orders.append(_Order(order.shelter, order.created, short, order.vulnerable,
                                        self._orders))
            self._poke(parent)

    def _incoming(self, depot: _DepotState) -> np.ndarray:
        """Items an agreement will still deliver into this depot (so orders wait for them)."""
        return self._incoming_rate[self._depot_index[depot.spec.id]]

    def _count_stockouts(self, depot: _DepotState) -> None:
        waiting = np.sum([o.need for o in depot.orders], axis=0) if depot.orders else None
        empty = set() if waiting is None else {
            int(k) for k in np.flatnonzero((waiting > 1e-9) & (depot.available() <= 1e-9))}
        self.stockouts += len(empty - depot.out_of)
        depot.out_of = empty

    def _travel_minutes(self, depot: _DepotState, shelter: int) -> float | None:
        fleet = depot.spec.fleet
        if self._route_minutes is not None:
            return self._route_minutes((depot.spec.lon, depot.spec.lat),
                                       self._shelter_lonlat[shelter], self.env.now)
        depot_index = self.depots.index(depot)
        # A float, not a NumPy scalar: a NumPy delay would make env.now one for later events.
        km = float(self.distance_km[depot_index, shelter])
        return travel_minutes(km, fleet.speed_kmh, self.section.detour_factor)

    def _truck(self, depot: _DepotState, shelter: int, load: dict[Origin, np.ndarray]):
        env, fleet = self.env, depot.spec.fleet
        assert depot.trucks is not None
        with depot.trucks.request(entity=f"to-shelter-{shelter}") as req:
            yield req
            yield env.timeout(fleet.load_minutes)
            minutes = self._travel_minutes(depot, shelter)
            while minutes is None:           # cut off: wait for the water to go down
                yield env.timeout(30.0)
                minutes = self._travel_minutes(depot, shelter)
            yield env.timeout(minutes + fleet.unload_minutes)
            self._deliver(shelter, load)
            back = self._travel_minutes(depot, shelter)
            yield env.timeout(minutes if back is None else back)
        depot.loaded -= 1
        self._poke(depot)

    def _deliver(self, shelter: int, load: dict[Origin, np.ndarray]) -> None:
        point = self.points[shelter]
        total = sum(load.values())
        self.on_trucks -= total
        for origin, part in load.items():
            self.delivered[origin] += part
        point.stock += total
        point.pipeline = np.maximum(point.pipeline - total, 0.0)
        if self.trace.enabled:
            self.trace.log(self.env.now, "delivery", f"shelter-{shelter}", "",
                           float(total.sum()))
        self._hand_out(shelter)
        self._order(shelter)   # anything still lacking (e.g. after rationing) is re-ordered

    # --- hand-out ------------------------------------------------------------------------

    def _hand_out(self, shelter: int) -> None:
        """Give each waiting person, first come first served, the items the shelter holds."""
        point = self.points[shelter]
        waiting = point.present - point.served
        can = np.floor(np.divide(point.stock, self.kit, out=np.zeros_like(point.stock),
                                 where=self.kit > 0) + 1e-9)
        given = np.minimum(waiting, can)
        if not given.any():
            return
        point.served = point.served + given
        used = given * self.kit
        point.stock = np.maximum(point.stock - used, 0.0)
        self.handed_out += used
        for k in np.flatnonzero(given > 0):
            self.unmet[k].record(self.unmet[k].current - given[k])
        kits = int(np.min(point.served[self.in_kit])) if self.in_kit.any() else point.present
        new = kits - point.kits
        if new <= 0:
            return
        point.kits = kits
        self.with_kit.record(self.with_kit.current + new)
        now = self.env.now
        while new > 0 and point.queue:
            entry = point.queue[0]
            n = min(new, entry[2])
            self.kit_waits.observe(now - entry[0], n)
            monitor = self.zone_with_kit[entry[1]]
            monitor.record(monitor.current + n)
            entry[2] -= n
            new -= n
            if entry[2] == 0:
                point.queue.popleft()

    # --- results -------------------------------------------------------------------------

    def stock_balance(self) -> np.ndarray:
        """Received minus (in depots + on trucks + at shelters + handed out), per item: zero."""
        in_depots = sum(d.available() for d in self.depots)
        at_shelters = sum(p.stock for p in self.points) if self.points else 0.0
        received = sum(self.received.values())
        return received - (in_depots + self.on_trucks + at_shelters + self.handed_out)

    def needs_met_hours(self, onset: float, until: float,
                        zone: int | None = None) -> float:
        """Hours from ``onset`` until, from then on to ``until``, at least ``kit_share`` of the
        people displaced so far hold the basic kit (NaN if nobody was displaced; inf if that
        never holds by ``until``). See docs/models/supplies.md."""
        if zone is None:
            displaced, with_kit = self.displaced, self.with_kit
        else:
            displaced, with_kit = self.zone_displaced.get(zone), self.zone_with_kit.get(zone)
            if displaced is None or with_kit is None:
                return math.nan
        t_d, v_d = displaced.arrays()
        t_k, v_k = with_kit.arrays()
        if v_d.max(initial=0.0) <= 0:
            return math.nan
        times = np.union1d(t_d, t_k)
        times = times[times <= until]
        d = displaced.series(times)
        k = with_kit.series(times)
        short = (d > 0) & (k < self.section.kit_share * d - 1e-9)
        if not short.any():
            return 0.0
        last = int(np.flatnonzero(short)[-1])
        if last == len(times) - 1:
            return math.inf
        return max(0.0, (times[last + 1] - onset) / 60.0)

    def kpis(self, onset: float, until: float) -> dict[str, float]:
        hours = self.needs_met_hours(onset, until)
        delivered = {origin: float(v.sum()) for origin, v in self.delivered.items()}
        total = sum(delivered.values())
        kpis = {
            "basic_needs_met_hours": hours,
            "basic_needs_met_within_target": (float(hours <= self.section.target_hours)
                                              if not math.isnan(hours) else math.nan),
            "kit_wait_p50_h": self._kit_wait_quantile(0.5),
            "kit_wait_p90_h": self._kit_wait_quantile(0.9),
            "people_without_kit": float(self.displaced.current - self.with_kit.current),
            "depot_stockouts": float(self.stockouts),
            "truck_utilisation": self._truck_utilisation(until),
            "share_from_physical": delivered["physical"] / total if total else math.nan,
            "share_from_agreement": delivered["agreement"] / total if total else math.nan,
            "share_from_donation": delivered["donation"] / total if total else math.nan,
        }
        for k, item in enumerate(self.items):
            kpis[f"unmet_person_hours_{item.id}"] = self.unmet[k].mean(until) * until / 60.0
        return kpis

    def _kit_wait_quantile(self, q: float) -> float:
        """Quantile of the wait for the kit (hours), counting people still without one as
        waiting for ever (so a worse outcome can never look better)."""
        unserved = max(0, int(self.displaced.current - self.with_kit.current))
        waits = np.concatenate([self.kit_waits.values / 60.0, np.full(unserved, np.inf)])
        if waits.size == 0:
            return math.nan
        return float(np.quantile(waits, q, method="inverted_cdf"))

    def _truck_utilisation(self, until: float) -> float:
        busy = sum(d.trucks.in_use.mean(until) for d in self.depots if d.trucks is not None)
        fleet = sum(d.trucks.capacity for d in self.depots if d.trucks is not None)
        return busy / fleet if fleet else math.nan

    def needs_met_hours_by_zone(self, onset: float, until: float) -> dict[int, float]:
        return {z: self.needs_met_hours(onset, until, z) for z in sorted(self.zone_displaced)}

