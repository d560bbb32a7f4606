"""The flood model's KPI catalogue: what each KPI of :meth:`FloodRun.kpis` means, its plan
target (shared/domain/PLAN-TARGETS.md, seed file and section given) and which direction is
better (None: a context figure, not judged)."""

from __future__ import annotations

from models.kpis import DEATHS, DEATHS_EXPECTED, POPULATION, Kpi, Target

__all__ = ["ITEMS_ZH", "KPIS"]

# Chinese names of the relief items of the bundled scenarios (item ids), for the KPIs and series
# named after an item; an item not listed keeps its id.
ITEMS_ZH = {"water": "饮用水", "food": "食品", "bedding": "被褥", "tent": "帐篷", "tents": "帐篷",
            "clothing": "衣物", "medicine": "药品"}

KPIS: tuple[Kpi, ...] = (
    POPULATION,
    Kpi("population_at_risk", "Population at risk (zones reached by water)",
        "受威胁人口（被淹区域）", "people"),
    Kpi("warning_coverage", "Warning public coverage (warned before water arrives)",
        "灾害预警信息公众覆盖率", "share",
        Target(">", 0.9, "Zhumadian plan 2022, table 1 #11 (> 90 %)"), "higher"),
    # Over everyone at risk; not warned before the water (late or never) = 0 min.
    Kpi("warning_lead_time_p50_min",
        "Effective warning lead time, median of all at risk (not warned before water = 0)",
        "有效预警时间（全部受威胁人口中位数，水到前未获预警计0）", "min",
        Target(">=", 60.0, "Zhejiang plan 2021, goals and §3(二)3 (60 min)"), "higher"),
    Kpi("share_evacuated", "Share of people at risk evacuated", "转移避险人口比例", "share",
        better="higher"),
    Kpi("share_exposed", "Share of people at risk exposed to water", "涉水暴露人口比例", "share",
        better="lower"),
    Kpi("caught_in_transit", "Evacuees caught by water on the road", "转移途中遇水人数", "people",
        better="lower"),
    Kpi("trapped", "People trapped, needing rescue", "被困待救人数", "people", better="lower"),
    Kpi("share_trapped", "Share of people at risk trapped", "被困人口比例", "share",
        better="lower"),
    Kpi("rescued", "People rescued", "获救人数", "people", better="higher"),
    Kpi("share_rescued", "Share of the trapped rescued", "被困人员获救比例", "share",
        better="higher"),
    # Time KPIs of rescue count everyone they are about (issue 15; docs/models/rescue.md): a
    # call no team reached within the horizon, and a trapped person not brought out (still
    # waiting, or dead before rescue), counts as never (+inf), so a quantile is +inf when fewer
    # than that share were reached and no option can improve one by reaching fewer.
    Kpi("rescue_time_p50_min",
        "Time to rescue, median of all trapped (call to out of water; not rescued = never)",
        "救援用时（全部被困人员中位数，未获救计为未在时限内）", "min", better="lower"),
    Kpi("rescue_time_p90_min",
        "Time to rescue, 90th percentile of all trapped (not rescued = never)",
        "救援用时（全部被困人员第90百分位，未获救计为未在时限内）", "min", better="lower"),
    Kpi("rescue_calls", "Calls for rescue", "救援请求数", "count"),
    Kpi("rescue_calls_never_reached", "Calls no team reached within the horizon",
        "模拟时段内无救援力量到达的请求数", "count", better="lower"),
    Kpi("share_calls_reached", "Share of all calls reached by a team within the horizon",
        "救援力量到达的请求占全部请求比例", "share", better="higher"),
    Kpi("rescue_reach_p50_min",
        "Time for the first team to reach a call, median of all calls (not reached = never)",
        "救援力量到达时间（全部请求中位数，未到达计为未在时限内）", "min", better="lower"),
    # The plan target "arrival within 1 h" (Zhejiang plan 2021 §3(四)1, land rescue circle)
    # gives no share of calls; it is carried by the p90 of all calls, <= 60 min, i.e. at least
    # 90 % of all calls reached within 1 h (the 90 % is an assumption, the plan names none).
    # With the quantile of quantile_with_never (run.py) the two statements are the same, so the
    # share below carries no second target (one target per indicator in the satisficing count).
    Kpi("rescue_reach_p90_min",
        "Time for the first team to reach a call, 90th percentile of all calls "
        "(not reached = never)",
        "救援力量到达时间（全部请求第90百分位，未到达计为未在时限内）", "min",
        Target("<=", 60.0, "Zhejiang plan 2021 §3(四)1: land rescue circle, arrival within 1 h "
               "(90 % of all calls: assumption)"),
        "lower"),
    Kpi("rescue_reached_within_1h", "Share of all calls reached within 1 h (not reached = never)",
        "1小时内到达的救援请求占全部请求比例", "share", better="higher"),
    DEATHS,
    DEATHS_EXPECTED,
    Kpi("deaths_while_waiting", "Deaths while waiting for rescue (in the deaths)",
        "等待救援期间死亡人数（计入死亡人数）", "people", better="lower"),
    Kpi("deaths_while_waiting_expected", "Expected deaths while waiting for rescue",
        "等待救援期间期望死亡人数", "people", better="lower"),
    Kpi("deaths_per_million", "Deaths per million residents (this event)",
        "每百万人口死亡率（本次灾害）", "per million",
        Target("<", 1.3, "Zhumadian plan 2022, table 1 #7 (< 1.3 per million per year; "
               "compared here with one event)"), "lower"),
    Kpi("shelter_peak_occupancy", "Peak people in public shelters", "避难场所峰值安置人数",
        "people"),
    Kpi("shelter_turned_away", "Evacuees finding no shelter place", "未能入住避难场所人数",
        "people", better="lower"),
    Kpi("shelter_area_per_person_m2", "Covered area per person, most crowded shelter",
        "人均避难面积（最拥挤场所）", "m²",
        Target(">=", 3.5, "Sphere Handbook minimum standard (3.5 m² per person)"), "higher"),
    Kpi("team_utilisation", "Rescue team utilisation", "救援队伍利用率", "share"),
    # Relief supplies (docs/models/supplies.md).
    Kpi("basic_needs_met_hours", "Time until basic needs of the displaced are met",
        "受灾人员基本生活得到有效救助的时间", "h",
        Target("<", 10.0, "Zhumadian plan 2022, table 1 #10; Urumqi, Zhejiang, Anshan plans "
               "(< 10 h)"), "lower"),
    Kpi("basic_needs_met_within_target", "Basic needs met within 10 h (1 yes, 0 no)",
        "10小时内基本生活得到救助（是1/否0）", "share", better="higher"),
    Kpi("kit_wait_p50_h", "Wait for the basic kit, median", "领取基本生活物资等待时间（中位数）",
        "h", better="lower"),
    Kpi("kit_wait_p90_h", "Wait for the basic kit, 90th percentile",
        "领取基本生活物资等待时间（第90百分位）", "h", better="lower"),
    Kpi("people_without_kit", "Displaced people still without the kit",
        "仍未领到基本生活物资的人数", "people", better="lower"),
    Kpi("depot_stockouts", "Depot stock-outs", "储备库断货次数", "count", better="lower"),
    Kpi("truck_utilisation", "Truck utilisation", "运输车辆利用率", "share"),
    Kpi("share_from_physical", "Share of supplies from government stock", "政府实物储备供应占比",
        "share"),
    Kpi("share_from_agreement", "Share of supplies from agreement reserves", "协议储备供应占比",
        "share"),
    Kpi("share_from_donation", "Share of supplies from donations", "捐赠物资供应占比", "share"),
    Kpi("unmet_person_hours_{item}", "Unmet person-hours, {item}", "未满足人·小时（{item}）",
        "person-h", better="lower"),
)
