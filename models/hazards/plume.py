"""Gaussian dispersion of a released gas: steady plume, instantaneous puff, and a time-varying
puff train on a receptor grid (concentrations in kg/m³, or ppm at 25 °C and 1 atm).

The models (Turner 1970, *Workbook of Atmospheric Dispersion Estimates*; Briggs 1973 sigmas;
Pasquill 1961 stability classes) treat the gas as **passive**: it moves with the wind and mixes
like the air around it, over **flat, uniform terrain**, with ground reflection but no
mixing-height lid, no deposition and no chemical reaction. What that leaves out matters:

* **Dense gases** — chlorine (2.5x air), LPG/propane (1.5x), ammonia released cold as a liquid
  aerosol — slump under gravity into a wide, low cloud that hugs the ground, flows downhill and
  into basements, and entrains air far more slowly than a passive plume. Their near-field
  concentrations (the first few hundred metres to a few km) need a heavy-gas model (Britter &
  McQuaid 1988 workbook, SLAB, DEGADIS, ALOHA's heavy-gas module), which this module is not.
  Results for such releases here are screening estimates, not predictions.
* **Terrain and buildings**: none. Valleys channel and trap clouds; buildings make wakes.
* **Calm wind** (below :data:`CALM_WIND_M_S` = 0.5 m/s, 0 included) is clamped to 0.5 m/s: the
  Gaussian models divide by the wind speed and have no meaning in calm air; the clamp keeps the
  arithmetic finite and gives the usual screening answer (a slow, concentrated cloud). The
  Pasquill-Briggs scheme itself is only tested for roughly 1-2 m/s and above.
* **Range**: Briggs's sigma formulas are fitted for 100 m to 10 km; closer and farther they are
  extrapolated (distances are clipped to >= 1 m so nothing divides by zero).

The time-varying model (:func:`concentration_series`) releases the source's output as a train of
puffs, one every ``puff_interval_s``, each carried in a straight line by the wind of the time it
was released (a later wind shift does not bend puffs already in the air). Equations, parameters,
limits and a worked example: docs/models/chemical-physics.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

import numpy as np
from scipy.special import erfc

from models.geo import EARTH_RADIUS_KM
from models.hazards.source import ReleaseRate

__all__ = [
    "CALM_WIND_M_S",
    "MOLAR_VOLUME_L",
    "PASQUILL_TABLE",
    "STABILITY_CLASSES",
    "WeatherStep",
    "briggs_sigmas",
    "concentration_series",
    "kg_m3_to_ppm",
    "lonlat_from_local",
    "local_metres",
    "pasquill_class",
    "plume_concentration",
    "ppm_to_kg_m3",
    "puff_concentration",
    "puff_train_concentration",
    "weather_jitter",
]

STABILITY_CLASSES = "ABCDEF"
CALM_WIND_M_S = 0.5  # assumption: winds below this (0 included) are taken as 0.5 m/s
MOLAR_VOLUME_L = 24.45  # litres per mole of ideal gas at 25 °C and 1 atm: mg/m³ = ppm·MW/24.45
K_SIGMA = 6.0  # puffs are evaluated out to 6 sigma; beyond, exp(-18) = 1.5e-8 of their centre
_EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000.0
_TWO_PI = 2.0 * math.pi

# Briggs (1973) open-country and urban dispersion coefficients, as tabulated by Griffiths (1994)
# and in REFERENCE-PARAMETERS.md: sigma = a·x·(1 + b·x)^p, x in metres, valid 100 m - 10 km.
# Index [urban][y or z][class] -> (a, b, p).
_BRIGGS = {
    False: {
        "y": {c: (a, 1e-4, -0.5) for c, a in zip("ABCDEF", (0.22, 0.16, 0.11, 0.08, 0.06, 0.04),
                                                strict=True)},
        "z": {"A": (0.20, 0.0, 0.0), "B": (0.12, 0.0, 0.0), "C": (0.08, 2e-4, -0.5),
              "D": (0.06, 1.5e-3, -0.5), "E": (0.03, 3e-4, -1.0), "F": (0.016, 3e-4, -1.0)},
    },
    True: {
        "y": {"A": (0.32, 4e-4, -0.5), "B": (0.32, 4e-4, -0.5), "C": (0.22, 4e-4, -0.5),
              "D": (0.16, 4e-4, -0.5), "E": (0.11, 4e-4, -0.5), "F": (0.11, 4e-4, -0.5)},
        "z": {"A": (0.24, 1e-3, 0.5), "B": (0.24, 1e-3, 0.5), "C": (0.20, 0.0, 0.0),
              "D": (0.14, 3e-4, -0.5), "E": (0.08, 1.5e-3, -0.5), "F": (0.08, 1.5e-3, -0.5)},
    },
}


# --- units and coordinates -----------------------------------------------------------------------


def kg_m3_to_ppm(c_kg_m3, molecular_weight: float) -> np.ndarray:
    """Concentration in ppm (by volume, 25 °C, 1 atm) from kg/m³: ppm = mg/m³ · 24.45 / MW."""
    return np.asarray(c_kg_m3, dtype=float) * (1e6 * MOLAR_VOLUME_L / molecular_weight)


def ppm_to_kg_m3(c_ppm, molecular_weight: float) -> np.ndarray:
    """Concentration in kg/m³ from ppm: mg/m³ = ppm · MW / 24.45."""
    return np.asarray(c_ppm, dtype=float) * (molecular_weight / MOLAR_VOLUME_L * 1e-6)


def local_metres(lon, lat, origin_lon: float, origin_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets (m) of points from an origin (WGS84 degrees).

    Equirectangular projection at the mean latitude of each point and the origin, on the sphere
    of ``models.geo``: within 20 km of the origin, distances agree with the great-circle distance
    on that sphere to better than 0.001 % up to 70° latitude, far inside the 0.1 % asked of it
    (the sphere itself differs from the WGS84 ellipsoid by up to about 0.5 %, as everywhere in
    drsim).
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon = (lon - origin_lon + 180.0) % 360.0 - 180.0
    mean_lat = np.radians((lat + origin_lat) / 2.0)
    east = _EARTH_RADIUS_M * np.cos(mean_lat) * np.radians(dlon)
    north = _EARTH_RADIUS_M * np.radians(lat - origin_lat)
    return east, north


def lonlat_from_local(east_m, north_m, origin_lon: float,
                      origin_lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`local_metres`: lon/lat (degrees) of east/north offsets (m)."""
    east, north = np.asarray(east_m, dtype=float), np.asarray(north_m, dtype=float)
    lat = origin_lat + np.degrees(north / _EARTH_RADIUS_M)
    mean_lat = np.radians((lat + origin_lat) / 2.0)
    lon = origin_lon + np.degrees(east / (_EARTH_RADIUS_M * np.cos(mean_lat)))
    return lon, lat


# --- stability and sigmas ------------------------------------------------------------------------

# Pasquill (1961) as tabulated by Turner (1970), and REFERENCE-PARAMETERS.md. Columns: surface
# wind at 10 m < 2, 2-3, 3-5, 5-6, >= 6 m/s (a speed on a boundary belongs to the faster band).
PASQUILL_TABLE: dict[str, tuple[str, ...]] = {
    "strong": ("A", "A-B", "B", "C", "C"),
    "moderate": ("A-B", "B", "B-C", "C-D", "D"),
    "slight": ("B", "C", "C", "D", "D"),
    "over_4_8": ("E", "E", "D", "D", "D"),  # night, cloud cover > 4/8
    "under_3_8": ("F", "F", "E", "D", "D"),  # night, cloud cover <= 3/8
}
_WIND_BANDS = (2.0, 3.0, 5.0, 6.0)


def pasquill_class(wind_speed_10m: float,
                   insolation: Literal["strong", "moderate", "slight"] | None = None,
                   night_cloud: Literal["over_4_8", "under_3_8"] | None = None,
                   overcast: bool = False, near_sunrise_sunset: bool = False) -> str:
    """Pasquill stability class 'A'..'F' from the wind at 10 m (m/s) and sun or night cloud.

    Give ``insolation`` by day or ``night_cloud`` by night. Overcast skies and the hour around
    sunrise and sunset give 'D'. In-between table entries (A-B, B-C, C-D) resolve to the more
    stable class (B, C, D): it disperses less, so ground-level concentrations from a ground-level
    release come out higher — the cautious choice for protective actions.
    """
    speed = float(wind_speed_10m)
    if not math.isfinite(speed) or speed < 0:
        raise ValueError(f"wind_speed_10m must be a finite speed >= 0 m/s, got {wind_speed_10m!r}")
    if (insolation is None) == (night_cloud is None):
        raise ValueError("give exactly one of insolation (day) and night_cloud (night)")
    column = insolation if insolation is not None else night_cloud
    if insolation is not None and insolation not in ("strong", "moderate", "slight"):
        raise ValueError(f"insolation must be 'strong', 'moderate' or 'slight', got {insolation!r}")
    if night_cloud is not None and night_cloud not in ("over_4_8", "under_3_8"):
        raise ValueError(f"night_cloud must be 'over_4_8' or 'under_3_8', got {night_cloud!r}")
    if overcast or near_sunrise_sunset:
        return "D"
    entry = PASQUILL_TABLE[str(column)][int(np.searchsorted(_WIND_BANDS, speed, side="right"))]
    return entry[-1]  # "A-B" -> "B": the more stable of the two


def _classes(stability) -> np.ndarray:
    """Stability letters as an array of 0..5 (A..F); ValueError for anything else."""
    letters = np.asarray(stability)
    if letters.dtype.kind not in "UO":
        raise ValueError(f"stability must be letters 'A'..'F', got {stability!r}")
    flat = [str(s).strip().upper() for s in letters.ravel()]
    bad = sorted({s for s in flat if len(s) != 1 or s not in STABILITY_CLASSES})
    if bad:
        raise ValueError(f"unknown stability class {bad[0]!r}: expected one of A, B, C, D, E, F")
    return np.array([STABILITY_CLASSES.index(s) for s in flat], dtype=np.intp).reshape(
        letters.shape)


def _sigma(x: np.ndarray, coef: tuple[float, float, float]) -> np.ndarray:
    """a·x·(1 + b·x)^p, with the exponents of Briggs's table computed without pow()."""
    a, b, p = coef
    if b == 0.0 or p == 0.0:
        return a * x
    f = 1.0 + b * x
    if p == -0.5:
        return a * x / np.sqrt(f)
    if p == 0.5:
        return a * x * np.sqrt(f)
    if p == -1.0:
        return a * x / f
    return a * x * f**p  # pragma: no cover  (no such entry in the table)


def _sigmas_by_class(x: np.ndarray, cls: np.ndarray, urban: bool) -> tuple[np.ndarray, np.ndarray]:
    x, cls = np.broadcast_arrays(np.maximum(np.asarray(x, dtype=float), 1.0), cls)
    sy, sz = np.empty(x.shape), np.empty(x.shape)
    table = _BRIGGS[bool(urban)]
    for k in np.unique(cls):
        mask = cls == k
        letter = STABILITY_CLASSES[k]
        sy[mask] = _sigma(x[mask], table["y"][letter])
        sz[mask] = _sigma(x[mask], table["z"][letter])
    return sy, sz


def briggs_sigmas(x_m, stability, urban: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Briggs (1973) sigma_y and sigma_z (m) at downwind distance ``x_m`` (m, clipped to >= 1 m).

    ``stability`` is a letter 'A'..'F' or an array of them (broadcast with ``x_m``); ``urban``
    picks the urban (McElroy-Pooler) rather than the open-country table. The formulas are fitted
    for 100 m < x < 10 km and extrapolated outside.
    """
    return _sigmas_by_class(np.asarray(x_m, dtype=float), _classes(stability), urban)


def _vertical(z, h, sz) -> np.ndarray:
    """Ground-reflection term exp(-(z-H)²/2σz²) + exp(-(z+H)²/2σz²)."""
    inv = 1.0 / (2.0 * sz * sz)
    return np.exp(-((z - h) ** 2) * inv) + np.exp(-((z + h) ** 2) * inv)


def _wind(u) -> np.ndarray:
    u = np.asarray(u, dtype=float)
    if np.any(np.isnan(u)):
        raise ValueError("wind speed must be a number, got nan")
    return np.maximum(u, CALM_WIND_M_S)


def plume_concentration(q_kg_s, u_m_s, x, y, z, H, stability, urban: bool = False) -> np.ndarray:
    """Steady Gaussian plume with ground reflection (kg/m³); 0 upwind (x <= 0).

    C = q / (2π·u·σy·σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)] (Turner 1970),
    x downwind, y crosswind, z up from the ground at the source (m); H the release height (m);
    u the wind speed (m/s, below 0.5 taken as 0.5). Everything broadcasts.
    """
    x = np.asarray(x, dtype=float)
    u = _wind(u_m_s)
    sy, sz = briggs_sigmas(x, stability, urban)
    y, z, h = (np.asarray(a, dtype=float) for a in (y, z, H))
    c = (np.asarray(q_kg_s, dtype=float) / (_TWO_PI * u * sy * sz)
         * np.exp(-(y * y) / (2.0 * sy * sy)) * _vertical(z, h, sz))
    return np.where(x > 0, c, 0.0)


def puff_concentration(mass_kg, u, t_s, x, y, z, H, stability, urban: bool = False) -> np.ndarray:
    """Gaussian puff with ground reflection (kg/m³) ``t_s`` seconds after an instantaneous release.

    C = M / ((2π)^1.5·σx·σy·σz) · exp(−(x−u·t)²/2σx²) · exp(−y²/2σy²) · [reflection terms], with
    σx = σy and the sigmas of Briggs's plume formulas at the travel distance u·t (Slade 1968's
    puff-from-plume approximation). 0 for ``t_s <= 0``; u below 0.5 m/s taken as 0.5.
    """
    u = _wind(u)
    t = np.asarray(t_s, dtype=float)
    travel = u * np.maximum(t, 0.0)
    sy, sz = briggs_sigmas(travel, stability, urban)
    x, y, z, h = (np.asarray(a, dtype=float) for a in (x, y, z, H))
    c = (np.asarray(mass_kg, dtype=float) / ((_TWO_PI) ** 1.5 * sy * sy * sz)
         * np.exp(-((x - travel) ** 2 + y * y) / (2.0 * sy * sy)) * _vertical(z, h, sz))
    return np.where(t > 0, c, 0.0)


# --- weather -------------------------------------------------------------------------------------


class WeatherStep(NamedTuple):
    """Weather from ``start_s`` (s, on the clock of the output times) until the next step."""

    start_s: float
    wind_speed_m_s: float
    wind_from_deg: float  # direction the wind blows FROM, degrees clockwise from north
    stability: str  # Pasquill class 'A'..'F'


WeatherHook = Callable[[int, WeatherStep], WeatherStep]


def weather_jitter(rng: np.random.Generator, direction_sd_deg: float = 0.0,
                   speed_log_sd: float = 0.0) -> WeatherHook:
    """A per-step uncertainty hook for :func:`concentration_series`.

    Each step's wind direction gets a normal error (sd ``direction_sd_deg``) and its speed a
    lognormal factor exp(N(0, ``speed_log_sd``)) (median 1). ``rng`` should be one of the
    replication's named streams (``sim.streams``), so that the draws are reproducible.
    """
    if direction_sd_deg < 0 or speed_log_sd < 0:
        raise ValueError("direction_sd_deg and speed_log_sd must be >= 0")

    def hook(index: int, step: WeatherStep) -> WeatherStep:
        direction = step.wind_from_deg + rng.normal(0.0, direction_sd_deg)
        speed = step.wind_speed_m_s * math.exp(rng.normal(0.0, speed_log_sd))
        return step._replace(wind_speed_m_s=speed, wind_from_deg=direction % 360.0)

    return hook


def _weather(steps: Sequence, hook: WeatherHook | None):
    if len(steps) == 0:
        raise ValueError("weather_steps must hold at least one (start_s, wind_speed_m_s, "
                         "wind_from_deg, stability) step")
    parsed = [WeatherStep(*step) for step in steps]
    if hook is not None:
        parsed = [hook(i, step) for i, step in enumerate(parsed)]
    start = np.array([s.start_s for s in parsed], dtype=float)
    speed = np.array([s.wind_speed_m_s for s in parsed], dtype=float)
    direction = np.array([s.wind_from_deg for s in parsed], dtype=float)
    if not (np.all(np.isfinite(start)) and np.all(np.diff(start) > 0)):
        raise ValueError("weather step start times must be finite and increasing")
    if not np.all(np.isfinite(speed) & (speed >= 0)):
        raise ValueError("weather wind speeds must be finite and >= 0 m/s")
    if not np.all(np.isfinite(direction)):
        raise ValueError("weather wind directions must be finite degrees")
    cls = _classes([s.stability for s in parsed])
    theta = np.radians(direction)
    # The wind blows FROM theta, so material travels towards theta + 180°.
    return start, np.maximum(speed, CALM_WIND_M_S), -np.sin(theta), -np.cos(theta), cls


# --- the puff train ------------------------------------------------------------------------------


def _puffs(release_rate_fn, release_start_s: float, t_last: float, dt: float, substeps: int):
    """Start (s), emission length (s) and rate (kg/s) of each puff with something in it."""
    if isinstance(release_rate_fn, ReleaseRate):
        end = release_start_s + release_rate_fn.end_s
        horizon = min(end, t_last)
        n = max(0, math.ceil((horizon - release_start_s) / dt - 1e-9))
        starts = release_start_s + dt * np.arange(n)
        lengths = np.minimum(dt, end - starts)
        rates = np.full(n, float(release_rate_fn.rate_kg_s))
    else:  # any vectorised callable q(t): midpoint rule with `substeps` points per puff
        n = max(0, math.ceil((t_last - release_start_s) / dt - 1e-9))
        starts = release_start_s + dt * np.arange(n)
        lengths = np.full(n, dt)
        sub = (np.arange(substeps) + 0.5) * (dt / substeps)
        q = np.broadcast_to(np.asarray(
            release_rate_fn(starts[:, None] + sub[None, :] - release_start_s), dtype=float),
            (n, substeps))
        if not np.all(np.isfinite(q) & (q >= 0)):
            raise ValueError("release_rate_fn must return finite rates >= 0 kg/s")
        rates = q.mean(axis=1)
    keep = (rates > 0) & (lengths > 1e-9 * dt)
    return starts[keep], lengths[keep], rates[keep]


class _Grid:
    """Receptors bucketed into square cells, sorted row by row, for culling."""

    def __init__(self, east: np.ndarray, north: np.ndarray) -> None:
        self.xmin, self.xmax = float(east.min()), float(east.max())
        self.ymin, self.ymax = float(north.min()), float(north.max())
        width, height = self.xmax - self.xmin, self.ymax - self.ymin
        n = east.size
        self.h = max(2.0 * math.sqrt(width * height / n), max(width, height) / 1000.0, 1.0)
        self.nx = int(width / self.h) + 1
        self.ny = int(height / self.h) + 1
        ix = np.minimum(((east - self.xmin) / self.h).astype(np.intp), self.nx - 1)
        iy = np.minimum(((north - self.ymin) / self.h).astype(np.intp), self.ny - 1)
        cell = iy * self.nx + ix
        self.order = np.argsort(cell, kind="stable")
        self.east, self.north = east[self.order], north[self.order]
        self.cell_start = np.searchsorted(cell[self.order], np.arange(self.nx * self.ny + 1))

    def rows(self, s0, s1, de, dn, radius):
        """Receptors within reach of each query, as runs of the sorted receptors.

        A query is the segment from s0·d to s1·d (m from the source along the unit vector d)
        widened by ``radius``; scanning it row of cells by row of cells gives, per row, the query
        it belongs to, the first sorted receptor and how many follow (all returned counts > 0).
        """
        e0, e1, n0, n1 = s0 * de, s1 * de, s0 * dn, s1 * dn
        ylo = np.minimum(n0, n1) - radius
        yhi = np.maximum(n0, n1) + radius
        xlo = np.minimum(e0, e1) - radius
        xhi = np.maximum(e0, e1) + radius
        hit = (yhi >= self.ymin) & (ylo <= self.ymax) & (xhi >= self.xmin) & (xlo <= self.xmax)
        q = np.flatnonzero(hit)
        iy0 = np.clip(np.floor((ylo[q] - self.ymin) / self.h), 0, self.ny - 1).astype(np.intp)
        iy1 = np.clip(np.floor((yhi[q] - self.ymin) / self.h), 0, self.ny - 1).astype(np.intp)
        rows = iy1 - iy0 + 1
        row_q = np.repeat(q, rows)
        iy = _expand(iy0, rows)
        # The part of the segment within `radius` of the row's band, then its east extent.
        r = radius[row_q]
        band0 = self.ymin + iy * self.h - r
        band1 = band0 + self.h + 2.0 * r
        dn_r, de_r, s0_r, s1_r = dn[row_q], de[row_q], s0[row_q], s1[row_q]
        slant = np.abs(dn_r) > 1e-12
        safe = np.where(slant, dn_r, 1.0)
        sa, sb = band0 / safe, band1 / safe
        lo = np.where(slant, np.maximum(s0_r, np.minimum(sa, sb)), s0_r)
        hi = np.where(slant, np.minimum(s1_r, np.maximum(sa, sb)), s1_r)
        x_a, x_b = lo * de_r, hi * de_r
        ix0 = np.floor((np.minimum(x_a, x_b) - r - self.xmin) / self.h)
        ix1 = np.floor((np.maximum(x_a, x_b) + r - self.xmin) / self.h)
        ok = (lo <= hi) & (ix1 >= 0) & (ix0 <= self.nx - 1)
        ix0 = np.clip(ix0, 0, self.nx - 1).astype(np.intp)
        ix1 = np.clip(ix1, 0, self.nx - 1).astype(np.intp)
        first = self.cell_start[iy * self.nx + ix0]
        count = np.where(ok, self.cell_start[iy * self.nx + ix1 + 1] - first, 0)
        keep = count > 0
        return row_q[keep], first[keep], count[keep]


def _offsets(counts: np.ndarray) -> np.ndarray:
    """Start of each group in the flattened expansion of ``counts``."""
    return np.cumsum(counts) - counts


def _expand(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """first[0], first[0]+1, ... (counts[0] of them), first[1], ...: runs laid end to end."""
    return np.repeat(first - _offsets(counts), counts) + np.arange(int(counts.sum()))


def puff_train_concentration(
    release_rate_fn: Callable[[np.ndarray], np.ndarray] | ReleaseRate,
    weather_steps: Sequence[WeatherStep | tuple],
    east_m, north_m, times_s, *,
    source_height_m: float = 0.0,
    receptor_height_m: float = 0.0,
    urban: bool = False,
    puff_interval_s: float = 60.0,
    release_start_s: float = 0.0,
    shape: Literal["slug", "gaussian"] = "slug",
    weather_hook: WeatherHook | None = None,
    substeps: int = 10,
    scale: float = 1.0,
    max_pairs: int = 1_000_000,
) -> np.ndarray:
    """Concentration (kg/m³ times ``scale``), receptors x times, of a release as a puff train.

    Receptors at ``east_m``, ``north_m`` (m from the source, flat ground); see
    :func:`concentration_series` for the other arguments (this is its engine, in local metres).
    ``max_pairs`` bounds the (receptor, time, puff) evaluations held in memory at once.
    """
    east = np.asarray(east_m, dtype=float).ravel()
    north = np.asarray(north_m, dtype=float).ravel()
    times = np.asarray(times_s, dtype=float).ravel()
    if east.shape != north.shape:
        raise ValueError("east_m and north_m must have one entry per receptor")
    if not (np.all(np.isfinite(east)) and np.all(np.isfinite(north))
            and np.all(np.isfinite(times))):
        raise ValueError("receptor positions and times must be finite")
    if not (puff_interval_s > 0 and math.isfinite(puff_interval_s)):
        raise ValueError(f"puff_interval_s must be > 0, got {puff_interval_s!r}")
    if shape not in ("slug", "gaussian"):
        raise ValueError(f"shape must be 'slug' or 'gaussian', got {shape!r}")
    if source_height_m < 0 or receptor_height_m < 0:
        raise ValueError("source and receptor heights must be >= 0 m")
    weather = _weather(weather_steps, weather_hook)
    out = np.zeros((east.size, times.size))
    if east.size == 0 or times.size == 0:
        return out
    if weather[0][0] > release_start_s:
        raise ValueError(f"the first weather step starts at {weather[0][0]:g} s, after the "
                         f"release starts at {release_start_s:g} s: the weather must cover it")
    starts, lengths, rates = _puffs(release_rate_fn, release_start_s, float(times.max()),
                                    puff_interval_s, substeps)
    if starts.size == 0:
        return out
    step = np.searchsorted(weather[0], starts + lengths / 2.0, side="right") - 1
    if shape == "slug":
        # Adjacent puffs with the same wind and rate are one continuous stretch of plume: merge
        # them into one segment (the limit of ever shorter slugs), which has no puff-by-puff
        # ripple and costs less.
        new = np.ones(starts.size, dtype=bool)
        new[1:] = ((step[1:] != step[:-1]) | (rates[1:] != rates[:-1])
                   | ~np.isclose(starts[:-1] + lengths[:-1], starts[1:], rtol=0, atol=1e-6))
        first = np.flatnonzero(new)
        ends = np.maximum.reduceat(starts + lengths, first)
        starts, rates, step = starts[first], rates[first], step[first]
        lengths = ends - starts
    grid = _Grid(east, north)
    flat = out.reshape(-1)
    block = max(1, 1_000_000 // times.size)  # (puff, time) queries per block
    for b0 in range(0, starts.size, block):
        sl = slice(b0, b0 + block)
        _accumulate(flat, grid, times, starts[sl], lengths[sl], rates[sl] * scale, step[sl],
                    weather, float(receptor_height_m), float(source_height_m), bool(urban),
                    shape, max_pairs)
    return out


def _accumulate(flat, grid, times, starts, lengths, rates, step, weather, z, h, urban, shape,
                max_pairs) -> None:
    """Add the concentrations of a block of puffs at every receptor and time into ``flat``."""
    _, w_speed, w_de, w_dn, w_cls = weather
    tt = times[None, :]
    u = w_speed[step][:, None]
    if shape == "slug":
        active = tt > starts[:, None]
        s0_all = u * (tt - np.minimum(tt, (starts + lengths)[:, None]))
        s1_all = u * (tt - starts[:, None])
    else:
        centre = (starts + lengths / 2.0)[:, None]
        active = tt > centre
        s0_all = s1_all = u * (tt - centre)
    puff, ti = np.nonzero(active)
    s0, s1 = s0_all[puff, ti], s1_all[puff, ti]
    qstep = step[puff]
    cls = w_cls[qstep]
    n_t = times.size
    for k in np.unique(cls):
        q = np.flatnonzero(cls == k)
        coef_y = _BRIGGS[urban]["y"][STABILITY_CLASSES[k]]
        coef_z = _BRIGGS[urban]["z"][STABILITY_CLASSES[k]]
        far = np.maximum(s1[q], 1.0)
        sy_far, sz_far = _sigma(far, coef_y), _sigma(far, coef_z)
        de, dn = w_de[qstep[q]], w_dn[qstep[q]]
        row_q, first, count = grid.rows(s0[q], s1[q], de, dn, K_SIGMA * sy_far)
        if shape == "slug":  # per query: line density (kg/m) = rate / wind speed
            strength = rates[puff[q]] / w_speed[qstep[q]]
        else:  # per query: mass (kg) and the puff's sigmas
            strength = (rates * lengths)[puff[q]]
        flat_t = ti[q]
        ends = np.cumsum(count)
        r0 = 0
        while r0 < row_q.size:
            done = ends[r0 - 1] if r0 else 0
            r1 = max(r0 + 1, int(np.searchsorted(ends, done + max_pairs, side="right")))
            rq, cnt = row_q[r0:r1], count[r0:r1]
            j = _expand(first[r0:r1], cnt)

            def per_pair(values, rq=rq, cnt=cnt):
                return np.repeat(values[rq], cnt)

            e, n = grid.east[j], grid.north[j]
            if shape == "slug":
                val = _slug_values(e, n, per_pair(de), per_pair(dn), per_pair(s0[q]),
                                   per_pair(s1[q]), per_pair(strength), coef_y, coef_z, z, h)
            else:
                val = _gaussian_values(e, n, per_pair(de), per_pair(dn), per_pair(s0[q]),
                                       per_pair(strength), per_pair(sy_far), per_pair(sz_far),
                                       z, h)
            np.add.at(flat, grid.order[j] * n_t + per_pair(flat_t), val)
            r0 = r1


def _vertical_pairs(z: float, h: float, sz: np.ndarray) -> np.ndarray | float:
    if z == 0.0 and h == 0.0:
        return 2.0
    if z == 0.0 or h == 0.0:
        return 2.0 * np.exp(-((z + h) ** 2) / (2.0 * sz * sz))
    return _vertical(z, h, sz)


_END_REACH = 6.0  # erfc(6) = 2e-17: farther than 6·√2·sigma from both ends, a segment is whole


def _slug_values(e, n, de, dn, s0, s1, line_density, coef_y, coef_z, z, h) -> np.ndarray:
    """A plume segment from s0 to s1 m downwind (line density kg/m): sigmas at the receptor's own
    distance along it (clipped to its ends), Gaussian (σx = σy) smoothing at the ends."""
    along = e * de + n * dn
    cross = n * de - e * dn
    x = np.maximum(np.clip(along, s0, s1), 1.0)
    sy, sz = _sigma(x, coef_y), _sigma(x, coef_z)
    inv = 1.0 / (math.sqrt(2.0) * sy)
    u1, u2 = (along - s0) * inv, (along - s1) * inv
    # Phi(u1·√2) − Phi(u2·√2), the share of the smoothed segment at this distance; erfc only near
    # the ends, arranged to avoid cancellation in either tail.
    window = np.ones_like(along)
    near = np.flatnonzero((u1 < _END_REACH) | (u2 > -_END_REACH))
    if near.size:
        a1, a2 = u1[near], u2[near]
        flip = a1 + a2 < 0
        b1, b2 = np.where(flip, -a2, a1), np.where(flip, -a1, a2)
        window[near] = 0.5 * (erfc(b2) - erfc(b1))
    horizontal = np.exp(-(cross * inv) ** 2)
    return line_density * window * horizontal * _vertical_pairs(z, h, sz) / (_TWO_PI * sy * sz)


def _gaussian_values(e, n, de, dn, s, mass, sy, sz, z, h) -> np.ndarray:
    """A Gaussian puff of ``mass`` kg centred ``s`` m downwind (σx = σy)."""
    r2 = (e - s * de) ** 2 + (n - s * dn) ** 2
    return (mass / (_TWO_PI**1.5 * sy * sy * sz) * np.exp(-r2 / (2.0 * sy * sy))
            * _vertical_pairs(z, h, sz))


def concentration_series(
    release_rate_fn: Callable[[np.ndarray], np.ndarray] | ReleaseRate,
    weather_steps: Sequence[WeatherStep | tuple],
    receptors_lonlat, source_lonlat: tuple[float, float], times_s, *,
    molecular_weight: float,
    source_height_m: float = 0.0,
    receptor_height_m: float = 0.0,
    urban: bool = False,
    puff_interval_s: float = 60.0,
    release_start_s: float = 0.0,
    shape: Literal["slug", "gaussian"] = "slug",
    weather_hook: WeatherHook | None = None,
    substeps: int = 10,
) -> np.ndarray:
    """Concentration (ppm at 25 °C, 1 atm), shape (receptors, times), of a time-varying release.

    * ``release_rate_fn``: the source's rate (kg/s) at times (s) since ``release_start_s``; a
      :class:`~models.hazards.source.ReleaseRate` (what every release model's ``rate_function``
      returns) is integrated exactly, any other vectorised callable by the midpoint rule with
      ``substeps`` points per puff (so releases much shorter than a puff interval need the former).
    * ``weather_steps``: ``(start_s, wind_speed_m_s, wind_from_deg, stability)`` steps, increasing
      start times, the first at or before the release; ``weather_hook(index, step) -> step`` is
      applied to each step first (uncertainty, e.g. :func:`weather_jitter`).
    * ``receptors_lonlat``: (n, 2) lon/lat (degrees); ``source_lonlat``: (lon, lat). Positions are
      projected to local metres around the source (:func:`local_metres`).
    * ``times_s``: output times (s, same clock as the weather and ``release_start_s``).

    A puff holds what the source emits over one ``puff_interval_s`` and travels from the source in
    a straight line with the wind (speed clamped to >= 0.5 m/s) in force at the middle of its
    emission. ``shape="slug"`` (default) spreads each puff's mass evenly along the path it was
    emitted over (a plume segment, Gaussian-smoothed at its ends, sigmas at each receptor's own
    travel distance); adjacent slugs with the same wind and rate merge exactly into one segment,
    so a steady release in steady weather reproduces the steady plume and no ripple comes from
    the puff spacing. ``shape="gaussian"`` uses point puffs (:func:`puff_concentration`), which
    need ``wind speed x puff_interval_s`` below about 1.5 sigma_y at the nearest receptor of
    interest to avoid a puff-by-puff ripple. Puffs are cut at 6 sigma.
    """
    receptors = np.asarray(receptors_lonlat, dtype=float).reshape(-1, 2)
    east, north = local_metres(receptors[:, 0], receptors[:, 1], *source_lonlat)
    if not (molecular_weight > 0 and math.isfinite(molecular_weight)):
        raise ValueError(f"molecular_weight must be > 0 g/mol, got {molecular_weight!r}")
    c = puff_train_concentration(
        release_rate_fn, weather_steps, east, north, times_s, source_height_m=source_height_m,
        receptor_height_m=receptor_height_m, urban=urban, puff_interval_s=puff_interval_s,
        release_start_s=release_start_s, shape=shape, weather_hook=weather_hook,
        substeps=substeps, scale=1e6 * MOLAR_VOLUME_L / molecular_weight)
    return c
