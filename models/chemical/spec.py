"""The chemical model's contract (:class:`models.spec.ModelSpec`): what the layers above read."""

from __future__ import annotations

from models.chemical.run import build_chemical
from models.chemical.scenario import CHEMICAL_ACTIONS, ChemicalScenario
from models.chemical.targets import order_targets, team_actions
from models.spec import ModelSpec

__all__ = ["SPEC"]

SPEC = ModelSpec(
    name="chemical",
    scenario=ChemicalScenario,
    build=build_chemical,
    summary="Hazardous-chemical release: plume, warning, shelter in place or evacuation, "
            "hazmat, EMS",
    summary_zh="危险化学品泄漏：扩散、预警、就地避险或疏散、危化品处置、医疗救治",
    headline=("warning_90pct_aegl2_min", "person_minutes_above_aegl2", "deaths",
              "injured_needing_hospital", "time_to_hospital_p90_min", "release_stopped_min"),
    order_actions=CHEMICAL_ACTIONS,
    order_targets=order_targets,
    team_actions=team_actions,
    explorer=True,
)
