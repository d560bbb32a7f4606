"""Life loss: hazard rating of flood water for people, lethality zones, deaths.

Hazard rating (UK Defra/Environment Agency FD2320/FD2321, "Flood risks to people"):
``HR = d (v + 0.5) + DF`` with d depth (m), v velocity (m/s), DF debris factor (0, 0.5 or 1).
Classes: HR < 0.75 low; 0.75-1.25 danger for some (children, elderly); 1.25-2.0 danger for most;
> 2.0 danger for all.

Lethality zones (McClelland & Bowles 2002, as used in LifeSim / HEC-LifeSim): fatality rate of
people exposed in the "chance" zone ~ 0.91, "compromised" ~ 0.12, "relatively safe" ~ 0.0002.

Mapping used here (assumptions, stated in docs/models/flood.md):

* People **in the open or in vehicles** (caught while evacuating): by hazard rating —
  *relatively safe* below HR 0.75; *compromised* from 0.75 if vulnerable (children, elderly) and
  from 1.25 for everyone; *chance* above HR 2.0.
* People **in buildings** (at home, in a vertical refuge): as LifeSim does, by what the building
  and the water allow — *chance* if the building fails (depth x velocity >= 7 m²/s with velocity
  >= 2 m/s: Clausen & Clark 1990, total damage of masonry houses); *compromised* if the water
  rises above the highest level they can reach (the floor they are on plus ``reachable_m``);
  *relatively safe* otherwise.

People still waiting for rescue after that face a hazard that grows with the wait
(:mod:`models.waiting`, the ``[lifeloss.waiting]`` section), on top of the peak's lethality.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from models.waiting import WaitingSection
from sim.config import StrictModel

__all__ = ["LifeLossSection", "hazard_rating", "hazard_class", "lethality",
           "lethality_in_building", "HR_CLASSES"]

HR_CLASSES = ("low", "danger for some", "danger for most", "danger for all")


class LifeLossSection(StrictModel):
    """The scenario's ``[lifeloss]`` section; defaults from the sources in the module doc."""

    debris_factor: float = Field(default=0.5, ge=0, le=1,
                                 description="DF in HR = d(v+0.5)+DF (FD2320: 0, 0.5 or 1).")
    chance_rate: float = Field(default=0.91, ge=0, le=1, description="McClelland & Bowles 2002.")
    compromised_rate: float = Field(default=0.12, ge=0, le=1,
                                    description="McClelland & Bowles 2002.")
    safe_rate: float = Field(default=0.0002, ge=0, le=1, description="McClelland & Bowles 2002.")
    in_transit_debris_factor: float = Field(
        default=1.0, ge=0, le=1, description="DF for people caught in vehicles (assumption).")
    refuge_floor_m: float = Field(
        default=3.0, gt=0, description="Height of a vertical refuge floor above ground "
        "(one storey, assumption).")
    reachable_m: float = Field(
        default=3.0, gt=0, description="Height above their floor people can still reach "
        "(furniture, attic, the roof of a one-storey house; assumption).")
    collapse_dv_m2_s: float = Field(
        default=7.0, gt=0, description="Depth x velocity destroying masonry houses "
        "(Clausen & Clark 1990).")
    collapse_velocity_m_s: float = Field(
        default=2.0, ge=0, description="Minimum velocity for that failure (Clausen & Clark "
        "1990).")
    waiting: WaitingSection = Field(
        default_factory=WaitingSection, description="Risk while waiting for rescue "
        "(models/waiting.py; docs/models/flood.md, 'Risk while waiting').")


def hazard_rating(depth: np.ndarray | float, velocity: np.ndarray | float,
                  debris_factor: float | np.ndarray) -> np.ndarray:
    """HR = d (v + 0.5) + DF (FD2321); zero where there is no water."""
    d = np.asarray(depth, dtype=float)
    v = np.asarray(velocity, dtype=float)
    return np.where(d > 0, d * (v + 0.5) + debris_factor, 0.0)


def hazard_class(hr: np.ndarray | float) -> np.ndarray:
    """0 low, 1 danger for some, 2 danger for most, 3 danger for all (FD2321 thresholds)."""
    return np.digitize(np.asarray(hr, dtype=float), [0.75, 1.25, 2.0])


def lethality(hr: np.ndarray | float, vulnerable: np.ndarray | bool,
              section: LifeLossSection) -> np.ndarray:
    """Fatality rate of people exposed in the open by hazard rating and vulnerability."""
    cls = hazard_class(hr)
    vuln = np.asarray(vulnerable, dtype=bool)
    compromised = (cls >= 2) | ((cls == 1) & vuln)
    return np.where(cls >= 3, section.chance_rate,
                    np.where(compromised, section.compromised_rate, section.safe_rate))


def lethality_in_building(depth: float, velocity: float, floor_m: float,
                          section: LifeLossSection) -> float:
    """Fatality rate of people in a building, on a floor ``floor_m`` above ground, when the
    water peaks at ``depth`` (m) and ``velocity`` (m/s) (mapping above)."""
    if (depth * velocity >= section.collapse_dv_m2_s
            and velocity >= section.collapse_velocity_m_s):
        return section.chance_rate
    if depth >= floor_m + section.reachable_m:
        return section.compromised_rate
    return section.safe_rate
