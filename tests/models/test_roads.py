"""Road network: fastest open path, closures by water depth, re-routing, point-queue links.

The test network (free-flow minutes on each link; S and H are safe)::

    Z --10-- A --10-- S        Z-A floods with zone "low"
    Z --15-- B --15-- S        Z-B floods with zone "high" (road raised 1 m above its ground)
    Z --60-- H                 never floods

Z-A-S takes 20 min, Z-B-S 30 min, Z-H 60 min.
"""

from __future__ import annotations

import math

import pytest

from models.evacuation import RoadLink, RoadNetwork, RoadNode, RoadsSection
from models.geo import haversine_km
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
