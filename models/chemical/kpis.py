"""The chemical model's KPI catalogue (docs/models/chemical.md): what each KPI of
:meth:`ChemicalRun.kpis` means and which direction is better (None: a context figure or a
counterfactual, not judged)."""

from __future__ import annotations

from models.kpis import DEATHS, DEATHS_EXPECTED, POPULATION, Kpi

__all__ = ["KPIS"]

KPIS: tuple[Kpi, ...] = (
    POPULATION,
    Kpi("people_in_aegl2_zone", "People inside the AEGL-2 (60 min) footprint",
        "AEGL-2（60分钟）影响区内人数", "people", better="lower"),
    Kpi("people_in_aegl3_zone", "People inside the AEGL-3 (60 min) footprint",
        "AEGL-3（60分钟）影响区内人数", "people", better="lower"),
    Kpi("person_minutes_above_aegl2", "Person-minutes above AEGL-2", "超过AEGL-2的人·分钟",
        "person-min", better="lower"),
    DEATHS,
    DEATHS_EXPECTED,
    Kpi("deaths_expected_from_exposure", "Deaths from exposure expected (before care)",
        "期望中毒死亡人数（不含救治环节）", "people", better="lower"),
    Kpi("deaths_awaiting_care", "Deaths awaiting care (no ambulance or bed in time)",
        "等待救治期间死亡人数（救护车或床位未及时到位）", "people", better="lower"),
    Kpi("deaths_in_care", "Deaths in hospital care", "入院救治后死亡人数", "people",
        better="lower"),
    # Counterfactuals of the same release: context for the instruction, not an outcome.
    # Exposure deaths only (the care deaths depend on the response to each).
    Kpi("deaths_expected_if_all_shelter",
        "Deaths from exposure expected if everyone shelters in place",
        "全部就地避险时的期望中毒死亡人数", "people"),
    Kpi("deaths_expected_if_all_evacuate", "Deaths from exposure expected if everyone evacuates",
        "全部疏散时的期望中毒死亡人数", "people"),
    Kpi("injured_needing_hospital", "Injured needing hospital care", "需住院救治的伤员", "people",
        better="lower"),
    Kpi("injured_immediate", "Injured triaged immediate (red)", "检伤分类为危重（红色）的伤员",
        "people", better="lower"),
    Kpi("release_stopped_min", "Time until the leak is stopped", "堵漏控制用时", "min",
        better="lower"),
    Kpi("release_ended_min", "Time until the release ends", "泄漏结束时间", "min",
        better="lower"),
    Kpi("warning_90pct_aegl2_min", "Time until 90 % in the AEGL-2 zone are warned",
        "AEGL-2区内90%人员收到预警的时间", "min", better="lower"),
    Kpi("warning_100pct_aegl2_min", "Time until everyone in the AEGL-2 zone is warned",
        "AEGL-2区内全部人员收到预警的时间", "min", better="lower"),
    # Over every casualty needing care; never admitted within the horizon counts as +inf.
    Kpi("time_to_hospital_p50_min", "Time to hospital, median (never admitted: +inf)",
        "送医时间（中位数，未入院计为无穷大）", "min", better="lower"),
    Kpi("time_to_hospital_p90_min", "Time to hospital, 90th percentile (never admitted: +inf)",
        "送医时间（第90百分位，未入院计为无穷大）", "min", better="lower"),
    Kpi("hospital_peak_load", "Peak casualties in hospital", "医院峰值收治人数", "people",
        better="lower"),
    Kpi("casualties_not_admitted",
        "Casualties not admitted within the horizon (no ambulance or bed in time, or died first)",
        "时限内未能入院的伤员（救护车或床位未到位，或先行死亡）", "people", better="lower"),
    Kpi("ambulance_utilisation", "Ambulance utilisation", "救护车利用率", "share"),
    # With a road network ([roads]). Closures and the cordon are the response's own measures
    # (context), cut-off evacuees and time on the road are outcomes.
    Kpi("road_links_closed", "Road links closed (tanker, cordon, orders)",
        "封闭的道路路段数（事故车辆、警戒区、指令）", "count"),
    Kpi("cordon_minutes", "Minutes the police cordon was up", "警戒封控持续时间", "min"),
    Kpi("evacuees_cut_off", "Evacuees with no open road (sheltered instead)",
        "无路可撤而就地避险的人数", "people", better="lower"),
    Kpi("evacuation_trip_p50_min", "Evacuees' time on the road, median",
        "疏散人员在途时间（中位数）", "min", better="lower"),
    Kpi("evacuation_trip_p90_min", "Evacuees' time on the road, 90th percentile",
        "疏散人员在途时间（第90百分位）", "min", better="lower"),
)
