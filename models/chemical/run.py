"""The hazardous-chemical release model: source, plume, warning, shelter-in-place or evacuation,
hazmat teams that stop the leak, exposure, lethality and hospital care.

One replication (details in docs/models/chemical.md):

1. **Weather** steps are drawn (uncertain speed and direction); the stability class is given or
   derived from wind and sun/cloud (Pasquill).
2. **Detection** (site gas detectors or a call from the public) starts the response. **Hazmat
   teams** travel, set up and stop the leak; the release (`models/hazards/source.py`) ends then or
   when the inventory runs out.
3. **Outdoor concentration** at every zone's receptor over time (`models/hazards/plume.py`).
4. **Warnings** (`models/warnings.py`, shared with the flood model) go to the zones the forecast
   puts above AEGL-1; people are drawn into cohorts by alert and action time
   (`models/population.py`).
5. **Exposure** of each cohort: before acting, people are indoors with normal ventilation or
   outdoors; once they act, they **shelter in place** (indoor box model dCi/dt = λ(Co − Ci) with
   closed windows, leaving shelter once the plume has passed) or **evacuate** (outdoors while
   leaving, then out of the plume).
6. **Harm**: toxic load Σ Cⁿ Δt and the probit give deaths (drawn and expected); survivors whose
   exposure reached AEGL-2 (60 min) need hospital care; **ambulances** carry them by triage
   priority to hospitals with free beds (a SimPy process).

With ``[roads]`` (the network both models share, ``models/response/roads.py``, without water): a
transport release closes its road link from the start, a police cordon closes the links near the
source to the public from detection + a delay until the release has ended + a clearance; hazmat
teams and ambulances drive over the links open to them, evacuees over the links open to the
public (point queues), breathing the air on the way. ``[orders]`` (``models/orders.py``) apply
commanders' timed decisions: warn, shelter in place, evacuate, mobilize teams, close and reopen
roads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import simpy
from scipy.signal import lfilter

from models.chemical.scenario import (
    ZONE_ORDERS,
    ChemicalScenario,
    ExposureSection,
    WeatherSpec,
    _segment_distances_m,
)
from models.geo import distance_matrix_km, haversine_km
from models.hazards.plume import WeatherStep, concentration_series, local_metres, pasquill_class
from models.hazards.toxicity import PROBITS, aegl, probit_lethality, threat_zones
from models.response.cohorts import warn_people
from models.response.orders import decided_at
from models.response.roads import (
    RoadNetwork,
    closure_windows,
    drive_planned,
    link_ids,
    link_key,
    travel_minutes,
)
from sim.distributions import sample
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredPriorityResource
from sim.runner import ReplicationContext, report_grid

__all__ = ["ChemicalRun", "build_chemical"]



class ChemicalRun:
    """One replication of a chemical release (see the module docstring)."""

    def __init__(self, ctx: ReplicationContext, scenario: ChemicalScenario) -> None:
        self.sc = sc = scenario
        self.env = env = ctx.env
        self.trace = ctx.trace
        streams = ctx.streams
        zones = sc.zones
        n_zones = len(zones)
        release = sc.source.release
        chemical = release.substance
        self.chemical = chemical
        probit = PROBITS[chemical.cas]

        # 1. Weather, detection, hazmat arrival -> when the release stops.
        rng = streams["weather"]
        self.weather = [self._weather_step(w, rng) for w in sc.weather]
        response = sc.response
        detected = response.public_call_delay
        if response.detectors and not sc.source.transport:
            detected = min(detected, response.detector_delay)
        self.detected_at = detected
        # Roads: the tanker's link and ordered closures are known now; the cordon (which lets
        # responders through) once the release's end is.
        self.roads = RoadNetwork(sc.roads, zones) if sc.roads is not None else None
        if self.roads is not None:
            self._close_roads(cordon_until=None)
        hazmat_rng = streams["hazmat"]
        stops = []
        self.team_arrivals: dict[str, float] = {}   # minute each team reaches the scene
        for team in response.hazmat_teams:
            if sc.source.transport and team.type == "enterprise":
                continue  # a tanker on the road has no enterprise team at hand
            callout = decided_at(sc.orders, ("mobilize_team", "request_team"), team.id,
                                 detected)
            if self.roads is None:
                km = float(haversine_km(team.base_lon, team.base_lat, sc.source.lon,
                                        sc.source.lat))
                travel = travel_minutes(km, team.speed_kmh, response.detour_factor)
            elif math.isfinite(callout):
                travel = self.roads.drive_minutes(
                    (team.base_lon, team.base_lat), (sc.source.lon, sc.source.lat),
                    callout + team.mobilization_delay, team.speed_kmh, response.detour_factor,
                    self._scene_nodes())
            else:
                travel = math.inf   # never called out (orders replace the plan)
            arrive = callout + team.mobilization_delay + travel
            self.team_arrivals[team.id] = arrive
            # Drawn whether or not the team comes: the stream stays aligned across options.
            stops.append(arrive + team.setup + max(0.0, sample(team.stop, hazmat_rng)))
        self.stopped_at = min(stops) if stops else math.inf   # minutes
        rate = release.rate_function(stop_s=self.stopped_at * 60.0)
        self.release_end = min(rate.end_s / 60.0, self.stopped_at)
        if self.roads is not None:
            self._close_roads(cordon_until=self.release_end + response.closure_clearance)

        # 2. Outdoor concentration at each zone centre (ppm), on the time grid (minutes).
        step = sc.time_step
        self.times = np.arange(0.0, sc.horizon + step, step)
        receptors = _receptor_points(zones, sc.receptors_per_side)           # (Z*P) lon/lat
        n_points = sc.receptors_per_side ** 2
        plume = dict(molecular_weight=chemical.molecular_weight,
                     source_height_m=sc.source.height_m, urban=sc.urban)
        source = (sc.source.lon, sc.source.lat)
        flat = concentration_series(rate, self.weather, receptors, source, self.times * 60.0,
                                    **plume)                                 # (Z*P, T)
        self.outdoor = flat.reshape(n_zones, n_points, -1)                   # (Z, P, T)
        if self.roads is not None:   # the air on the roads, at their nodes
            nodes = list(self.roads.nodes.values())
            self.node_row = {n.id: i for i, n in enumerate(nodes)}
            self.node_ppm = concentration_series(rate, self.weather,
                                                 [(n.lon, n.lat) for n in nodes], source,
                                                 self.times * 60.0, **plume)  # (N, T)
        self.threat = threat_zones(flat, self.times, chemical.cas)
        exceeds = self.threat.exceeds.reshape(3, len(self.threat.durations_min), n_zones,
                                              n_points)
        aegl1 = exceeds[0].any(axis=(0, 2))
        # Share of each zone (its receptor points) inside the AEGL-2 / AEGL-3 (60 min) zones.
        self.aegl2_share = exceeds[1, 2].mean(axis=1)
        self.aegl3_share = exceeds[2, 2].mean(axis=1)
        self.aegl2_zone = self.aegl2_share > 0
        if self.roads is not None:
            # Out of the plume: nodes outside the zones of the (forecast) AEGL-1 area whose air
            # never reaches half of AEGL-1 (60 min), the harmless cut-off of _Harm. (A node at
            # the source itself has no plume: its zone's air decides.)
            clean = self.node_ppm.max(axis=1) < 0.5 * aegl(chemical.cas, 1, 60.0)
            zone_of = _zone_containing(zones, [(n.lon, n.lat) for n in nodes])
            self.clear_nodes = tuple(n.id for n, ok, z in zip(nodes, clean, zone_of, strict=True)
                                     if ok and (z < 0 or not aegl1[z]))

        # 3. Warnings to the forecast AEGL-1 area (or as ordered), cohorts by alert and action
        # time.
        cohort_grid = np.arange(0.0, sc.horizon + sc.cohort_step, sc.cohort_step)
        warned = warn_people(sc.warnings, zones, np.where(aegl1, detected, np.inf), cohort_grid,
                             sc.start_hour, streams, orders=sc.orders, actions=ZONE_ORDERS,
                             by_group=False)
        self.warning, self.cohorts = warned.warning, warned.cohorts
        self.people = warned.people                                            # (Z, 1)
        daytime = warned.daytime
        acting = self.cohorts.acting[:, 0, :]                                  # (Z, B)
        never = self.people[:, 0] - acting.sum(axis=1)                          # (Z,)

        # 4. Exposure and harm for each cohort (zone x action bin) and for those who never act.
        ex = sc.exposure
        indoor_share = ex.indoor_share_day if daytime else ex.indoor_share_night
        evacuate = self._instructions(cohort_grid)                              # (Z, B)
        self.harm = _Harm(self.times, self.outdoor, ex, probit, chemical.cas, indoor_share)
        # Both instructions for every zone (the counterfactuals), then the one actually given.
        sheltered, (p_never, hurt_never, min_never) = self.harm.outcomes(
            cohort_grid, np.zeros(n_zones, bool))
        self.trips = TallyMonitor("evacuation_trip")
        self.cut_off = 0
        # Evacuees' platoons by road: (zone, bin, departure, segments, let out of the cordon).
        self.platoons: list[tuple[int, int, float, list, bool]] = []
        if self.roads is None:
            evacuated, _ = self.harm.outcomes(cohort_grid, np.ones(n_zones, bool))
            actual = evacuated
        else:   # by road: the traffic differs when everyone leaves
            evacuated = self._evacuate_by_road(cohort_grid, acting, np.ones_like(evacuate))
            actual = (self._evacuate_by_road(cohort_grid, acting, evacuate, record=True)
                      if ((acting > 0) & evacuate).any() else sheltered)
        never_deaths = float((never * p_never).sum())
        self.expected_deaths = {
            "all_shelter": float((acting * sheltered[0]).sum()) + never_deaths,
            "all_evacuate": float((acting * evacuated[0]).sum()) + never_deaths}
        p_act, hurt_act, min_act = (np.where(evacuate, e, h)
                                    for e, h in zip(actual, sheltered, strict=True))
        self.expected_deaths["actual"] = float((acting * p_act).sum() + (never * p_never).sum())
        life = streams["lifeloss"]
        dead_act = life.binomial(acting, p_act)
        dead_never = life.binomial(never, p_never)
        self.deaths = int(dead_act.sum() + dead_never.sum())
        injured_act = life.binomial(acting - dead_act, hurt_act)
        injured_never = life.binomial(never - dead_never, hurt_never)
        self.person_minutes_aegl2 = float((acting * min_act).sum() + (never * min_never).sum())
        # Casualties reach care from the time their zone's air first exceeds AEGL-2 (60 min).
        self.injured = injured_act.sum(axis=1) + injured_never                 # (Z,)
        limit2 = aegl(chemical.cas, 2, 60.0)
        above = (self.outdoor >= limit2).any(axis=1)                          # (Z, T)
        first = np.where(above.any(axis=1), self.times[np.argmax(above, axis=1)], np.inf)
        severe = self.aegl3_share > 0

        # 5. Ambulances and hospitals (discrete events).
        self.ems = _Ems(env, sc, zones, ctx, self.roads)
        for z in np.flatnonzero(self.injured > 0):
            when = first[z] if math.isfinite(first[z]) else self.detected_at
            self.ems.casualties(int(z), int(self.injured[z]), float(when), bool(severe[z]))
        self.alerted = LevelMonitor(env, "alerted")
        env.process(self._reporter(cohort_grid))

    # --- orders and roads ------------------------------------------------------------------------

    def _instructions(self, grid: np.ndarray) -> np.ndarray:
        """(Z, B) whether people of each zone who act in each bin evacuate: the plan's
        instruction for the zone, then that of the latest ``shelter_in_place``/``evacuate``
        order given by the time they act."""
        response = self.sc.response
        plan = np.array([response.instruction == "evacuate" or z.id in response.evacuate_zones
                         for z in self.sc.zones])
        evacuate = np.repeat(plan[:, None], grid.size, axis=1)
        if self.sc.orders is not None:
            index = {z.id: i for i, z in enumerate(self.sc.zones)}
            for order in self.sc.orders.of("shelter_in_place", "evacuate"):
                for zone in order.targets:
                    evacuate[index[zone], grid >= order.at] = order.action == "evacuate"
        return evacuate

    def _scene_nodes(self) -> tuple[str, ...]:
        """Road nodes from which responders reach the source: the tanker's link's ends, else
        the node nearest the source."""
        assert self.roads is not None
        if self.tanker_link is not None:
            return tuple(sorted(self.tanker_link))
        return (self.roads.nearest_node(self.sc.source.lon, self.sc.source.lat),)

    def _close_roads(self, cordon_until: float | None) -> None:
        """Set the closures: the tanker's link, ordered closures and reopenings, and (once
        ``cordon_until`` is known, unless orders replace the plan) the police cordon from
        detection + closure_delay."""
        sc, roads = self.sc, self.roads
        assert roads is not None
        response = sc.response
        self.link_ids = link_ids(sc.roads)
        self.link_names = {frozenset(ends): link_key(*ends) for ends in self.link_ids.values()}
        self.tanker_link = (frozenset(self.link_ids[sc.source.link])
                            if sc.source.link is not None else None)
        cordon: list[frozenset] = []
        window = None
        planned = not (sc.orders is not None and sc.orders.replaces_plan)
        if cordon_until is not None and planned and response.closure_radius_m > 0:
            start = self.detected_at + response.closure_delay
            if start < cordon_until:
                window = (start, cordon_until)
                links = list(roads.links)
                ends = [sorted(link) for link in links]
                away = _segment_distances_m(sc.source.lon, sc.source.lat,
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

    def _evacuate_by_road(self, grid: np.ndarray, acting: np.ndarray, evacuate: np.ndarray,
                          record: bool = False):
        """Outcomes (as ``_Harm.outcomes``) of evacuating the (zone, bin) cohorts marked in
        ``evacuate`` by road. People breathe their zone's air for ``road_access`` minutes and
        the drive from the zone centre to its road node; then a platoon per cohort leaves the
        node, in order of departure (first come, first served at each link's point queue), for
        the nearest safe node — the scenario's ``safe`` nodes, else the nodes out of the plume
        (``clear_nodes``). A cohort with no open way at departure stays home and shelters."""
        roads, sc, ex = self.roads, self.sc, self.sc.exposure
        assert roads is not None
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
        routes = {int(z): (np.zeros((grid.size, self.times.size)), np.zeros(grid.size, bool),
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
                segments = convoy.legs
                air[b] = _route_air(self.times, depart, segments, convoy.node, self.node_row,
                                    self.node_ppm)
            if record and driven is None:
                self.cut_off += int(acting[z, b])
            elif record:   # from driving off (road_access after acting) to a safe node
                self.trips.observe(arrival - grid[b] - ex.road_access, int(acting[z, b]))
                self.platoons.append((z, b, depart, segments, self.inside_cordon[origin]))
        # Only zones with evacuees matter: elsewhere nobody acts under this instruction.
        leaving = np.zeros(len(sc.zones), bool)
        leaving[list(routes)] = True
        outcome, _ = self.harm.outcomes(grid, leaving, routes, np.flatnonzero(leaving))
        return outcome

    @staticmethod
    def _weather_step(spec: WeatherSpec, rng: np.random.Generator) -> WeatherStep:
        speed = max(0.0, sample(spec.wind_speed_m_s, rng))
        direction = sample(spec.wind_from_deg, rng) % 360.0
        stability = spec.stability or pasquill_class(
            speed, insolation=spec.insolation, night_cloud=spec.night_cloud,
            overcast=spec.overcast)
        return WeatherStep(spec.start * 60.0, speed, direction, stability)

    def _reporter(self, grid: np.ndarray):
        alerted = (self.warning.alerted * self.people).sum(axis=0)
        for t, value in zip(grid, alerted, strict=True):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.alerted.record(float(value))

    def _warned_share_time(self, share: float) -> float:
        """Minutes until ``share`` of the people in AEGL-2 zones had been alerted."""
        zone = self.aegl2_zone
        total = float(self.people[zone, 0].sum())
        if total == 0:
            return math.nan
        alerted = self.cohorts.alerted[zone, 0, :].sum(axis=0).cumsum()
        reached = np.flatnonzero(alerted >= share * total - 1e-9)
        return float(self.cohorts.times[reached[0]]) if reached.size else math.inf

    def kpis(self) -> Mapping[str, float]:
        people = self.people[:, 0].astype(float)
        total = float(people.sum())
        return {
            "population": total,
            "people_in_aegl2_zone": float(people @ self.aegl2_share),
            "people_in_aegl3_zone": float(people @ self.aegl3_share),
            "person_minutes_above_aegl2": float(self.person_minutes_aegl2),
            "deaths": float(self.deaths),
            "deaths_expected": self.expected_deaths["actual"],
            "deaths_expected_if_all_shelter": self.expected_deaths["all_shelter"],
            "deaths_expected_if_all_evacuate": self.expected_deaths["all_evacuate"],
            "injured_needing_hospital": float(self.injured.sum()),
            "release_stopped_min": self.stopped_at,
            "release_ended_min": self.release_end,
            "warning_90pct_aegl2_min": self._warned_share_time(0.9),
            "warning_100pct_aegl2_min": self._warned_share_time(1.0),
            **self.ems.kpis(),
            **(self._road_kpis() if self.roads is not None else {}),
        }

    def _road_kpis(self) -> dict[str, float]:
        assert self.roads is not None
        horizon = self.sc.horizon
        closed = sum(any(start < horizon and end > start for start, end, _ in spans)
                     for spans in self.roads.windows.values())
        return {
            "road_links_closed": float(closed),
            "cordon_minutes": _span_minutes(self.cordon_spans, horizon),
            "evacuees_cut_off": float(self.cut_off),
            "evacuation_trip_p50_min": float(self.trips.quantile(0.5)),
            "evacuation_trip_p90_min": float(self.trips.quantile(0.9)),
        }

    def series(self) -> Mapping[str, LevelMonitor]:
        return {"alerted": self.alerted, "awaiting_ambulance": self.ems.waiting,
                "in_hospital": self.ems.in_hospital}

    def extras(self) -> dict:
        """Peak and over-time concentration per zone, for maps (JSON-friendly)."""
        peak = self.outdoor.max(axis=2).mean(axis=1)   # zone mean of its points' peaks
        # Map layers: each zone's mean outdoor concentration on the series' report grid (ppm).
        grid = report_grid(self.sc.horizon, self.sc.report_every)
        index = np.clip(np.searchsorted(self.times, grid), 0, self.times.size - 1)
        layers = self.outdoor.mean(axis=1)[:, index]
        extras = {"peak_ppm": {z.id: float(c) for z, c in zip(self.sc.zones, peak, strict=True)},
                  "report_minutes": {str(i): float(t) for i, t in enumerate(grid)},
                  "zone_ppm": {z.id: {str(i): float(c) for i, c in enumerate(row)}
                               for z, row in zip(self.sc.zones, layers, strict=True)}}
        if self.roads is not None:
            # Closed links: [start, end (null: to the end), closed to the public only].
            extras["road_closures"] = {
                self.link_names[link]: [[start, end, public] for start, end, public in spans]
                for link, spans in self.roads.windows.items()}
        return extras


class _Harm:
    """Exposure paths and their outcomes per zone, vectorised over cohorts and time.

    Indoor air follows dCi/dt = λ(Co − Ci), solved exactly step by step; because the equation is
    linear, sheltering from time tₐ equals the solution started at zero plus the gap at tₐ
    decaying as e^(−λ(t − tₐ)), so every action time is handled at once.
    """

    def __init__(self, times: np.ndarray, outdoor: np.ndarray, ex: ExposureSection, probit,
                 cas: str, indoor_share: float) -> None:
        self.times, self.outdoor, self.ex, self.probit = times, outdoor, ex, probit
        self.indoor_share = indoor_share
        self.step = float(times[1] - times[0])
        self.limit2 = aegl(cas, 2, 60.0)
        self.normal = _indoor(outdoor, self.step, ex.normal_air_exchange_per_h)     # (Z, P, T)
        self.sealed = _indoor(outdoor, self.step, ex.shelter_air_exchange_per_h)    # (Z, P, T)
        # Zones whose air never reaches half of AEGL-1 (60 min) come to no harm worth computing
        # (probit lethality and the AEGL-2 injury rule are nil far below it).
        self.exposed = np.flatnonzero(outdoor.max(axis=(1, 2)) >= 0.5 * aegl(cas, 1, 60.0))
        self.peak_index = np.argmax(outdoor, axis=2)                                # (Z, P)

    def _paths(self, z: int, act: np.ndarray, evacuate: bool,
               route: tuple[np.ndarray, np.ndarray, float] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(P, B, T) exposure of indoor and outdoor people at zone z's receptor points who act
        at times ``act``. ``route`` (with roads, for evacuees): per bin the air on the road from
        the zone's node on (B, T), whether the bin found no open road (B,) and shelters
        instead, and the minutes from acting to the node (in the zone's air)."""
        t = self.times[None, None, :]
        a = act[None, :, None]
        outdoor = self.outdoor[z][:, None, :]
        normal = self.normal[z][:, None, :]
        before = t < a
        if evacuate and route is None:
            after = np.where(t < a + self.ex.evacuation_exposure, outdoor, 0.0)
        elif evacuate:
            air, cut, access = route
            after = np.where(t < a + access, outdoor, air[None, :, :])
            if cut.any():
                after = np.where(cut[None, :, None], self._shelter(z, act, t, a, outdoor), after)
        else:
            after = self._shelter(z, act, t, a, outdoor)
        indoor_path = np.where(before, normal, after)
        outdoor_path = np.where(before, outdoor, after)
        return indoor_path, outdoor_path

    def _shelter(self, z: int, act: np.ndarray, t: np.ndarray, a: np.ndarray,
                 outdoor: np.ndarray) -> np.ndarray:
        """(P, B, T) air of people who shelter in place from ``act`` (box model, doors and
        windows shut from the indoor air they had), leaving once the plume has passed."""
        sealed = self.sealed[z][:, None, :]
        k = np.clip(np.searchsorted(self.times, act), 0, self.times.size - 1)
        gap = (self.normal[z][:, k] - self.sealed[z][:, k])[:, :, None]            # (P, B, 1)
        rate = self.ex.shelter_air_exchange_per_h / 60.0
        shelter = sealed + gap * np.exp(-rate * np.maximum(t - a, 0.0))
        # Leave shelter (ventilate) once the plume has passed: after the outdoor peak, as
        # soon as the outdoor air is cleaner than the indoor air.
        peak = self.times[self.peak_index[z]][:, None, None]
        passed = (t > peak) & (outdoor < shelter)
        passed = np.maximum.accumulate(passed, axis=2)
        return np.where(passed, outdoor, shelter)

    def _outcome(self, indoor_path: np.ndarray, outdoor_path: np.ndarray):
        share, probit = self.indoor_share, self.probit
        deaths, hurt, minutes = [], [], []
        for path in (indoor_path, outdoor_path):
            load = np.sum(path ** probit.n, axis=-1) * self.step
            deaths.append(probit_lethality(load, probit.k1, probit.k2))
            hurt.append((_max_running_mean(path, self.step, 60.0) >= self.limit2).astype(float))
            minutes.append((path >= self.limit2).sum(axis=-1) * self.step)
        p_dead = share * deaths[0] + (1 - share) * deaths[1]
        alive_hurt = share * hurt[0] * (1 - deaths[0]) + (1 - share) * hurt[1] * (1 - deaths[1])
        p_hurt = np.clip(np.divide(alive_hurt, 1 - p_dead, out=np.zeros_like(alive_hurt),
                                   where=p_dead < 1), 0.0, 1.0)
        return p_dead, p_hurt, share * minutes[0] + (1 - share) * minutes[1]

    def outcomes(self, act_times: np.ndarray, evacuate: np.ndarray,
                 routes: Mapping[int, tuple[np.ndarray, np.ndarray, float]] | None = None,
                 zones: np.ndarray | None = None):
        """Death and hospital probabilities and minutes above AEGL-2 per person, for cohorts
        (Z, B) acting at ``act_times`` and for people who never act (Z,), computed for
        ``zones`` (default: those the plume reaches); ``routes`` as in ``_paths``, per zone."""
        n_zones, n_bins = self.outdoor.shape[0], act_times.size
        p_dead, p_hurt, minutes = (np.zeros((n_zones, n_bins)) for _ in range(3))
        q_dead, q_hurt, q_minutes = (np.zeros(n_zones) for _ in range(3))
        for z in self.exposed if zones is None else zones:
            # People are spread evenly over the zone's receptor points: average over them.
            route = routes.get(int(z)) if routes is not None else None
            d, h, m = self._outcome(*self._paths(int(z), act_times, bool(evacuate[z]), route))
            p_dead[z], p_hurt[z], minutes[z] = d.mean(axis=0), h.mean(axis=0), m.mean(axis=0)
            d, h, m = self._outcome(self.normal[z], self.outdoor[z])
            q_dead[z], q_hurt[z], q_minutes[z] = d.mean(), h.mean(), m.mean()
        return (p_dead, p_hurt, minutes), (q_dead, q_hurt, q_minutes)


def _receptor_points(zones, per_side: int) -> list[tuple[float, float]]:
    """An n x n grid of points over each zone's square (side sqrt(area)), zone after zone."""
    points = []
    offsets = (np.arange(per_side) + 0.5) / per_side - 0.5                 # in zone sides
    for zone in zones:
        side_km = math.sqrt(zone.area_km2)
        dlat = offsets * side_km / 111.32
        dlon = offsets * side_km / (111.32 * math.cos(math.radians(zone.lat)))
        points += [(zone.lon + x, zone.lat + y) for y in dlat for x in dlon]
    return points


def _zone_containing(zones, points: Sequence[tuple[float, float]]) -> list[int]:
    """Index of the zone whose square (side sqrt(area), around its centre) holds each point;
    the nearest such centre if several do, -1 if none."""
    lon = np.array([z.lon for z in zones])
    lat = np.array([z.lat for z in zones])
    half = np.sqrt([z.area_km2 for z in zones]) * 500.0                    # m
    found = []
    for x, y in points:
        east, north = local_metres(lon, lat, x, y)
        inside = np.flatnonzero((np.abs(east) <= half) & (np.abs(north) <= half))
        found.append(int(inside[np.argmin(np.hypot(east, north)[inside])]) if inside.size
                     else -1)
    return found


def _indoor(outdoor: np.ndarray, step: float, rate_per_h: float) -> np.ndarray:
    """Indoor concentration (starting clean) for a step-wise outdoor one, exactly:
    Ci(t+Δ) = Co(t) + (Ci(t) − Co(t))·e^(−λΔ), as a linear filter over time."""
    a = math.exp(-rate_per_h / 60.0 * step)
    return lfilter([0.0, 1.0 - a], [1.0, -a], outdoor, axis=-1)


def _max_running_mean(paths: np.ndarray, step: float, window: float) -> np.ndarray:
    """Highest mean over any ``window`` minutes (whole grid steps), along the last axis."""
    cumulative = np.cumsum(paths, axis=-1) * step
    steps = max(1, int(round(window / step)))
    if paths.shape[-1] <= steps:
        return cumulative[..., -1] / window
    sums = cumulative[..., steps:] - cumulative[..., :-steps]
    return np.maximum(sums.max(axis=-1), cumulative[..., steps - 1]) / window


# --- roads (with [roads]) -------------------------------------------------------------------------


def _span_minutes(spans: Sequence[tuple[float, float]], horizon: float) -> float:
    """Minutes of [0, horizon] covered by the union of spans."""
    total, reach = 0.0, 0.0
    for start, end in sorted((max(0.0, s), min(horizon, e)) for s, e in spans):
        if end > max(start, reach):
            total += end - max(start, reach)
            reach = end
    return total


def _route_air(times: np.ndarray, depart: float, segments, last: str, row: Mapping[str, int],
               node_ppm: np.ndarray) -> np.ndarray:
    """Outdoor air (ppm) a platoon leaving at ``depart`` breathes on the time grid: on a link
    the mean of its ends', waiting or arrived its node's (zero before departure)."""
    air = np.zeros(times.size)
    end = int(np.searchsorted(times, depart))
    for a, b, t_in, t_out in segments:
        i0, i1 = np.searchsorted(times, (t_in, t_out))
        air[i0:i1] = 0.5 * (node_ppm[row[a], i0:i1] + node_ppm[row[b], i0:i1])
        end = int(i1)
    air[end:] = node_ppm[row[last], end:]
    return air


class _Ems:
    """Ambulances carry casualties, most severe first, to the nearest hospital with a bed."""

    def __init__(self, env: simpy.Environment, sc: ChemicalScenario, zones, ctx,
                 roads: RoadNetwork | None = None) -> None:
        self.env = env
        r = sc.response
        self.r = r
        self.roads = roads
        self.zones = zones
        self.ambulances = (MonitoredPriorityResource(env, r.ambulances, name="ambulances",
                                                     trace=ctx.trace) if r.ambulances else None)
        base = (r.ambulance_base_lon, r.ambulance_base_lat)
        if base[0] is None or base[1] is None:
            base = (sc.source.lon, sc.source.lat)
        self.base = base
        self.free_beds = [h.beds for h in r.hospitals]
        if r.hospitals:
            self.zone_hospital_km = distance_matrix_km([z.lon for z in zones],
                                                       [z.lat for z in zones],
                                                       [h.lon for h in r.hospitals],
                                                       [h.lat for h in r.hospitals])
        self.waiting = LevelMonitor(env, "awaiting_ambulance")
        self.in_hospital = LevelMonitor(env, "in_hospital")
        self.times_to_hospital = TallyMonitor("time_to_hospital")
        self.not_admitted = 0
        self.casualty_total = 0

    def casualties(self, zone: int, people: int, at: float, severe: bool) -> None:
        self.casualty_total += people
        self.env.process(self._zone(zone, people, at, severe))

    def _zone(self, zone: int, people: int, at: float, severe: bool):
        env = self.env
        yield env.timeout(max(0.0, at - env.now))
        self.waiting.record(self.waiting.current + people)
        if self.ambulances is None or not self.r.hospitals:
            self.not_admitted += people
            return
        left = people
        while left > 0:
            n = min(left, self.r.patients_per_trip)
            left -= n
            env.process(self._trip(zone, n, at, 0 if severe else 1))

    def _trip(self, zone: int, n: int, since: float, priority: int):
        env, r = self.env, self.r
        assert self.ambulances is not None
        with self.ambulances.request(priority=priority, entity=f"zone-{zone}") as req:
            yield req
            if self.roads is not None:
                yield from self._road_trip(zone, n, since)
                return
            z = self.zones[zone]
            out_km = float(haversine_km(self.base[0], self.base[1], z.lon, z.lat))
            yield env.timeout(travel_minutes(out_km, r.ambulance_speed_kmh, r.detour_factor))
            self.waiting.record(self.waiting.current - n)
            order = np.argsort(self.zone_hospital_km[zone], kind="stable")
            hospital = next((int(h) for h in order if self.free_beds[h] >= n), int(order[0]))
            to_km = float(self.zone_hospital_km[zone, hospital])
            yield env.timeout(travel_minutes(to_km, r.ambulance_speed_kmh, r.detour_factor)
                              + r.handover)
            admitted = min(n, self.free_beds[hospital])
            self.free_beds[hospital] -= admitted
            self.not_admitted += n - admitted
            self.in_hospital.record(self.in_hospital.current + admitted)
            self.times_to_hospital.observe(env.now - since, n)
            back_km = float(haversine_km(r.hospitals[hospital].lon, r.hospitals[hospital].lat,
                                         self.base[0], self.base[1]))
            yield env.timeout(travel_minutes(back_km, r.ambulance_speed_kmh, r.detour_factor))

    def _road_trip(self, zone: int, n: int, since: float):
        """The same trip over the road network: legs over links open to responders when they
        start (waiting where a closure cuts every way); the hospital with enough free beds
        that is fastest to reach from the zone, else the fastest."""
        env, r, roads = self.env, self.r, self.roads
        assert roads is not None
        z = self.zones[zone]
        spot = (z.lon, z.lat)

        def drive(a: tuple[float, float], b: tuple[float, float]) -> float:
            return roads.drive_minutes(a, b, env.now, r.ambulance_speed_kmh, r.detour_factor)

        out = drive(self.base, spot)
        if math.isfinite(out):
            yield env.timeout(out)
        self.waiting.record(self.waiting.current - n)
        minutes = [drive(spot, (h.lon, h.lat)) for h in r.hospitals]
        reachable = [int(h) for h in np.argsort(minutes, kind="stable")
                     if math.isfinite(minutes[h])]
        if not math.isfinite(out) or not reachable:
            self.not_admitted += n     # cut off for the rest of the run
            return
        hospital = next((h for h in reachable if self.free_beds[h] >= n), reachable[0])
        yield env.timeout(minutes[hospital] + r.handover)
        admitted = min(n, self.free_beds[hospital])
        self.free_beds[hospital] -= admitted
        self.not_admitted += n - admitted
        self.in_hospital.record(self.in_hospital.current + admitted)
        self.times_to_hospital.observe(env.now - since, n)
        h = r.hospitals[hospital]
        back = drive((h.lon, h.lat), self.base)
        if math.isfinite(back):
            yield env.timeout(back)

    def kpis(self) -> dict[str, float]:
        return {
            "time_to_hospital_p50_min": float(self.times_to_hospital.quantile(0.5)),
            "time_to_hospital_p90_min": float(self.times_to_hospital.quantile(0.9)),
            "hospital_peak_load": self.in_hospital.peak,
            "casualties_not_admitted": float(self.not_admitted),
            "ambulance_utilisation": (self.ambulances.utilisation() if self.ambulances
                                      else math.nan),
        }


def build_chemical(ctx: ReplicationContext, scenario: ChemicalScenario) -> ChemicalRun:
    """Register the chemical model's processes for one replication."""
    return ChemicalRun(ctx, scenario)
