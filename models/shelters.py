"""Public shelters (避灾安置场所): capacity, floor area, opening, assignment, occupancy.

Evacuees heading for a public shelter are assigned when they set off: the nearest shelter (from
their zone centre) that still has unreserved places, then the next nearest, and so on; people for
whom no place is left anywhere are *turned away* (they find their own accommodation). Places are
reserved at assignment so occupancy never exceeds capacity; people count as occupants when they
arrive, and a shelter admits nobody before it opens (arrivals wait at the door until then).

A commander's ``open_shelter`` order (:mod:`models.orders`) starts a shelter's opening delay at
the order: the earlier of that and the plan's opening counts, or with ``replaces_plan`` the
order's alone. A shelter that will never open takes nobody (no place there is ever offered).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import simpy
from pydantic import Field

from models.geo import distance_matrix_km
from models.orders import OrdersSection
from models.response.orders import decided_at
from sim.config import StrictModel
from sim.monitors import LevelMonitor
from sim.trace import Trace
from sim.units import Duration

__all__ = ["ShelterSpec", "Shelters"]


class ShelterSpec(StrictModel):
    """One public shelter."""

    id: str = Field(min_length=1)
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity: int = Field(ge=0, description="People it can accommodate.")
    area_m2: float = Field(gt=0, description="Covered living area (m²); Sphere: 3.5 m²/person.")
    opening_delay: Duration = Field(
        default=60.0, description="From the first warning issued to opening (assumption).")


class Shelters:
    """Runtime state of all shelters for one replication."""

    def __init__(self, env: simpy.Environment, specs: Sequence[ShelterSpec],
                 zone_lon: np.ndarray, zone_lat: np.ndarray, trace: Trace) -> None:
        self.env = env
        self.specs = list(specs)
        self.trace = trace
        self.capacity = np.array([s.capacity for s in specs], dtype=np.int64)
        self.reserved = np.zeros(len(specs), dtype=np.int64)
        self.occupants = np.zeros(len(specs), dtype=np.int64)
        self._in_shelters = 0   # occupants.sum(), kept as arrivals come
        self.open_at = np.full(len(specs), np.inf)
        self.shut = np.zeros(len(specs), dtype=bool)   # never opens: offers no places
        self._free_total = int(self.capacity.sum())
        self.turned_away = 0
        self.occupancy = [LevelMonitor(env, f"shelter.{s.id}") for s in specs]
        self.total = LevelMonitor(env, "shelters.occupants")
        lon = np.array([s.lon for s in specs], dtype=float)
        lat = np.array([s.lat for s in specs], dtype=float)
        if specs:
            self.distance_km = distance_matrix_km(zone_lon, zone_lat, lon, lat)   # (Z, S)
            self._order = np.argsort(self.distance_km, axis=1, kind="stable")
        else:
            self.distance_km = np.zeros((len(zone_lon), 0))
            self._order = np.zeros((len(zone_lon), 0), dtype=np.int64)

    def schedule_opening(self, first_warning: float, orders: OrdersSection | None = None
                         ) -> None:
        """Set each shelter's opening time: first warning issued + its opening delay, or as
        moved by ``open_shelter`` orders (see the module docstring)."""
        for i, spec in enumerate(self.specs):
            plan = first_warning + spec.opening_delay
            self.open_at[i] = decided_at(orders, "open_shelter", spec.id, plan,
                                         delay=spec.opening_delay)
            if not np.isfinite(self.open_at[i]) and not self.shut[i]:
                self.shut[i] = True
                self._free_total -= int(self.capacity[i] - self.reserved[i])

    def assign(self, zone: int, people: int) -> tuple[list[tuple[int, int]], int]:
        """Reserve places for ``people`` from ``zone``: [(shelter, n), …] nearest first, and
        the number turned away."""
        plan: list[tuple[int, int]] = []
        left = people
        if self.full:
            self.turned_away += left
            return plan, left
        for s in self._order[zone]:
            if left == 0:
                break
            room = int(self.capacity[s] - self.reserved[s])
            if room > 0 and not self.shut[s]:
                n = min(room, left)
                self.reserved[s] += n
                self._free_total -= n
                plan.append((int(s), n))
                left -= n
        self.turned_away += left
        return plan, left

    def release(self, shelter: int, people: int) -> None:
        """Give back ``people`` reserved places (their holders will not come)."""
        self.reserved[shelter] -= people
        self._free_total += people

    @property
    def full(self) -> bool:
        """No place left to reserve anywhere."""
        return self._free_total <= 0

    def arrive(self, shelter: int, people: int) -> None:
        """``people`` reach ``shelter`` (they had a reservation)."""
        self.occupants[shelter] += people
        self._in_shelters += people
        self.occupancy[shelter].record(float(self.occupants[shelter]))
        self.total.record(float(self._in_shelters))
        if self.trace.enabled:
            self.trace.log(self.env.now, "shelter_arrival", "", self.specs[shelter].id, people)

    def peak_occupancy(self) -> float:
        return self.total.peak

    def area_per_person_at_peak(self) -> float:
        """Covered area per occupant (m²) in the most crowded shelter at its own peak."""
        ratios = [spec.area_m2 / mon.peak for spec, mon in zip(self.specs, self.occupancy,
                                                                 strict=True) if mon.peak > 0]
        return min(ratios) if ratios else float("nan")
