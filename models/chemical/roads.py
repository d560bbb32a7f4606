"""The roads during a chemical release (with ``[roads]``): closures, the air on the roads and
evacuees' convoys, over the network both hazard models share (:mod:`models.response.roads`,
here without water).

* **Closures**, all decided before the run, each link a list of windows
  (:func:`models.response.roads.closure_windows`): a transport release's tanker closes its link
  to everyone from minute 0 for good; the **police cordon** closes every link whose straight
  segment passes within ``closure_radius_m`` of the source to the public (responders are let in,
  people whose road node lies inside the radius let out) from detection + ``closure_delay``
  until the release has ended + ``closure_clearance`` (the ERG's immediate isolation of at least
  100 m, guides 124/125); ``close_road``/``reopen_road`` orders close and reopen links (a
  reopening also ends the cordon on its link).
* **Air on the roads**: the outdoor concentration at every node; a link's air is the mean of
  its ends'. Nodes **out of the plume** (evacuees' destinations when the scenario marks no
  ``safe`` node): outside the zones of the forecast AEGL-1 area, their air never reaching half
  of AEGL-1 (60 min).
* **Evacuation**: each cohort (a zone's people acting in one bin) breathes its zone's air for
  ``road_access`` and the drive to its road node, then drives as one platoon to the nearest
  node out of the plume (:func:`models.response.roads.drive_planned`: first departed, first
  served at each link's point queue; waiting where closures cut every way). A cohort with no open
  way at its departure stays home and shelters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from models.chemical.exposure import Route, zone_containing
from models.geo import haversine_km
from models.hazards.plume import local_metres
from models.hazards.toxicity import aegl
from models.response.roads import (
    Leg,
    RoadNetwork,
    closure_windows,
    drive_planned,
    link_ids,
    link_key,
    travel_minutes,
)
from sim.monitors import TallyMonitor

if TYPE_CHECKING:
    from models.chemical.scenario import ChemicalScenario

__all__ = ["ReleaseRoads", "route_air", "segment_distances_m", "span_minutes"]


class ReleaseRoads:
    """The road network of one replication with its closures, the air on its nodes and the
    evacuees' platoons (see the module docstring)."""

    def __init__(self, sc: ChemicalScenario, detected_at: float) -> None:
        assert sc.roads is not None
        self.sc = sc
        self.detected_at = detected_at
        self.network = RoadNetwork(sc.roads, sc.zones)
        self.link_ids = link_ids(sc.roads)
        self.link_names = {frozenset(ends): link_key(*ends) for ends in self.link_ids.values()}
        self.tanker_link = (frozenset(self.link_ids[sc.source.link])
                            if sc.source.link is not None else None)
        self.cordon_links: list[frozenset] = []
        self.cordon_spans: list[tuple[float, float]] = []
        self.inside_cordon: dict[str, bool] = {}
        self.node_row: dict[str, int] = {}
        self.node_ppm = np.zeros((0, 0))
        self.clear_nodes: tuple[str, ...] = ()
        self.trips = TallyMonitor("evacuation_trip")
        self.cut_off = 0
        # Evacuees' platoons: (zone, bin, departure, legs, let out of the cordon).
        self.platoons: list[tuple[int, int, float, list[Leg], bool]] = []
        self.close(cordon_until=None)

    # --- closures --------------------------------------------------------------------------

    def close(self, cordon_until: float | None) -> None:
        """Set the closures: the tanker's link, ordered closures and reopenings, and (once
        ``cordon_until`` is known, unless orders replace the plan) the police cordon from
        detection + closure_delay."""
        sc, roads = self.sc, self.network
        response = sc.response
        cordon: list[frozenset] = []
        window = None
        planned = not (sc.orders is not None and sc.orders.replaces_plan)
        if cordon_until is not None and planned and response.closure_radius_m > 0:
            start = self.detected_at + response.closure_delay
            if start < cordon_until:
                window = (start, cordon_until)
                links = list(roads.links)
                ends = [sorted(link) for link in links]
                away = segment_distances_m(sc.source.lon, sc.source.lat,
                                           [roads.nodes[a] for a, _ in ends],
                                           [roads.nodes[b] for _, b in ends])
                cordon = [link for link, d in zip(links, away, strict=True)
                          if d <= response.closure_radius_m]
        self.cordon_links = cordon
        windows, self.cordon_spans = closure_windows(
            roads.links, self.link_ids, sc.orders, cordon=cordon, cordon_window=window,
            blocked=self.tanker_link)
        roads.set_windows(windows)
        # People whose road node is inside the cordon are let out through it.
        radius = response.closure_radius_m if window is not None else -1.0
        nodes = list(roads.nodes.values())
        away = haversine_km(np.array([n.lon for n in nodes]), np.array([n.lat for n in nodes]),
                            sc.source.lon, sc.source.lat) * 1000.0
        self.inside_cordon = {n.id: bool(d <= radius) for n, d in zip(nodes, away, strict=True)}

    def scene_nodes(self) -> tuple[str, ...]:
        """Road nodes from which responders reach the source: the tanker's link's ends, else
        the node nearest the source."""
        if self.tanker_link is not None:
            return tuple(sorted(self.tanker_link))
        return (self.network.nearest_node(self.sc.source.lon, self.sc.source.lat),)

    # --- air -------------------------------------------------------------------------------

    def node_points(self) -> list[tuple[float, float]]:
        """Lon/lat of every node, in network order (where to compute the air on the roads)."""
        return [(n.lon, n.lat) for n in self.network.nodes.values()]

    def set_air(self, node_ppm: np.ndarray, warned_area: np.ndarray, cas: str) -> None:
        """The outdoor air (ppm) at each node on the time grid (N, T), in :meth:`node_points`
        order, and the nodes out of the plume given the zones of the forecast AEGL-1 area."""
        nodes = list(self.network.nodes.values())
        self.node_row = {n.id: i for i, n in enumerate(nodes)}
        self.node_ppm = node_ppm
        # The harmless cut-off of the exposure model. (A node at the source itself has no
        # plume: its zone's air decides.)
        clean = node_ppm.max(axis=1) < 0.5 * aegl(cas, 1, 60.0)
        zone_of = zone_containing(self.sc.zones, [(n.lon, n.lat) for n in nodes])
        self.clear_nodes = tuple(n.id for n, ok, z in zip(nodes, clean, zone_of, strict=True)
                                 if ok and (z < 0 or not warned_area[z]))

    # --- evacuation ------------------------------------------------------------------------

    def evacuate(self, grid: np.ndarray, acting: np.ndarray, evacuate: np.ndarray,
                 times: np.ndarray, record: bool = False) -> dict[int, Route]:
        """Routes (air on the way, bins cut off, minutes to the node) of the zones whose (zone,
        bin) cohorts marked in ``evacuate`` leave by road, ``acting[z, b]`` people each; with
        ``record``, their trips, platoons and the people cut off are kept (the instruction
        actually given, not a counterfactual)."""
        roads, sc, ex = self.network, self.sc, self.sc.exposure
        roads.reset_queues()
        targets = tuple(n.id for n in sc.roads.nodes if n.safe) or self.clear_nodes
        nodes = [roads.nodes[roads.zone_node[z]] for z in range(len(sc.zones))]
        km = haversine_km(np.array([z.lon for z in sc.zones]), np.array([z.lat for z in sc.zones]),
                          np.array([n.lon for n in nodes]), np.array([n.lat for n in nodes]))
        access = (ex.road_access + travel_minutes(km, ex.access_speed_kmh,
                                                  sc.response.detour_factor)
                  ).tolist()                                            # acting -> at the node
        go = (acting > 0) & evacuate
        # Per zone with evacuees: the air on the road per bin, bins cut off, minutes to the node.
        # (Bins too late to reach the node before the end stay in the zone's air.)
        routes = {int(z): (np.zeros((grid.size, times.size)), np.zeros(grid.size, bool),
                           access[z]) for z in np.flatnonzero(go.any(axis=1))}
        departures = sorted((float(grid[b]) + access[z], int(z), int(b))
                            for z, b in zip(*np.nonzero(go), strict=True)
                            if grid[b] + access[z] < sc.horizon)
        for depart, z, b in departures:
            air, cut, _ = routes[z]
            origin = roads.zone_node[z]
            driven = (drive_planned(roads, origin, targets, depart,
                                    acting[z, b] / ex.people_per_vehicle,
                                    responder=self.inside_cordon[origin], until=sc.horizon)
                      if targets else None)
            if driven is None:
                cut[b] = True
            else:
                convoy, arrival = driven
                air[b] = route_air(times, depart, convoy.legs, convoy.node, self.node_row,
                                   self.node_ppm)
            if record and driven is None:
                self.cut_off += int(acting[z, b])
            elif record:   # from driving off (road_access after acting) to a safe node
                self.trips.observe(arrival - grid[b] - ex.road_access, int(acting[z, b]))
                self.platoons.append((z, b, depart, convoy.legs, self.inside_cordon[origin]))
        return routes

    # --- results ---------------------------------------------------------------------------

    def kpis(self, horizon: float) -> dict[str, float]:
        closed = sum(any(start < horizon and end > start for start, end, _ in spans)
                     for spans in self.network.windows.values())
        return {
            "road_links_closed": float(closed),
            "cordon_minutes": span_minutes(self.cordon_spans, horizon),
            "evacuees_cut_off": float(self.cut_off),
            "evacuation_trip_p50_min": float(self.trips.quantile(0.5)),
            "evacuation_trip_p90_min": float(self.trips.quantile(0.9)),
        }

    def closures(self) -> dict[str, list[list]]:
        """Closed links by id: their windows [start, end (inf: to the end), public only]."""
        return {self.link_names[link]: [[start, end, public] for start, end, public in spans]
                for link, spans in self.network.windows.items()}


def span_minutes(spans: Sequence[tuple[float, float]], horizon: float) -> float:
    """Minutes of [0, horizon] covered by the union of spans."""
    total, reach = 0.0, 0.0
    for start, end in sorted((max(0.0, s), min(horizon, e)) for s, e in spans):
        if end > max(start, reach):
            total += end - max(start, reach)
            reach = end
    return total


def route_air(times: np.ndarray, depart: float, legs: Sequence[Leg], last: str,
              row: Mapping[str, int], node_ppm: np.ndarray) -> np.ndarray:
    """Outdoor air (ppm) a platoon leaving at ``depart`` breathes on the time grid: on a link
    the mean of its ends', waiting or arrived its node's (zero before departure)."""
    air = np.zeros(times.size)
    end = int(np.searchsorted(times, depart))
    for a, b, t_in, t_out in legs:
        i0, i1 = np.searchsorted(times, (t_in, t_out))
        air[i0:i1] = 0.5 * (node_ppm[row[a], i0:i1] + node_ppm[row[b], i0:i1])
        end = int(i1)
    air[end:] = node_ppm[row[last], end:]
    return air


def segment_distances_m(lon: float, lat: float, starts, ends) -> np.ndarray:
    """Distances (m) from a point to the straight segments between nodes starts[i], ends[i]."""
    ax, ay = local_metres([n.lon for n in starts], [n.lat for n in starts], lon, lat)
    bx, by = local_metres([n.lon for n in ends], [n.lat for n in ends], lon, lat)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    # Position of the point's foot along each segment (0 at its start, 1 at its end).
    along = np.clip(np.divide(-(ax * dx + ay * dy), length2, out=np.zeros_like(length2),
                              where=length2 > 0), 0.0, 1.0)
    return np.hypot(ax + along * dx, ay + along * dy)
