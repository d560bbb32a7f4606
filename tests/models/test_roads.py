"""Road network (models/response/roads.py, both hazard models): fastest open path, closures by
water depth and by closure window (to everyone or to the public only), point-queue links,
convoys that re-route at every node and wait where closures cut every way, link names.

The test network (free-flow minutes on each link; S and H are safe)::

    Z --10-- A --10-- S        Z-A floods with zone "low"
    Z --15-- B --15-- S        Z-B floods with zone "high" (road raised 1 m above its ground)
    Z --60-- H                 never floods

Z-A-S takes 20 min, Z-B-S 30 min, Z-H 60 min.
"""

from __future__ import annotations

import math

import pytest

from models.geo import haversine_km
from models.response.roads import (
    Convoy,
    RoadLink,
    RoadNetwork,
    RoadNode,
    RoadsSection,
    closure_windows,
    drive_planned,
    link_ids,
    link_key,
    travel_minutes,
)
from models.zones import Zone

LOW, HIGH = 0, 1


def make_zone(zone_id: str, lon: float, lat: float, ground: float) -> Zone:
    return Zone(id=zone_id, lon=lon, lat=lat, area_km2=4.0, population_night=1000,
                share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                ground_elevation_m=ground, gauge="G1")


ZONES = [make_zone("low", 113.001, 33.001, 100.0), make_zone("high", 113.0, 33.011, 100.0)]

SECTION = RoadsSection(
    nodes=[RoadNode(id="Z", lon=113.0, lat=33.0, zone="low"),
           RoadNode(id="A", lon=113.01, lat=33.0),
           RoadNode(id="B", lon=113.0, lat=33.01, zone="high"),
           RoadNode(id="S", lon=113.02, lat=33.02, safe=True),
           RoadNode(id="H", lon=113.2, lat=33.2, safe=True)],
    links=[RoadLink(source="Z", target="A", length_m=5000, speed_kmh=30, capacity_vph=600,
                    zone="low"),
           RoadLink(source="A", target="S", length_m=5000, speed_kmh=30),
           RoadLink(source="Z", target="B", length_m=7500, speed_kmh=30, zone="high",
                    elevation_m=101.0),
           RoadLink(source="B", target="S", length_m=7500, speed_kmh=30),
           RoadLink(source="Z", target="H", length_m=30000, speed_kmh=30)],
)


class Water:
    """Depth (m) per zone from a given time on: ``rises[zone] = [(t_from, depth), ...]``."""

    def __init__(self) -> None:
        self.rises: dict[int, list[tuple[float, float]]] = {LOW: [], HIGH: []}
        self.calls: list[tuple[int, float]] = []

    def __call__(self, zone: int, t: float) -> float:
        self.calls.append((zone, t))
        depth = 0.0
        for t_from, d in self.rises[zone]:
            if t >= t_from:
                depth = d
        return depth


def network(water: Water | None = None, closure: float = 0.3) -> RoadNetwork:
    return RoadNetwork(SECTION, ZONES, water or Water(), closure)


def test_links_carry_free_flow_minutes_and_capacity():
    roads = network()
    assert roads.graph["Z"]["A"]["minutes"] == pytest.approx(10.0)
    assert roads.graph["Z"]["B"]["minutes"] == pytest.approx(15.0)
    assert roads.links[frozenset(("Z", "A"))]["capacity_per_min"] == pytest.approx(10.0)
    assert roads.links[frozenset(("B", "Z"))]["raise_m"] == pytest.approx(1.0)
    assert roads.link_zone("A", "Z") == LOW and roads.link_zone("S", "A") is None


def test_link_without_length_uses_the_straight_line():
    section = RoadsSection(nodes=SECTION.nodes[:2],
                           links=[RoadLink(source="Z", target="A", speed_kmh=60)])
    roads = RoadNetwork(section, ZONES, Water(), 0.3)
    km = float(haversine_km(113.0, 33.0, 113.01, 33.0))
    assert roads.graph["Z"]["A"]["minutes"] == pytest.approx(km)   # 1 km per minute at 60 km/h


def test_zones_map_to_their_nearest_nodes_and_safe_nodes_are_listed():
    roads = network()
    assert roads.zone_node == ["Z", "B"]
    assert roads.safe_nodes == ["S", "H"]
    assert roads.nearest_node(113.019, 33.018) == "S"


def test_route_takes_the_fastest_path_to_the_nearest_target():
    roads = network()
    assert roads.route("Z", ["S"], 0.0) == ["Z", "A", "S"]
    assert roads.route("Z", ["S", "H"], 0.0) == ["Z", "A", "S"]
    assert roads.route("Z", ["H"], 0.0) == ["Z", "H"]
    assert roads.route("S", ["Z"], 0.0) == ["S", "A", "Z"]   # two-way links


def test_route_from_a_target_is_just_that_node():
    assert network().route("S", ["S", "H"], 0.0) == ["S"]


def test_a_flooded_link_closes_and_platoons_reroute():
    water = Water()
    water.rises[LOW] = [(100.0, 0.5)]
    roads = network(water)
    assert not roads.is_closed("Z", "A", 99.0)
    assert roads.route("Z", ["S"], 99.0) == ["Z", "A", "S"]
    assert roads.is_closed("Z", "A", 100.0)
    assert roads.route("Z", ["S"], 100.0) == ["Z", "B", "S"]
    assert not roads.is_closed("A", "S", 100.0)    # a link with no zone never closes
    # the route is looked up with the water at the asked time
    assert (LOW, 100.0) in water.calls


@pytest.mark.parametrize("depth, closed", [(0.29, False), (0.3, True), (0.31, True)])
def test_closure_at_the_closure_depth_inclusive(depth, closed):
    water = Water()
    water.rises[LOW] = [(0.0, depth)]
    assert network(water).is_closed("Z", "A", 0.0) is closed


@pytest.mark.parametrize("depth, closed", [(1.25, False), (1.35, True)])
def test_a_raised_road_closes_only_when_water_tops_it_by_the_closure_depth(depth, closed):
    """Z-B lies 1 m above the ground of zone "high": 0.25 m or 0.35 m on the road."""
    water = Water()
    water.rises[HIGH] = [(0.0, depth)]
    assert network(water).is_closed("Z", "B", 0.0) is closed


def test_closure_depth_is_a_parameter():
    water = Water()
    water.rises[LOW] = [(0.0, 0.5)]
    assert network(water, closure=0.6).route("Z", ["S"], 0.0) == ["Z", "A", "S"]


def test_cut_off_origin_gets_no_route_until_a_detour_is_allowed():
    water = Water()
    water.rises[LOW] = [(50.0, 1.0)]
    water.rises[HIGH] = [(80.0, 2.0)]
    roads = network(water)
    assert roads.route("Z", ["S"], 60.0) == ["Z", "B", "S"]
    assert roads.route("Z", ["S"], 80.0) is None
    assert roads.route("Z", ["S", "H"], 80.0) == ["Z", "H"]


def test_point_queue_second_platoon_leaves_behind_the_first():
    """Z-A: 10 min free flow, 600 veh/h = 10 veh/min."""
    roads = network()
    assert roads.traverse("Z", "A", 0.0, 50) == pytest.approx(10.0 + 5.0)
    # enters at the same time, but discharges only after the 50 vehicles ahead of it
    assert roads.traverse("Z", "A", 0.0, 20) == pytest.approx(15.0 + 2.0)
    # enters at 3: reaches the end at 13, queue clear at 17
    assert roads.traverse("Z", "A", 3.0, 10) == pytest.approx(17.0 + 1.0)
    # long after: the queue has gone, free flow again
    assert roads.traverse("Z", "A", 100.0, 30) == pytest.approx(100.0 + 10.0 + 3.0)


def test_point_queues_are_per_link():
    roads = network()
    roads.traverse("Z", "A", 0.0, 50)
    # A-S: capacity 1800 veh/h = 30 veh/min, untouched by the queue on Z-A
    assert roads.traverse("A", "S", 15.0, 60) == pytest.approx(15.0 + 10.0 + 2.0)


def test_flooded_between_finds_the_first_closed_check_time():
    water = Water()
    water.rises[LOW] = [(100.0, 0.5)]
    roads = network(water)
    assert roads.flooded_between("Z", "A", 0.0, 200.0) == pytest.approx(100.0)
    assert roads.flooded_between("Z", "A", 0.0, 60.0) == math.inf
    assert roads.flooded_between("Z", "A", 120.0, 130.0) == pytest.approx(120.0)
    assert roads.flooded_between("A", "S", 0.0, 200.0) == math.inf


# --- closure windows, convoys, names -------------------------------------------------------------

ZA, AS, ZB, ZH = (frozenset(p) for p in (("Z", "A"), ("A", "S"), ("Z", "B"), ("Z", "H")))


def dry(windows: dict[frozenset, list[tuple[float, float, bool]]]) -> RoadNetwork:
    """The test network without water, with the given closure windows."""
    roads = RoadNetwork(SECTION, ZONES)
    roads.set_windows(windows)
    return roads


def test_a_window_closes_a_link_to_everyone_or_to_the_public_only():
    roads = dry({ZA: [(10.0, 20.0, False), (30.0, 40.0, True)]})
    assert [roads.is_closed("A", "Z", t) for t in (9.9, 10.0, 19.9, 20.0, 30.0, 40.0)] == [
        False, True, True, False, True, False]
    assert roads.is_closed("Z", "A", 15.0, responder=True)        # closed to everyone
    assert not roads.is_closed("Z", "A", 35.0, responder=True)    # the cordon lets them in
    assert roads.changes == [10.0, 20.0, 30.0, 40.0]
    assert roads.next_change(20.0) == 30.0 and roads.next_change(40.0) == math.inf


def test_routes_avoid_windows_and_differ_for_the_public_and_responders():
    roads = dry({ZA: [(0.0, 50.0, True)]})
    assert roads.route("Z", ["S"], 10.0) == ["Z", "B", "S"]
    assert roads.route("Z", ["S"], 10.0, responder=True) == ["Z", "A", "S"]
    assert roads.route("Z", ["S"], 50.0) == ["Z", "A", "S"]


def test_windows_and_water_close_a_link_together():
    water = Water()
    water.rises[LOW] = [(100.0, 1.0)]
    roads = network(water)
    roads.set_windows({ZA: [(0.0, 50.0, False)]})
    assert [roads.is_closed("Z", "A", t) for t in (0.0, 60.0, 100.0)] == [True, False, True]
    # Only water catches a platoon on its link; a closure stops it from entering.
    assert roads.flooded_between("Z", "A", 0.0, 60.0) == math.inf


def test_a_convoy_re_routes_at_every_node():
    """Z-A closed from minute 5: a convoy that left Z at 0 on Z-A-S goes on from A to S; one
    leaving at 5 takes Z-B-S."""
    roads = dry({ZA: [(5.0, math.inf, False)]})
    early = Convoy(roads, "Z", ["S"], vehicles=10)
    assert early.drive(0.0) == ("Z", "A", 0.0, pytest.approx(11.0))   # 10 min, 10 veh/min
    assert early.drive(11.0) == ("A", "S", 11.0, pytest.approx(21.0 + 1 / 3))  # 30 veh/min
    assert early.arrived
    late = Convoy(roads, "Z", ["S"], vehicles=10)
    assert late.drive(5.0)[:2] == ("Z", "B")


def test_a_planned_drive_waits_where_closures_cut_every_way():
    """Only Z-A-S is open, and A-S is shut from 5 to 60: the convoy reaches A at 11, waits
    there until 60, then drives on (10 min, 10 vehicles at 30 veh/min)."""
    roads = dry({ZB: [(0.0, math.inf, False)], ZH: [(0.0, math.inf, False)],
                 AS: [(5.0, 60.0, False)]})
    driven = drive_planned(roads, "Z", ["S"], 0.0, 10)
    assert driven is not None
    convoy, arrival = driven
    assert convoy.legs == [("Z", "A", 0.0, pytest.approx(11.0)), ("A", "A", 11.0, 60.0),
                           ("A", "S", 60.0, pytest.approx(70.0 + 1 / 3))]
    assert arrival == pytest.approx(70.0 + 1 / 3)
    roads.reset_queues()
    assert drive_planned(roads, "Z", ["S"], 0.0, 10, until=30.0)[1] == math.inf   # not yet
    assert drive_planned(roads, "Z", ["S"], 6.0, 10) is None    # no way open at departure


def test_a_responder_drive_waits_at_its_base_until_a_closure_lifts():
    """From the point of node Z to the point of node S, 30 km/h and no detour off the
    network (zero length there): Z-A-S at 20 min, once Z-A reopens at 40."""
    roads = dry({ZA: [(0.0, 40.0, False)], ZB: [(0.0, math.inf, False)],
                 ZH: [(0.0, math.inf, False)]})
    z, s = SECTION.nodes[0], SECTION.nodes[3]
    assert roads.drive_minutes((z.lon, z.lat), (s.lon, s.lat), 10.0, 30.0, 1.0) == \
        pytest.approx(30.0 + 20.0)
    assert roads.drive_minutes((z.lon, z.lat), (s.lon, s.lat), 45.0, 30.0, 1.0) == \
        pytest.approx(20.0)


def test_link_ids_name_every_link_both_ways_and_the_scenario_name_wins():
    section = RoadsSection(nodes=[RoadNode(id=i, lon=113.0 + k / 100, lat=33.0)
                                  for k, i in enumerate(("a", "b", "b-a", "x"))],
                           links=[RoadLink(source="a", target="b"),
                                  RoadLink(source="x", target="b-a")])
    ids = link_ids(section)
    assert ids["a-b"] == ids["b-a"] == ("a", "b")
    # "b-a-x" is x-b-a read backwards, and the scenario names no link so: it is x-b-a's.
    assert ids["x-b-a"] == ids["b-a-x"] == ("x", "b-a")
    assert link_key("a", "b") == "a-b"


def test_closure_windows_follow_the_cordon_and_the_orders_in_time_order():
    from models.orders import OrdersSection

    ids = link_ids(SECTION)
    orders = OrdersSection(orders=[{"at": 50.0, "action": "close_road", "targets": ["A-Z"]},
                                   {"at": 80.0, "action": "reopen_road", "targets": ["Z-A"]},
                                   {"at": 10.0, "action": "close_road", "targets": ["Z-H"]},
                                   {"at": 30.0, "action": "close_road", "targets": ["Z-B"]}])
    windows, spans = closure_windows([ZA, AS, ZB, ZH], ids, orders, cordon=[ZA, ZB],
                                     cordon_window=(30.0, 120.0), blocked=AS)
    assert windows[ZA] == [(30.0, 50.0, True), (50.0, 80.0, False)]   # reopening ends the cordon
    assert windows[ZB] == [(30.0, math.inf, False)]                   # the order's first
    assert windows[ZH] == [(10.0, math.inf, False)]
    assert windows[AS] == [(0.0, math.inf, False)]                    # the tanker's link
    assert sorted(spans) == [(30.0, 80.0), (30.0, 120.0)]
    assert closure_windows([ZA], ids, None) == ({}, [])


def test_travel_minutes_is_straight_line_times_detour_over_speed():
    assert travel_minutes(10.0, 30.0, 1.5) == pytest.approx(30.0)
    assert travel_minutes(10.0, 60.0) == pytest.approx(10.0)
