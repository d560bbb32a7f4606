"""Roads both hazard models drive on: the ``[roads]`` network, link names, closures, routing,
convoys and travel minutes.

* **Network**: nodes and two-way links with length, free-flow speed and capacity (vehicles/h).
  Each link is a point queue: a platoon needs the free-flow time, then leaves at the link's
  capacity behind the platoons before it.
* **Closures**: a link is closed during its **closure windows**, each stopping everyone (an
  ordered police closure, a tanker lying across the road) or the public only (a police cordon
  lets responders through), and, in the flood model, while the water on it (zone depth minus the
  road's height above the zone's ground) reaches ``closure_depth_m``.
* **Routing**: the fastest path (free-flow minutes, networkx Dijkstra) over the links open at a
  time, to the nearest of several targets. Without water the closures change only where a window
  starts or ends, so paths are cached per *closure epoch* (the span between two changes).
* **Convoys** (:class:`Convoy`): a platoon drives link by link through the point queues, routed
  afresh at every node.
* **Link names** (orders, reports): ``"source-target"`` by node ids, either way round.
* **Travel minutes** off the network: straight line × detour factor / speed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import networkx as nx
import numpy as np
from pydantic import Field, model_validator

from models.geo import haversine_km
from models.zones import ZoneBase
from sim.config import StrictModel

if TYPE_CHECKING:
    from models.orders import OrdersSection

__all__ = ["Convoy", "Leg", "RoadLink", "RoadNetwork", "RoadNode", "RoadsSection", "Window",
           "closure_windows", "drive_planned", "link_ids", "link_key", "travel_minutes"]

Window = tuple[float, float, bool]   # closed during [start, end) minutes; True: to the public only
Leg = tuple[str, str, float, float]  # from node, to node, minute in, minute the last vehicle is out
Number = TypeVar("Number", float, np.ndarray)


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


# --- names and minutes -----------------------------------------------------------------------


def link_key(source: str, target: str) -> str:
    """The id of a road link in orders and reports: ``"source-target"`` (either order names the
    link)."""
    return f"{source}-{target}"


def link_ids(section: RoadsSection) -> dict[str, tuple[str, str]]:
    """Every link's id (:func:`link_key`) both ways round -> (source, target); where a reversed
    id equals another link's own id, the link named so in the scenario wins."""
    ids: dict[str, tuple[str, str]] = {}
    for road in section.links:
        ids[link_key(road.source, road.target)] = (road.source, road.target)
        ids.setdefault(link_key(road.target, road.source), (road.source, road.target))
    return ids


def travel_minutes(km: Number, speed_kmh: float, detour: float = 1.0) -> Number:
    """Minutes to cover ``km`` of straight line at ``speed_kmh`` by roads ``detour`` times
    longer (also element-wise on arrays)."""
    return km * detour / speed_kmh * 60.0


# --- closures ----------------------------------------------------------------------------------


def closure_windows(links: Iterable[frozenset], ids: Mapping[str, tuple[str, str]],
                    orders: OrdersSection | None, *, cordon: Sequence[frozenset] = (),
                    cordon_window: tuple[float, float] | None = None,
                    blocked: frozenset | None = None,
                    ) -> tuple[dict[frozenset, list[Window]], list[tuple[float, float]]]:
    """Each link's closure windows, and the spans each cordon link was closed by the cordon.

    Per link, the events apply in time order (the cordon's before the orders' at equal times,
    orders in their time order): the cordon (``cordon`` links, during ``cordon_window``) closes
    it to the public and lifts; ``close_road`` closes it to all traffic, ``reopen_road`` reopens
    it (also to the public: it ends the cordon on that link). ``blocked`` (a tanker across the
    road) is closed to all from minute 0 whatever the orders. ``ids`` maps the orders' link ids
    to link ends (:func:`link_ids`).
    """
    events: dict[frozenset, list[tuple[float, int, str]]] = {link: [] for link in links}
    if cordon_window is not None:
        for link in cordon:
            events[link] += [(cordon_window[0], 0, "cordon"), (cordon_window[1], 0, "lift")]
    ordered_roads = orders.of("close_road", "reopen_road") if orders is not None else []
    for i, order in enumerate(ordered_roads):
        for target in order.targets:
            events[frozenset(ids[target])].append((order.at, 1 + i, order.action))
    windows: dict[frozenset, list[Window]] = {}
    cordon_spans: list[tuple[float, float]] = []
    for link, happenings in events.items():
        ordered = cordoned = False
        state: bool | None = None          # None open, False closed to all, True to the public
        since = cordon_since = 0.0
        spans: list[Window] = []
        for at, _, what in sorted(happenings, key=lambda e: (e[0], e[1])):
            if what == "cordon" and not cordoned:
                cordoned, cordon_since = True, at
            elif what in ("lift", "reopen_road") and cordoned:
                cordoned = False
                cordon_spans.append((cordon_since, at))
            if what == "close_road":
                ordered = True
            elif what == "reopen_road":
                ordered = False
            new = False if ordered else (True if cordoned else None)
            if new != state:
                if state is not None and at > since:
                    spans.append((since, at, state))
                state, since = new, at
        if cordoned:
            cordon_spans.append((cordon_since, math.inf))
        if state is not None:
            spans.append((since, math.inf, state))
        if spans:
            windows[link] = spans
    if blocked is not None:
        windows[blocked] = [(0.0, math.inf, False)]
    return windows, cordon_spans


# --- the network -------------------------------------------------------------------------------


class RoadNetwork:
    """Two-way road graph with point-queue links, closure windows and (flood) water on roads.

    ``water_depth(zone_index, t)`` gives the water depth (m) in a zone at time t (0 when dry);
    None for a network without water (a chemical release): then closures change only at the
    ends of their windows (:meth:`set_windows`, all known before the run) and paths and
    responders' drives are cached per closure epoch.
    """

    def __init__(self, section: RoadsSection, zones: Sequence[ZoneBase],
                 water_depth: Callable[[int, float], float] | None = None,
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
            # Only flood zones have ground (a network without water has no zone links).
            ground = zones[zone].ground_elevation_m if zone is not None else None
            data = {
                "minutes": travel_minutes(length_km, link.speed_kmh),
                "capacity_per_min": link.capacity_vph / 60.0,
                "zone": zone,
                # Water on the road = water depth in the zone minus the road's height above ground.
                "raise_m": (link.elevation_m - ground) if (ground is not None
                                                            and link.elevation_m is not None)
                else 0.0,
                "next_free": 0.0,
                "windows": [],          # closure windows (set_windows)
            }
            self.graph.add_edge(link.source, link.target, minutes=data["minutes"])
            self.links[frozenset((link.source, link.target))] = data
        self.windows: dict[frozenset, list[Window]] = {}
        self.changes: list[float] = []     # minutes where some window starts or ends
        self._nearest: dict[tuple[float, float], str] = {}
        self._km: dict[tuple[str, float, float], float] = {}
        self._paths: dict[tuple, list[str] | None] = {}
        self._drives: dict[tuple, float] = {}
        self.zone_node = self._nearest_nodes([(z.lon, z.lat) for z in zones])
        self.safe_nodes = [n.id for n in section.nodes if n.safe]

    # --- places ----------------------------------------------------------------------------

    def _nearest_nodes(self, points: Sequence[tuple[float, float]]) -> list[str]:
        ids = list(self.nodes)
        lon = np.array([self.nodes[i].lon for i in ids])
        lat = np.array([self.nodes[i].lat for i in ids])
        return [ids[int(np.argmin(haversine_km(x, y, lon, lat)))] for x, y in points]

    def nearest_node(self, lon: float, lat: float) -> str:
        key = (lon, lat)
        if key not in self._nearest:
            self._nearest[key] = self._nearest_nodes([key])[0]
        return self._nearest[key]

    def off_road_minutes(self, node: str, lon: float, lat: float, speed_kmh: float,
                         detour: float) -> float:
        """Minutes off the network between a node and a point (:func:`travel_minutes`)."""
        key = (node, lon, lat)
        if key not in self._km:
            n = self.nodes[node]
            self._km[key] = float(haversine_km(n.lon, n.lat, lon, lat))
        return travel_minutes(self._km[key], speed_kmh, detour)

    def link_zone(self, a: str, b: str) -> int | None:
        return self.links[frozenset((a, b))]["zone"]

    # --- closures --------------------------------------------------------------------------

    def set_windows(self, windows: Mapping[frozenset, list[Window]]) -> None:
        """Set every link's closure windows (links left out are open), replacing earlier ones."""
        self.windows = {link: list(w) for link, w in windows.items() if w}
        for link, data in self.links.items():
            data["windows"] = self.windows.get(link, [])
        self.changes = sorted({t for w in self.windows.values() for start, end, _ in w
                               for t in (start, end) if math.isfinite(t)})
        self._paths.clear()
        self._drives.clear()

    def next_change(self, t: float) -> float:
        """The first minute after ``t`` where a closure window starts or ends (inf: none)."""
        i = bisect.bisect_right(self.changes, t)
        return self.changes[i] if i < len(self.changes) else math.inf

    def is_closed(self, a: str, b: str, t: float, responder: bool = False) -> bool:
        """Whether link a-b is closed at ``t`` to the public (or to responders)."""
        data = self.links[frozenset((a, b))]
        for start, end, public in data["windows"]:
            if start <= t < end and not (public and responder):
                return True
        if data["zone"] is None or self._water_depth is None:
            return False
        return self._water_depth(data["zone"], t) - data["raise_m"] >= self.closure_depth_m

    def is_flooded(self, a: str, b: str, t: float) -> bool:
        """Whether the water on link a-b reaches the closure depth at ``t``."""
        data = self.links[frozenset((a, b))]
        if data["zone"] is None or self._water_depth is None:
            return False
        return self._water_depth(data["zone"], t) - data["raise_m"] >= self.closure_depth_m

    def flooded_between(self, a: str, b: str, t0: float, t1: float) -> float:
        """First time in [t0, t1] the link is closed by water (checked at its ends and every
        5 minutes), or inf."""
        steps = max(1, math.ceil((t1 - t0) / 5.0))
        for t in np.linspace(t0, t1, steps + 1):
            if self.is_flooded(a, b, float(t)):
                return float(t)
        return math.inf

    # --- routing and driving ---------------------------------------------------------------

    def route(self, origin: str, targets: Sequence[str], t: float,
              responder: bool = False) -> list[str] | None:
        """Fastest path (free-flow minutes) from ``origin`` to the nearest of ``targets`` over
        the links open at time ``t`` to the public (or to responders); None if all are cut
        off. Cached per closure epoch on a network without water."""
        if self._water_depth is not None:
            return self._dijkstra(origin, targets, t, responder)
        key = (origin, tuple(targets), bisect.bisect_right(self.changes, t), responder)
        if key not in self._paths:
            self._paths[key] = self._dijkstra(origin, targets, t, responder)
        return self._paths[key]

    def _dijkstra(self, origin: str, targets: Sequence[str], t: float,
                  responder: bool) -> list[str] | None:
        def weight(a: str, b: str, attrs: dict) -> float | None:
            return None if self.is_closed(a, b, t, responder) else attrs["minutes"]

        try:
            _, path = nx.multi_source_dijkstra(self.graph, set(targets), origin, weight=weight)
        except nx.NetworkXNoPath:
            return None
        return list(reversed(path))

    def minutes(self, path: Sequence[str]) -> float:
        """Free-flow minutes along a path of nodes."""
        return sum(self.links[frozenset(pair)]["minutes"]
                   for pair in zip(path, path[1:], strict=False))

    def traverse(self, a: str, b: str, t_in: float, vehicles: float) -> float:
        """Time the last vehicle of a platoon entering link a-b at ``t_in`` leaves it (point
        queue: free-flow time, then discharge at capacity behind earlier platoons)."""
        data = self.links[frozenset((a, b))]
        start = max(t_in + data["minutes"], data["next_free"])
        data["next_free"] = start + vehicles / data["capacity_per_min"]
        return data["next_free"]

    def reset_queues(self) -> None:
        """Empty every link's point queue (a fresh start for another traffic pass)."""
        for data in self.links.values():
            data["next_free"] = 0.0

    def trip_minutes(self, origin: tuple[float, float], destination: tuple[float, float],
                     t: float) -> float | None:
        """Free-flow minutes between the road nodes nearest two lon/lat points over the links
        open at time ``t``; None if the destination is cut off."""
        a, b = self.nearest_node(*origin), self.nearest_node(*destination)
        path = self.route(a, [b], t)
        return None if path is None else self.minutes(path)

    def drive_minutes(self, origin: tuple[float, float], destination: tuple[float, float],
                      t: float, speed_kmh: float, detour: float,
                      ends: Sequence[str] | None = None) -> float:
        """Minutes a responder leaving lon/lat ``origin`` at ``t`` needs to reach
        ``destination`` on a network without water: to the nearest road node and from the last
        one (``ends``, default the node nearest the destination) straight line x ``detour`` at
        ``speed_kmh``, between them the fastest path open to responders at departure; where
        closures cut every way, it waits until one lifts. inf if none ever does."""
        start = self.nearest_node(*origin)
        ends = tuple(ends) if ends else (self.nearest_node(*destination),)
        access = self.off_road_minutes(start, *origin, speed_kmh, detour)
        leave = t
        while math.isfinite(leave):
            key = (start, ends, destination, bisect.bisect_right(self.changes, leave),
                   speed_kmh, detour)
            if key not in self._drives:
                best = math.inf
                for end in ends:
                    path = self.route(start, (end,), leave, responder=True)
                    if path is not None:
                        best = min(best, self.minutes(path) + self.off_road_minutes(
                            end, *destination, speed_kmh, detour))
                self._drives[key] = best
            if math.isfinite(self._drives[key]):
                return access + (leave - t) + self._drives[key]
            leave = self.next_change(leave)
        return math.inf


# --- convoys -----------------------------------------------------------------------------------


class Convoy:
    """A platoon of ``vehicles`` driving from ``origin`` to the nearest of ``targets``, link by
    link through the links' point queues (:meth:`RoadNetwork.traverse`), routed afresh at every
    node over the links open to it then (the public's, or responders'). ``legs`` records the
    trip: (from, to, minute in, minute out), a wait at a node as a leg from the node to itself.
    """

    __slots__ = ("legs", "node", "responder", "roads", "targets", "vehicles")

    def __init__(self, roads: RoadNetwork, origin: str, targets: Sequence[str], vehicles: float,
                 responder: bool = False) -> None:
        self.roads = roads
        self.node = origin
        self.targets = tuple(targets)
        self.vehicles = vehicles
        self.responder = responder
        self.legs: list[Leg] = []

    @property
    def arrived(self) -> bool:
        return self.node in self.targets

    def drive(self, t: float) -> Leg | None:
        """Enter the next link of the fastest open way at ``t``: the leg, whose end is the
        minute the convoy's last vehicle leaves the link; None if no way is open from here."""
        path = self.roads.route(self.node, self.targets, t, self.responder)
        if path is None or len(path) < 2:
            return None
        nxt = path[1]
        leg = (self.node, nxt, t, self.roads.traverse(self.node, nxt, t, self.vehicles))
        self.legs.append(leg)
        self.node = nxt
        return leg

    def wait(self, t: float, until: float) -> None:
        """Wait at the current node from ``t`` to ``until``."""
        self.legs.append((self.node, self.node, t, until))


def drive_planned(roads: RoadNetwork, origin: str, targets: Sequence[str], depart: float,
                  vehicles: float, *, responder: bool = False,
                  until: float = math.inf) -> tuple[Convoy, float] | None:
    """A convoy's whole drive from ``depart`` on a network whose closures are all known (no
    water): a convoy cut off on the way waits at the node until a closure lifts. Returns the
    convoy (its legs) and its arrival minute (inf if it has not arrived by ``until``), or None
    if no way is open at departure (it never leaves)."""
    convoy = Convoy(roads, origin, targets, vehicles, responder)
    t = depart
    while not convoy.arrived and t < until:
        leg = convoy.drive(t)
        if leg is not None:
            t = leg[3]
            continue
        if not convoy.legs:
            return None
        lifted = roads.next_change(t)
        convoy.wait(t, lifted)
        t = lifted
    return convoy, (t if convoy.arrived else math.inf)
