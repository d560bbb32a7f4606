"""Rescue: dispatch order, trip times from hand-computed legs, shuttling, mutual aid, and exact
integer bookkeeping of the people in a request.

The standard case: zone "river" centred at (113.0 E, 33.0 N), 4 km² (water leg = half the side of
the equivalent square = 1 km); a boat team based 0.1° due north (11.1195 km on the meridian).
Road 40 km/h x detour 1.3, water 8 km/h, mobilisation 60 min, 3 min per person rescued.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rescue import RescueRequest, RescueSection, RescueService, TeamSpec, _split, _take
from models.zones import Zone
from sim.trace import Trace

R_KM = 6371.0088
BASE_KM = R_KM * math.radians(0.1)                   # base to zone centre, along the meridian
WATER_LEG = 1.0                                      # km: sqrt(4 km²) / 2
ROAD_MIN = (BASE_KM - WATER_LEG) * 1.3 / 40.0 * 60.0
WATER_MIN = WATER_LEG / 8.0 * 60.0                   # 7.5 min each way
ARRIVE = 60.0 + ROAD_MIN + WATER_MIN                 # first trip: 87.23 min


def make_zone(zone_id: str = "river", lat: float = 33.0) -> Zone:
    return Zone(id=zone_id, lon=113.0, lat=lat, area_km2=4.0, population_night=1000,
                share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                ground_elevation_m=50.0, gauge="G1")


def boat(team_id: str = "boat", base_lat: float = 33.1, **kw) -> TeamSpec:
    fields = dict(id=team_id, type="water_rescue", base_lon=113.0, base_lat=base_lat,
                  people_per_trip=10)
    fields.update(kw)
    return TeamSpec(**fields)


class World:
    """A service with a trace and a log of every trip that brought people out."""

    def __init__(self, teams, zones=None, **section) -> None:
        self.env = simpy.Environment()
        self.trace = Trace(enabled=True)
        self.log: list[tuple[float, int, list[int], list[int]]] = []
        self.service = RescueService(
            self.env, RescueSection(teams=teams, **{"people_per_request": 1000, **section}),
            zones or [make_zone()], self._rescued, self.trace)

    def _rescued(self, req: RescueRequest, people: np.ndarray, upper: np.ndarray) -> None:
        self.log.append((self.env.now, req.number, people.tolist(), upper.tolist()))

    def request(self, people, danger: int = 2, upper=(0, 0, 0), zone: int = 0) -> None:
        self.service.request(zone, np.array(people), np.array(upper), danger)

    def rescued_rows(self) -> list[tuple[float, str, str, float]]:
        return [(t, entity, place, q) for t, _, entity, place, q in self.trace.rows("rescued")]


def test_hand_computed_legs():
    assert BASE_KM == pytest.approx(11.1195, abs=1e-4)
    assert ARRIVE == pytest.approx(60.0 + 19.733 + 7.5, abs=1e-3)


def test_trip_time_is_mobilisation_road_and_water_legs():
    world = World([boat()])
    world.request([1, 2, 1])
    world.env.run(until=1000)
    done = ARRIVE + 4 * 3.0 + WATER_MIN
    assert world.log == [(pytest.approx(done), 0, [1, 2, 1], [0, 0, 0])]
    assert world.service.reach_times.values.tolist() == [pytest.approx(ARRIVE)]
    np.testing.assert_allclose(world.service.rescue_times.values, [done] * 4)
    assert world.service.rescued == 4
    assert world.rescued_rows() == [(pytest.approx(done), "team-boat-0", "river", 4.0)]


def test_most_dangerous_request_is_served_first():
    world = World([boat()])
    for danger in (1, 3, 2):
        world.request([0, 5, 0], danger=danger)
    world.env.run(until=1000)
    trip = WATER_MIN + 5 * 3.0 + WATER_MIN         # from the zone edge, after the first trip
    t1 = ARRIVE + 15.0 + WATER_MIN
    assert [(t, n) for t, n, _, _ in world.log] == [
        (pytest.approx(t1), 1), (pytest.approx(t1 + trip), 2), (pytest.approx(t1 + 2 * trip), 0)]


def test_ties_go_to_the_most_vulnerable_then_the_longest_waiting():
    world = World([boat()])
    world.request([0, 5, 0])          # 0: no vulnerable people
    world.request([0, 3, 2])          # 1: 40 % elderly
    world.request([0, 1, 4])          # 2: 80 % elderly
    world.request([0, 5, 0])          # 3: as 0, but later in the list
    world.env.run(until=1000)
    assert [n for _, n, _, _ in world.log] == [2, 1, 0, 3]


def test_equally_urgent_calls_are_served_longest_waiting_first():
    """Three calls alike in danger and vulnerability, made at minutes 0, 10 and 20, wait for
    the one team (mutual aid, joining at 100): it takes the oldest call first."""
    world = World([boat(available_from=100.0)])
    world.request([1, 3, 1])
    for at in (10.0, 20.0):
        world.env.run(until=at)
        world.request([1, 3, 1])
    world.env.run(until=1000)
    assert [req.created for req in world.service.requests] == [0.0, 10.0, 20.0]
    assert [n for _, n, _, _ in world.log] == [0, 1, 2]
    reached = [req.first_reached for req in world.service.requests]
    assert reached == sorted(reached) and len(set(reached)) == 3


def test_people_per_trip_caps_each_trip_and_the_team_returns_for_the_rest():
    """25 people, 10 a trip: elderly and children first, then adults; trips of 10, 10, 5."""
    world = World([boat()])
    world.request([5, 15, 5])
    world.env.run(until=1000)
    t1 = ARRIVE + 10 * 3.0 + WATER_MIN
    t2 = t1 + WATER_MIN + 10 * 3.0 + WATER_MIN
    t3 = t2 + WATER_MIN + 5 * 3.0 + WATER_MIN
    assert world.log == [(pytest.approx(t1), 0, [5, 0, 5], [0, 0, 0]),
                         (pytest.approx(t2), 0, [0, 10, 0], [0, 0, 0]),
                         (pytest.approx(t3), 0, [0, 5, 0], [0, 0, 0])]
    np.testing.assert_allclose(world.service.rescue_times.values, [t1] * 10 + [t2] * 10 + [t3] * 5)
    # the request was reached once, on the first trip
    assert world.service.reach_times.values.tolist() == [pytest.approx(ARRIVE)]
    assert world.service.requests[0].waiting == 0
    assert world.service.pending == []


def test_busy_teams_are_monitored():
    world = World([boat()])
    world.request([0, 5, 0])
    world.env.run(until=1000)
    times, values = world.service.busy.arrays()
    assert values.tolist() == [1, 0]                 # busy from dispatch at t = 0
    assert times.tolist() == [0.0, pytest.approx(ARRIVE + 15.0 + WATER_MIN)]


def test_mutual_aid_team_joins_at_available_from():
    """The local team is busy with the first request until ~124.7 min; the aid team, joining
    at 120, takes the second one and needs its own mobilisation and travel."""
    world = World([boat("local"), boat("aid", available_from="2h")])   # units 0 and 1
    world.request([0, 10, 0], danger=3)
    world.request([0, 10, 0], danger=2)
    world.env.run(until=1000)
    assert world.rescued_rows() == [
        (pytest.approx(ARRIVE + 30.0 + WATER_MIN), "team-local-0", "river", 10.0),
        (pytest.approx(120.0 + ARRIVE + 30.0 + WATER_MIN), "team-aid-1", "river", 10.0)]
    assert world.service.busy.peak == 2


def test_a_mutual_aid_team_does_nothing_before_it_joins():
    world = World([boat("aid", available_from=120.0)])
    world.request([0, 3, 0])
    world.env.run(until=1000)
    assert world.service.reach_times.values.tolist() == [pytest.approx(120.0 + ARRIVE)]


def test_the_team_that_can_be_there_first_is_sent():
    world = World([boat("far", base_lat=33.3), boat("near", base_lat=33.1)])
    world.request([0, 3, 0])
    world.env.run(until=1000)
    # trace entities are team-<spec id>-<unit number across all specs>
    assert [entity for _, entity, _, _ in world.rescued_rows()] == ["team-near-1"]


def test_two_teams_share_a_large_request():
    world = World([boat("a"), boat("b", base_lat=33.2)])
    world.request([0, 20, 0])
    world.env.run(until=1000)
    rows = world.rescued_rows()
    assert sorted(entity for _, entity, _, _ in rows) == ["team-a-0", "team-b-1"]
    assert sum(q for *_, q in rows) == 20.0


def test_a_team_rests_after_its_endurance():
    world = World([boat(endurance=60.0, rest="8h")])
    world.request([0, 20, 0])
    world.env.run(until=2000)
    t1 = ARRIVE + 30.0 + WATER_MIN                 # > 60 min of work: rest before the next trip
    t2 = t1 + 480.0 + WATER_MIN + 30.0 + WATER_MIN
    assert [t for t, *_ in world.log] == [pytest.approx(t1), pytest.approx(t2)]


def test_requests_are_split_into_calls_with_exact_counts():
    world = World([], people_per_request=30)
    world.request([10, 40, 10], upper=[0, 20, 5])
    reqs = world.service.requests
    assert [r.people.tolist() for r in reqs] == [[5, 20, 5], [5, 20, 5]]
    assert [r.upper.tolist() for r in reqs] == [[0, 10, 3], [0, 10, 2]]
    assert [r.number for r in reqs] == [0, 1]
    assert [row[1:] for row in world.trace.rows("rescue_request")] == [
        ("rescue_request", "request-0", "river", 30.0), ("rescue_request", "request-1", "river",
                                                         30.0)]


def test_dropped_requests_are_not_served():
    world = World([boat(available_from=10.0)])
    world.request([0, 5, 0])
    world.service.drop(world.service.requests[0])
    world.env.run(until=1000)
    assert world.log == [] and world.service.pending == []
    assert world.service.requests[0].done


def test_dropping_one_of_two_identical_requests_keeps_the_other():
    """Requests are compared by identity: equal counts are still different calls."""
    world = World([boat(available_from=10.0)])
    world.request([0, 5, 0])
    world.request([0, 5, 0])
    first, second = world.service.requests
    world.service.drop(second)
    world.env.run(until=1000)
    assert world.service.pending == [] and not first.done and second.done
    assert [n for _, n, _, _ in world.log] == [0]


def test_helicopter_flies_there_and_back_on_every_trip():
    heli = TeamSpec(id="heli", type="helicopter", mode="helicopter", base_lon=113.0,
                    base_lat=33.5, people_per_trip=5)
    flight = R_KM * math.radians(0.5) / 200.0 * 60.0        # 16.68 min each way
    world = World([heli])
    world.request([0, 10, 0])
    world.env.run(until=1000)
    first = 60.0 + flight + 5 * 3.0 + flight
    second = first + flight + 5 * 3.0 + flight
    assert [t for t, *_ in world.log] == [pytest.approx(first), pytest.approx(second)]


# --- exact integer bookkeeping -------------------------------------------------------------------

group_vectors = st.lists(st.integers(0, 500), min_size=3, max_size=3).map(np.array)


@settings(max_examples=200, deadline=None)
@given(counts=group_vectors, parts=st.integers(1, 40))
def test_split_keeps_integer_counts_exact(counts, parts):
    pieces = _split(counts, parts)
    assert len(pieces) == parts
    stacked = np.array(pieces)
    assert np.issubdtype(stacked.dtype, np.integer)
    np.testing.assert_array_equal(stacked.sum(axis=0), counts)
    assert (stacked >= 0).all()
    assert (stacked.max(axis=0) - stacked.min(axis=0) <= 1).all()


@st.composite
def requests_and_loads(draw):
    people = draw(group_vectors.filter(lambda p: p.sum() > 0))
    upper = np.array([draw(st.integers(0, int(n))) for n in people])
    load = draw(st.integers(0, int(people.sum())))
    return people, upper, load


@settings(max_examples=200, deadline=None)
@given(case=requests_and_loads())
def test_take_removes_exactly_the_load_vulnerable_first_upper_floors_last(case):
    people, upper, load = case
    world = World([], people_per_request=10_000)      # one request, built by the service
    world.request(people.copy(), upper=upper.copy())
    (req,) = world.service.requests
    take, take_upper = _take(req, load)
    assert int(take.sum()) == load
    np.testing.assert_array_equal(req.people + take, people)        # nobody lost or made up
    np.testing.assert_array_equal(req.upper + take_upper, upper)
    assert (take >= 0).all() and (take_upper >= 0).all() and (take_upper <= take).all()
    assert (req.upper >= 0).all() and (req.upper <= req.people).all()
    # order elderly (2), children (0), adults (1): a later group only once earlier ones are out
    if take[0] > 0:
        assert take[2] == people[2]
    if take[1] > 0:
        assert take[0] == people[0] and take[2] == people[2]
    # people on the ground floor go before those in an upper-floor refuge
    np.testing.assert_array_equal(take - take_upper, np.minimum(take, people - upper))
