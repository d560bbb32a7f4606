"""From warnings to cohorts: the set-up both hazard models share.

1. The warning chain (:func:`models.warnings.simulate_warnings`, ``warnings`` stream) gives each
   zone's issuance time and its shares alerted and acting on the cohort grid.
2. The people present are those of the time of day at the start (``[warnings]``' day window),
   split into children, adults and elderly (``population`` stream) where the model keeps groups.
3. Cohorts (:func:`models.population.sample_cohorts`, ``population`` stream): integer counts by
   zone, group and the bins in which people are alerted and begin to act (the protective-action
   delay curve with the replication's time-scale draw).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.orders import OrdersSection
from models.population import Cohorts, group_counts, sample_cohorts
from models.warnings import (
    WARNING_ACTIONS,
    WarningOutcome,
    WarningsSection,
    is_daytime,
    simulate_warnings,
)
from models.zones import ZoneBase
from sim.streams import Streams

__all__ = ["WarnedPeople", "warn_people"]


@dataclass(frozen=True)
class WarnedPeople:
    """The warning outcome, the people present (``people[z, g]``; one group when groups are
    not kept), whether the start is by day, and the cohorts."""

    warning: WarningOutcome
    daytime: bool
    people: np.ndarray
    cohorts: Cohorts


def warn_people(section: WarningsSection, zones: Sequence[ZoneBase], identified_at: np.ndarray,
                grid: np.ndarray, start_hour: float, streams: Streams, *,
                orders: OrdersSection | None = None,
                actions: tuple[str, ...] = WARNING_ACTIONS,
                by_group: bool = True) -> WarnedPeople:
    """Warnings, people and cohorts on ``grid`` (minutes, regular) for threats identified at
    ``identified_at[z]`` (inf: never); ``orders`` of ``actions`` move the warnings' issuance;
    ``by_group``: split people into children, adults and elderly (else one group)."""
    warning = simulate_warnings(section, zones, identified_at, grid, start_hour,
                                streams["warnings"], orders, actions)
    daytime = bool(is_daytime(np.array([0.0]), start_hour, section)[0])
    rng = streams["population"]
    if by_group:
        people = np.array([group_counts(z, z.population(daytime), rng) for z in zones])
    else:
        people = np.array([[z.population(daytime)] for z in zones])
    pai = section.protective_action.cdf(grid - grid[0], warning.pai_scale)
    cohorts = sample_cohorts(grid, people, warning.alerted, pai, section.never_act, rng)
    return WarnedPeople(warning, daytime, people, cohorts)
