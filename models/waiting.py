"""Risk while waiting for rescue: trapped people die at a rate that grows with the time they wait.

Deaths at a zone's peak (drowning, building collapse; :mod:`models.lifeloss`) are drawn once. On
top of them, people trapped and waiting for rescue face a hazard that grows with the time they
have been cut off: exposure, cold and wet, no drinking water, untreated injury or illness, soaked
single-storey houses giving way. For a person on floor ``f`` (``ground``: a single-storey house or
ground floor, in the water or on its roof; ``upper``: the upper floor of a multi-storey building)
of group ``g`` (children, adults, elderly), caught on the road or not, the cumulative hazard after
``w`` hours cut off is a Weibull one written with its median:

    H_f,g(w) = ln 2 · m_g · v · (w / median_f) ^ shape_f

``median_f`` is the waiting time at which half of the adults on that floor would have died;
``m_g`` multiplies the hazard of children and the elderly (1 for adults); ``v`` that of people
caught on the road while evacuating (wet, often hurt; 1 otherwise). Survivors of ``n`` people from
``w0`` to ``w1`` are Binomial(n, exp(-(H(w1) - H(w0)))): binomial thinning composes exactly, so a
request's survival can be brought up to date lazily, whenever it is needed (a team takes people
from it, the zone peaks, a periodic sweep for the time series), and the result has the same
distribution whatever the update times. The clock ``w`` runs from the call for help until the
zone's water falls back below ``rescue.rescue_depth_m`` after its peak (people can then reach water
and help; *assumption*), and stops while nobody is left.

Sources (docs/models/flood.md, "Risk while waiting", has the table):

* *Rule of threes* (survival rule of thumb, not a measured curve): about three hours in a harsh
  environment without shelter, three days without drinkable water, three weeks without food.
* US National SAR Manual (JP 3-50, vol. I, ch. 4): survivors' life expectancy varies with
  clothing, wetness, thirst, exhaustion, health; children cool faster; expected survival in water
  of 21-27 °C (70-80 °F) "3 hours to indefinite", 16-21 °C "2-40 hours" (US SAR Task Force table).
* Collapsed structures (Toronto HUSAR, after Coburn et al.; a structural-collapse figure, NOT a
  flood one): 81 % of those rescued on day 1 survive, 34 % on day 2, 7 % on day 5. Fitted as
  Weibull survival these give a shape of 2.4 (days 1-2) to 1.0 (days 2-5), about 1.5 overall:
  used only for the range of the shape, for injured people.
* Hurricane Katrina, Louisiana (Brunkard, Namulanda & Ratard 2008): 49 % of the victims were 75 or
  older; about two-thirds drowned or died of illness or injury brought on by being trapped in
  houses surrounded by water. Jonkman & Kelman 2005: about a third of flood deaths are not
  drowning.
* The 1975 "75·8" flood in Zhumadian (Banqiao and Shimantan dams): about 26,000 died in the
  flood, and by one estimate some 145,000 more afterwards of epidemics and famine, many of them
  stranded for days on roofs, trees and dykes before help came.

The medians, shapes and multipliers themselves are *assumptions* (no source gives them for
floods), each a sampled uncertainty drawn once per replication from the stream ``waiting``; the
deaths are drawn from ``waiting.deaths``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import simpy
from pydantic import Field

from sim.config import StrictModel
from sim.distributions import Triangular, Uncertain, sample
from sim.monitors import LevelMonitor
from sim.units import Duration

__all__ = ["WaitingSection", "WaitingHazard", "WaitingRisk"]

LN2 = math.log(2.0)


def _tri(low: float, mode: float, high: float) -> Triangular:
    return Triangular(triangular=(low, mode, high))


class WaitingSection(StrictModel):
    """The scenario's ``[lifeloss.waiting]`` section: the hazard of waiting for rescue (see the
    module docstring). Every default is an *assumption* with the range it is drawn from."""

    enabled: bool = Field(default=True, description="Apply the risk while waiting (false: deaths "
                          "only at the peak and on the road, as before).")
    median_ground_h: Uncertain = Field(
        default=_tri(48.0, 96.0, 192.0), description="Hours cut off after which half the adults "
        "on a ground floor or single-storey roof (wet, exposed, no drinking water, soaked house) "
        "would have died (assumption; 'three days without water', SAR warm-water survival "
        "'3 h to indefinite').")
    shape_ground: Uncertain = Field(
        default=_tri(1.5, 2.0, 3.0), description="Weibull shape of that hazard (>1: it grows "
        "with the wait; assumption).")
    median_upper_h: Uncertain = Field(
        default=_tri(168.0, 336.0, 672.0), description="Hours cut off after which half the "
        "adults on an upper floor (dry, some stores; untreated illness, thirst) would have died "
        "(assumption; 'three weeks without food', three days without water for those without).")
    shape_upper: Uncertain = Field(
        default=_tri(2.0, 3.0, 4.0), description="Weibull shape of the upper-floor hazard "
        "(deaths from thirst and exhaustion bunch late; assumption).")
    children_factor: Uncertain = Field(
        default=_tri(1.0, 1.5, 3.0), description="Hazard multiplier for children (they cool and "
        "dehydrate faster, JP 3-50; assumption).")
    elderly_factor: Uncertain = Field(
        default=_tri(1.5, 3.0, 6.0), description="Hazard multiplier for the elderly (49 % of "
        "Katrina's Louisiana victims were 75 or older, Brunkard et al. 2008; assumption).")
    vehicle_factor: Uncertain = Field(
        default=_tri(1.0, 2.0, 4.0), description="Hazard multiplier for people caught on the "
        "road who took refuge (wet, often hurt; collapse data for the injured; assumption).")
    sweep_every: Duration = Field(
        default=720.0, gt=0, description="Every this often all waiting calls are brought up to "
        "date so deaths appear in the series near when they happen; the distribution of deaths "
        "does not depend on it (reporting resolution).")


@dataclass(frozen=True)
class WaitingHazard:
    """One replication's draw of the waiting hazard: per floor (0 ground, 1 upper) a median
    (hours) and a shape; per group a multiplier; the multiplier for people caught on the road."""

    median_h: tuple[float, float]
    shape: tuple[float, float]
    group_factor: tuple[float, float, float]
    vehicle_factor: float

    @classmethod
    def draw(cls, section: WaitingSection, rng: np.random.Generator) -> WaitingHazard:
        """Draw every uncertain parameter once, in a fixed order (a fixed number is no draw)."""
        median_ground, shape_ground = (sample(section.median_ground_h, rng),
                                       sample(section.shape_ground, rng))
        median_upper, shape_upper = (sample(section.median_upper_h, rng),
                                     sample(section.shape_upper, rng))
        children, elderly = sample(section.children_factor, rng), sample(section.elderly_factor,
                                                                         rng)
        vehicle = sample(section.vehicle_factor, rng)
        return cls((median_ground, median_upper), (shape_ground, shape_upper),
                   (children, 1.0, elderly), vehicle)

    def coefficients(self, floor: int, in_vehicle: bool) -> list[float]:
        """``c_g`` with H_f,g(w) = c_g · w ^ shape_f (w in hours), for the three groups."""
        base = LN2 * (self.vehicle_factor if in_vehicle else 1.0) / (
            self.median_h[floor] ** self.shape[floor])
        return [base * m for m in self.group_factor]

    def cumulative(self, floor: int, group: int, hours: float, in_vehicle: bool = False) -> float:
        """H_f,g(hours): the cumulative hazard after ``hours`` cut off."""
        return self.coefficients(floor, in_vehicle)[group] * max(hours, 0.0) ** self.shape[floor]


class WaitingRisk:
    """Brings rescue requests' survival up to date (lazily, exactly) and records the deaths.

    A request (:class:`models.rescue.RescueRequest`) carries ``risk_at``: the minute up to which
    its people's survival has been drawn. ``on_deaths(request, dead_by_group)`` moves the dead in
    the population ledger. ``recede_at[zone]``: minute the zone's water falls back below the
    rescue depth after its peak (inf: not within the run); the clock stops there.
    """

    def __init__(self, env: simpy.Environment, hazard: WaitingHazard, rng: np.random.Generator,
                 recede_at: Sequence[float], on_deaths: Callable[[object, list[int]], None]
                 ) -> None:
        self.env = env
        self.hazard = hazard
        self.rng = rng
        self.recede_at = [float(t) for t in recede_at]
        self.on_deaths = on_deaths
        self.dead = LevelMonitor(env, "dead_while_waiting")
        self.deaths = 0
        self.expected = 0.0
        # c[floor][in_vehicle] -> three group coefficients; shapes per floor.
        self._c = [[hazard.coefficients(f, v) for v in (False, True)] for f in (0, 1)]
        self._k = hazard.shape

    def _hours(self, req, t: float) -> float:
        """Hours ``req``'s people have been cut off at minute ``t``."""
        return max(0.0, min(t, self.recede_at[req.zone]) - req.created) / 60.0

    def _p(self, req, t0: float, t1: float) -> list[float]:
        """Death probabilities over minutes [t0, t1]: ground floor's three groups, then upper's."""
        w0, w1 = self._hours(req, t0), self._hours(req, t1)
        if w1 <= w0:
            return [0.0] * 6
        v = 1 if req.in_vehicle else 0
        kg, ku = self._k
        dg = w1 ** kg - w0 ** kg
        du = w1 ** ku - w0 ** ku
        cg, cu = self._c[0][v], self._c[1][v]
        # 1 - exp(-dH), exactly even for tiny hazards.
        return [-math.expm1(-c * dg) for c in cg] + [-math.expm1(-c * du) for c in cu]

    def _draw(self, ground: list[int], upper: list[int], p: list[float]
              ) -> tuple[list[int], list[int], float]:
        n = ground + upper
        if max(n) > SMALL_N:
            dead = self.rng.binomial(n, p).tolist()
        else:
            dead = [_binomial(a, b, u) for a, b, u in zip(n, p, self.rng.random(6).tolist(),
                                                          strict=True)]
        expected = sum(a * b for a, b in zip(n, p, strict=True))
        return dead[:3], dead[3:], expected

    def _record(self, req, dead: list[int], expected: float) -> None:
        self.expected += expected
        n = sum(dead)
        if n:
            self.deaths += n
            self.dead.record(self.dead.current + n)
            self.on_deaths(req, dead)

    def bring_up_to_date(self, req) -> None:
        """Draw the deaths among ``req``'s waiting people since ``risk_at``, up to now."""
        now = self.env.now
        t0, req.risk_at = req.risk_at, now
        if not req.waiting or min(now, self.recede_at[req.zone]) <= t0:
            return
        p = self._p(req, t0, now)
        people, upper = req.people.tolist(), req.upper.tolist()
        ground = [a - b for a, b in zip(people, upper, strict=True)]
        dead_ground, dead_upper, expected = self._draw(ground, upper, p)
        if any(dead_ground) or any(dead_upper):
            dead = [a + b for a, b in zip(dead_ground, dead_upper, strict=True)]
            req.set_counts([a - b for a, b in zip(people, dead, strict=True)],
                           [a - b for a, b in zip(upper, dead_upper, strict=True)])
            self._record(req, dead, expected)
        else:
            self.expected += expected

    def until_pickup(self, req, take: list[int], take_upper: list[int], t0: float, t1: float
                     ) -> tuple[list[int], list[int]]:
        """Deaths among the people a team took from ``req`` at minute ``t0`` (their survival
        was up to date then) while they wait for it to reach them at ``t1``: (dead by group,
        of them upper floor). Recorded now."""
        if min(t1, self.recede_at[req.zone]) <= t0 or not any(take):
            return [0, 0, 0], [0, 0, 0]
        p = self._p(req, t0, t1)
        ground = [a - b for a, b in zip(take, take_upper, strict=True)]
        dead_ground, dead_upper, expected = self._draw(ground, take_upper, p)
        dead = [a + b for a, b in zip(dead_ground, dead_upper, strict=True)]
        self._record(req, dead, expected)
        return dead, dead_upper

    def sweep(self, requests: Sequence) -> None:
        """Bring every waiting request of ``requests`` up to date now, in one vectorised draw."""
        now = self.env.now
        recede = self.recede_at
        open_ = [r for r in requests
                 if r.waiting and not r.done and r.risk_at < now and r.risk_at < recede[r.zone]]
        if not open_:
            return
        count = len(open_)
        created = np.fromiter((r.created for r in open_), float, count)
        stop = np.fromiter((recede[r.zone] for r in open_), float, count)
        start = np.fromiter((r.risk_at for r in open_), float, count)
        w0 = np.maximum(0.0, np.minimum(start, stop) - created) / 60.0
        w1 = np.maximum(0.0, np.minimum(now, stop) - created) / 60.0
        vehicle = np.fromiter((r.in_vehicle for r in open_), np.intp, count)
        # Concatenated, not np.array of the rows: several times faster on thousands of rows.
        people = np.concatenate([r.people for r in open_]).reshape(count, -1)   # (R, G)
        upper = np.concatenate([r.upper for r in open_]).reshape(count, -1)
        c = np.array(self._c)                                            # (floor, vehicle, G)
        kg, ku = self._k
        p_ground = -np.expm1(-c[0][vehicle] * (w1 ** kg - w0 ** kg)[:, None])
        p_upper = -np.expm1(-c[1][vehicle] * (w1 ** ku - w0 ** ku)[:, None])
        ground = people - upper
        dead_ground = self.rng.binomial(ground, p_ground)
        dead_upper = self.rng.binomial(upper, p_upper)
        self.expected += float((ground * p_ground).sum() + (upper * p_upper).sum())
        dead = dead_ground + dead_upper
        for r in open_:
            r.risk_at = now
        hit = np.flatnonzero(dead.any(axis=1)).tolist()
        if not hit:
            return
        total = 0
        for i in hit:
            req, d = open_[i], dead[i]
            req.set_counts((people[i] - d).tolist(), (upper[i] - dead_upper[i]).tolist())
            d = d.tolist()
            total += sum(d)
            self.on_deaths(req, d)
        self.deaths += total
        self.dead.record(self.dead.current + total)


SMALL_N = 200   # up to this many people, a draw by inversion; above, NumPy's binomial


def _binomial(n: int, p: float, u: float) -> int:
    """A Binomial(n, p) draw by inversion of the uniform ``u`` (n <= SMALL_N). Where P(0) =
    (1-p)^n underflows to zero (p near 1), by symmetry: n minus a Binomial(n, 1-p) draw at
    1-u (the same quantile up to a CDF step that u equals)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    prob = math.exp(n * math.log1p(-p))     # P(0): most draws stop here
    if prob == 0.0:
        return n - _binomial(n, 1.0 - p, 1.0 - u)
    cumulative, k, ratio = prob, 0, p / (1.0 - p)
    while u > cumulative and k < n:
        prob *= (n - k) / (k + 1) * ratio
        k += 1
        if prob < cumulative * 1e-17 and k > n * p:
            break   # past the mode, terms below rounding: the sum cannot reach a u this close to 1
        cumulative += prob
    return k
