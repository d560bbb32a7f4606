"""Exposure and harm of a release's people: receptor points, indoor air, the paths people
breathe, toxic load and probit lethality, the AEGL-2 rule for hospital care.

* **Receptors**: each zone is a square of side √area around its centre covered by an n × n grid
  of points; its people are spread evenly over them.
* **Paths** (per point and cohort): before acting people are indoors with normal ventilation
  (share ``indoor_share_day``/``_night``) or outdoors; once they act they **shelter in place**
  (doors and windows shut, leaving shelter once the plume has passed: after the outdoor peak, as
  soon as the outdoor air is cleaner than the indoor air) or **evacuate** (outdoors in the zone's
  air while leaving, then out of the plume; with roads, the air on the way).
* **Indoor air**, single-zone box model dCi/dt = λ·(Co − Ci), λ the air exchange rate (/h),
  solved exactly for a step-wise outdoor series: Ci(t+Δ) = Co(t) + (Ci(t) − Co(t))·e^(−λΔ)
  (REFERENCE-PARAMETERS.md, "Chemical release"; docs/models/chemical-physics.md).
* **Death**: toxic load Σ Cⁿ·Δt and the probit Φ(k1 + k2·ln(load) − 5) (Crowl & Louvar,
  *Chemical Process Safety*, probit table; C in ppm, t in min; :mod:`models.hazards.toxicity`).
* **Hospital care**: a survivor whose breathed air had a 60-min running mean at or above AEGL-2
  (60 min) needs it (US EPA / NRC AEGLs: level 2, disabling or irreversible effects). Triage:
  *immediate* (red) if that mean reached AEGL-3 (60 min, life-threatening effects), else
  *delayed* (yellow); what care does for each is :mod:`models.response.ems`'s outcome model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import lfilter

from models.hazards.plume import local_metres
from models.hazards.toxicity import aegl, probit_lethality

if TYPE_CHECKING:   # the schema imports the road geometry, which imports this module
    from models.chemical.scenario import ExposureSection

__all__ = ["Harm", "Route", "indoor_air", "max_running_mean", "receptor_points",
           "zone_containing"]

# With roads, for evacuees of one zone: per action bin the air on the road from the zone's node
# on (B, T), whether the bin found no open road (B,) and shelters instead, and the minutes from
# acting to the node (in the zone's air).
Route = tuple[np.ndarray, np.ndarray, float]


class Harm:
    """Exposure paths of the people of each zone and their outcomes, vectorised over cohorts
    (action times) and time.

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
        self.limit3 = aegl(cas, 3, 60.0)
        self.normal = indoor_air(outdoor, self.step, ex.normal_air_exchange_per_h)     # (Z, P, T)
        self.sealed = indoor_air(outdoor, self.step, ex.shelter_air_exchange_per_h)    # (Z, P, T)
        # Zones whose air never reaches half of AEGL-1 (60 min) come to no harm worth computing
        # (probit lethality and the AEGL-2 injury rule are nil far below it).
        self.exposed = np.flatnonzero(outdoor.max(axis=(1, 2)) >= 0.5 * aegl(cas, 1, 60.0))
        self.peak_index = np.argmax(outdoor, axis=2)                                # (Z, P)

    def paths(self, z: int, act: np.ndarray, evacuate: bool,
               route: Route | None = None
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
        deaths, hurt, severe, minutes = [], [], [], []
        for path in (indoor_path, outdoor_path):
            load = np.sum(path ** probit.n, axis=-1) * self.step
            deaths.append(probit_lethality(load, probit.k1, probit.k2))
            worst = max_running_mean(path, self.step, 60.0)
            hurt.append((worst >= self.limit2).astype(float))
            severe.append((worst >= self.limit3).astype(float))
            minutes.append((path >= self.limit2).sum(axis=-1) * self.step)
        p_dead = share * deaths[0] + (1 - share) * deaths[1]
        alive_hurt = share * hurt[0] * (1 - deaths[0]) + (1 - share) * hurt[1] * (1 - deaths[1])
        alive_severe = (share * severe[0] * (1 - deaths[0])
                        + (1 - share) * severe[1] * (1 - deaths[1]))
        p_hurt = np.clip(np.divide(alive_hurt, 1 - p_dead, out=np.zeros_like(alive_hurt),
                                   where=p_dead < 1), 0.0, 1.0)
        # Immediate (AEGL-3 >= AEGL-2: a subset of the injured), per survivor.
        p_severe = np.clip(np.divide(alive_severe, 1 - p_dead, out=np.zeros_like(alive_severe),
                                     where=p_dead < 1), 0.0, 1.0)
        return p_dead, p_hurt, share * minutes[0] + (1 - share) * minutes[1], p_severe

    def outcomes(self, act_times: np.ndarray, evacuate: np.ndarray,
                 routes: Mapping[int, Route] | None = None,
                 zones: np.ndarray | None = None):
        """Death and hospital probabilities, minutes above AEGL-2 and the probability of being
        an immediate (AEGL-3) casualty (per survivor, a part of the hospital one), per person,
        for cohorts (Z, B) acting at ``act_times`` and for people who never act (Z,), computed
        for ``zones`` (default: those the plume reaches); ``routes`` as in :meth:`paths`, per
        zone."""
        n_zones, n_bins = self.outdoor.shape[0], act_times.size
        cohort = tuple(np.zeros((n_zones, n_bins)) for _ in range(4))
        never = tuple(np.zeros(n_zones) for _ in range(4))
        for z in self.exposed if zones is None else zones:
            # People are spread evenly over the zone's receptor points: average over them.
            route = routes.get(int(z)) if routes is not None else None
            for out, value in zip(cohort, self._outcome(
                    *self.paths(int(z), act_times, bool(evacuate[z]), route)), strict=True):
                out[z] = value.mean(axis=0)
            for out, value in zip(never, self._outcome(self.normal[z], self.outdoor[z]),
                                  strict=True):
                out[z] = value.mean()
        return cohort, never


def receptor_points(zones, per_side: int) -> list[tuple[float, float]]:
    """An n x n grid of points over each zone's square (side sqrt(area)), zone after zone."""
    points = []
    offsets = (np.arange(per_side) + 0.5) / per_side - 0.5                 # in zone sides
    for zone in zones:
        side_km = math.sqrt(zone.area_km2)
        dlat = offsets * side_km / 111.32
        dlon = offsets * side_km / (111.32 * math.cos(math.radians(zone.lat)))
        points += [(zone.lon + x, zone.lat + y) for y in dlat for x in dlon]
    return points


def zone_containing(zones, points: Sequence[tuple[float, float]]) -> list[int]:
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


def indoor_air(outdoor: np.ndarray, step: float, rate_per_h: float) -> np.ndarray:
    """Indoor concentration (starting clean) for a step-wise outdoor one, exactly:
    Ci(t+Δ) = Co(t) + (Ci(t) − Co(t))·e^(−λΔ), as a linear filter over time."""
    a = math.exp(-rate_per_h / 60.0 * step)
    return lfilter([0.0, 1.0 - a], [1.0, -a], outdoor, axis=-1)


def max_running_mean(paths: np.ndarray, step: float, window: float) -> np.ndarray:
    """Highest mean over any ``window`` minutes (whole grid steps), along the last axis."""
    cumulative = np.cumsum(paths, axis=-1) * step
    steps = max(1, int(round(window / step)))
    if paths.shape[-1] <= steps:
        return cumulative[..., -1] / window
    sums = cumulative[..., steps:] - cumulative[..., :-steps]
    return np.maximum(sums.max(axis=-1), cumulative[..., steps - 1]) / window


# --- roads (with [roads]) -------------------------------------------------------------------------
