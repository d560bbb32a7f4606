"""The flood model's contract (:class:`models.spec.ModelSpec`): what the layers above read."""

from __future__ import annotations

from models.flood.run import build_flood
from models.flood.scenario import FLOOD_ACTIONS, FloodScenario
from models.flood.targets import order_targets, team_actions
from models.spec import ModelSpec

__all__ = ["SPEC"]

SPEC = ModelSpec(
    name="flood",
    scenario=FloodScenario,
    build=build_flood,
    summary="City-scale flood: hazard, warnings, evacuation, shelters, rescue, life loss",
    summary_zh="城市洪涝：致灾、预警、转移、避难、救援、人员伤亡",
    headline=("warning_coverage", "warning_lead_time_p50_min", "rescue_reach_p90_min",
              "rescue_time_p50_min", "deaths", "basic_needs_met_hours"),
    order_actions=FLOOD_ACTIONS,
    order_targets=order_targets,
    team_actions=team_actions,
    explorer=True,
)
