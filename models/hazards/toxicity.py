"""What a toxic gas concentration does to people: AEGL threat zones, probit lethality, and the
concentration indoors for people sheltering in place.

* AEGL (Acute Exposure Guideline Levels, US EPA / National Research Council), ppm, for 10 min,
  30 min, 1 h, 4 h and 8 h exposures: level 1 discomfort, level 2 disabling or irreversible
  effects, level 3 life-threatening effects or death. Between tabulated durations a level is
  interpolated linearly in log(value) against log(time), i.e. a power law C = k·t^(−1/n) between
  neighbouring points — the ten Berge C^n·t = k relation the AEGLs were derived with. Outside
  10 min – 8 h the nearest tabulated value is used (an *assumption*: AEGLs are not defined there).
* Lethality probit (Crowl & Louvar, *Chemical Process Safety*, probit table; C in ppm, t in min):
  Pr = k1 + k2·ln(Σ Cⁿ·Δt), probability of death Φ(Pr − 5).
* Indoor concentration, single-zone box model: dCi/dt = λ·(Co − Ci), λ the air exchange rate (/h),
  solved exactly step by step.

Values and sources: REFERENCE-PARAMETERS.md ("Chemical release"); docs/models/chemical-physics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from models.hazards.source import Chemical

__all__ = [
    "AEGL_DURATIONS_MIN",
    "AEGL_TABLES",
    "AMMONIA_PROBIT",
    "CHLORINE_PROBIT",
    "PROBITS",
    "AeglTable",
    "Probit",
    "ThreatZones",
    "aegl",
    "indoor_concentration",
    "probit_lethality",
    "threat_zones",
    "toxic_load",
]

AEGL_DURATIONS_MIN = (10.0, 30.0, 60.0, 240.0, 480.0)


@dataclass(frozen=True)
class AeglTable:
    """AEGL-1, -2 and -3 (ppm) of one chemical at :data:`AEGL_DURATIONS_MIN`."""

    chemical: str
    cas: str
    levels: tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]

    def value(self, level: int, duration_min) -> np.ndarray:
        """AEGL-``level`` (ppm) for exposures of ``duration_min`` minutes (log-log interpolation,
        clamped to the 10 min and 8 h values outside the table)."""
        if level not in (1, 2, 3):
            raise ValueError(f"AEGL level must be 1, 2 or 3, got {level!r}")
        t = np.asarray(duration_min, dtype=float)
        if np.any(~(t > 0)):
            raise ValueError("AEGL durations must be > 0 minutes")
        grid, values = np.array(AEGL_DURATIONS_MIN), np.array(self.levels[level - 1])
        t = np.clip(t, grid[0], grid[-1])
        i = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2)
        w = np.log(t / grid[i]) / np.log(grid[i + 1] / grid[i])
        # v_i·(v_i+1 / v_i)^w: exactly the tabulated value at a tabulated duration (w = 0 or 1).
        return np.where(w >= 1.0, values[i + 1], values[i] * (values[i + 1] / values[i]) ** w)


# REFERENCE-PARAMETERS.md, "Chemical release" (US EPA / NRC final AEGLs).
AEGL_TABLES = {
    "7782-50-5": AeglTable("chlorine", "7782-50-5", (
        (0.5, 0.5, 0.5, 0.5, 0.5),
        (2.8, 2.8, 2.0, 1.0, 0.71),
        (50.0, 28.0, 20.0, 10.0, 7.1),
    )),
    "7664-41-7": AeglTable("ammonia", "7664-41-7", (
        (30.0, 30.0, 30.0, 30.0, 30.0),
        (220.0, 220.0, 160.0, 110.0, 110.0),
        (2700.0, 1600.0, 1100.0, 550.0, 390.0),
    )),
}
"""AEGL tables by CAS number."""


def _table(chemical: str) -> AeglTable:
    cas = Chemical.lookup(chemical).cas
    if cas not in AEGL_TABLES:
        known = ", ".join(t.chemical for t in AEGL_TABLES.values())
        raise ValueError(f"no AEGL table for {chemical!r} (CAS {cas}); drsim has: {known}")
    return AEGL_TABLES[cas]


def aegl(chemical: str, level: int, duration_min) -> np.ndarray:
    """AEGL-``level`` (ppm) of ``chemical`` (name or CAS) for ``duration_min`` minutes."""
    return _table(chemical).value(level, duration_min)


@dataclass(frozen=True)
class ThreatZones:
    """Which receptors exceed which AEGL for which exposure duration.

    ``exceeds[level - 1, d, r]`` is True when receptor r's highest running mean concentration over
    ``durations_min[d]`` minutes reaches AEGL-``level`` for that duration; ``peak_mean_ppm[d, r]``
    is that highest running mean.
    """

    chemical: str
    durations_min: tuple[float, ...]
    peak_mean_ppm: np.ndarray
    exceeds: np.ndarray

    def level(self, duration_min: float) -> np.ndarray:
        """Highest AEGL level (0 = none, 1-3) each receptor reaches for ``duration_min``."""
        d = self.durations_min.index(duration_min)
        return self.exceeds[:, d, :].sum(axis=0)


def _running_mean_max(c: np.ndarray, times: np.ndarray, window: float) -> np.ndarray:
    """Highest mean of the step function c (c[:, i] on [t_i, t_i+1)) over any window of length
    ``window``, zero before the first and after the last time; exact (windows that start or end
    at a breakpoint include the best one)."""
    step = np.diff(times)
    integral = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c[:, :-1] * step, axis=1)],
                              axis=1)

    def cumulative(at: np.ndarray) -> np.ndarray:  # ∫ c from t_0 to `at`, vectorised over rows
        i = np.clip(np.searchsorted(times, at, side="right") - 1, 0, times.size - 1)
        inside = (at >= times[0]) & (at < times[-1])
        held = np.where(inside, np.maximum(at - times[i], 0.0), 0.0)
        value = integral[:, i] + c[:, i] * held
        return np.where(at < times[0], 0.0, value)

    ends = np.concatenate([times, times + window])
    best = (cumulative(ends) - cumulative(ends - window)).max(axis=1)
    return best / window


def threat_zones(c_ppm, times_min, chemical: str,
                 durations_min: Sequence[float] = (10.0, 30.0, 60.0)) -> ThreatZones:
    """Receptors reaching AEGL-1/2/3 for each exposure duration (default 10, 30, 60 min).

    ``c_ppm`` is (receptors, times) at increasing ``times_min``; each value holds until the next
    time, the last ends the record. A receptor exceeds AEGL-k for duration D when its highest
    running mean over D minutes is at least AEGL-k(D).
    """
    table = _table(chemical)
    c = np.atleast_2d(np.asarray(c_ppm, dtype=float))
    times = np.asarray(times_min, dtype=float)
    if times.ndim != 1 or c.shape[-1] != times.size or times.size < 2:
        raise ValueError(f"c_ppm must be (receptors, {times.size}) with at least 2 times")
    if np.any(np.diff(times) <= 0):
        raise ValueError("times_min must be increasing")
    durations = tuple(float(d) for d in durations_min)
    peak = np.stack([_running_mean_max(c, times, d) for d in durations])
    limits = np.array([[table.value(level, d) for d in durations] for level in (1, 2, 3)])
    return ThreatZones(table.chemical, durations, peak, peak[None, :, :] >= limits[:, :, None])


# --- lethality ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probit:
    """Probit constants for Pr = k1 + k2·ln(Σ Cⁿ·Δt), C in ppm and Δt in minutes."""

    k1: float
    k2: float
    n: float


# Crowl & Louvar, Chemical Process Safety, table of probit constants (REFERENCE-PARAMETERS.md).
CHLORINE_PROBIT = Probit(k1=-8.29, k2=0.92, n=2.0)
AMMONIA_PROBIT = Probit(k1=-35.9, k2=1.85, n=2.0)
PROBITS = {"7782-50-5": CHLORINE_PROBIT, "7664-41-7": AMMONIA_PROBIT}
"""Lethality probits by CAS number."""


def toxic_load(c_ppm, dt_min, n: float) -> np.ndarray:
    """Toxic load Σ Cⁿ·Δt (ppmⁿ·min) over the last axis; ``dt_min`` a step or one per sample."""
    c = np.asarray(c_ppm, dtype=float)
    if np.any(c < 0):
        raise ValueError("concentrations must be >= 0 ppm")
    dt = np.asarray(dt_min, dtype=float)
    if np.any(dt < 0):
        raise ValueError("time steps must be >= 0 minutes")
    return (c**n * dt).sum(axis=-1)


def probit_lethality(load, k1: float, k2: float) -> np.ndarray:
    """Probability of death Φ(k1 + k2·ln(load) − 5) for a toxic load; 0 where the load is 0."""
    load = np.asarray(load, dtype=float)
    if np.any(load < 0):
        raise ValueError("toxic load must be >= 0")
    positive = load > 0
    pr = k1 + k2 * np.log(np.where(positive, load, 1.0))
    return np.where(positive, ndtr(pr - 5.0), 0.0)


# --- sheltering in place ---------------------------------------------------------------------


def indoor_concentration(c_out, times_min, air_exchange_per_h, ci0=0.0,
                         outdoor: str = "constant") -> np.ndarray:
    """Indoor concentration (same unit as ``c_out``) from dCi/dt = λ·(Co − Ci), solved exactly.

    ``c_out`` is (receptors, times) or (times,) at increasing ``times_min``; ``air_exchange_per_h``
    λ (per hour) is a number or one per receptor; ``ci0`` the indoor value at the first time.
    ``outdoor="constant"`` holds each outdoor value until the next time (step function);
    ``"linear"`` interpolates linearly between times. Over a step of length Δ:
    constant: Ci₁ = Co₀ + (Ci₀ − Co₀)·e^(−λΔ);
    linear (slope s): Ci₁ = Co₁ − s/λ + (Ci₀ − Co₀ + s/λ)·e^(−λΔ).
    """
    if outdoor not in ("constant", "linear"):
        raise ValueError(f"outdoor must be 'constant' or 'linear', got {outdoor!r}")
    co = np.asarray(c_out, dtype=float)
    times = np.asarray(times_min, dtype=float)
    if times.ndim != 1 or co.shape[-1] != times.size or times.size < 1:
        raise ValueError(f"c_out must end in an axis of {times.size} times")
    if np.any(np.diff(times) <= 0):
        raise ValueError("times_min must be increasing")
    lam = np.asarray(air_exchange_per_h, dtype=float) / 60.0  # per minute
    if np.any(~(lam >= 0)) or np.any(~np.isfinite(lam)):
        raise ValueError("air_exchange_per_h must be finite and >= 0")
    shape = np.broadcast_shapes(co.shape[:-1], lam.shape, np.shape(ci0))
    co = np.broadcast_to(co, shape + (times.size,))
    lam = np.broadcast_to(lam, shape)
    sealed = lam == 0  # no exchange: the indoor value stays where it is
    lam_safe = np.where(sealed, 1.0, lam)
    ci = np.empty(shape + (times.size,))
    ci[..., 0] = ci0
    for i in range(times.size - 1):
        dt = times[i + 1] - times[i]
        decay = np.exp(-lam * dt)
        if outdoor == "constant":
            ci[..., i + 1] = co[..., i] + (ci[..., i] - co[..., i]) * decay
        else:
            lag = (co[..., i + 1] - co[..., i]) / (dt * lam_safe)  # s/λ
            stepped = co[..., i + 1] - lag + (ci[..., i] - co[..., i] + lag) * decay
            ci[..., i + 1] = np.where(sealed, ci[..., i], stepped)
    return ci
