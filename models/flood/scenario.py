"""The flood model's scenario schema: zones, hazard, warnings, evacuation, roads, shelters,
rescue, life loss, supplies and orders, with their cross-references checked."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from models.evacuation import EvacuationSection
from models.flood.targets import order_targets
from models.geo import haversine_km
from models.hazards.flood import FloodHazardSection, check_references
from models.lifeloss import (
    LifeLossSection,
)
from models.orders import OrdersSection, check_orders
from models.rescue import RescueSection
from models.response.roads import RoadsSection
from models.scenario import ScenarioBase
from models.shelters import ShelterSpec
from models.supplies import SuppliesSection
from models.warnings import WarningsSection
from models.zones import Zone
from sim.units import Duration

__all__ = ["FLOOD_ACTIONS", "FloodScenario"]

REGION_MARGIN_KM = 50.0  # shelters and team bases must lie this close to some zone centre
# The orders the flood model applies (shelter_in_place is the chemical model's instruction).
FLOOD_ACTIONS = ("warn", "evacuate", "open_shelter", "mobilize_team", "request_team",
                 "release_supplies", "activate_agreement", "close_road", "reopen_road")


class FloodScenario(ScenarioBase):
    """A flood scenario: zones, hazard, warnings, evacuation, roads, shelters, rescue."""

    model: Literal["flood"]
    start_hour: float = Field(default=2.0, ge=0, lt=24,
                              description="Clock hour at time zero (day/night reach, population).")
    cohort_step: Duration = Field(default=15.0, gt=0,
                                  description="Width of the alert/action time bins of cohorts.")
    arrival_depth_m: float = Field(default=0.1, gt=0,
                                   description="Depth at which water counts as arrived.")
    warning_area_margin_m: float | None = Field(
        default=1.0, description="Warnings go to zones whose ground lies less than this height "
        "above their gauge's peak stage (the forecast flood area, levees ignored since they may "
        "fail; forecast assumed right); None: every zone on a gauge that reaches its warning "
        "stage. Imported hazard fields: zones that get any water.")
    zones: list[Zone] = Field(min_length=1)
    hazard: FloodHazardSection
    warnings: WarningsSection
    evacuation: EvacuationSection = EvacuationSection()
    roads: RoadsSection | None = None
    shelters: list[ShelterSpec] = Field(default_factory=list)
    rescue: RescueSection = RescueSection()
    lifeloss: LifeLossSection = LifeLossSection()
    supplies: SuppliesSection | None = Field(
        default=None, description="Relief-supply chain for the displaced (see "
        "docs/models/supplies.md); without it, no supply KPIs.")
    orders: OrdersSection | None = Field(
        default=None, exclude_if=lambda orders: orders is None,
        description="Commanders' timed decisions (warn/evacuate zones, open shelters, mobilize "
        "or request teams, release supplies, activate agreements, close or reopen roads); see "
        "docs/models/flood.md. Left out of the canonical content when absent.")

    def data_files(self) -> dict[str, str]:
        """The imported hazard field, if any (read from the scenario file's folder)."""
        return {"hazard.netcdf": self.hazard.netcdf} if self.hazard.netcdf is not None else {}

    @model_validator(mode="after")
    def _references(self) -> FloodScenario:
        ids = [z.id for z in self.zones]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"zones: duplicate zone ids {duplicates}")
        problems = [f"{path}: {message}" for path, message in
                    check_references(self.hazard, self.zones)]
        known = set(ids)
        if self.roads is not None:
            for i, node in enumerate(self.roads.nodes):
                if node.zone is not None and node.zone not in known:
                    problems.append(f"roads.nodes[{i}].zone: unknown zone {node.zone!r}")
            for i, link in enumerate(self.roads.links):
                if link.zone is not None and link.zone not in known:
                    problems.append(f"roads.links[{i}].zone: unknown zone {link.zone!r}")
        lon = np.array([z.lon for z in self.zones])
        lat = np.array([z.lat for z in self.zones])
        places = [(f"shelters[{i}]", s.lon, s.lat) for i, s in enumerate(self.shelters)]
        places += [(f"rescue.teams[{i}]", t.base_lon, t.base_lat)
                   for i, t in enumerate(self.rescue.teams) if t.mode != "helicopter"]
        if self.supplies is not None:
            places += [(f"supplies.depots[{i}]", d.lon, d.lat)
                       for i, d in enumerate(self.supplies.depots)
                       if d.level not in ("province", "city")]
        for where, x, y in places:
            nearest = float(np.min(haversine_km(x, y, lon, lat)))
            if nearest > REGION_MARGIN_KM:
                problems.append(f"{where}: lies {nearest:.0f} km from the nearest zone centre, "
                                f"outside the region (at most {REGION_MARGIN_KM:.0f} km)")
        shelter_ids = [s.id for s in self.shelters]
        if len(set(shelter_ids)) != len(shelter_ids):
            problems.append("shelters: duplicate shelter ids")
        problems += [f"{path}: {message}" for path, message in self._order_problems()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _order_problems(self) -> list[tuple[str, str]]:
        """Located problems of the orders: unknown targets or actions, times past the horizon,
        and teams named by the wrong action (local teams are mobilized, mutual aid requested)."""
        if self.orders is None:
            return []
        problems = check_orders(self.orders, order_targets(self), self.horizon,
                                actions=FLOOD_ACTIONS)
        mutual_aid = {t.id: t.available_from > 0 for t in self.rescue.teams}
        for i, order in enumerate(self.orders.orders):
            if order.action not in ("mobilize_team", "request_team"):
                continue
            wanted = order.action == "request_team"
            wrong = [t for t in order.targets if t in mutual_aid and mutual_aid[t] != wanted]
            if wrong:
                hint = ("is a local team (available_from = 0): use mobilize_team" if wanted
                        else "is a mutual-aid team (available_from > 0): use request_team")
                problems.append((f"orders.orders[{i}].targets", f"team {wrong[0]!r} {hint}"))
        return problems


