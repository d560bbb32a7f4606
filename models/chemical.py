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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Literal

import numpy as np
import simpy
from pydantic import Field, field_validator, model_validator
from scipy.signal import lfilter

from models.geo import distance_matrix_km, haversine_km
from models.hazards.plume import WeatherStep, concentration_series, pasquill_class
from models.hazards.source import ContinuousRelease, InstantaneousRelease, PoolRelease
from models.hazards.toxicity import PROBITS, aegl, probit_lethality, threat_zones
from models.population import sample_cohorts
from models.scenario import ScenarioBase
from models.warnings import WarningsSection, is_daytime, simulate_warnings
from models.zones import Share, ZoneBase
from sim.config import StrictModel
from sim.distributions import Uncertain, sample
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredPriorityResource
from sim.runner import ReplicationContext
from sim.units import Duration

__all__ = ["ChemicalScenario", "ChemicalRun", "build_chemical"]

Release = Annotated[ContinuousRelease | InstantaneousRelease | PoolRelease,
                    Field(discriminator="kind")]
Stability = Literal["A", "B", "C", "D", "E", "F"]


class ChemicalZone(ZoneBase):
    """A zone around the source; its centre is the receptor (ground level)."""


class SourceSection(StrictModel):
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    height_m: float = Field(default=0.0, ge=0, description="Release height above ground (m).")
    release: Release
    transport: bool = Field(default=False, description="A road-tanker accident (closes the "
                            "road; the enterprise team is absent).")


class WeatherSpec(StrictModel):
    """A weather step from ``start`` on."""

    start: Duration = 0.0
    wind_speed_m_s: Uncertain = Field(description="Wind speed at 10 m (m/s); below 0.5 m/s "
                                      "is taken as 0.5 (calm-wind handling).")
    wind_from_deg: Uncertain = Field(description="Direction the wind blows FROM (degrees).")
    stability: Stability | None = Field(default=None, description="Pasquill class; default: "
                                        "from wind speed and insolation/night cloud.")
    insolation: Literal["strong", "moderate", "slight"] | None = None
    night_cloud: Literal["over_4_8", "under_3_8"] | None = None
    overcast: bool = False

    @field_validator("wind_speed_m_s")
    @classmethod
    def _speed(cls, value):
        if isinstance(value, int | float) and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"wind speed must be a number >= 0 m/s, got {value!r}")
        return value

    @model_validator(mode="after")
    def _sky(self) -> WeatherSpec:
        if self.stability is None and (self.insolation is None) == (self.night_cloud is None):
            raise ValueError("give stability, or exactly one of insolation (day) and "
                             "night_cloud (night)")
        return self


class HazmatTeam(StrictModel):
    id: str = Field(min_length=1)
    type: Literal["fire_hazmat", "enterprise", "gas_rescue_base"] = "fire_hazmat"
    base_lon: float = Field(ge=-180, le=180)
    base_lat: float = Field(ge=-90, le=90)
    mobilization_delay: Duration = Field(default=5.0, description="Call-out to departure.")
    speed_kmh: float = Field(default=40.0, gt=0)
    setup: Duration = Field(default=15.0, description="Reconnaissance and set-up at the scene.")
    stop: Uncertain = Field(default=20.0, description="Minutes to stop the leak once set up.")


class Hospital(StrictModel):
    id: str = Field(min_length=1)
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    beds: int = Field(ge=0, description="Beds free for casualties.")


class ResponseSection(StrictModel):
    detectors: bool = Field(default=True, description="The site has gas detectors (a "
                            "transport release never has).")
    detector_delay: Duration = Field(default=5.0, description="Detectors raise the alarm "
                                     "after this.")
    public_call_delay: Duration = Field(default=20.0, description="A call from the public.")
    instruction: Literal["shelter", "evacuate"] = Field(
        default="shelter", description="What warned people are told to do.")
    evacuate_zones: list[str] = Field(default_factory=list, description="Zones told to "
                                      "evacuate when the instruction is to shelter.")
    hazmat_teams: list[HazmatTeam] = Field(default_factory=list)
    detour_factor: float = Field(default=1.3, ge=1)
    ambulances: int = Field(default=0, ge=0)
    patients_per_trip: int = Field(default=2, ge=1)
    ambulance_base_lon: float | None = None
    ambulance_base_lat: float | None = None
    ambulance_speed_kmh: float = Field(default=40.0, gt=0)
    handover: Duration = Field(default=15.0, description="Loading plus handover at hospital.")
    hospitals: list[Hospital] = Field(default_factory=list)


class ExposureSection(StrictModel):
    indoor_share_day: Share = Field(default=0.8, description="Indoors by day (assumption).")
    indoor_share_night: Share = Field(default=0.95, description="Indoors at night (assumption).")
    normal_air_exchange_per_h: float = Field(
        default=1.0, gt=0, description="Windows as usual (assumption).")
    shelter_air_exchange_per_h: float = Field(
        default=0.5, gt=0, description="Doors and windows shut (0.2-1.0 /h for homes; 0.5 "
        "assumption, reference parameters).")
    evacuation_exposure: Duration = Field(
        default=20.0, description="Minutes outdoors while leaving (assumption).")


class ChemicalScenario(ScenarioBase):
    model: Literal["chemical"]
    start_hour: float = Field(default=2.0, ge=0, lt=24)
    time_step: Duration = Field(default=1.0, gt=0, description="Concentration time step.")
    cohort_step: Duration = Field(default=5.0, gt=0)
    urban: bool = Field(default=True, description="Briggs urban dispersion coefficients.")
    receptors_per_side: int = Field(
        default=3, ge=1, le=9, description="Receptor points per zone: an n x n grid over the "
        "zone's square (people spread evenly over them).")
    zones: list[ChemicalZone] = Field(min_length=1)
    source: SourceSection
    weather: list[WeatherSpec] = Field(min_length=1)
    warnings: WarningsSection
    response: ResponseSection = ResponseSection()
    exposure: ExposureSection = ExposureSection()

    @model_validator(mode="after")
    def _references(self) -> ChemicalScenario:
        ids = [z.id for z in self.zones]
        problems = []
        if len(set(ids)) != len(ids):
            problems.append("zones: zone ids must be unique")
        for i, zone in enumerate(self.response.evacuate_zones):
            if zone not in ids:
                problems.append(f"response.evacuate_zones[{i}]: unknown zone {zone!r}")
        if self.source.release.substance.cas not in PROBITS:
            problems.append(f"source.release.chemical: no lethality probit for "
                            f"{self.source.release.chemical!r} (have chlorine, ammonia)")
        starts = [w.start for w in self.weather]
        if starts[0] != 0 or starts != sorted(starts):
            problems.append("weather: steps must start at 0 and be in time order")
        if problems:
            raise ValueError("; ".join(problems))
        return self


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
        hazmat_rng = streams["hazmat"]
        stops = []
        for team in response.hazmat_teams:
            if sc.source.transport and team.type == "enterprise":
                continue  # a tanker on the road has no enterprise team at hand
            km = float(haversine_km(team.base_lon, team.base_lat, sc.source.lon,
                                    sc.source.lat)) * response.detour_factor
            stops.append(detected + team.mobilization_delay + km / team.speed_kmh * 60.0
                         + team.setup + max(0.0, sample(team.stop, hazmat_rng)))
        self.stopped_at = min(stops) if stops else math.inf   # minutes
        rate = release.rate_function(stop_s=self.stopped_at * 60.0)
        self.release_end = min(rate.end_s / 60.0, self.stopped_at)

        # 2. Outdoor concentration at each zone centre (ppm), on the time grid (minutes).
        step = sc.time_step
        self.times = np.arange(0.0, sc.horizon + step, step)
        receptors = _receptor_points(zones, sc.receptors_per_side)           # (Z*P) lon/lat
        n_points = sc.receptors_per_side ** 2
        flat = concentration_series(
            rate, self.weather, receptors, (sc.source.lon, sc.source.lat), self.times * 60.0,
            molecular_weight=chemical.molecular_weight, source_height_m=sc.source.height_m,
            urban=sc.urban)                                                  # (Z*P, T)
        self.outdoor = flat.reshape(n_zones, n_points, -1)                   # (Z, P, T)
        self.threat = threat_zones(flat, self.times, chemical.cas)
        exceeds = self.threat.exceeds.reshape(3, len(self.threat.durations_min), n_zones,
                                              n_points)
        aegl1 = exceeds[0].any(axis=(0, 2))
        # Share of each zone (its receptor points) inside the AEGL-2 / AEGL-3 (60 min) zones.
        self.aegl2_share = exceeds[1, 2].mean(axis=1)
        self.aegl3_share = exceeds[2, 2].mean(axis=1)
        self.aegl2_zone = self.aegl2_share > 0

        # 3. Warnings to the forecast AEGL-1 area, cohorts by alert and action time.
        identified = np.where(aegl1, detected, np.inf)
        cohort_grid = np.arange(0.0, sc.horizon + sc.cohort_step, sc.cohort_step)
        self.warning = simulate_warnings(sc.warnings, zones, identified, cohort_grid,
                                         sc.start_hour, streams["warnings"])
        daytime = bool(is_daytime(np.array([0.0]), sc.start_hour, sc.warnings)[0])
        self.people = np.array([[z.population(daytime)] for z in zones])      # (Z, 1)
        pai = sc.warnings.protective_action.cdf(cohort_grid - cohort_grid[0],
                                                self.warning.pai_scale)
        pop_rng = streams["population"]
        self.cohorts = sample_cohorts(cohort_grid, self.people, self.warning.alerted, pai,
                                      sc.warnings.never_act, pop_rng)
        acting = self.cohorts.acting[:, 0, :]                                  # (Z, B)
        never = self.people[:, 0] - acting.sum(axis=1)                          # (Z,)

        # 4. Exposure and harm for each cohort (zone x action bin) and for those who never act.
        ex = sc.exposure
        indoor_share = ex.indoor_share_day if daytime else ex.indoor_share_night
        evacuate = np.array([sc.response.instruction == "evacuate" or z.id in
                             sc.response.evacuate_zones for z in zones])
        self.harm = _Harm(self.times, self.outdoor, ex, probit, chemical.cas, indoor_share)
        # Both instructions for every zone (the counterfactuals), then the one actually given.
        sheltered, (p_never, hurt_never, min_never) = self.harm.outcomes(
            cohort_grid, np.zeros(n_zones, bool))
        evacuated, _ = self.harm.outcomes(cohort_grid, np.ones(n_zones, bool))
        never_deaths = float((never * p_never).sum())
        self.expected_deaths = {
            "all_shelter": float((acting * sheltered[0]).sum()) + never_deaths,
            "all_evacuate": float((acting * evacuated[0]).sum()) + never_deaths}
        p_act, hurt_act, min_act = (np.where(evacuate[:, None], e, h)
                                    for e, h in zip(evacuated, sheltered, strict=True))
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
        self.ems = _Ems(env, sc, zones, ctx)
        for z in np.flatnonzero(self.injured > 0):
            when = first[z] if math.isfinite(first[z]) else self.detected_at
            self.ems.casualties(int(z), int(self.injured[z]), float(when), bool(severe[z]))
        self.alerted = LevelMonitor(env, "alerted")
        env.process(self._reporter(cohort_grid))

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
        }

    def series(self) -> Mapping[str, LevelMonitor]:
        return {"alerted": self.alerted, "awaiting_ambulance": self.ems.waiting,
                "in_hospital": self.ems.in_hospital}

    def extras(self) -> dict:
        """Peak and over-time concentration per zone, for maps (JSON-friendly)."""
        peak = self.outdoor.max(axis=2).mean(axis=1)   # zone mean of its points' peaks
        # Map layers: each zone's mean outdoor concentration on the report grid (ppm).
        step = self.sc.report_every or self.sc.horizon / 100
        grid = np.arange(0.0, self.sc.horizon + step / 2, step)
        index = np.clip(np.searchsorted(self.times, grid), 0, self.times.size - 1)
        layers = self.outdoor.mean(axis=1)[:, index]
        return {"peak_ppm": {z.id: float(c) for z, c in zip(self.sc.zones, peak, strict=True)},
                "report_minutes": {str(i): float(t) for i, t in enumerate(grid)},
                "zone_ppm": {z.id: {str(i): float(c) for i, c in enumerate(row)}
                             for z, row in zip(self.sc.zones, layers, strict=True)}}


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

    def _paths(self, z: int, act: np.ndarray, evacuate: bool) -> tuple[np.ndarray, np.ndarray]:
        """(P, B, T) exposure of indoor and outdoor people at zone z's receptor points who act
        at times ``act``."""
        t = self.times[None, None, :]
        a = act[None, :, None]
        outdoor = self.outdoor[z][:, None, :]
        normal, sealed = self.normal[z][:, None, :], self.sealed[z][:, None, :]
        before = t < a
        if evacuate:
            after = np.where(t < a + self.ex.evacuation_exposure, outdoor, 0.0)
        else:
            k = np.clip(np.searchsorted(self.times, act), 0, self.times.size - 1)
            gap = (self.normal[z][:, k] - self.sealed[z][:, k])[:, :, None]        # (P, B, 1)
            rate = self.ex.shelter_air_exchange_per_h / 60.0
            shelter = sealed + gap * np.exp(-rate * np.maximum(t - a, 0.0))
            # Leave shelter (ventilate) once the plume has passed: after the outdoor peak, as
            # soon as the outdoor air is cleaner than the indoor air.
            peak = self.times[self.peak_index[z]][:, None, None]
            passed = (t > peak) & (outdoor < shelter)
            passed = np.maximum.accumulate(passed, axis=2)
            after = np.where(passed, outdoor, shelter)
        indoor_path = np.where(before, normal, after)
        outdoor_path = np.where(before, outdoor, after)
        return indoor_path, outdoor_path

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

    def outcomes(self, act_times: np.ndarray, evacuate: np.ndarray):
        """Death and hospital probabilities and minutes above AEGL-2 per person, for cohorts
        (Z, B) acting at ``act_times`` and for people who never act (Z,)."""
        n_zones, n_bins = self.outdoor.shape[0], act_times.size
        p_dead, p_hurt, minutes = (np.zeros((n_zones, n_bins)) for _ in range(3))
        q_dead, q_hurt, q_minutes = (np.zeros(n_zones) for _ in range(3))
        for z in self.exposed:
            # People are spread evenly over the zone's receptor points: average over them.
            d, h, m = self._outcome(*self._paths(int(z), act_times, bool(evacuate[z])))
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


class _Ems:
    """Ambulances carry casualties, most severe first, to the nearest hospital with a bed."""

    def __init__(self, env: simpy.Environment, sc: ChemicalScenario, zones, ctx) -> None:
        self.env = env
        r = sc.response
        self.r = r
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
            z = self.zones[zone]
            out_km = float(haversine_km(self.base[0], self.base[1], z.lon, z.lat))
            yield env.timeout(out_km * r.detour_factor / r.ambulance_speed_kmh * 60.0)
            self.waiting.record(self.waiting.current - n)
            order = np.argsort(self.zone_hospital_km[zone], kind="stable")
            hospital = next((int(h) for h in order if self.free_beds[h] >= n), int(order[0]))
            to_km = float(self.zone_hospital_km[zone, hospital])
            yield env.timeout(to_km * r.detour_factor / r.ambulance_speed_kmh * 60.0
                              + r.handover)
            admitted = min(n, self.free_beds[hospital])
            self.free_beds[hospital] -= admitted
            self.not_admitted += n - admitted
            self.in_hospital.record(self.in_hospital.current + admitted)
            self.times_to_hospital.observe(env.now - since, n)
            back_km = float(haversine_km(r.hospitals[hospital].lon, r.hospitals[hospital].lat,
                                         self.base[0], self.base[1]))
            yield env.timeout(back_km * r.detour_factor / r.ambulance_speed_kmh * 60.0)

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
