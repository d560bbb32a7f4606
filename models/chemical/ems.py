"""The chemical release's casualties for the shared EMS (:mod:`models.response.ems`): triage of
the injured, this replication's outcome parameters per category, and the ambulances, hospitals
and travel of a chemical scenario.

Triage (after START's immediate / delayed / minor and the chemical-casualty categories of
Tuorinsky et al., *Medical Aspects of Chemical Warfare*, ch. 15, lung-damaging agents): a
survivor needing hospital care (breathed air with a 60-min mean at or above AEGL-2, 60 min) is
**immediate** (red, ambulance priority 0) if that mean reached AEGL-3 (60 min: life-threatening
effects), else **delayed** (yellow, priority 1). Minor (green) casualties, below AEGL-2, need no
hospital and are not carried. Decontamination before transport is not modelled (an inhalation
casualty of chlorine or ammonia gas without skin contact needs none, CHEMM).

Without ``[roads]`` ambulance legs are straight lines × ``detour_factor`` at
``ambulance_speed_kmh`` (:func:`models.response.roads.travel_minutes`); with roads, the fastest
path over the links open to responders when the leg starts (inf when a closure cuts every way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy

from models.geo import haversine_km
from models.response.ems import Ems, Hospital, Point, Triage
from models.response.roads import RoadNetwork, travel_minutes
from sim.distributions import sample
from sim.trace import Trace

if TYPE_CHECKING:
    from models.chemical.scenario import CareSection, ChemicalScenario

__all__ = ["CATEGORY_NAMES", "care_categories", "chemical_ems", "triage"]

CATEGORY_NAMES = ("immediate", "delayed")


def care_categories(care: CareSection, rng: np.random.Generator) -> list[Triage]:
    """This replication's triage categories, their outcome parameters drawn from ``rng`` (three
    draws per category, in the order immediate, delayed)."""
    categories = []
    for priority, name in enumerate(CATEGORY_NAMES):
        spec = getattr(care, name)
        m = min(1.0, max(0.0, sample(spec.untreated_mortality, rng)))
        tau = max(1.0, sample(spec.deterioration, rng))
        e = min(1.0, max(0.0, sample(spec.care_efficacy, rng)))
        categories.append(Triage(name, priority, m, tau, e))
    return categories


def triage(rng: np.random.Generator, injured: np.ndarray, p_hurt: np.ndarray,
           p_severe: np.ndarray) -> np.ndarray:
    """How many of each cohort's ``injured`` are immediate casualties: binomial with the
    immediate share of the injured, ``p_severe / p_hurt`` (both per survivor)."""
    share = np.clip(np.divide(p_severe, p_hurt, out=np.zeros_like(p_hurt, dtype=float),
                              where=p_hurt > 0), 0.0, 1.0)
    return rng.binomial(injured, share)


def chemical_ems(env: simpy.Environment, sc: ChemicalScenario, categories: list[Triage],
                 trace: Trace, roads: RoadNetwork | None = None) -> Ems:
    """The shared EMS for a chemical scenario's ``[response]`` (ambulance base: the source by
    default)."""
    r = sc.response
    base: Point = (r.ambulance_base_lon, r.ambulance_base_lat)  # type: ignore[assignment]
    if base[0] is None or base[1] is None:
        base = (sc.source.lon, sc.source.lat)
    speed, detour = r.ambulance_speed_kmh, r.detour_factor

    if roads is None:
        def travel(a: Point, b: Point, now: float) -> float:
            return travel_minutes(float(haversine_km(a[0], a[1], b[0], b[1])), speed, detour)
    else:
        def travel(a: Point, b: Point, now: float) -> float:
            return roads.drive_minutes(a, b, now, speed, detour)

    return Ems(env, zones=[(z.lon, z.lat) for z in sc.zones], base=base,
               ambulances=r.ambulances,
               hospitals=[Hospital((h.lon, h.lat), h.beds) for h in r.hospitals],
               travel=travel, patients_per_trip=r.patients_per_trip, handover=r.handover,
               categories=categories, trace=trace)
