"""Public shelters: nearest-first assignment with overflow, reservations within capacity,
occupancy monitors and the Sphere area check."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from models.shelters import Shelters, ShelterSpec
from sim.trace import Trace

# Zone 0 at (113.00, 33.00), zone 1 at (113.00, 33.10). Shelters due north of zone 0 at 0.01,
# 0.02 and 0.05 degrees; listed out of order so "nearest" is not "first".
ZONE_LON = np.array([113.0, 113.0])
ZONE_LAT = np.array([33.0, 33.1])


def spec(sid: str, lat: float, capacity: int, area: float = 1000.0, **kw) -> ShelterSpec:
    return ShelterSpec(id=sid, lon=113.0, lat=lat, capacity=capacity, area_m2=area, **kw)


SPECS = [spec("far", 33.05, 100), spec("near", 33.01, 10), spec("mid", 33.02, 5)]
FAR, NEAR, MID = 0, 1, 2


def make(specs=SPECS, env: simpy.Environment | None = None, trace: Trace | None = None):
    return Shelters(simpy.Environment() if env is None else env, specs, ZONE_LON, ZONE_LAT,
                    Trace(enabled=False) if trace is None else trace)


def test_distances_are_from_zone_centres_to_shelters():
    shelters = make()
    assert shelters.distance_km.shape == (2, 3)
    assert shelters.distance_km[0, NEAR] == pytest.approx(1.11195, abs=1e-4)
    assert shelters.distance_km[1, FAR] == pytest.approx(5.55975, abs=1e-4)


def test_assignment_fills_the_nearest_then_overflows_to_the_next_nearest():
    shelters = make()
    assert shelters.assign(0, 12) == ([(NEAR, 10), (MID, 2)], 0)
    assert shelters.assign(0, 100) == ([(MID, 3), (FAR, 97)], 0)
    assert shelters.assign(0, 10) == ([(FAR, 3)], 7)
    assert shelters.reserved.tolist() == [100, 10, 5]
    assert shelters.turned_away == 7
    assert shelters.assign(0, 4) == ([], 4)
    assert shelters.turned_away == 11


def test_each_zone_has_its_own_nearest_order():
    shelters = make()
    # zone 1 (lat 33.10) is nearest to "far" (33.05), then "mid", then "near"
    assert shelters.assign(1, 103) == ([(FAR, 100), (MID, 3)], 0)
    assert shelters.assign(0, 5) == ([(NEAR, 5)], 0)


def test_assigning_nobody_reserves_nothing():
    shelters = make()
    assert shelters.assign(0, 0) == ([], 0)
    assert shelters.reserved.sum() == 0 and shelters.turned_away == 0


def test_without_shelters_everybody_is_turned_away():
    shelters = make(specs=[])
    assert shelters.assign(1, 42) == ([], 42)
    assert shelters.turned_away == 42
    assert math.isnan(shelters.area_per_person_at_peak())


def test_a_shelter_of_zero_capacity_is_skipped():
    shelters = make(specs=[spec("closed", 33.001, 0), spec("open", 33.03, 8)])
    assert shelters.assign(0, 10) == ([(1, 8)], 2)


@settings(max_examples=150, deadline=None)
@given(capacities=st.lists(st.integers(0, 60), min_size=1, max_size=5),
       lats=st.lists(st.floats(32.9, 33.2), min_size=5, max_size=5),
       calls=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 80)), max_size=25))
def test_reservations_never_exceed_capacity_and_everybody_is_accounted_for(capacities, lats,
                                                                           calls):
    specs = [spec(f"s{i}", lat, cap) for i, (cap, lat) in
             enumerate(zip(capacities, lats[:len(capacities)], strict=True))]
    shelters = make(specs=specs)
    turned_away = 0
    for zone, people in calls:
        plan, left = shelters.assign(zone, people)
        turned_away += left
        assert sum(n for _, n in plan) + left == people
        assert all(n > 0 for _, n in plan)
        assert (shelters.reserved <= shelters.capacity).all()
        dist = [shelters.distance_km[zone, s] for s, _ in plan]
        assert dist == sorted(dist)                 # nearest first
        if left:                                    # turned away only when all are full
            assert (shelters.reserved == shelters.capacity).all()
        if plan:                                    # nearer shelters were filled before
            last = dist[-1]
            nearer = shelters.distance_km[zone] < last
            assert (shelters.reserved[nearer] == shelters.capacity[nearer]).all()
    assert shelters.turned_away == turned_away
    assert shelters.reserved.sum() + turned_away == sum(p for _, p in calls)


def test_arrivals_update_occupancy_monitors_and_trace():
    env, trace = simpy.Environment(), Trace(enabled=True)
    specs = [spec("a", 33.01, 10, area=70.0), spec("b", 33.02, 10, area=10.0)]
    shelters = make(specs=specs, env=env, trace=trace)

    def arrivals():
        yield env.timeout(5)
        shelters.arrive(0, 4)
        yield env.timeout(3)
        shelters.arrive(0, 3)
        shelters.arrive(1, 2)

    env.process(arrivals())
    env.run(until=20)
    assert shelters.occupants.tolist() == [7, 2]
    assert shelters.occupancy[0].arrays()[0].tolist() == [0, 5, 8]
    assert shelters.occupancy[0].arrays()[1].tolist() == [0, 4, 7]
    assert shelters.total.arrays()[1].tolist() == [0, 4, 9]
    assert shelters.peak_occupancy() == 9
    assert trace.rows("shelter_arrival") == [(5.0, "shelter_arrival", "", "a", 4.0),
                                             (8.0, "shelter_arrival", "", "a", 3.0),
                                             (8.0, "shelter_arrival", "", "b", 2.0)]


def test_area_per_person_is_the_most_crowded_shelter_at_its_own_peak():
    """a: 70 m2 / 7 people = 10 m2; b: 10 m2 / 2 people = 5 m2; the smaller ratio counts."""
    env = simpy.Environment()
    specs = [spec("a", 33.01, 10, area=70.0), spec("b", 33.02, 10, area=10.0),
             spec("unused", 33.03, 10, area=1.0)]
    shelters = make(specs=specs, env=env)
    shelters.arrive(0, 7)
    shelters.arrive(1, 2)
    assert shelters.area_per_person_at_peak() == pytest.approx(5.0)
    shelters.arrive(1, 2)
    assert shelters.area_per_person_at_peak() == pytest.approx(2.5)   # below Sphere's 3.5 m2


def test_opening_is_first_warning_plus_each_delay():
    shelters = make(specs=[spec("a", 33.01, 10), spec("b", 33.02, 10, opening_delay="2h")])
    assert np.isinf(shelters.open_at).all()
    shelters.schedule_opening(30.0)
    assert shelters.open_at.tolist() == [90.0, 150.0]
