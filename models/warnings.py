"""Warnings: from an identified threat to people who have received a warning and begun to act.

The chain follows the USACE HEC-LifeSim technical reference (ch. 6 and 11):

1. **Issuance** per zone = threat identified + identification delay + communication delay +
   issuance delay (decision and message), the last drawn from an issuance curve.
2. **First-alert diffusion** through channels (cell broadcast/SMS, TV/radio, sirens, village
   loudspeakers, word of mouth, door-to-door by grid workers/information officers). Each channel
   reaches a share of people (by day or night) with its own delay curve; channels act
   independently, so the share alerted by time t after issuance is
   ``1 - prod_c (1 - reach_c * P_c(t))``.
3. **Protective-action initiation (PAI)**: the alerted begin to act after a delay drawn from the
   PAI curve; a share never acts (5-20 % in the literature).

Commanders' orders (:mod:`models.orders`) set a zone's issuance time: the earlier of the plan's
and the first order's, or with ``replaces_plan`` the order's alone
(:func:`models.response.orders.decided_at`). Which orders issue a warning is the model's to say
(``actions``): ``warn``/``evacuate`` by default (the flood model), also ``shelter_in_place`` for
the chemical model.

Delay curves are Lindell's Weibull ``P(t) = 1 - exp(-a t^b)`` (written here with a median:
``a = ln 2 / median^b``) or triangular. As in HEC-LifeSim, each curve's uncertainty is one uniform
draw per replication that stretches the curve's time axis, so a sampled curve stays monotone.
Reach and delay values per channel are assumptions until a user calibrates them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import Field, model_validator
from scipy.signal import fftconvolve

from models.orders import OrdersSection
from models.response.orders import decided_at
from models.zones import Share, ZoneBase
from sim.config import StrictModel
from sim.units import Duration

__all__ = [
    "Channel",
    "DelayCurve",
    "DoorToDoor",
    "WARNING_ACTIONS",
    "WarningOutcome",
    "WarningsSection",
    "simulate_warnings",
]

LN2 = math.log(2.0)
# Orders that issue the authorities' warning to zones, unless a model names others.
WARNING_ACTIONS = ("warn", "evacuate")


class DelayCurve(StrictModel):
    """Cumulative share who have acted ``t`` minutes after a start.

    Give either ``median`` (+ ``shape``, Weibull/Lindell) or ``triangular`` (min, mode, max).
    ``uncertainty`` u stretches the time axis by a factor drawn uniformly in [1-u, 1+u] once per
    replication (HEC-LifeSim practice: one draw per curve keeps it monotone).
    """

    median: Duration | None = Field(default=None, gt=0, description="Weibull: time for 50 %.")
    shape: float = Field(default=1.0, gt=0, description="Weibull shape b (1 = exponential).")
    triangular: tuple[Duration, Duration, Duration] | None = Field(
        default=None, description="Triangular delay: minimum, mode, maximum.")
    lag: Duration = Field(default=0.0, description="Nobody acts before this delay.")
    uncertainty: Share = Field(default=0.0, description="Relative spread of the time scale.")

    @model_validator(mode="after")
    def _one_form(self) -> DelayCurve:
        if (self.median is None) == (self.triangular is None):
            raise ValueError("give either median (with shape) or triangular = [min, mode, max]")
        if self.triangular is not None:
            low, mode, high = self.triangular
            if not low <= mode <= high or low == high:
                raise ValueError("triangular needs min <= mode <= max and min < max")
        return self

    def draw_scale(self, rng: np.random.Generator) -> float:
        """The replication's time-scale factor (always one draw, so streams stay aligned)."""
        u = rng.random()
        return 1.0 + self.uncertainty * (2.0 * u - 1.0)

    def cdf(self, t: np.ndarray | float, scale: float = 1.0) -> np.ndarray:
        """Share who have acted by delay ``t`` (minutes), for a time-scale factor ``scale``."""
        x = (np.asarray(t, dtype=float) - self.lag) / scale
        x = np.maximum(x, 0.0)
        if self.median is not None:
            return 1.0 - np.exp(-LN2 * (x / self.median) ** self.shape)
        low, mode, high = self.triangular  # type: ignore[misc]
        out = np.where(
            x <= mode,
            np.where(x <= low, 0.0, (x - low) ** 2 / ((high - low) * max(mode - low, 1e-12))),
            np.where(x >= high, 1.0,
                     1.0 - (high - x) ** 2 / ((high - low) * max(high - mode, 1e-12))),
        )
        return np.clip(out, 0.0, 1.0)

    def quantile(self, p: float, scale: float = 1.0) -> float:
        """Delay (minutes) by which a share ``p`` in [0, 1) has acted."""
        if not 0 <= p < 1:
            raise ValueError(f"quantile needs 0 <= p < 1, got {p}")
        if self.median is not None:
            x = self.median * (-math.log1p(-p) / LN2) ** (1.0 / self.shape)
        else:
            low, mode, high = self.triangular  # type: ignore[misc]
            split = (mode - low) / (high - low)
            if p <= split:
                x = low + math.sqrt(p * (high - low) * (mode - low))
            else:
                x = high - math.sqrt((1 - p) * (high - low) * (high - mode))
        return self.lag + x * scale


class Channel(StrictModel):
    """A broadcast-like channel: cell broadcast/SMS, TV/radio, sirens, loudspeakers, word of
    mouth."""

    name: str = Field(min_length=1)
    reach_day: Share = Field(description="Share of people it can reach by day.")
    reach_night: Share = Field(description="Share of people it can reach at night.")
    delay: DelayCurve = Field(description="Delay from issuance to reaching the reachable.")


class DoorToDoor(StrictModel):
    """Door-to-door warning by grid workers and disaster-information officers (网格员, 灾害信息员).

    Workers are shared out among zones in proportion to population; a zone's households are all
    visited after ``households / (workers × households_per_hour)`` hours, at an even pace.
    """

    workers: int = Field(ge=0, description="Workers in the whole region.")
    households_per_hour: float = Field(gt=0, description="Households one worker warns per hour.")
    people_per_household: float = Field(
        default=2.62, gt=0, description="Mean household size (China 2020 census: 2.62).")
    start_delay: Duration = Field(default=15.0, description="From issuance to the first visits.")
    reach_day: Share = Field(default=0.95, description="Share of households found at home, day.")
    reach_night: Share = Field(default=0.98, description="Share found at home, night.")
    uncertainty: Share = Field(default=0.0, description="Relative spread of the pace, drawn "
                               "once per replication (uniform in [1-u, 1+u]).")


class WarningsSection(StrictModel):
    """The scenario's ``[warnings]`` section."""

    identification_delay: Duration = Field(
        default=30.0, description="From the hazard being identifiable to its recognition.")
    communication_delay: Duration = Field(
        default=15.0, description="From recognition to the decision makers.")
    issuance: DelayCurve = Field(description="Decision and issuance delay after communication.")
    channels: list[Channel] = Field(default_factory=list)
    door_to_door: DoorToDoor | None = None
    protective_action: DelayCurve = Field(
        description="Protective-action-initiation delay after the first alert.")
    never_act: Share = Field(default=0.1, description="Share who never act on a warning.")
    day_start_hour: float = Field(default=7.0, ge=0, lt=24, description="Day begins (clock h).")
    day_end_hour: float = Field(default=22.0, gt=0, le=24, description="Night begins (clock h).")


class WarningOutcome:
    """Per-zone warning results on a time grid (minutes).

    ``alerted[z, i]``: share of zone z's people alerted by ``grid[i]``; ``acting[z, i]``: share
    who have begun protective action by then.
    """

    def __init__(self, grid: np.ndarray, issued_at: np.ndarray, alerted: np.ndarray,
                 acting: np.ndarray, pai_scale: float) -> None:
        self.grid = grid
        self.issued_at = issued_at
        self.alerted = alerted
        self.acting = acting
        self.pai_scale = pai_scale   # the replication's draw for the PAI curve

    def alerted_by(self, times: np.ndarray) -> np.ndarray:
        """Share alerted in each zone by ``times[z]`` (linear interpolation; inf -> final)."""
        return _interp_rows(self.grid, self.alerted, times)

    def acting_by(self, times: np.ndarray) -> np.ndarray:
        return _interp_rows(self.grid, self.acting, times)


def _interp_rows(grid: np.ndarray, values: np.ndarray, times: np.ndarray) -> np.ndarray:
    times = np.minimum(np.asarray(times, dtype=float), grid[-1])
    idx = np.clip(np.searchsorted(grid, times, side="right") - 1, 0, len(grid) - 2)
    frac = np.clip((times - grid[idx]) / (grid[idx + 1] - grid[idx]), 0.0, 1.0)
    rows = np.arange(values.shape[0])
    return values[rows, idx] * (1 - frac) + values[rows, idx + 1] * frac


def is_daytime(minutes: np.ndarray, start_hour: float, section: WarningsSection) -> np.ndarray:
    """Whether clock time ``start_hour + minutes`` falls in the day window."""
    hour = (start_hour + np.asarray(minutes, dtype=float) / 60.0) % 24.0
    return (hour >= section.day_start_hour) & (hour < section.day_end_hour)


def simulate_warnings(
    section: WarningsSection, zones: Sequence[ZoneBase], identified_at: np.ndarray,
    grid: np.ndarray, start_hour: float, rng: np.random.Generator,
    orders: OrdersSection | None = None, actions: tuple[str, ...] = WARNING_ACTIONS,
) -> WarningOutcome:
    """Issuance times, alert and action shares per zone on ``grid`` (minutes, regular step).

    ``identified_at[z]`` is when the threat to zone z becomes identifiable (inf: never).
    ``orders``: commanders' orders of ``actions`` moving issuance (see the module docstring).
    Draws, in this order and whatever the orders: issuance u, one time-scale per channel,
    door-to-door pace (if any), PAI scale.
    """
    issuance_delay = section.issuance.quantile(rng.random() * 0.999999)
    issued_at = identified_at + section.identification_delay + section.communication_delay \
        + issuance_delay
    if orders is not None:
        issued_at = np.array([decided_at(orders, actions, zone.id, float(plan))
                              for zone, plan in zip(zones, issued_at, strict=True)])
    day = is_daytime(np.where(np.isfinite(issued_at), issued_at, 0.0), start_hour, section)

    since = grid[None, :] - issued_at[:, None]           # (Z, T) minutes since issuance
    since = np.where(np.isfinite(since), since, -1.0)
    not_alerted = np.ones((len(zones), grid.size))
    for channel in section.channels:
        reach = np.where(day, channel.reach_day, channel.reach_night)[:, None]
        share = channel.delay.cdf(since, channel.delay.draw_scale(rng))
        not_alerted *= 1.0 - reach * np.where(since >= 0, share, 0.0)
    if section.door_to_door is not None and section.door_to_door.workers > 0:
        d2d = section.door_to_door
        scale = 1.0 + d2d.uncertainty * (2.0 * rng.random() - 1.0)
        people = np.array([z.population(bool(d)) for z, d in zip(zones, day, strict=True)],
                          dtype=float)
        total = max(people.sum(), 1.0)
        workers = d2d.workers * people / total
        households = people / d2d.people_per_household
        with np.errstate(divide="ignore", invalid="ignore"):
            cover_min = np.where(workers > 0, households / (workers * d2d.households_per_hour)
                                 * 60.0 * scale, np.inf)
        progress = np.clip((since - d2d.start_delay) / np.maximum(cover_min, 1e-9)[:, None],
                           0.0, 1.0)
        progress = np.where(since >= 0, progress, 0.0)
        reach = np.where(day, d2d.reach_day, d2d.reach_night)[:, None]
        not_alerted *= 1.0 - reach * progress
    alerted = 1.0 - not_alerted

    # Action: alert-time density convolved with the PAI delay curve, times those who ever act.
    pai_scale = section.protective_action.draw_scale(rng)
    pai = section.protective_action.cdf(grid - grid[0], pai_scale)
    density = np.diff(alerted, axis=1, prepend=0.0)
    acting = fftconvolve(density, pai[None, :], axes=1)[:, : grid.size]
    acting = np.maximum.accumulate(np.clip(acting, 0.0, 1.0), axis=1)  # FFT round-off
    acting *= 1.0 - section.never_act
    return WarningOutcome(grid, issued_at, alerted, acting, pai_scale)
