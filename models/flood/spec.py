"""The flood model's contract (:class:`models.spec.ModelSpec`): what the layers above read."""

from __future__ import annotations

from models.flood.kpis import ITEMS_ZH, KPIS
from models.flood.levers import flood_levers
from models.flood.run import build_flood
from models.flood.scenario import FLOOD_ACTIONS, FloodScenario
from models.flood.targets import order_targets, team_actions
from models.spec import MapFeature, MapLayer, ModelSpec, Panel, SeriesSpec, road_feature

__all__ = ["SPEC"]

PANELS = (
    Panel("people", "Where people are", "人员分布", "People", "人", height=2.0),
    Panel("trapped", "Trapped and rescued", "被困与获救", "People", "人", height=1.2),
    Panel("casualties", "Casualties", "人员伤亡", "People", "人", height=0.9),
    Panel("rescue", "Rescue", "救援力量", "Units busy", "执行任务的队伍（支）", height=0.8,
          integer=True),
    Panel("supplies", "Relief supplies", "救灾物资保障", "People", "人"),
)

# The series of FloodRun.series(), in legend order within each panel. (The population ledger's
# "injured" state is always zero and is being removed: not described, not drawn.)
SERIES = (
    SeriesSpec("at_home", "At home (not warned)", "在家（未收到预警）", "#7f7f7f", "people"),
    SeriesSpec("warned", "Warned, not yet acting", "已收到预警、尚未行动", "#e6ab02", "people"),
    SeriesSpec("vertical_refuge", "Vertical refuge (upper floor)", "垂直避险（楼上）", "#7570b3",
               "people"),
    SeriesSpec("in_transit", "Evacuating (in transit)", "转移途中", "#e7298a", "people"),
    SeriesSpec("public_shelter", "In public shelter", "公共避难场所", "#1f78b4", "people"),
    SeriesSpec("self_arranged", "Self-arranged (left the area)", "自行安置（投亲靠友等）",
               "#66a61e", "people"),
    SeriesSpec("shelter_occupants", "Shelter occupants, all (incl. rescued)",
               "避难场所安置人数（含获救者）", "#08306b", "people", style="dotted"),
    SeriesSpec("trapped", "Trapped, awaiting rescue", "被困待救", "#d95f02", "trapped"),
    SeriesSpec("rescued", "Rescued", "已获救", "#1b9e77", "trapped"),
    SeriesSpec("dead", "Dead", "死亡", "#111111", "casualties", style="dotted"),   # all causes
    SeriesSpec("dead_at_peak", "Dead at the peak (drowning, collapse)",
               "洪峰时死亡（溺亡、房屋倒塌）", "#6a3d9a", "casualties"),
    SeriesSpec("dead_in_transit", "Dead on the road (caught evacuating)", "转移途中遇水死亡",
               "#e7298a", "casualties"),
    SeriesSpec("dead_while_waiting", "Dead while waiting for rescue", "等待救援期间死亡",
               "#b15928", "casualties"),
    SeriesSpec("rescue_teams_busy", "Rescue units busy", "执行任务的救援队伍", "#d62728",
               "rescue", unit="units"),
    SeriesSpec("displaced_in_shelters", "Displaced in shelters", "集中安置人员", "#1f78b4",
               "supplies"),
    SeriesSpec("displaced_with_kit", "… holding the basic kit", "已领到基本生活物资", "#33a02c",
               "supplies"),
    # Stocks are in their items' own units (L, rations, sets): in timeseries.parquet, not drawn
    # on an axis shared with people.
    SeriesSpec("depot_stock_{item}", "Depot stock, {item}", "储备库库存（{item}）", "#8c564b",
               None, unit="item units"),
)

MAP_LAYERS = (
    MapLayer("zone_depth_m", "Water depth", "水深", "m", frames=True, zero_en="no water",
             zero_zh="无积水"),
    MapLayer("peak_depth_m", "Peak water depth", "最大水深", "m", zero_en="no water",
             zero_zh="无积水"),
)


def _features(scenario: FloodScenario) -> list[MapFeature]:
    """Gauges, roads, shelters (sized by capacity), depots and rescue bases (units per base)."""
    features: list[MapFeature] = []
    gauges = scenario.hazard.gauges
    if gauges:
        features.append(MapFeature(
            "gauges", "River gauges", "水文站", "#0b5394", tuple(g.lon for g in gauges),
            tuple(g.lat for g in gauges), tuple(g.name or g.id for g in gauges),
            in_view=tuple(False for _ in gauges), symbol="triangle-down"))
    features += road_feature(scenario.roads)
    shelters = scenario.shelters
    if shelters:
        most = max(s.capacity for s in shelters)
        features.append(MapFeature(
            "shelters", "Shelters", "避难场所", "#1b9e77", tuple(s.lon for s in shelters),
            tuple(s.lat for s in shelters),
            tuple(f"{s.name or s.id}: {s.capacity:,}" for s in shelters),
            tuple(float(s.capacity) for s in shelters), symbol="square",
            legend_en=f"Shelter (area ∝ capacity, max {most:,})",
            legend_zh=f"避难场所（面积 ∝ 容量，最大 {most:,} 人）"))
    if scenario.supplies is not None:
        depots = scenario.supplies.depots
        features.append(MapFeature(
            "depots", "Depots", "储备库", "#8c564b", tuple(d.lon for d in depots),
            tuple(d.lat for d in depots), tuple(f"{d.name or d.id} ({d.level})" for d in depots),
            in_view=tuple(False for _ in depots), symbol="diamond"))
    bases: dict[tuple[float, float], list] = {}
    for team in scenario.rescue.teams:
        bases.setdefault((team.base_lon, team.base_lat), []).append(team)
    if bases:
        units = [sum(t.count for t in teams) for teams in bases.values()]
        features.append(MapFeature(
            "team_bases", "Team bases", "救援队伍驻地", "#d62728",
            tuple(lon for lon, _ in bases), tuple(lat for _, lat in bases),
            tuple(", ".join(f"{t.id} ({t.type}) ×{t.count}" for t in teams)
                  for teams in bases.values()),
            tuple(float(u) for u in units),
            # Helicopter bases may lie far away: not in the view.
            in_view=tuple(any(t.mode != "helicopter" for t in teams)
                          for teams in bases.values()),
            symbol="triangle-up",
            legend_en=f"Rescue base ({sum(units):,} units, {len(bases)} bases)",
            legend_zh=f"救援队伍驻地（{sum(units):,} 支，{len(bases)} 处）"))
    return features


SPEC = ModelSpec(
    name="flood",
    scenario=FloodScenario,
    build=build_flood,
    summary="City-scale flood: hazard, warnings, evacuation, shelters, rescue, life loss",
    summary_zh="城市洪涝：致灾、预警、转移、避难、救援、人员伤亡",
    kpis=KPIS,
    item_zh=ITEMS_ZH,
    levers=flood_levers,
    # The reach share beside the p90: when more than 10 % of calls are never reached the p90
    # reads "not within the horizon" for every option, the share still moves.
    headline=("warning_coverage", "warning_lead_time_p50_min", "rescue_reach_p90_min",
              "rescue_reached_within_1h", "share_calls_reached", "rescue_time_p50_min",
              "deaths", "basic_needs_met_hours"),
    order_actions=FLOOD_ACTIONS,
    series=SERIES,
    panels=PANELS,
    map_layers=MAP_LAYERS,
    map_zones=lambda scenario: scenario.zones,
    map_features=_features,
    order_targets=order_targets,
    team_actions=team_actions,
    explorer=True,
)
