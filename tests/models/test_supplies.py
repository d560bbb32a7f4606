"""Relief supplies: specifications of the chain from reserve depots to the basic kit in shelters.

Given a small chain driven directly in a SimPy environment (or the bundled tiny-flood), these
follow:

1. every unit is conserved (received = in depots + on trucks + at shelters + handed out) at the
   end and every 10 minutes of a run, no stock is ever negative, nobody is handed more than they
   need (hypothesis, random small chains, arrival streams and policies);
2. no truck delivers over a closed road: a shelter cut off until T receives nothing before T;
3. one depot, one truck, one item: the indicator and the kit waits equal the hand-computed
   opening + load + travel + unload (+ round trips) to 1e-9;
4. more stock or more trucks never worsen the 10 h indicator on paired tiny-flood replications
   beyond two standard errors of the paired differences;
5. allocation policies with scarce stock: fcfs, most_vulnerable, fair_share;
6. a township depot with nothing passes the order to its parent, which delivers;
7. agreement reserves deliver hour by hour after activation up to their cap; donations arrive on
   time; their shares of what was delivered;
8. bad [supplies] input fails `drsim validate` with one line naming the file and field;
9. tiny-flood's supply KPIs and per-zone hours are well formed.

"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import simpy
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from drsim.cli import app
from models.catalog import build
from models.geo import EARTH_RADIUS_KM
from models.loading import bundled_path, load_scenario
from models.response.roads import RoadLink, RoadNetwork, RoadNode, RoadsSection
from models.supplies import (
    Agreement,
    Depot,
    Donation,
    Fleet,
    Item,
    SuppliesSection,
    SupplyChain,
)
from models.zones import Zone
from sim.runner import ReplicationResult, run_replication
from sim.trace import Trace

USAGE_ERROR = 2
LON, LAT = 114.0, 33.0          # the depot of the small cases; shelters due north or south

WATER = Item(id="water", name="Drinking water", unit="L", kg_per_unit=1.0, m3_per_unit=0.001,
             per_person_per_day=15.0, source="Sphere: 15 L per person per day")


def fleet(trucks: int = 1, **kw) -> Fleet:
    """A fleet with loading and unloading times given explicitly (defaults: 30 min each)."""
    return Fleet(trucks=trucks, **kw)


def depot(depot_id: str = "d", lat: float = LAT, stock: float | None = None, **kw) -> Depot:
    """A county depot on the meridian 114 E holding ``stock`` litres of water, open at once,
    with one truck unless told otherwise."""
    kw.setdefault("level", "county")
    kw.setdefault("opening_delay", 0.0)
    kw.setdefault("fleet", fleet(1))
    return Depot(id=depot_id, lon=LON, lat=lat,
                 stock={} if stock is None else {"water": stock}, **kw)


def km_north(lat_from: float, lat_to: float) -> float:
    """Great-circle km between two points on one meridian: R · Δφ (the haversine, exactly)."""
    return EARTH_RADIUS_KM * math.radians(abs(lat_to - lat_from))


def make_chain(section: SuppliesSection, shelters: Sequence[tuple[float, float]],
               first_warning: float = 0.0, route_minutes=None, seed: int = 0
               ) -> tuple[simpy.Environment, SupplyChain, Trace]:
    env = simpy.Environment()
    trace = Trace(enabled=True)
    chain = SupplyChain(env, section, list(shelters), [], np.random.default_rng(seed), trace,
                        route_minutes)
    chain.start(first_warning)
    return env, chain, trace


def deliveries(trace: Trace, shelter: int | None = None) -> list[tuple[float, float]]:
    """(time, units) of each truck delivery, optionally to one shelter."""
    return [(t, q) for t, _, entity, _, q in trace.rows("delivery")
            if shelter is None or entity == f"shelter-{shelter}"]


def at(env: simpy.Environment, t: float, action: Callable[[], None]) -> None:
    """Call ``action()`` at time ``t``."""
    def process():
        yield env.timeout(t - env.now)
        action()
    env.process(process())


# --- 1. conservation, no negative stock, nobody handed more than they need (hypothesis) -------

POLICIES = ["fcfs", "most_vulnerable", "fair_share"]
CHECK_EVERY = 10.0                    # minutes between invariant checks during a run
HORIZON = 48 * 60.0 + 7.0             # off the round numbers of the check grid


@dataclass
class Case:
    section: SuppliesSection
    shelters: list[tuple[float, float]]
    arrivals: list[tuple[float, int, int, int, float]]   # (t, shelter, zone, people, vulnerable)
    first_warning: float


@st.composite
def cases(draw) -> Case:
    """A random small chain: 1-3 items, 1-3 depots whose parents form a tree (each depot's
    parent comes earlier in the list), random stocks and fleets, maybe an agreement and a
    donation, 1-3 shelters and a random stream of arrivals. Structure is drawn by hypothesis,
    amounts and times by a NumPy generator it seeds (continuous values: no exact ties)."""
    n_items = draw(st.integers(1, 3))
    n_depots = draw(st.integers(1, 3))
    n_shelters = draw(st.integers(1, 3))
    parents = [None] + [draw(st.sampled_from([None, *range(k)])) for k in range(1, n_depots)]
    trucks = [draw(st.integers(0, 2)) for _ in range(n_depots)]
    policy = draw(st.sampled_from(POLICIES))
    with_agreement, with_donation, capped = draw(st.booleans()), draw(st.booleans()), \
        draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    items = []
    for i in range(n_items):
        daily = float(rng.uniform(0.5, 15.0)) if rng.random() < 0.7 else 0.0
        once = float(rng.uniform(0.5, 2.0)) if daily == 0.0 or rng.random() < 0.3 else 0.0
        items.append(Item(id=f"i{i}", unit="u", kg_per_unit=float(rng.uniform(0.2, 3.0)),
                          m3_per_unit=float(rng.uniform(0.001, 0.03)), per_person_per_day=daily,
                          per_person_once=once, in_kit=bool(rng.random() < 0.8)))
    ids = [f"d{k}" for k in range(n_depots)]
    depots = []
    for k in range(n_depots):
        stock = {item.id: float(rng.uniform(0.0, 2000.0)) for item in items
                 if rng.random() < 0.7}
        depots.append(Depot(
            id=ids[k], level="county", lon=LON + float(rng.uniform(-0.2, 0.2)),
            lat=LAT + float(rng.uniform(-0.2, 0.2)), stock=stock,
            parent=None if parents[k] is None else ids[parents[k]],
            opening_delay=float(rng.uniform(0.0, 180.0)),
            fleet=Fleet(trucks=trucks[k], capacity_kg=float(rng.uniform(200.0, 8000.0)),
                        capacity_m3=float(rng.uniform(1.0, 30.0)),
                        speed_kmh=float(rng.uniform(20.0, 60.0)),
                        load_minutes=float(rng.uniform(0.0, 60.0)),
                        unload_minutes=float(rng.uniform(0.0, 60.0)))))
    agreements = []
    if with_agreement:
        rate = {item.id: float(rng.uniform(0.0, 500.0)) for item in items}
        cap = {i: float(rng.uniform(0.0, 3000.0)) for i in rate} if capped else {}
        agreements.append(Agreement(id="a", depot=ids[int(rng.integers(n_depots))],
                                    activation_delay=float(rng.uniform(0.0, 6.0)),
                                    rate_per_hour=rate, cap=cap))
    donations = []
    if with_donation:
        donations.append(Donation(depot=ids[int(rng.integers(n_depots))],
                                  arrival_h=float(rng.uniform(0.0, 30.0)),
                                  items={item.id: float(rng.uniform(0.0, 1000.0))
                                         for item in items}))
    section = SuppliesSection(items=items, depots=depots, agreements=agreements,
                              donations=donations, policy=policy,
                              detour_factor=float(rng.uniform(1.0, 1.5)))
    shelters = [(LON + float(rng.uniform(-0.2, 0.2)), LAT + float(rng.uniform(-0.2, 0.2)))
                for _ in range(n_shelters)]
    t, arrivals = 0.0, []
    for _ in range(int(rng.integers(1, 15))):
        t += float(rng.exponential(90.0))
        arrivals.append((t, int(rng.integers(n_shelters)), int(rng.integers(3)),
                         int(rng.integers(1, 60)), float(rng.uniform(0.0, 0.6))))
    return Case(section, shelters, arrivals, first_warning=float(rng.uniform(0.0, 120.0)))


def expected_received(section: SuppliesSection, first_warning: float, t: float) -> np.ndarray:
    """Units that should have entered the depots by time t, computed from the section alone:
    government stock, hourly agreement batches after activation (capped), donations on time."""
    items = [i.id for i in section.items]
    total = np.array([sum(d.stock.get(i, 0.0) for d in section.depots) for i in items])
    for a in section.agreements:
        start = first_warning + 60.0 * float(a.activation_delay)
        hours = max(0, math.floor((t - start) / 60.0))
        total += np.array([min(a.rate_per_hour.get(i, 0.0) * hours, a.cap.get(i, math.inf))
                           if a.cap.get(i, math.inf) > 0 else 0.0 for i in items])
    for d in section.donations:
        if first_warning + 60.0 * float(d.arrival_h) <= t:
            total += np.array([d.items.get(i, 0.0) for i in items])
    return total


def close(actual, expected, tol: float) -> bool:
    """Elementwise |actual - expected| <= tol (cheap: this runs hundreds of times a run)."""
    return bool(np.all(np.abs(np.asarray(actual) - np.asarray(expected)) <= tol))


def check_invariants(chain: SupplyChain, case: Case) -> None:
    section, now = case.section, chain.env.now
    received = sum(chain.received.values())
    tol = 1e-6 * (1.0 + float(np.max(received)))
    # Conservation, by the module's own balance and recomputed from the parts.
    assert close(chain.stock_balance(), 0.0, tol), (now, chain.stock_balance())
    expected = expected_received(section, case.first_warning, now)
    assert close(received, expected, tol), (now, received, expected)
    served = np.array([p.served for p in chain.points])                      # (S, I) people
    handed = served.sum(axis=0) * chain.kit
    assert close(chain.handed_out, handed, tol), (now, chain.handed_out, handed)
    parts = (sum(d.available() for d in chain.depots) + chain.on_trucks
             + sum(p.stock for p in chain.points) + handed)
    assert close(parts, received, tol), (now, parts, received)
    # Never negative anywhere.
    for d in chain.depots:
        for origin, stock in d.stock.items():
            assert (stock >= -tol).all(), (d.spec.id, origin, stock)
    assert (chain.on_trucks >= -tol).all(), chain.on_trucks
    for p in chain.points:
        assert (p.stock >= -tol).all(), p.stock
        assert (p.pipeline >= -tol).all(), p.pipeline
    # Nobody is handed more than one kit of each item: served <= present, per item.
    for p in chain.points:
        assert (p.served <= p.present).all(), (p.served, p.present)
        assert 0 <= p.kits <= p.present
    present = sum(p.present for p in chain.points)
    assert (chain.handed_out <= present * chain.kit + tol).all()
    assert 0 <= chain.with_kit.current <= chain.displaced.current == present


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_every_unit_is_conserved_and_never_negative(case: Case) -> None:
    env, chain, _ = make_chain(case.section, case.shelters, case.first_warning)

    def people():
        for t, shelter, zone, n, vulnerable in case.arrivals:
            yield env.timeout(t - env.now)
            chain.arrive(shelter, zone, n, vulnerable)

    def checker():
        yield env.timeout(CHECK_EVERY / 2)
        while True:
            check_invariants(chain, case)
            yield env.timeout(CHECK_EVERY)

    env.process(people())
    env.process(checker())
    env.run(until=HORIZON)
    check_invariants(chain, case)
    hours = chain.needs_met_hours(0.0, HORIZON)
    assert math.isinf(hours) or 0.0 <= hours <= HORIZON / 60.0


# --- 2. no delivery over a closed road ---------------------------------------------------------

CUT_UNTIL = 100.0   # the only road to the shelter is under water until then (minutes)


def road_to_shelter(flooded_until: float) -> RoadNetwork:
    """Depot node D and shelter node S joined by one 10 km road at 60 km/h (10 min) that floods
    with zone "low": 1 m of water before ``flooded_until``, dry after."""
    zone = Zone(id="low", lon=LON, lat=LAT + 0.05, area_km2=4.0, population_night=100,
                share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                ground_elevation_m=20.0, gauge="g")
    section = RoadsSection(
        nodes=[RoadNode(id="D", lon=LON, lat=LAT), RoadNode(id="S", lon=LON, lat=LAT + 0.1)],
        links=[RoadLink(source="D", target="S", length_m=10_000, speed_kmh=60, zone="low")])
    return RoadNetwork(section, [zone], lambda z, t: 1.0 if t < flooded_until else 0.0, 0.3)


@pytest.mark.parametrize("flooded_until", [0.0, CUT_UNTIL])
def test_no_delivery_over_a_closed_road(flooded_until: float) -> None:
    """Loading takes 30 min and unloading 20; the road takes 10 min when open. Dry road: the kit
    arrives at 30 + 10 + 20 = 60 min. Road cut until 100: nothing reaches the shelter before 100;
    the truck leaves once the road is open again (it re-checks the road at least every 30 min)
    and arrives within 30 min of the earliest possible 100 + 10 + 20."""
    roads = road_to_shelter(flooded_until)
    cut = roads.trip_minutes((LON, LAT), (LON, LAT + 0.1), 50.0) is None
    assert cut is (flooded_until > 50.0)                       # the water does cut the road
    section = SuppliesSection(items=[WATER], depots=[depot(stock=1000.0, fleet=fleet(
        1, load_minutes=30.0, unload_minutes=20.0))])
    env, chain, trace = make_chain(section, [(LON, LAT + 0.1)], route_minutes=roads.trip_minutes)
    chain.arrive(0, 0, 20, 0.3)
    seen = []

    def watch():
        while True:
            point = chain.points[0]
            seen.append((env.now, float(point.stock.sum() + point.served.sum())))
            yield env.timeout(1.0)

    env.process(watch())
    env.run(until=600.0)

    assert chain.points[0].served.tolist() == [20]
    times = [t for t, _ in deliveries(trace, 0)]
    assert len(times) == 1
    if flooded_until == 0.0:
        assert times[0] == pytest.approx(60.0, abs=1e-9)
    else:
        assert all(received == 0.0 for t, received in seen if t < flooded_until + 30.0)
        assert flooded_until + 30.0 <= times[0] <= flooded_until + 30.0 + 30.0
        assert all(received == 0.0 for t, received in seen if t < times[0])


# --- 3. a hand-checkable case ------------------------------------------------------------------

OPENING, LOAD, UNLOAD = 60.0, 30.0, 20.0    # minutes
SPEED, DETOUR = 40.0, 1.3                   # km/h, road km per straight-line km
SHELTER_LAT = LAT + 0.1                     # 11.1195 km due north of the depot
TRUCK_KG = 600.0                            # 40 people's 15 L per truckload


@pytest.mark.parametrize("people, trips_to_95", [(100, 3), (84, 2)])
def test_hand_computed_time_to_kit_95_percent(people: int, trips_to_95: int) -> None:
    """One depot opening 60 min after the first warning (t = 0), one shelter 11.12 km away
    (14.46 km by road, 21.68 min at 40 km/h), one 600 kg truck, water only (15 L = 15 kg a
    person). People arrive at t = 0. Truckload k arrives at

        T_k = opening + load + travel + unload + (k - 1) · (load + travel + unload + travel)

    and hands out 40 kits. 100 people: 40, 80, 100 kits; 95 % (95 people) at T_3.
    84 people: 40, 80, 84; 95 % of 84 = 79.8, so 80 kits at T_2 suffice."""
    section = SuppliesSection(items=[WATER], detour_factor=DETOUR, kit_share=0.95, depots=[
        depot(stock=10_000.0, opening_delay=OPENING, fleet=fleet(
            1, capacity_kg=TRUCK_KG, capacity_m3=30.0, speed_kmh=SPEED,
            load_minutes=LOAD, unload_minutes=UNLOAD))])
    env, chain, trace = make_chain(section, [(LON, SHELTER_LAT)])
    chain.arrive(0, 0, people, 0.4)
    env.run(until=24 * 60.0)

    travel = km_north(LAT, SHELTER_LAT) * DETOUR / SPEED * 60.0
    cycle = LOAD + travel + UNLOAD + travel
    arrive = [OPENING + LOAD + travel + UNLOAD + k * cycle for k in range(3)]
    litres = people * 15.0
    loads = [min(TRUCK_KG, litres - k * TRUCK_KG) for k in range(3)]
    got = deliveries(trace, 0)
    assert [t for t, _ in got] == pytest.approx(arrive, abs=1e-9)
    assert [q for _, q in got] == pytest.approx(loads, abs=1e-9)

    hours = chain.needs_met_hours(onset=0.0, until=24 * 60.0)
    assert hours == pytest.approx(arrive[trips_to_95 - 1] / 60.0, abs=1e-9)
    # Measured from a later onset, the same run reads that much shorter.
    assert chain.needs_met_hours(onset=30.0, until=24 * 60.0) == pytest.approx(
        (arrive[trips_to_95 - 1] - 30.0) / 60.0, abs=1e-9)
    # Before the 95 % instant the indicator is not yet met: "never" within that horizon.
    assert chain.needs_met_hours(0.0, arrive[trips_to_95 - 1] - 1.0) == math.inf

    kits = [40, 40, people - 80]
    expected_waits = np.repeat(arrive, kits)
    np.testing.assert_allclose(np.sort(chain.kit_waits.values), expected_waits, atol=1e-9)
    kpis = chain.kpis(0.0, 24 * 60.0)
    assert kpis["kit_wait_p50_h"] == pytest.approx(
        float(np.quantile(expected_waits, 0.5)) / 60.0, abs=1e-9)
    assert kpis["kit_wait_p90_h"] == pytest.approx(
        float(np.quantile(expected_waits, 0.9)) / 60.0, abs=1e-9)
    assert kpis["basic_needs_met_within_target"] == float(hours <= 10.0)
    assert kpis["people_without_kit"] == 0.0
    assert kpis["share_from_physical"] == 1.0
    # Unmet person-hours of water: each person waited until their truckload.
    assert kpis["unmet_person_hours_water"] == pytest.approx(
        float(expected_waits.sum()) / 60.0, rel=1e-12)
    # The depot gave exactly what the people needed.
    assert chain.depots[0].stock["physical"][0] == pytest.approx(10_000.0 - litres)


# --- 4. more stock or more trucks never worsens the 10 h indicator (paired replications) -------

PAIRS = 8
ROOT_SEED = 1


def paired_se(differences: np.ndarray) -> float:
    return float(differences.std(ddof=1) / math.sqrt(differences.size))


def run_pairs(overrides: dict) -> list[ReplicationResult]:
    scenario = load_scenario("tiny-flood", overrides)
    supplies = scenario.supplies
    assert supplies is not None
    for path, value in overrides.items():     # the change took effect
        _, _, k, *rest = path.split(".")
        node = supplies.depots[int(k)]
        for part in rest:
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        assert node == value, path
    return [run_replication(build, scenario, k, ROOT_SEED, scenario.horizon)
            for k in range(PAIRS)]


@pytest.fixture(scope="module")
def tiny_base() -> list[ReplicationResult]:
    return run_pairs({})


def doubled_stocks() -> dict:
    base = load_scenario("tiny-flood").supplies
    assert base is not None
    return {f"supplies.depots.{k}.stock.{item}": 2 * amount
            for k, d in enumerate(base.depots) for item, amount in d.stock.items()}


def more_trucks() -> dict:
    base = load_scenario("tiny-flood").supplies
    assert base is not None
    return {f"supplies.depots.{k}.fleet.trucks": 2 * d.fleet.trucks
            for k, d in enumerate(base.depots)}


CHANGES = {"stock-x2": doubled_stocks, "trucks-x2": more_trucks}


@pytest.fixture(scope="module")
def tiny_changed() -> dict[str, list[ReplicationResult]]:
    return {name: run_pairs(change()) for name, change in CHANGES.items()}


def censored_hours(results: list[ReplicationResult], horizon_h: float) -> np.ndarray:
    """basic_needs_met_hours with "never within the horizon" (inf) read as the horizon: every
    finite value is at most horizon - onset <= horizon, so the order of outcomes is kept and two
    "never"s compare equal."""
    hours = np.array([r.kpis["basic_needs_met_hours"] for r in results])
    assert not np.isnan(hours).any()
    return np.minimum(hours, horizon_h)


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("kpi", ["basic_needs_met_hours", "kit_wait_p90_h"])
def test_more_stock_or_trucks_never_worsen_the_10h_indicator(tiny_base, tiny_changed, change,
                                                             kpi) -> None:
    """The supply chain feeds nothing back into hazard, warnings, evacuation or rescue, and its
    own stream draws the same agreement and donation times whatever the stocks and fleets; so
    the paired replications (same root seed, same indices) see exactly the same people arriving
    at the same shelters at the same times. What differs is only the dispatch: which loads leave
    when, from which depot. A single replication can still come out worse (a township truck kept
    busy with more of its own stock before the rest is passed up, a load that now waits behind
    another), so the allowance is two standard errors of the paired differences, the usual
    one-sided ~97.5 % bound for noise of that kind; the mean must not rise by more."""
    horizon_h = load_scenario("tiny-flood").horizon / 60.0
    changed = tiny_changed[change]
    arrivals = [r.timeseries["displaced_in_shelters"].to_numpy() for r in tiny_base]
    for r, people in zip(changed, arrivals, strict=True):
        np.testing.assert_array_equal(r.timeseries["displaced_in_shelters"].to_numpy(), people)
    if kpi == "basic_needs_met_hours":
        a, b = censored_hours(tiny_base, horizon_h), censored_hours(changed, horizon_h)
    else:
        a = np.array([r.kpis[kpi] for r in tiny_base])
        b = np.array([r.kpis[kpi] for r in changed])
        assert np.isfinite(a).all() and np.isfinite(b).all()
    d = b - a
    assert b.mean() <= a.mean() + 2 * paired_se(d), (a.round(2), b.round(2))


# --- 5. allocation policies with scarce stock -------------------------------------------------

# Two shelters at the same road distance (due north and due south); 20 people each, 300 L of
# water needed at each, 450 L in the depot: not enough for both. The depot opens at 60 min, after
# both have ordered (the first at t = 0, the second at t = 10).
NORTH, SOUTH = (LON, LAT + 0.05), (LON, LAT - 0.05)
SCARCE = 450.0


def two_shelters(policy: str, trucks: int) -> tuple[SupplyChain, Trace]:
    section = SuppliesSection(items=[WATER], policy=policy, depots=[
        depot(stock=SCARCE, opening_delay=60.0, fleet=fleet(trucks, capacity_kg=5000.0))])
    env, chain, trace = make_chain(section, [NORTH, SOUTH])
    chain.arrive(0, 0, 20, 0.1)                         # first order, few vulnerable people
    at(env, 10.0, lambda: chain.arrive(1, 1, 20, 0.6))  # second order, many vulnerable people
    env.run(until=24 * 60.0)
    return chain, trace


def received_units(chain: SupplyChain, shelter: int) -> float:
    point = chain.points[shelter]
    return float((point.served * chain.kit + point.stock).sum())


def test_fcfs_serves_the_earlier_order_first() -> None:
    chain, trace = two_shelters("fcfs", trucks=1)
    assert [received_units(chain, s) for s in (0, 1)] == pytest.approx([300.0, 150.0])
    assert [p.served.tolist() for p in chain.points] == [[20], [10]]
    first = trace.rows("delivery")[0]
    assert first[2] == "shelter-0"


def test_most_vulnerable_serves_the_more_vulnerable_shelter_first() -> None:
    chain, trace = two_shelters("most_vulnerable", trucks=1)
    assert [received_units(chain, s) for s in (0, 1)] == pytest.approx([150.0, 300.0])
    assert [p.served.tolist() for p in chain.points] == [[10], [20]]
    first = trace.rows("delivery")[0]
    assert first[2] == "shelter-1"


def test_fair_share_gives_both_shelters_the_same_fraction_of_their_need() -> None:
    """Two trucks: both loads can leave at once, so the split is unambiguous: 450 / 600 = 75 %
    of each shelter's 300 L, 225 L each (15 kits each)."""
    chain, _ = two_shelters("fair_share", trucks=2)
    assert [received_units(chain, s) for s in (0, 1)] == pytest.approx([225.0, 225.0])
    assert [p.served.tolist() for p in chain.points] == [[15], [15]]


def test_most_vulnerable_applies_to_the_next_free_truck() -> None:
    """One 300 kg truck. Shelter 0 (10 % vulnerable) orders 600 L at t = 0 when the depot, with
    600 L, is open: the truck leaves with 300 L. At t = 5 shelter 1 (60 % vulnerable) orders
    300 L. The truck's next trip should carry the remaining 300 L to shelter 1."""
    section = SuppliesSection(items=[WATER], policy="most_vulnerable", depots=[
        depot(stock=600.0, fleet=fleet(1, capacity_kg=300.0))])
    env, chain, trace = make_chain(section, [NORTH, SOUTH])
    chain.arrive(0, 0, 40, 0.1)
    at(env, 5.0, lambda: chain.arrive(1, 1, 20, 0.6))
    env.run(until=24 * 60.0)
    assert [row[2] for row in trace.rows("delivery")] == ["shelter-0", "shelter-1"]
    assert [p.served.tolist() for p in chain.points] == [[20], [20]]


# --- 6. parent escalation ----------------------------------------------------------------------

TOWNSHIP_LAT, COUNTY_LAT, NEAR_TOWNSHIP = LAT, LAT + 0.2, (LON, LAT + 0.01)


def township_and_county(township_stock: float, opening: tuple[float, float] = (60.0, 120.0)
                        ) -> SuppliesSection:
    """A township point (1 truck, loads in 10 min, unloads in 10) next to the shelter, backed by
    a county depot 0.19 degrees of latitude further away (1 truck, 25 min each way, 1000 L);
    ``opening``: their opening delays (minutes)."""
    return SuppliesSection(items=[WATER], detour_factor=1.0, depots=[
        depot("township", TOWNSHIP_LAT, township_stock, level="township", parent="county",
              opening_delay=opening[0], fleet=fleet(1, load_minutes=10.0, unload_minutes=10.0)),
        depot("county", COUNTY_LAT, 1000.0, opening_delay=opening[1],
              fleet=fleet(1, load_minutes=25.0, unload_minutes=25.0))])


def test_a_township_with_nothing_passes_the_order_to_its_parent() -> None:
    """The shelter orders from its nearest depot, the township point, which holds no water; the
    order goes up to the county depot, which ships it directly once open (120 min): delivery at
    120 + 25 + travel + 25, the whole 300 L from the county's stock."""
    env, chain, trace = make_chain(township_and_county(0.0), [NEAR_TOWNSHIP])
    township, county = chain.depots
    assert chain.points[0].depot == 0                       # it orders from the township
    chain.arrive(0, 0, 20, 0.3)
    env.run(until=24 * 60.0)

    travel = km_north(COUNTY_LAT, NEAR_TOWNSHIP[1]) / 40.0 * 60.0
    assert deliveries(trace, 0) == [(pytest.approx(120.0 + 25.0 + travel + 25.0, abs=1e-9),
                                     pytest.approx(300.0))]
    assert chain.points[0].served.tolist() == [20]
    assert township.stock["physical"].tolist() == [0.0]
    assert county.stock["physical"].tolist() == pytest.approx([700.0])
    assert not township.orders and not county.orders      # nothing left waiting, nothing lost
    assert chain.stock_balance() == pytest.approx([0.0], abs=1e-9)


def test_a_township_short_of_stock_ships_what_it_has_and_the_rest_comes_from_the_parent() -> None:
    env, chain, trace = make_chain(township_and_county(100.0), [NEAR_TOWNSHIP])
    township, county = chain.depots
    chain.arrive(0, 0, 20, 0.3)
    env.run(until=24 * 60.0)
    assert sorted(q for _, q in deliveries(trace, 0)) == pytest.approx([100.0, 200.0])
    assert chain.points[0].served.tolist() == [20]
    assert township.stock["physical"].tolist() == [0.0]
    assert county.stock["physical"].tolist() == pytest.approx([800.0])


def test_the_part_a_township_lacks_is_passed_up_at_once() -> None:
    """Both depots are open from t = 0. At t = 10 the shelter orders 300 L; the township has
    100 L: it ships them and passes 200 L up; the county delivers them at 10 + 25 + travel + 25.
    (Had the order come before the township opened, a second dispatch at the opening would pass
    the rest up at once: the delay depends on whether the order found the depot open.)"""
    env, chain, trace = make_chain(township_and_county(100.0, opening=(0.0, 0.0)),
                                   [NEAR_TOWNSHIP])
    at(env, 10.0, lambda: chain.arrive(0, 0, 20, 0.3))
    env.run(until=24 * 60.0)
    assert chain.points[0].served.tolist() == [20]
    travel = km_north(COUNTY_LAT, NEAR_TOWNSHIP[1]) / 40.0 * 60.0
    from_county = [t for t, q in deliveries(trace, 0) if q == pytest.approx(200.0)]
    assert from_county == [pytest.approx(10.0 + 25.0 + travel + 25.0, abs=1e-9)]


# --- 7. agreement reserves and donations -------------------------------------------------------

FIRST_WARNING = 30.0


def test_agreement_delivers_hour_by_hour_after_activation_up_to_its_cap() -> None:
    """Activation 2 h after the first warning (30 min): deliveries start after 150 min, one
    batch of 100 L every hour, and stop at the 250 L cap (100, 100, 50)."""
    section = SuppliesSection(items=[WATER], depots=[depot(stock=0.0)], agreements=[
        Agreement(id="bottler", depot="d", activation_delay=2.0, rate_per_hour={"water": 100.0},
                  cap={"water": 250.0})])
    env, chain, trace = make_chain(section, [], first_warning=FIRST_WARNING)
    env.run(until=24 * 60.0)
    rows = trace.rows("agreement_delivery")
    times = [row[0] for row in rows]
    assert [row[4] for row in rows] == [100.0, 100.0, 50.0]
    start = FIRST_WARNING + 120.0
    assert start < times[0] <= start + 60.0
    assert np.diff(times).tolist() == [60.0, 60.0]
    assert chain.received["agreement"].tolist() == [250.0]
    assert chain.depots[0].stock["agreement"].tolist() == [250.0]


def test_agreement_without_cap_keeps_delivering_at_its_rate() -> None:
    section = SuppliesSection(items=[WATER], depots=[depot(stock=0.0)], agreements=[
        Agreement(id="bottler", depot="d", activation_delay=1.0,
                  rate_per_hour={"water": 40.0})])
    env, chain, trace = make_chain(section, [], first_warning=0.0)
    env.run(until=10 * 60.0 + 1.0)
    # Activation at 60 min; batches at 120, 180, ..., 600: nine of 40 L.
    assert [row[0] for row in trace.rows("agreement_delivery")] == [
        60.0 * h for h in range(2, 11)]
    assert chain.received["agreement"].tolist() == [360.0]


def test_agreement_fills_in_when_physical_stock_is_short() -> None:
    """100 L of government stock for 20 people (300 L): the other 200 L come from the bottler,
    whose first batches arrive after activation at 1 h."""
    section = SuppliesSection(items=[WATER], depots=[depot(stock=100.0)], agreements=[
        Agreement(id="bottler", depot="d", activation_delay=1.0, rate_per_hour={"water": 150.0},
                  cap={"water": 1000.0})])
    env, chain, _ = make_chain(section, [NORTH])
    chain.arrive(0, 0, 20, 0.3)
    env.run(until=24 * 60.0)
    kpis = chain.kpis(0.0, 24 * 60.0)
    assert chain.points[0].served.tolist() == [20]
    assert kpis["share_from_agreement"] > 0
    assert kpis["share_from_physical"] == pytest.approx(100.0 / 300.0)
    assert kpis["share_from_agreement"] == pytest.approx(200.0 / 300.0)
    assert kpis["share_from_donation"] == 0.0
    assert chain.delivered["physical"].tolist() == [100.0]


def test_donation_arrives_at_its_time_and_is_shipped() -> None:
    """A 40 L donation 5 h after the first warning (30 min): in the depot from 330 min, not
    before; two people waiting since t = 0 get it at 330 + 30 + travel + 30."""
    section = SuppliesSection(items=[WATER], detour_factor=1.0, depots=[depot(stock=0.0)],
                              donations=[Donation(depot="d", arrival_h=5.0,
                                                  items={"water": 40.0})])
    env, chain, trace = make_chain(section, [NORTH], first_warning=FIRST_WARNING)
    chain.arrive(0, 0, 2, 0.3)
    seen = {}
    for t in (329.0, 331.0):
        at(env, t, lambda t=t: seen.__setitem__(t, float(chain.received["donation"][0])))
    env.run(until=24 * 60.0)
    assert seen == {329.0: 0.0, 331.0: 40.0}
    travel = km_north(LAT, NORTH[1]) / 40.0 * 60.0
    assert deliveries(trace, 0) == [(pytest.approx(330.0 + 30.0 + travel + 30.0, abs=1e-9),
                                     pytest.approx(30.0))]
    assert chain.kpis(0.0, 24 * 60.0)["share_from_donation"] == 1.0
    assert chain.depots[0].stock["donation"].tolist() == pytest.approx([10.0])


# --- 8. bad input: one line through `drsim validate` -------------------------------------------


def tiny_flood_data() -> dict:
    return tomllib.loads(bundled_path("tiny-flood").read_text(encoding="utf-8"))


def _no_unit(d):
    del d["supplies"]["items"][0]["unit"]


def _negative_stock(d):
    d["supplies"]["depots"][0]["stock"]["water"] = -5.0


def _no_lon(d):
    del d["supplies"]["depots"][1]["lon"]


def _no_lat(d):
    del d["supplies"]["depots"][1]["lat"]


def _unknown_stock_item(d):
    d["supplies"]["depots"][0]["stock"]["soap"] = 10.0


def _unknown_parent(d):
    d["supplies"]["depots"][0]["parent"] = "province-depot"


def _parent_loop(d):
    d["supplies"]["depots"][1]["parent"] = "hill-point"    # hill-point -> county -> hill-point


def _agreement_unknown_depot(d):
    d["supplies"]["agreements"][0]["depot"] = "nowhere"


def _agreement_cap_unknown_item(d):
    d["supplies"]["agreements"][0]["cap"]["watr"] = 60000.0


# (mutation, fragments the one line must hold: the field path and the problem)
BAD_SUPPLIES = {
    "item-without-unit": (_no_unit, ["supplies.items[0].unit:", "required field is missing"]),
    "negative-stock": (_negative_stock, ["supplies.depots[0].stock.water:",
                                         "greater than or equal to 0"]),
    "depot-without-lon": (_no_lon, ["supplies.depots[1].lon:", "required field is missing"]),
    "depot-without-lat": (_no_lat, ["supplies.depots[1].lat:", "required field is missing"]),
    "unknown-item-in-stock": (_unknown_stock_item, ["supplies.depots[0].stock:",
                                                    "unknown item 'soap'"]),
    "unknown-parent": (_unknown_parent, ["supplies.depots[0].parent:",
                                         "unknown depot 'province-depot'"]),
    "parent-loop": (_parent_loop, ["supplies.depots[0].parent:", "loops"]),
    "agreement-into-unknown-depot": (_agreement_unknown_depot, ["supplies.agreements[0].depot:",
                                                                "unknown depot 'nowhere'"]),
    "agreement-cap-unknown-item": (_agreement_cap_unknown_item, ["supplies.agreements[0].cap:",
                                                                 "unknown item 'watr'"]),
}
NOT_YET: dict = {}  # cases the module does not handle yet (none)


@pytest.mark.parametrize("mutate, fragments", [
    pytest.param(*case, id=name, marks=[NOT_YET[name]] if name in NOT_YET else [])
    for name, case in BAD_SUPPLIES.items()])
def test_bad_supplies_input_fails_validate_with_one_line(tmp_path: Path, mutate,
                                                         fragments) -> None:
    data = copy.deepcopy(tiny_flood_data())
    mutate(data)
    path = tmp_path / "bad-supplies.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")

    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == USAGE_ERROR, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert "(got {" not in result.stderr       # no dump of the whole section


def test_the_unmodified_copy_validates() -> None:
    """The mutations above are the only thing wrong: the file as bundled is fine."""
    result = CliRunner().invoke(app, ["validate", str(bundled_path("tiny-flood"))])
    assert result.exit_code == 0, result.output


# --- 9. the supply KPIs of tiny-flood ----------------------------------------------------------

ITEMS = ("water", "food", "bedding")


def test_tiny_flood_supply_kpis_are_well_formed(tiny_base) -> None:
    zone_ids = {z.id for z in load_scenario("tiny-flood").zones}
    for r in tiny_base:
        k = r.kpis
        hours = k["basic_needs_met_hours"]
        assert not math.isnan(hours) and hours >= 0.0           # finite, or inf for never
        assert k["basic_needs_met_within_target"] in (0.0, 1.0)
        assert k["basic_needs_met_within_target"] == float(hours <= 10.0)
        for item in ITEMS:
            unmet = k[f"unmet_person_hours_{item}"]
            assert math.isfinite(unmet) and unmet >= 0.0
        shares = [k[f"share_from_{origin}"] for origin in ("physical", "agreement", "donation")]
        assert all(0.0 <= s <= 1.0 for s in shares)
        assert sum(shares) == pytest.approx(1.0, abs=1e-12)
        assert 0.0 <= k["kit_wait_p50_h"] <= k["kit_wait_p90_h"]
        assert k["people_without_kit"] >= 0.0
        by_zone = r.extras["basic_needs_met_hours_by_zone"]
        assert by_zone and set(by_zone) <= zone_ids
        zone_hours = [math.inf if h is None else h for h in by_zone.values()]
        assert all(h >= 0.0 for h in zone_hours)
        # If every zone's displaced hold the kit at 95 % from some time on, all of them do.
        assert hours <= max(zone_hours) + 1e-9


def test_tiny_flood_fair_share_leaves_nobody_without_a_kit_while_stock_remains() -> None:
    scenario = load_scenario("tiny-flood", {"supplies.policy": "fair_share"})
    result = run_replication(build, scenario, 0, ROOT_SEED, scenario.horizon)
    assert result.kpis["people_without_kit"] == 0.0
    assert math.isfinite(result.kpis["basic_needs_met_hours"])


def test_self_arranged_evacuees_are_served_when_the_scenario_says_so():
    """With serve_self_arranged, people who self-arrange register at the distribution point
    nearest home: more people count as displaced, every unit is still accounted for."""
    import simpy

    from models.flood import FloodRun
    from models.loading import load_scenario
    from sim.runner import ReplicationContext
    from sim.streams import Streams
    from sim.trace import Trace

    runs = {}
    for serve in (False, True):
        scenario = load_scenario("tiny-flood", {"supplies.serve_self_arranged": serve})
        env = simpy.Environment()
        run = FloodRun(ReplicationContext(env, Streams(1, 0), Trace()), scenario)
        env.run(until=scenario.horizon)
        runs[serve] = run
    served, plain = runs[True].supplies, runs[False].supplies
    assert served.displaced.peak > plain.displaced.peak
    assert plain.displaced.peak == runs[False].shelters.total.peak
    assert len(served.points) == len(plain.points) + 1   # tiny-flood has one township point
    np.testing.assert_allclose(served.stock_balance(), 0.0, atol=1e-6)
