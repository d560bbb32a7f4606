"""Flood hazard for one replication: water depth (m) and velocity (m/s) per zone over time.

Two sources give the same result, a :class:`HazardField` on a regular time grid (minutes since the
scenario start, zones in scenario order):

* the built-in generator: gamma-shaped stage hydrographs at river gauges (NRCS NEH-630 ch. 16),
  zones flooded when the stage overtops their protection or a levee breach opens, and an optional
  dam-break wave travelling at a fixed celerity;
* an imported NetCDF field computed elsewhere (a 2-D hydrodynamic model), sampled per zone.

The physics, every parameter with its source, and the file format: docs/models/flood-hazard.md.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, model_validator
from scipy.special import lambertw

from models.geo import haversine_km
from models.zones import Zone
from sim.config import ConfigError, StrictModel
from sim.distributions import Choice, LogNormal, Normal, Triangular, Uncertain, Uniform, sample
from sim.streams import name_key
from sim.units import MINUTES_PER, Duration

__all__ = [
    "Breach",
    "DamBreak",
    "FloodHazardSection",
    "Gauge",
    "HazardField",
    "Hydrograph",
    "check_references",
    "flood_hazard",
    "haversine_km",
]

G = 9.81  # gravitational acceleration, m/s²
RECESSION_END = 0.01  # assumption: the recession "ends" when the rise has fallen to 1 % of peak
WET_DEPTH_M = 0.01  # an imported zone counts as wet (threat identified) from this depth
_MIN_POSITIVE = 1e-6  # floor for draws of strictly positive parameters (normal tails)
DRAIN_M_PER_H = 0.05  # assumption: pumping/gravity drainage of a flooded zone, metres per hour


# --- input ---------------------------------------------------------------------------------------


def _lowest(value: Any) -> tuple[float, bool]:
    """The smallest value a parameter can take, and whether that bound is excluded.

    A normal's mean stands in for its (unbounded) support: its draws are clipped at run time.
    """
    if isinstance(value, Triangular):
        return value.triangular[0], False
    if isinstance(value, Uniform):
        return value.uniform[0], False
    if isinstance(value, Choice):
        return min(value.choice), False
    if isinstance(value, LogNormal):
        return 0.0, True
    if isinstance(value, Normal):
        return value.normal[0], False
    return float(value), False


def _require(value: Any, name: str, bound: float, strict: bool) -> None:
    low, excluded = _lowest(value)
    if low < bound or (strict and low == bound and not excluded):
        relation = ">" if strict else ">="
        what = "" if isinstance(value, int | float) else " for every value it can take"
        raise ValueError(f"{name} must be {relation} {bound:g}{what} (lowest {low:g})")


class Gauge(StrictModel):
    """A river gauge and the flood hydrograph at it (stages in m above the gauge datum)."""

    id: str = Field(min_length=1, description="Unique identifier; zones name it in `gauge`.")
    name: str = Field(default="", description="Human name (Chinese or English).")
    lon: float = Field(ge=-180, le=180, description="Longitude of the gauge (WGS84).")
    lat: float = Field(ge=-90, le=90, description="Latitude of the gauge (WGS84).")
    base_stage_m: float = Field(description="Stage before the flood rises (m above datum).")
    peak_stage_m: Uncertain = Field(description="Peak stage of the flood (m above datum).")
    time_to_peak_h: Uncertain = Field(description="Time of the peak, hours after the start.")
    duration_h: Uncertain = Field(
        description="Hours from the start of the rise to the end of the recession (the rise "
                    "back within 1 % of its peak).")
    warning_stage_m: float = Field(
        description="Stage (警戒水位) at which the flood is identified for the gauge's zones.")
    forecast_lead_h: float = Field(
        default=0.0, ge=0,
        description="Hours before the warning stage is reached that a hydrological forecast "
                    "identifies the flood (never before the start). Default 0: assumption.")
    shape: float = Field(
        default=3.7, ge=1, le=100,
        description="Gamma hydrograph shape m; 3.7 matches NRCS's standard dimensionless unit "
                    "hydrograph (NEH-630 ch. 16, table 16-5).")

    @model_validator(mode="after")
    def _check(self) -> Gauge:
        _require(self.peak_stage_m, "peak_stage_m", self.base_stage_m, strict=True)
        _require(self.time_to_peak_h, "time_to_peak_h", 0.0, strict=False)
        _require(self.duration_h, "duration_h", 0.0, strict=True)
        return self


class Breach(StrictModel):
    """A possible levee breach that floods one zone whatever its protection."""

    zone: str = Field(min_length=1, description="Id of the zone the breach floods.")
    probability: float = Field(ge=0, le=1, description="Chance that it happens (per replication).")
    time_h: Uncertain | None = Field(
        default=None, description="Hours after the start at which the levee breaks.")
    at_stage_m: float | None = Field(
        default=None, description="Or: the levee breaks when the zone's gauge reaches this stage.")
    froude: Uncertain = Field(
        default=0.5,
        description="Froude number of the flow in the zone once breached (assumption: 0.5).")

    @model_validator(mode="after")
    def _check(self) -> Breach:
        if (self.time_h is None) == (self.at_stage_m is None):
            raise ValueError("give exactly one of time_h or at_stage_m")
        if self.time_h is not None:
            _require(self.time_h, "time_h", 0.0, strict=False)
        _require(self.froude, "froude", 0.0, strict=True)
        return self


class DamBreak(StrictModel):
    """A dam failure whose wave reaches each zone at distance / celerity after the failure."""

    name: str = Field(default="", description="Name of the dam.")
    lon: float = Field(ge=-180, le=180, description="Longitude of the dam (WGS84).")
    lat: float = Field(ge=-90, le=90, description="Latitude of the dam (WGS84).")
    probability: float = Field(
        default=1.0, ge=0, le=1, description="Chance that the dam fails (per replication).")
    failure_time_h: Uncertain = Field(description="Hours after the start at which it fails.")
    peak_depth_m: Uncertain = Field(description="Peak depth of the wave at the dam (m).")
    celerity_m_s: Uncertain = Field(description="Speed of the wave front (m/s).")
    attenuation_km: Uncertain = Field(
        description="Distance over which the wave's peak depth falls by a factor e (km).")
    duration_h: Uncertain = Field(description="Duration of the wave at a zone (hours).")
    rise_fraction: float = Field(
        default=0.25, ge=0, lt=1,
        description="Share of the duration from arrival to peak depth (assumption: 0.25).")
    froude: Uncertain = Field(
        default=1.0, description="Froude number of the wave's flow (assumption: 1).")
    max_distance_km: float = Field(
        default=100.0, gt=0, description="Zones farther than this are not reached (assumption).")
    zones: list[str] | None = Field(
        default=None, description="Ids of the zones the wave can reach (default: all within "
                                   "max_distance_km).")

    @model_validator(mode="after")
    def _check(self) -> DamBreak:
        _require(self.failure_time_h, "failure_time_h", 0.0, strict=False)
        for name in ("peak_depth_m", "celerity_m_s", "attenuation_km", "duration_h", "froude"):
            _require(getattr(self, name), name, 0.0, strict=True)
        return self


class FloodHazardSection(StrictModel):
    """The scenario's ``[hazard]`` section: generator parameters, or ``netcdf = "file.nc"``."""

    time_step: Duration = Field(default="10min", description="Step of the hazard time grid.")
    froude: Uncertain = Field(
        default=0.3,
        description="Froude number of flood flow in the zones: v = Fr·sqrt(g·d) (assumption).")
    max_velocity_m_s: float = Field(
        default=5.0, gt=0, description="Cap on velocities from the Froude relation (assumption).")
    # built-in generator
    gauges: list[Gauge] = Field(default_factory=list, description="River gauges (generator).")
    breaches: list[Breach] = Field(default_factory=list, description="Possible levee breaches.")
    dam_break: DamBreak | None = Field(default=None, description="Optional dam failure.")
    drain_m_per_h: float = Field(
        default=DRAIN_M_PER_H, ge=0,
        description="Fastest fall of the water in a flooded zone (m/h); it follows the river "
                    "down no faster (assumption: 0.05).")
    fill_m_per_h: float | None = Field(
        default=None, gt=0,
        description="Fastest rise of the water in a zone once flooded (m/h); default: at once.")
    # import
    netcdf: str | None = Field(
        default=None, description="NetCDF file of depth (and velocity) computed elsewhere, "
                                  "relative to the scenario file's folder.")
    depth_var: str = Field(default="depth", min_length=1, description="Depth variable (m).")
    velocity_var: str | None = Field(
        default=None, description="Velocity variable (m/s); default: `velocity` if the file "
                                  "has it, else the Froude relation.")
    identification_lead_h: float = Field(
        default=0.0, ge=0,
        description="Hours before a zone first gets 0.01 m of water that the threat is "
                    "identified (imported fields; never before the start).")

    @model_validator(mode="after")
    def _check(self) -> FloodHazardSection:
        if self.time_step <= 0:
            raise ValueError("time_step must be longer than zero")
        _require(self.froude, "froude", 0.0, strict=True)
        if self.netcdf is not None:
            generator = [name for name, unset in (
                ("gauges", not self.gauges), ("breaches", not self.breaches),
                ("dam_break", self.dam_break is None),
                ("drain_m_per_h", self.drain_m_per_h == DRAIN_M_PER_H),
                ("fill_m_per_h", self.fill_m_per_h is None)) if not unset]
            if generator:
                raise ValueError(
                    f"netcdf imports the hazard: remove the generator's {', '.join(generator)}")
            if not self.netcdf.strip():
                raise ValueError("netcdf must name a file")
            return self
        imported = [name for name, unset in (
            ("depth_var", self.depth_var == "depth"), ("velocity_var", self.velocity_var is None),
            ("identification_lead_h", self.identification_lead_h == 0)) if not unset]
        if imported:
            raise ValueError(f"{', '.join(imported)} only apply with netcdf = \"file.nc\"")
        if not self.gauges:
            raise ValueError('give either [[hazard.gauges]] (built-in generator) or '
                             'netcdf = "file.nc" (imported field)')
        ids = [g.id for g in self.gauges]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"gauge ids must be unique; repeated: {', '.join(duplicates)}")
        return self


def check_references(section: FloodHazardSection, zones: Sequence[Zone]) -> list[tuple[str, str]]:
    """Problems between ``[hazard]`` and ``[[zones]]``, as (field path, message) pairs.

    Unknown gauge or zone ids, zones below their gauge's base stage, breach stages that are
    reached before the flood rises. Empty for an imported field (its zones are checked on import).
    """
    if section.netcdf is not None:
        return []
    gauges = {g.id: g for g in section.gauges}
    zone_ids = {z.id: z for z in zones}
    known_gauges = ", ".join(gauges)
    problems: list[tuple[str, str]] = []
    for i, zone in enumerate(zones):
        gauge = gauges.get(zone.gauge)
        if gauge is None:
            problems.append((f"zones[{i}].gauge",
                             f"unknown gauge {zone.gauge!r} (expected one of: {known_gauges})"))
        elif zone.ground_elevation_m + zone.protection_m < gauge.base_stage_m:
            problems.append((
                f"zones[{i}].ground_elevation_m",
                f"ground + protection ({zone.ground_elevation_m + zone.protection_m:g} m) is "
                f"below the base stage of gauge {gauge.id!r} ({gauge.base_stage_m:g} m): the "
                "zone would be under water from the start"))
    for i, breach in enumerate(section.breaches):
        zone = zone_ids.get(breach.zone)
        if zone is None:
            problems.append((f"hazard.breaches[{i}].zone", f"unknown zone {breach.zone!r}"))
            continue
        gauge = gauges.get(zone.gauge)
        if gauge is not None and breach.at_stage_m is not None \
                and breach.at_stage_m <= gauge.base_stage_m:
            problems.append((
                f"hazard.breaches[{i}].at_stage_m",
                f"must be above the base stage of gauge {gauge.id!r} ({gauge.base_stage_m:g} m)"))
    if section.dam_break is not None and section.dam_break.zones is not None:
        for j, zone_id in enumerate(section.dam_break.zones):
            if zone_id not in zone_ids:
                problems.append((f"hazard.dam_break.zones[{j}]", f"unknown zone {zone_id!r}"))
    return problems


# --- result --------------------------------------------------------------------------------------


def _frozen(values: Any, dtype: type = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


def _first_reaching(times: np.ndarray, depth: np.ndarray, threshold: float) -> np.ndarray:
    """Per row of ``depth`` (rows, times): first time it reaches ``threshold``, linear between
    grid times; ``inf`` if never."""
    above = depth >= threshold
    hit = above.any(axis=1)
    k = above.argmax(axis=1)
    prev = np.maximum(k - 1, 0)
    rows = np.arange(depth.shape[0])
    d0, d1 = depth[rows, prev], depth[rows, k]
    rise = d1 - d0
    frac = np.divide(threshold - d0, rise, out=np.ones_like(rise), where=rise > 0)
    t = times[prev] + np.clip(frac, 0.0, 1.0) * (times[k] - times[prev])
    return np.where(hit, t, np.inf)


@dataclass(frozen=True, eq=False)
class HazardField:
    """Depth (m) and velocity (m/s) per zone on a time grid (minutes since the start).

    ``depth`` and ``velocity`` are (zones, times), zones in scenario order; ``identified_at`` is
    when authorities can identify the threat to each zone (minutes, ``inf`` if never);
    ``gauge_stage`` maps gauge ids to their stage series (m, generator only). Arrays are read-only.
    """

    times: np.ndarray
    depth: np.ndarray
    velocity: np.ndarray
    identified_at: np.ndarray
    zone_ids: tuple[str, ...] = ()
    gauge_stage: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times, depth, velocity = (_frozen(a) for a in (self.times, self.depth, self.velocity))
        identified = _frozen(self.identified_at)
        if times.ndim != 1 or times.size < 2 or times[0] != 0 or np.any(np.diff(times) <= 0):
            raise ValueError("times must be increasing, start at 0 and have at least 2 points")
        if depth.ndim != 2 or depth.shape[1] != times.size or velocity.shape != depth.shape:
            raise ValueError(f"depth and velocity must be (zones, {times.size}), got "
                             f"{depth.shape} and {velocity.shape}")
        if identified.shape != (depth.shape[0],):
            raise ValueError(f"identified_at must have one entry per zone ({depth.shape[0]})")
        if not (np.all(np.isfinite(depth)) and np.all(np.isfinite(velocity))
                and np.all(depth >= 0) and np.all(velocity >= 0)):
            raise ValueError("depth and velocity must be finite and >= 0")
        if self.zone_ids and len(self.zone_ids) != depth.shape[0]:
            raise ValueError("zone_ids must have one entry per zone")
        stages = {k: _frozen(v) for k, v in self.gauge_stage.items()}
        for name, value in (("times", times), ("depth", depth), ("velocity", velocity),
                            ("identified_at", identified), ("zone_ids", tuple(self.zone_ids)),
                            ("gauge_stage", stages)):
            object.__setattr__(self, name, value)
        # The grid as plain floats: locating one time (thousands of times per run with roads)
        # costs far less with bisect than with NumPy calls on scalars.
        object.__setattr__(self, "_time_list", times.tolist())

    def _locate(self, t: float) -> tuple[int, float]:
        """Grid interval [times[i], times[i + 1]] holding ``t`` (the first or last one outside
        the grid) and the weight of its end, clipped to [0, 1]."""
        times = self._time_list
        i = min(max(bisect_right(times, t) - 1, 0), len(times) - 2)
        w = min(max((t - times[i]) / (times[i + 1] - times[i]), 0.0), 1.0)
        return i, w

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Depth (m) and velocity (m/s) of every zone at ``t`` minutes, linear in time; held
        constant before the first and after the last grid time."""
        i, w = self._locate(t)
        depth = self.depth[:, i] * (1 - w) + self.depth[:, i + 1] * w
        velocity = self.velocity[:, i] * (1 - w) + self.velocity[:, i + 1] * w
        return depth, velocity

    def depth_at(self, zone: int, t: float) -> float:
        """Depth (m) of one zone at ``t`` minutes: ``at(t)[0][zone]`` without the other zones."""
        i, w = self._locate(t)
        return float(self.depth[zone, i]) * (1 - w) + float(self.depth[zone, i + 1]) * w

    def arrival_times(self, threshold_m: float = 0.1) -> np.ndarray:
        """First time (minutes) each zone's depth reaches ``threshold_m``, interpolated linearly
        between grid times; ``inf`` if never."""
        return _first_reaching(self.times, self.depth, threshold_m)

    def peak_depth(self) -> np.ndarray:
        """Highest depth of each zone (m)."""
        return self.depth.max(axis=1)

    def peak_velocity(self) -> np.ndarray:
        """Highest velocity in each zone (m/s)."""
        return self.velocity.max(axis=1)

    def peak_time(self) -> np.ndarray:
        """First grid time (minutes) of each zone's highest depth; ``inf`` for a zone never wet."""
        return np.where(self.peak_depth() > 0, self.times[self.depth.argmax(axis=1)], np.inf)

    def depth_above(self, z: int, threshold: float) -> tuple[float, float]:
        """(start, end) minutes of zone ``z``'s first spell with depth >= ``threshold``, linear
        between grid times; end is ``inf`` if still above at the last time; (inf, inf) if none."""
        d, times = self.depth[z], self.times
        above = d >= threshold
        if not above.any():
            return math.inf, math.inf
        k = int(above.argmax())
        start = float(_first_reaching(times, self.depth[z : z + 1], threshold)[0])
        below = ~above[k:]
        if not below.any():
            return start, math.inf
        j = k + int(below.argmax())
        end = times[j - 1] + (d[j - 1] - threshold) / (d[j - 1] - d[j]) * (times[j] - times[j - 1])
        return start, float(end)


# --- generator -----------------------------------------------------------------------------------


class _Draws:
    """One sub-stream per uncertain parameter, keyed by its path.

    The caller's generator gives one draw (a 128-bit key) whatever the scenario holds; each
    parameter then draws from a stream derived from that key and its name (as sim.streams does),
    so fixing, adding or removing one parameter never changes the draws of any other.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._key = [int(w) for w in rng.integers(0, 2**32, size=4, dtype=np.uint64)]

    def _rng(self, name: str) -> np.random.Generator:
        seq = np.random.SeedSequence(self._key, spawn_key=name_key(name))
        return np.random.Generator(np.random.PCG64(seq))

    def value(self, name: str, value: Any) -> float:
        if isinstance(value, int | float):
            return float(value)
        return sample(value, self._rng(name))

    def uniform(self, name: str) -> float:
        return float(self._rng(name).random())


def _recession_end(shape: float) -> float:
    """x_end > 1 with x·exp(1 − x) = RECESSION_END^(1/m): the end of the recession in units of
    the rise time (lower branch of the Lambert W function)."""
    return float(-lambertw(-(RECESSION_END ** (1 / shape)) / math.e, -1).real)


@dataclass(frozen=True)
class Hydrograph:
    """Stage (m) at a gauge: base + (peak − base)·x^m·exp(m·(1 − x)), x = (t − start) / rise.

    Times in minutes. The gamma form is NRCS's (NEH-630 ch. 16) dimensionless hydrograph, applied
    here to stage rather than discharge (assumption).
    """

    base: float
    peak: float
    start: float
    rise: float
    shape: float

    @classmethod
    def from_peak(cls, base: float, peak: float, time_to_peak: float, duration: float,
                  shape: float) -> Hydrograph:
        """The hydrograph peaking at ``time_to_peak`` whose rise and recession last
        ``duration`` (minutes): rise = duration / x_end(m)."""
        rise = duration / _recession_end(shape)
        return cls(base, max(peak, base), time_to_peak - rise, rise, shape)

    def stage(self, t: np.ndarray | float) -> np.ndarray:
        x = (np.asarray(t, dtype=float) - self.start) / self.rise
        positive = x > 0
        safe = np.where(positive, x, 1.0)
        g = np.where(positive, np.exp(self.shape * (np.log(safe) + 1 - safe)), 0.0)
        return self.base + (self.peak - self.base) * g

    def rise_time(self, level: np.ndarray | float) -> np.ndarray:
        """First time (minutes) the stage reaches ``level``: ``-inf`` if it is above from the
        start, ``inf`` if never. Exact: x = −W₀(−r^(1/m)/e), r the level's share of the rise."""
        level = np.asarray(level, dtype=float)
        span = self.peak - self.base
        if span <= 0:
            return np.where(level < self.base, -np.inf, np.inf)
        r = (level - self.base) / span
        arg = -(np.clip(r, 0.0, 1.0) ** (1 / self.shape)) / math.e
        x = -lambertw(np.maximum(arg, -1 / math.e), 0).real
        x = np.clip(np.nan_to_num(x, nan=1.0), 0.0, 1.0)  # W is undefined at the branch point
        return np.where(r < 0, -np.inf, np.where(r > 1, np.inf, self.start + x * self.rise))


def _grid(horizon: float, step: float) -> np.ndarray:
    n = max(1, math.ceil(horizon / step - 1e-9))
    return np.minimum(np.arange(n + 1) * step, horizon)


def _positive(x: float) -> float:
    return max(x, _MIN_POSITIVE)


def _triangle(u: np.ndarray, rise: float) -> np.ndarray:
    """A unit triangular pulse over u in [0, 1] peaking at u = rise."""
    down = (1 - u) / (1 - rise)
    shape = np.where(u < rise, u / rise, down) if rise > 0 else down
    return np.where((u >= 0) & (u <= 1), shape, 0.0)


def _generate(section: FloodHazardSection, zones: Sequence[Zone], rng: np.random.Generator,
              horizon: float) -> HazardField:
    problems = check_references(section, zones)
    if problems:
        raise ValueError(f"{problems[0][0]}: {problems[0][1]}")
    draws = _Draws(rng)
    times = _grid(horizon, section.time_step)
    n_zones = len(zones)

    # Gauges: one hydrograph each; every draw keyed by the gauge's id.
    hydrographs: list[Hydrograph] = []
    warned = np.empty(len(section.gauges))
    for j, gauge in enumerate(section.gauges):
        key = f"gauges.{gauge.id}."
        peak = draws.value(key + "peak_stage_m", gauge.peak_stage_m)
        time_to_peak = max(0.0, draws.value(key + "time_to_peak_h", gauge.time_to_peak_h)) * 60
        duration = _positive(draws.value(key + "duration_h", gauge.duration_h)) * 60
        hydrograph = Hydrograph.from_peak(gauge.base_stage_m, peak, time_to_peak, duration,
                                          gauge.shape)
        hydrographs.append(hydrograph)
        warned[j] = max(0.0, float(hydrograph.rise_time(gauge.warning_stage_m))
                        - gauge.forecast_lead_h * 60)
    froude = max(0.0, draws.value("froude", section.froude))
    stages = np.stack([h.stage(times) for h in hydrographs])

    index = {g.id: j for j, g in enumerate(section.gauges)}
    gauge_of = np.array([index[z.gauge] for z in zones], dtype=int)
    ground = np.array([z.ground_elevation_m for z in zones], dtype=float)
    crest = ground + np.array([z.protection_m for z in zones], dtype=float)
    overtopped = np.full(n_zones, np.inf)
    for j, hydrograph in enumerate(hydrographs):
        mine = gauge_of == j
        overtopped[mine] = hydrograph.rise_time(crest[mine])

    # Breaches: occurrence, time and Froude number drawn for every breach, whether it happens.
    zone_index = {z.id: i for i, z in enumerate(zones)}
    breached = np.full(n_zones, np.inf)
    breach_froude = np.full(n_zones, froude)
    seen: dict[str, int] = {}
    for breach in section.breaches:
        n = seen[breach.zone] = seen.get(breach.zone, -1) + 1
        key = f"breaches.{breach.zone}.{n}."
        happens = draws.uniform(key + "occurs") < breach.probability
        z = zone_index[breach.zone]
        if breach.time_h is not None:
            when = max(0.0, draws.value(key + "time_h", breach.time_h)) * 60
        else:
            when = max(0.0, float(hydrographs[gauge_of[z]].rise_time(breach.at_stage_m)))
        fr = max(0.0, draws.value(key + "froude", breach.froude))
        if happens and when < breached[z]:
            breached[z], breach_froude[z] = when, fr

    # River flooding: the zone fills towards the river level (stage − ground) once water is in,
    # rising no faster than fill_m_per_h and falling no faster than drain_m_per_h.
    start = np.maximum(np.minimum(overtopped, breached), 0.0)
    active = times[None, :] >= start[:, None]
    target = np.maximum(stages[gauge_of] - ground[:, None], 0.0)
    if section.fill_m_per_h is not None:
        filled = section.fill_m_per_h / 60 * np.maximum(times[None, :] - start[:, None], 0.0)
        target = np.minimum(target, filled)
    drain = section.drain_m_per_h / 60
    if math.isinf(drain):
        river = np.where(active, target, 0.0)
    else:
        # d(t) = max over s in [start, t] of target(s) − drain·(t − s): a running maximum.
        lifted = np.where(active, target + drain * times, -np.inf)
        highest = np.maximum.accumulate(lifted, axis=1)
        river = np.where(active, np.maximum(highest - drain * times, 0.0), 0.0)
    fr_zone = np.where(times[None, :] >= breached[:, None], breach_froude[:, None], froude)
    velocity = fr_zone * np.sqrt(G * river)

    identified = np.minimum(warned[gauge_of], start)
    depth = river

    dam = section.dam_break
    if dam is not None:
        happens = draws.uniform("dam_break.occurs") < dam.probability
        failure = max(0.0, draws.value("dam_break.failure_time_h", dam.failure_time_h)) * 60
        peak = max(0.0, draws.value("dam_break.peak_depth_m", dam.peak_depth_m))
        celerity = _positive(draws.value("dam_break.celerity_m_s", dam.celerity_m_s))
        attenuation = _positive(draws.value("dam_break.attenuation_km", dam.attenuation_km))
        duration = _positive(draws.value("dam_break.duration_h", dam.duration_h)) * 60
        fr_wave = max(0.0, draws.value("dam_break.froude", dam.froude))
        if happens and n_zones:
            distance = haversine_km(dam.lon, dam.lat, [z.lon for z in zones],
                                    [z.lat for z in zones])
            reached = distance <= dam.max_distance_km
            if dam.zones is not None:
                reached &= np.isin([z.id for z in zones], dam.zones)
            arrival = failure + distance * 1000 / celerity / 60
            height = np.where(reached, peak * np.exp(-distance / attenuation), 0.0)
            pulse = _triangle((times[None, :] - arrival[:, None]) / duration, dam.rise_fraction)
            wave = height[:, None] * pulse
            depth = river + wave
            velocity = np.maximum(velocity, fr_wave * np.sqrt(G * wave))
            identified = np.where(reached, np.minimum(identified, failure), identified)

    velocity = np.minimum(velocity, section.max_velocity_m_s)
    return HazardField(times, depth, velocity, identified, tuple(z.id for z in zones),
                       {g.id: stages[j] for j, g in enumerate(section.gauges)})


# --- import --------------------------------------------------------------------------------------


class _Failure:
    """Builds the one-line ConfigError of a bad hazard file: the scenario file, the field
    ``hazard.netcdf``, the hazard file and what is wrong with it."""

    def __init__(self, scenario_file: Path | None, path: Path) -> None:
        self.source = str(scenario_file) if scenario_file is not None else "scenario"
        self.path = path

    def __call__(self, message: str) -> ConfigError:
        return ConfigError.single(self.source, "hazard.netcdf", f"{self.path}: {message}")


def _file_minutes(ds: Any, fail: _Failure) -> np.ndarray:
    if "time" not in ds.variables:
        raise fail("no 'time' coordinate")
    coord = ds["time"]
    values = np.asarray(coord.values)
    if values.ndim != 1 or values.size == 0:
        raise fail("'time' must be a non-empty 1-D coordinate")
    if np.issubdtype(values.dtype, np.datetime64):
        minutes = (values - values[0]) / np.timedelta64(1, "m")
    elif np.issubdtype(values.dtype, np.timedelta64):
        minutes = values / np.timedelta64(1, "m")
    elif np.issubdtype(values.dtype, np.number):
        units = str(coord.attrs.get("units", "")).strip().lower()
        factor = MINUTES_PER.get(units)
        if factor is None:
            raise fail(f"time units {units!r}: expected 'minutes' or 'hours' (or datetimes)")
        minutes = values.astype(float) * factor
    else:
        raise fail(f"time values must be numbers or datetimes, got {values.dtype}")
    minutes = np.asarray(minutes, dtype=float)
    if not np.all(np.isfinite(minutes)) or np.any(np.diff(minutes) <= 0):
        raise fail("time must be finite and strictly increasing")
    return minutes


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


_LAT, _LON = ("lat", "latitude"), ("lon", "longitude")


def _per_zone(ds: Any, name: str, zones: Sequence[Zone], fail: _Failure) -> np.ndarray:
    """Variable ``name`` as a (zones, file times) array in scenario zone order."""
    da = ds[name]
    dims = set(da.dims)
    if dims == {"time", "zone"}:
        if "zone" not in ds.coords:
            raise fail("dimension 'zone' needs a coordinate holding the zone ids")
        ids = [_text(v) for v in np.asarray(ds["zone"].values).ravel()]
        position = {zone_id: i for i, zone_id in enumerate(ids)}
        if len(position) != len(ids):
            raise fail("the 'zone' coordinate repeats a zone id")
        missing = [z.id for z in zones if z.id not in position]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise fail(f"zone {missing[0]!r} is not in the file's 'zone' coordinate{more}")
        values = np.asarray(da.transpose("zone", "time").values, dtype=float)
        return values[[position[z.id] for z in zones]]
    lat = next((d for d in _LAT if d in dims), None)
    lon = next((d for d in _LON if d in dims), None)
    if lat is None or lon is None or dims != {"time", lat, lon}:
        raise fail(f"variable {name!r} has dimensions ({', '.join(map(str, da.dims))}); "
                   "expected (time, zone) or (time, lat, lon)")
    picks = []
    for dim, axis in ((lat, "lat"), (lon, "lon")):
        if dim not in ds.coords:
            raise fail(f"dimension {dim!r} needs a coordinate of degrees")
        grid = np.asarray(ds[dim].values, dtype=float)
        where = np.array([getattr(z, axis) for z in zones], dtype=float)
        half = float(np.median(np.abs(np.diff(grid)))) / 2 if grid.size > 1 else 0.0
        outside = (where < grid.min() - half - 1e-9) | (where > grid.max() + half + 1e-9)
        if outside.any():
            zone = zones[int(outside.argmax())]
            raise fail(f"zone {zone.id!r} ({axis} {getattr(zone, axis):g}) lies outside the "
                       f"grid ({dim} {grid.min():g} to {grid.max():g})")
        picks.append(np.abs(grid[None, :] - where[:, None]).argmin(axis=1))
    values = np.asarray(da.transpose(lat, lon, "time").values, dtype=float)
    return values[picks[0], picks[1], :]


def _regrid(file_times: np.ndarray, values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Linear in time onto ``times``; the first and last values held outside the file's span."""
    if file_times.size == 1:
        return np.repeat(values, times.size, axis=1)
    i = np.clip(np.searchsorted(file_times, times, side="right") - 1, 0, file_times.size - 2)
    w = np.clip((times - file_times[i]) / (file_times[i + 1] - file_times[i]), 0.0, 1.0)
    return values[:, i] * (1 - w) + values[:, i + 1] * w


def _import(section: FloodHazardSection, zones: Sequence[Zone], rng: np.random.Generator,
            horizon: float, scenario_file: Path | None) -> HazardField:
    import xarray as xr  # deferred: only imported fields need it

    path = Path(section.netcdf or "")
    if not path.is_absolute() and scenario_file is not None:
        path = Path(scenario_file).parent / path
    fail = _Failure(scenario_file, path)
    if not path.exists():
        raise fail("file not found")
    if not path.is_file():
        raise fail("is not a file")
    try:
        with xr.open_dataset(path, decode_timedelta=False) as opened:
            ds = opened.load()
    except Exception as exc:  # any reader failure means the file is not usable NetCDF
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"cannot be read as NetCDF ({detail})") from None

    draws = _Draws(rng)
    froude = max(0.0, draws.value("froude", section.froude))
    available = ", ".join(map(str, ds.data_vars)) or "none"
    if section.depth_var not in ds.data_vars:
        raise fail(f"no variable {section.depth_var!r} (the file has: {available})")
    velocity_var = section.velocity_var
    if velocity_var is not None and velocity_var not in ds.data_vars:
        raise fail(f"no variable {velocity_var!r} (the file has: {available})")
    if velocity_var is None and "velocity" in ds.data_vars:
        velocity_var = "velocity"

    times = _grid(horizon, section.time_step)
    file_times = _file_minutes(ds, fail)
    raw = _per_zone(ds, section.depth_var, zones, fail)
    if np.isinf(raw).any():
        raise fail(f"variable {section.depth_var!r} has infinite values")
    # NaN (a fill value) means no water there: hydrodynamic models mark dry cells that way.
    depth = np.maximum(_regrid(file_times, np.nan_to_num(raw, nan=0.0), times), 0.0)
    if velocity_var is None:
        velocity = np.minimum(froude * np.sqrt(G * depth), section.max_velocity_m_s)
    else:
        raw_v = _per_zone(ds, velocity_var, zones, fail)
        if np.isinf(raw_v).any():
            raise fail(f"variable {velocity_var!r} has infinite values")
        # A signed velocity component counts by its magnitude.
        velocity = _regrid(file_times, np.abs(np.nan_to_num(raw_v, nan=0.0)), times)
    field_ = HazardField(times, depth, velocity, np.zeros(len(zones)), tuple(z.id for z in zones))
    identified = np.maximum(field_.arrival_times(WET_DEPTH_M)
                            - section.identification_lead_h * 60, 0.0)
    return HazardField(times, depth, velocity, identified, field_.zone_ids)


# --- entry point ---------------------------------------------------------------------------------


def flood_hazard(section: FloodHazardSection, zones: Sequence[Zone], rng: np.random.Generator,
                 horizon: float, scenario_file: Path | None = None) -> HazardField:
    """The flood field of one replication over ``horizon`` minutes, zones in the given order.

    Random draws come only from ``rng`` (one key draw; see :class:`_Draws`). A relative imported
    file is found in the folder of ``scenario_file`` (the working directory without one); its
    problems raise a ConfigError naming the scenario file and ``hazard.netcdf``.
    """
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon must be a finite number of minutes > 0, got {horizon!r}")
    if section.netcdf is not None:
        return _import(section, zones, rng, horizon, scenario_file)
    return _generate(section, zones, rng, horizon)
