"""The hazardous-chemical release model: one replication, orchestrating its parts.

One replication (details in docs/models/chemical.md):

1. **Weather** steps are drawn (uncertain speed and direction); the stability class is given or
   derived from wind and sun/cloud (Pasquill, :func:`models.hazards.plume.pasquill_class`).
2. **Detection** (site gas detectors or a call from the public) starts the response. **Hazmat
   teams** travel, set up and stop the leak; the release (:mod:`models.hazards.source`) ends then
   or when the inventory runs out.
3. **Outdoor concentration** at every zone's receptor points over time
   (:mod:`models.hazards.plume`); threat zones by AEGL (:mod:`models.hazards.toxicity`).
4. **Warnings** go to the zones the forecast puts above AEGL-1 (or as ordered); people are drawn
   into cohorts by alert and action time (:func:`models.response.cohorts.warn_people`, shared
   with the flood model).
5. **Exposure and harm** of each cohort, sheltering in place or evacuating, and of those who
   never act (:mod:`models.chemical.exposure`): deaths drawn and expected, casualties needing
   hospital care, triaged immediate (AEGL-3) or delayed.
6. **Ambulances, hospitals and care** (:mod:`models.chemical.ems` over the shared
   :mod:`models.response.ems`, SimPy processes): casualties deteriorate while they wait; care
   that comes in time saves some of those who would die (stream ``care``).

With ``[roads]`` (:mod:`models.chemical.roads` over the network both models share): closures
(the tanker, the police cordon, orders), hazmat teams and ambulances over the links open to
them, evacuees' convoys breathing the air on the way. ``[orders]`` (:mod:`models.orders`) apply
commanders' timed decisions: warn, shelter in place, evacuate, mobilize teams, close and reopen
roads (when they take effect: :func:`models.response.orders.decided_at`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from models.chemical.ems import care_categories, chemical_ems, triage
from models.chemical.exposure import Harm, receptor_points
from models.chemical.roads import ReleaseRoads
from models.chemical.scenario import ZONE_ORDERS, ChemicalScenario, WeatherSpec
from models.geo import haversine_km
from models.hazards.plume import WeatherStep, concentration_series, pasquill_class
from models.hazards.toxicity import PROBITS, threat_zones
from models.response.cohorts import warn_people
from models.response.orders import decided_at
from models.response.roads import RoadNetwork, travel_minutes
from sim.distributions import sample
from sim.monitors import LevelMonitor
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
        self.release_roads = ReleaseRoads(sc, detected) if sc.roads is not None else None
        self.roads: RoadNetwork | None = (self.release_roads.network if self.release_roads
                                          else None)
        self.team_arrivals: dict[str, float] = {}   # minute each team reaches the scene
        self.stopped_at = self._hazmat(streams["hazmat"])                       # minutes
        rate = release.rate_function(stop_s=self.stopped_at * 60.0)
        self.release_end = min(rate.end_s / 60.0, self.stopped_at)
        if self.release_roads is not None:
            self.release_roads.close(cordon_until=self.release_end + response.closure_clearance)

        # 2. Outdoor concentration at each zone's receptor points (ppm), on the time grid
        # (minutes), and the threat zones.
        step = sc.time_step
        self.times = np.arange(0.0, sc.horizon + step, step)
        receptors = receptor_points(zones, sc.receptors_per_side)            # (Z*P) lon/lat
        n_points = sc.receptors_per_side ** 2
        plume = dict(molecular_weight=chemical.molecular_weight,
                     source_height_m=sc.source.height_m, urban=sc.urban)
        source = (sc.source.lon, sc.source.lat)
        flat = concentration_series(rate, self.weather, receptors, source, self.times * 60.0,
                                    **plume)                                 # (Z*P, T)
        self.outdoor = flat.reshape(n_zones, n_points, -1)                   # (Z, P, T)
        self.threat = threat_zones(flat, self.times, chemical.cas)
        exceeds = self.threat.exceeds.reshape(3, len(self.threat.durations_min), n_zones,
                                              n_points)
        aegl1 = exceeds[0].any(axis=(0, 2))
        # Share of each zone (its receptor points) inside the AEGL-2 / AEGL-3 (60 min) zones.
        self.aegl2_share = exceeds[1, 2].mean(axis=1)
        self.aegl3_share = exceeds[2, 2].mean(axis=1)
        self.aegl2_zone = self.aegl2_share > 0
        if self.release_roads is not None:   # the air on the roads, at their nodes
            node_ppm = concentration_series(rate, self.weather, self.release_roads.node_points(),
                                            source, self.times * 60.0, **plume)  # (N, T)
            self.release_roads.set_air(node_ppm, aegl1, chemical.cas)

        # 3. Warnings to the forecast AEGL-1 area (or as ordered), cohorts by alert and action
        # time.
        cohort_grid = np.arange(0.0, sc.horizon + sc.cohort_step, sc.cohort_step)
        warned = warn_people(sc.warnings, zones, np.where(aegl1, detected, np.inf), cohort_grid,
                             sc.start_hour, streams, orders=sc.orders, actions=ZONE_ORDERS,
                             by_group=False)
        self.warning, self.cohorts = warned.warning, warned.cohorts
        self.people = warned.people                                            # (Z, 1)
        acting = self.cohorts.acting[:, 0, :]                                  # (Z, B)
        never = self.people[:, 0] - acting.sum(axis=1)                          # (Z,)

        # 4. Exposure and harm for each cohort (zone x action bin) and for those who never act.
        ex = sc.exposure
        indoor_share = ex.indoor_share_day if warned.daytime else ex.indoor_share_night
        evacuate = self._instructions(cohort_grid)                              # (Z, B)
        self.harm = Harm(self.times, self.outdoor, ex, probit, chemical.cas, indoor_share)
        # Both instructions for every zone (the counterfactuals), then the one actually given.
        sheltered, (p_never, hurt_never, min_never, severe_never) = self.harm.outcomes(
            cohort_grid, np.zeros(n_zones, bool))
        if self.release_roads is None:
            evacuated, _ = self.harm.outcomes(cohort_grid, np.ones(n_zones, bool))
            actual = evacuated
        else:   # by road: the traffic differs when everyone leaves
            evacuated = self._by_road(cohort_grid, acting, np.ones_like(evacuate))
            actual = (self._by_road(cohort_grid, acting, evacuate, record=True)
                      if ((acting > 0) & evacuate).any() else sheltered)
        never_deaths = float((never * p_never).sum())
        self.expected_deaths = {
            "all_shelter": float((acting * sheltered[0]).sum()) + never_deaths,
            "all_evacuate": float((acting * evacuated[0]).sum()) + never_deaths}
        p_act, hurt_act, min_act, severe_act = (np.where(evacuate, e, h)
                                                for e, h in zip(actual, sheltered, strict=True))
        self.expected_deaths["actual"] = float((acting * p_act).sum() + (never * p_never).sum())
        life = streams["lifeloss"]
        dead_act = life.binomial(acting, p_act)
        dead_never = life.binomial(never, p_never)
        self.exposure_deaths = int(dead_act.sum() + dead_never.sum())
        injured_act = life.binomial(acting - dead_act, hurt_act)
        injured_never = life.binomial(never - dead_never, hurt_never)
        self.person_minutes_aegl2 = float((acting * min_act).sum() + (never * min_never).sum())
        # Casualties reach care from the time their zone's air first exceeds AEGL-2 (60 min).
        self.injured = injured_act.sum(axis=1) + injured_never                 # (Z,)
        above = (self.outdoor >= self.harm.limit2).any(axis=1)                # (Z, T)
        first = np.where(above.any(axis=1), self.times[np.argmax(above, axis=1)], np.inf)

        # 5. Triage, ambulances, hospitals and care (discrete events; stream "care", drawn in
        # a fixed order whatever the response: categories' outcomes, triage, fates).
        care = streams["care"]
        self.categories = care_categories(sc.care, care)
        immediate = (triage(care, injured_act, hurt_act, severe_act).sum(axis=1)
                     + triage(care, injured_never, hurt_never, severe_never))      # (Z,)
        self.triaged = np.stack([immediate, self.injured - immediate])           # (C, Z)
        self.ems = chemical_ems(env, sc, self.categories, ctx.trace, self.roads)
        for z in np.flatnonzero(self.injured > 0):
            when = first[z] if math.isfinite(first[z]) else self.detected_at
            for c in range(len(self.categories)):
                self.ems.casualties(int(z), c, int(self.triaged[c, z]), float(when), care)
        self.alerted = LevelMonitor(env, "alerted")
        env.process(self._reporter(cohort_grid))

    # --- roads, as the layers above read them (drills' timelines) -----------------------------

    @property
    def cordon_links(self) -> list[frozenset]:
        """Links the police cordon closes (their node pairs); empty without roads."""
        return self.release_roads.cordon_links if self.release_roads is not None else []

    @property
    def link_names(self) -> dict[frozenset, str]:
        """Each link's id (``"source-target"``) by its node pair; empty without roads."""
        return self.release_roads.link_names if self.release_roads is not None else {}

    # --- the response --------------------------------------------------------------------------

    @property
    def deaths(self) -> int:
        """Deaths from the exposure plus deaths awaiting care and in care (everyone's fate,
        also beyond the horizon: :meth:`models.response.ems.Ems.care_deaths`)."""
        return self.exposure_deaths + sum(self.ems.care_deaths())

    def _hazmat(self, rng: np.random.Generator) -> float:
        """Minute the first team stops the leak (inf: none does); fills ``team_arrivals``."""
        sc, response, roads = self.sc, self.sc.response, self.release_roads
        stops = []
        for team in response.hazmat_teams:
            if sc.source.transport and team.type == "enterprise":
                continue  # a tanker on the road has no enterprise team at hand
            callout = decided_at(sc.orders, ("mobilize_team", "request_team"), team.id,
                                 self.detected_at)
            if roads is None:
                km = float(haversine_km(team.base_lon, team.base_lat, sc.source.lon,
                                        sc.source.lat))
                travel = travel_minutes(km, team.speed_kmh, response.detour_factor)
            elif math.isfinite(callout):
                travel = roads.network.drive_minutes(
                    (team.base_lon, team.base_lat), (sc.source.lon, sc.source.lat),
                    callout + team.mobilization_delay, team.speed_kmh, response.detour_factor,
                    roads.scene_nodes())
            else:
                travel = math.inf   # never called out (orders replace the plan)
            arrive = callout + team.mobilization_delay + travel
            self.team_arrivals[team.id] = arrive
            # Drawn whether or not the team comes: the stream stays aligned across options.
            stops.append(arrive + team.setup + max(0.0, sample(team.stop, rng)))
        return min(stops) if stops else math.inf

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

    def _by_road(self, grid: np.ndarray, acting: np.ndarray, evacuate: np.ndarray,
                 record: bool = False):
        """Outcomes (as :meth:`Harm.outcomes`) of evacuating the (zone, bin) cohorts marked in
        ``evacuate`` by road (:meth:`ReleaseRoads.evacuate`)."""
        assert self.release_roads is not None
        routes = self.release_roads.evacuate(grid, acting, evacuate, self.times, record)
        # Only zones with evacuees matter: elsewhere nobody acts under this instruction.
        leaving = np.zeros(len(self.sc.zones), bool)
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
            "deaths_expected": self.expected_deaths["actual"] + self.ems.expected_care_deaths(),
            "deaths_expected_from_exposure": self.expected_deaths["actual"],
            "deaths_expected_if_all_shelter": self.expected_deaths["all_shelter"],
            "deaths_expected_if_all_evacuate": self.expected_deaths["all_evacuate"],
            "injured_needing_hospital": float(self.injured.sum()),
            "injured_immediate": float(self.triaged[0].sum()),
            "release_stopped_min": self.stopped_at,
            "release_ended_min": self.release_end,
            "warning_90pct_aegl2_min": self._warned_share_time(0.9),
            "warning_100pct_aegl2_min": self._warned_share_time(1.0),
            **self.ems.kpis(),
            **(self.release_roads.kpis(self.sc.horizon) if self.release_roads else {}),
        }

    def series(self) -> Mapping[str, LevelMonitor]:
        ems = self.ems
        return {"alerted": self.alerted, "awaiting_ambulance": ems.waiting,
                "awaiting_care": ems.awaiting_care, "in_hospital": ems.in_hospital,
                "deaths_awaiting_care": ems.dead_awaiting, "deaths_in_care": ems.dead_in_care}

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
        if self.release_roads is not None:
            # Closed links: [start, end (null: to the end), closed to the public only].
            extras["road_closures"] = self.release_roads.closures()
        return extras


def build_chemical(ctx: ReplicationContext, scenario: ChemicalScenario) -> ChemicalRun:
    """Register the chemical model's processes for one replication."""
    return ChemicalRun(ctx, scenario)
