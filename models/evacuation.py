"""Protective action and evacuation: who goes where, how long it takes, who is caught.

People who begin protective action choose (shares per zone and group, drawn multinomially):

* **vertical refuge** — only possible for people in multi-storey buildings;
* **public shelter** — the nearest shelter with room (see :mod:`models.shelters`);
* **self-arranged** — relatives, friends, hotels, out of the flood area.

Movement has two forms:

* **Road network** (``[roads]``): nodes and links with length, free-flow speed, capacity
  (vehicles/h) and elevation. A platoon of vehicles follows the fastest open path (networkx
  Dijkstra); each link is a point queue that lets vehicles out at its capacity; a link closes when
  the water on it is deeper than ``closure_depth_m`` (ordinary cars unsafe at about 0.3 m —
  commonly used, an assumption), and platoons re-route at every node. A platoon on a link that
  floods is caught there.
* **No network**: each zone has one exit with a capacity (vehicles/h, a point queue), then a
  straight-line trip times a detour factor. People still inside their zone (queueing to leave or
  driving out) when water arrives are caught.

Caught people are exposed in transit (higher debris factor) and become trapped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np
from pydantic import Field, model_validator

from models.geo import haversine_km
from models.zones import Share, Zone
from sim.config import StrictModel

__all__ = ["EvacuationSection", "RoadNode", "RoadLink", "RoadsSection", "RoadNetwork",
           "travel_hours"]


class EvacuationSection(StrictModel):
    """The scenario's ``[evacuation]`` section (shares are of people who act)."""

    vertical_refuge: Share = Field(
        default=0.5, description="Of actors in multi-storey buildings, share who go upstairs "
        "rather than leave (assumption).")
    public_shelter: Share = Field(
        default=0.35, description="Of those who leave, share heading for a public shelter "
        "(assumption; the rest self-arrange).")
    people_per_vehicle: float = Field(default=2.5, gt=0, description="Assumption.")
    speed_kmh: float = Field(default=30.0, gt=0, description="Mean road speed without a network "
                             "(assumption).")
    detour_factor: float = Field(default=1.3, ge=1, description="Road distance / straight line "
                                 "(typical 1.2-1.4; assumption).")
    zone_exit_capacity_vph: float = Field(
        default=3000.0, gt=0, description="Vehicles/h that can leave a zone without a network "
        "(assumption: about two lanes).")
    self_arranged_km: float = Field(
        default=20.0, gt=0, description="Trip length to self-arranged accommodation (assumption).")
    closure_depth_m: float = Field(default=0.3, gt=0, description="Water depth closing a road.")


class RoadNode(StrictModel):
    id: str = Field(min_length=1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    zone: str | None = Field(default=None, description="Zone whose water reaches this node.")
    safe: bool = Field(default=False, description="Outside the flood area: a destination for "
                       "self-arranged evacuees.")


class RoadLink(StrictModel):
    source: str = Field(min_length=1, description="Node id (links are two-way).")
    target: str = Field(min_length=1)
    length_m: float | None = Field(default=None, gt=0, description="Default: straight line.")
    speed_kmh: float = Field(default=40.0, gt=0)
    capacity_vph: float = Field(default=1800.0, gt=0, description="Vehicles/h (one lane ~1800).")
    zone: str | None = Field(default=None, description="Zone whose water floods the link.")
    elevation_m: float | None = Field(
        default=None, description="Road surface elevation (m above datum); default: the "
        "zone's ground elevation.")


class RoadsSection(StrictModel):
    nodes: list[RoadNode] = Field(min_length=2)
    links: list[RoadLink] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> RoadsSection:
        ids = [n.id for n in self.nodes]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        problems = [f"nodes: repeated node ids {repeated}"] if repeated else []
        known = set(ids)
        for i, link in enumerate(self.links):
            for end in ("source", "target"):
                if getattr(link, end) not in known:
                    problems.append(f"links[{i}].{end}: unknown node {getattr(link, end)!r}")
        if problems:
            raise ValueError("; ".join(problems))  # one located line each (sim.config)
        return self


def travel_hours(distance_km: float, speed_kmh: float) -> float:
    return distance_km / speed_kmh


class RoadNetwork:
    """Two-way road graph with point-queue links, closures by flood depth and ordered closures.

    ``water_depth(zone_index, t)`` gives the water depth (m) in a zone at time t (0 when dry);
    None for a network without water (a chemical release). :meth:`close` closes a link from a
    given time on (police closure, a tanker lying across the road).
    """

    def __init__(self, section: RoadsSection, zones: Sequence[Zone],
                 water_depth: Callable[[int, float], float] | None,
                 closure_depth_m: float = math.inf) -> None:
        zone_index = {z.id: i for i, z in enumerate(zones)}
        self.zones = zones
        self.nodes = {n.id: n for n in section.nodes}
        self.graph = nx.Graph()
        self._water_depth = water_depth
        self.closure_depth_m = closure_depth_m
        for node in section.nodes:
            self.graph.add_node(node.id)
        self.links: dict[frozenset, dict] = {}
        for link in section.links:
            a, b = self.nodes[link.source], self.nodes[link.target]
            length_km = (link.length_m / 1000.0 if link.length_m is not None
                         else float(haversine_km(a.lon, a.lat, b.lon, b.lat)))
            zone = zone_index.get(link.zone) if link.zone else None
            ground = zones[zone].ground_elevation_m if zone is not None else None
            data = {
                "minutes": length_km / link.speed_kmh * 60.0,
                "capacity_per_min": link.capacity_vph / 60.0,
                "zone": zone,
                # Water on the road = water depth in the zone minus the road's height above ground.
                "raise_m": (link.elevation_m - ground) if (ground is not None
                                                            and link.elevation_m is not None)
                else 0.0,
                "next_free": 0.0,
                "closed_from": math.inf,   # ordered closure (close()), minutes
                "closed_until": math.inf,
            }
            self.graph.add_edge(link.source, link.target, minutes=data["minutes"])
            self.links[frozenset((link.source, link.target))] = data
        self.zone_node = self._nearest_nodes([(z.lon, z.lat) for z in zones])
        self.safe_nodes = [n.id for n in section.nodes if n.safe]

    def _nearest_nodes(self, points: Sequence[tuple[float, float]]) -> list[str]:
        ids = list(self.nodes)
        lon = np.array([self.nodes[i].lon for i in ids])
        lat = np.array([self.nodes[i].lat for i in ids])
        return [ids[int(np.argmin(haversine_km(x, y, lon, lat)))] for x, y in points]

    def nearest_node(self, lon: float, lat: float) -> str:
        return self._nearest_nodes([(lon, lat)])[0]

    def close(self, a: str, b: str, start: float, end: float = math.inf) -> None:
        """Close link a-b (either direction) during [start, end) minutes; an earlier closure of
        the same link is replaced."""
        data = self.links[frozenset((a, b))]
        data["closed_from"], data["closed_until"] = float(start), float(end)

    def is_closed(self, a: str, b: str, t: float) -> bool:
        data = self.links[frozenset((a, b))]
        if data["closed_from"] <= t < data["closed_until"]:
            return True
        if data["zone"] is None or self._water_depth is None:
            return False
        return self._water_depth(data["zone"], t) - data["raise_m"] >= self.closure_depth_m

    def route(self, origin: str, targets: Sequence[str], t: float) -> list[str] | None:
        """Fastest path (free-flow minutes) from ``origin`` to the nearest of ``targets`` over
        links open at time ``t``; None if all are cut off."""
        def weight(a: str, b: str, attrs: dict) -> float | None:
            return None if self.is_closed(a, b, t) else attrs["minutes"]

        try:
            _, path = nx.multi_source_dijkstra(self.graph, set(targets), origin, weight=weight)
        except nx.NetworkXNoPath:
            return None
        return list(reversed(path))

    def traverse(self, a: str, b: str, t_in: float, vehicles: float) -> float:
        """Time the last vehicle of a platoon entering link a-b at ``t_in`` leaves it (point
        queue: free-flow time, then discharge at capacity behind earlier platoons)."""
        data = self.links[frozenset((a, b))]
        start = max(t_in + data["minutes"], data["next_free"])
        data["next_free"] = start + vehicles / data["capacity_per_min"]
        return data["next_free"]

    def flooded_between(self, a: str, b: str, t0: float, t1: float) -> float:
        """First time in [t0, t1] the link is closed by water (checked at its ends and every
        5 minutes), or inf."""
        steps = max(1, math.ceil((t1 - t0) / 5.0))
        for t in np.linspace(t0, t1, steps + 1):
            if self.is_closed(a, b, float(t)):
                return float(t)
        return math.inf

    def trip_minutes(self, origin: tuple[float, float], destination: tuple[float, float],
                     t: float) -> float | None:
        """Free-flow minutes between the road nodes nearest two lon/lat points over the links
        open at time ``t``; None if the destination is cut off."""
        a, b = self.nearest_node(*origin), self.nearest_node(*destination)
        path = self.route(a, [b], t)
        if path is None:
            return None
        return sum(self.links[frozenset(pair)]["minutes"]
                   for pair in zip(path, path[1:], strict=False))

    def link_zone(self, a: str, b: str) -> int | None:
        return self.links[frozenset((a, b))]["zone"]
