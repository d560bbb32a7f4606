"""The chemical model's contract (:class:`models.spec.ModelSpec`): what the layers above read."""

from __future__ import annotations

from models.chemical.kpis import KPIS
from models.chemical.levers import chemical_levers
from models.chemical.run import build_chemical
from models.chemical.scenario import CHEMICAL_ACTIONS, ChemicalScenario
from models.chemical.targets import order_targets, team_actions
from models.spec import MapFeature, MapLayer, ModelSpec, Panel, SeriesSpec, road_feature

__all__ = ["SPEC"]

PANELS = (
    Panel("warning", "Warning spread", "预警信息传播", "People", "人"),
    Panel("casualty_care", "Casualties: ambulances and hospitals", "伤员转运与医院收治", "People",
          "人"),
    Panel("care_deaths", "Casualties who died, by where", "伤员死亡（按死亡时所处环节）", "People",
          "人"),
)
SERIES = (
    SeriesSpec("alerted", "People alerted", "已收到预警人数", "#e6ab02", "warning"),
    SeriesSpec("awaiting_ambulance", "Casualties awaiting an ambulance", "等待救护车的伤员",
               "#d95f02", "casualty_care"),
    SeriesSpec("awaiting_care", "Casualties awaiting care (ambulance, on the way, bed)",
               "等待救治的伤员（待转运、转运途中、待床位）", "#e7298a", "casualty_care"),
    SeriesSpec("in_hospital", "Casualties in hospital (alive)", "住院伤员（存活）", "#7570b3",
               "casualty_care"),
    SeriesSpec("deaths_awaiting_care", "Deaths awaiting care", "等待救治期间死亡", "#a6761d",
               "care_deaths"),
    SeriesSpec("deaths_in_care", "Deaths in hospital care", "入院后死亡", "#666666",
               "care_deaths"),
)
MAP_LAYERS = (
    MapLayer("zone_ppm", "Outdoor concentration", "室外浓度", "ppm", frames=True,
             colour_scale="Reds", zero_en="no gas", zero_zh="未受影响"),
    MapLayer("peak_ppm", "Peak outdoor concentration", "室外峰值浓度", "ppm",
             colour_scale="Reds", zero_en="no gas", zero_zh="未受影响"),
)


def _features(scenario: ChemicalScenario) -> list[MapFeature]:
    """Roads, the release source, hospitals (sized by beds) and hazmat team bases."""
    source, response = scenario.source, scenario.response
    features = road_feature(scenario.roads)
    features.append(MapFeature("source", "Release source", "泄漏源", "#d62728", (source.lon,),
                               (source.lat,), (source.name or "source",), symbol="star",
                               size=18.0))
    hospitals = response.hospitals
    if hospitals:
        features.append(MapFeature(
            "hospitals", "Hospitals", "医院", "#e377c2", tuple(h.lon for h in hospitals),
            tuple(h.lat for h in hospitals),
            tuple(f"{h.name or h.id}: {h.beds}" for h in hospitals),
            tuple(float(h.beds) for h in hospitals), in_view=tuple(False for _ in hospitals),
            symbol="cross", legend_en="Hospital (area ∝ free beds)",
            legend_zh="医院（面积 ∝ 空余床位）"))
    teams = response.hazmat_teams
    if teams:
        features.append(MapFeature(
            "team_bases", "Team bases", "救援队伍驻地", "#ff7f0e",
            tuple(t.base_lon for t in teams), tuple(t.base_lat for t in teams),
            tuple(f"{t.id} ({t.type})" for t in teams), in_view=tuple(False for _ in teams),
            symbol="triangle-up", legend_en=f"Hazmat team base ({len(teams)})",
            legend_zh=f"危化品处置队伍驻地（{len(teams)} 处）"))
    return features

SPEC = ModelSpec(
    name="chemical",
    scenario=ChemicalScenario,
    build=build_chemical,
    summary="Hazardous-chemical release: plume, warning, shelter in place or evacuation, "
            "hazmat, EMS",
    summary_zh="危险化学品泄漏：扩散、预警、就地避险或疏散、危化品处置、医疗救治",
    kpis=KPIS,
    levers=chemical_levers,
    headline=("warning_90pct_aegl2_min", "person_minutes_above_aegl2", "deaths",
              "deaths_awaiting_care",
              "injured_needing_hospital", "time_to_hospital_p90_min", "release_stopped_min"),
    order_actions=CHEMICAL_ACTIONS,
    series=SERIES,
    panels=PANELS,
    map_layers=MAP_LAYERS,
    map_zones=lambda scenario: scenario.zones,
    map_features=_features,
    order_targets=order_targets,
    team_actions=team_actions,
    explorer=True,
)
