"""People as cohorts and the ledger that keeps every person in exactly one state.

Population is never one object per person. Each zone's people are split into groups (children,
adults, elderly) and, by the warning model, into cohorts by the time they are alerted and the time
they begin to act. The :class:`Ledger` holds integer counts per zone and state; every change is a
move of ``n`` people from one state to another, so the total is conserved exactly (tested).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import simpy

from models.zones import Zone
from sim.monitors import LevelMonitor

__all__ = ["State", "Group", "GROUPS", "Ledger", "group_counts", "sample_cohorts", "Cohorts"]


class State(IntEnum):
    AT_HOME = 0          # not (yet) alerted
    WARNED = 1           # alerted, not (yet) acting
    IN_TRANSIT = 2       # evacuating: leaving the zone or on the road to a destination
    PUBLIC_SHELTER = 3
    SELF_ARRANGED = 4    # relatives, friends, hotels
    VERTICAL_REFUGE = 5  # upper floors of a multi-storey building, by choice
    TRAPPED = 6          # in flood water (home, refuge or vehicle), waiting for rescue
    RESCUED = 7          # brought out by a rescue team
    DEAD = 8

    @property
    def label(self) -> str:
        return self.name.lower()


class Group(IntEnum):
    CHILDREN = 0
    ADULTS = 1
    ELDERLY = 2


GROUPS = tuple(Group)
VULNERABLE = np.array([True, False, True])  # children and elderly (FD2321 "danger for some")


def group_counts(zone: Zone, people: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``people`` of a zone into children, adults, elderly (multinomial by age shares)."""
    adults = 1.0 - zone.share_children - zone.share_elderly
    return rng.multinomial(people, [zone.share_children, max(adults, 0.0), zone.share_elderly])


class Ledger:
    """Counts of people per zone, state and group, with a region-wide level monitor per state.

    People keep the index of the zone they live in whatever their state (a sheltered person
    still counts under their home zone), so per-zone outcomes stay attributable.
    """

    def __init__(self, env: simpy.Environment, people: np.ndarray) -> None:
        self.env = env
        zones, groups = people.shape
        # Plain Python ints: a move touches three numbers, where NumPy's per-call overhead would
        # dominate (tens of thousands of moves per replication).
        self._counts = [[[0] * groups for _ in State] for _ in range(zones)]
        for z in range(zones):
            self._counts[z][State.AT_HOME] = [int(n) for n in people[z]]
        self.total = int(people.sum())
        self._totals = [0] * len(State)
        self._totals[State.AT_HOME] = self.total
        self.monitors = {
            state: LevelMonitor(env, state.label, float(self._totals[state])) for state in State
        }
        self._monitor_list = [self.monitors[state] for state in State]   # indexed by state

    @property
    def counts(self) -> np.ndarray:
        """People per zone, state and group, as an (Z, S, G) array (a copy)."""
        return np.array(self._counts, dtype=np.int64)

    def move(self, zone: int, src: State, dst: State, people) -> None:
        """Move ``people[g]`` of ``zone`` from ``src`` to ``dst`` (all >= 0; zeros allowed)."""
        # Plain ints: a list as it is (callers pass lists of ints), an array at once.
        if type(people) is list:
            moved = people
        elif isinstance(people, np.ndarray):
            moved = people.astype(np.int64, copy=False).tolist()
        else:
            moved = [int(n) for n in people]
        row = self._counts[zone]
        held, into = row[src], row[dst]
        if len(moved) == 3 and len(held) == 3:
            # The three groups unrolled: tens of thousands of moves per replication, and a
            # Python loop (or comprehension) per move costs twice as much as the move itself.
            a, b, c = moved
            ha, hb, hc = held
            if a < 0 or b < 0 or c < 0 or a > ha or b > hb or c > hc:
                raise ValueError(f"cannot move {moved} people of zone {zone} out of "
                                 f"{src.label} (holds {held})")
            n = a + b + c
            if n == 0:
                return
            held[0], held[1], held[2] = ha - a, hb - b, hc - c
            into[0] += a
            into[1] += b
            into[2] += c
        else:
            n = 0
            for m, h in zip(moved, held, strict=True):
                if m < 0 or m > h:
                    raise ValueError(f"cannot move {moved} people of zone {zone} out of "
                                     f"{src.label} (holds {held})")
                n += m
            if n == 0:
                return
            for g, m in enumerate(moved):
                held[g] -= m
                into[g] += m
        totals = self._totals
        totals[src] -= n
        totals[dst] += n
        monitors = self._monitor_list
        monitors[src].record(totals[src])
        monitors[dst].record(totals[dst])

    def state_total(self, state: State) -> int:
        return self._totals[state]

    def held(self, zone: int, state: State) -> np.ndarray:
        """People of ``zone`` in ``state``, by group (a copy)."""
        return np.array(self._counts[zone][state], dtype=np.int64)

    def held_list(self, zone: int, state: State) -> list[int]:
        """:meth:`held` as a list of Python ints (cheaper for a few numbers)."""
        return list(self._counts[zone][state])


class Cohorts:
    """Alert and action counts per zone, group and time bin.

    ``alerted[z, g, i]``: people first alerted in bin i (at ``times[i]``); ``acting[z, g, i]``:
    people who begin protective action at ``times[i]``. The rest of a zone's group are never
    alerted (before the end) or never act.
    """

    def __init__(self, times: np.ndarray, alerted: np.ndarray, acting: np.ndarray) -> None:
        self.times = times
        self.alerted = alerted
        self.acting = acting


def sample_cohorts(
    times: np.ndarray, people: np.ndarray, alert_share: np.ndarray, pai_cdf: np.ndarray,
    never_act: float, rng: np.random.Generator,
) -> Cohorts:
    """Draw integer cohorts from alert curves and a protective-action delay curve.

    ``times``: bin times (minutes, regular). ``people[z, g]``: people per zone and group.
    ``alert_share[z, i]``: share alerted by bin time i (non-decreasing, on a regular grid).
    ``pai_cdf[k]``: share of the alerted who have begun to act within k bins of their alert.
    Each alerted person acts with probability ``1 - never_act``, after a delay drawn from
    ``pai_cdf``; action bins past the grid are dropped (those people act after the horizon).
    """
    zones, groups = people.shape
    bins = alert_share.shape[1]
    p_alert = np.diff(alert_share, axis=1, prepend=0.0).clip(min=0.0)  # (Z, T)
    p_delay = np.diff(pai_cdf, prepend=0.0).clip(min=0.0)  # (K,)
    p_delay = np.append(p_delay, max(0.0, 1.0 - p_delay.sum()))  # + acting beyond K bins
    p_delay /= p_delay.sum()
    alerted = np.zeros((zones, groups, bins), dtype=np.int64)
    acting = np.zeros((zones, groups, bins), dtype=np.int64)
    for z in range(zones):
        probs = np.append(p_alert[z], max(0.0, 1.0 - p_alert[z].sum()))  # + never alerted
        probs /= probs.sum()
        counts = rng.multinomial(people[z], probs)[:, :bins]  # (G, T)
        alerted[z] = counts
        acts = rng.binomial(counts, 1.0 - never_act)  # (G, T)
        delays = rng.multinomial(acts, p_delay)  # (G, T, K+1)
        k = min(delays.shape[2] - 1, bins)  # the last column, "beyond the grid", is dropped
        if k:   # people alerted in bin i who act after d bins act in bin i + d
            acting[z] = _sum_by_bin(delays[:, :, :k])[:, :bins]
    return Cohorts(np.asarray(times, dtype=float), alerted, acting)


def _sum_by_bin(delays: np.ndarray) -> np.ndarray:
    """``out[g, i + d] = sum of delays[g, i, d]`` over all (i, d): (G, T, K) -> (G, T + K - 1).

    Each row i is shifted right by i places, then the rows are summed. The shift is a reshape
    (one pass in C instead of a Python loop over d): pad every row with T zeros, flatten, drop
    the last T entries and read the rest back in rows one entry shorter, which moves row i
    right by i; the entries that wrap round into a row's start are padding zeros.
    """
    groups, bins, k = delays.shape
    padded = np.concatenate([delays, np.zeros((groups, bins, bins), dtype=delays.dtype)], axis=2)
    width = k + bins - 1
    skewed = padded.reshape(groups, -1)[:, : bins * width].reshape(groups, bins, width)
    return skewed.sum(axis=1)
