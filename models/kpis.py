"""What each KPI means: label (English and Chinese), unit, and the plan target it is judged by.

Model code reports plain ``{name: value}``; this catalogue lets the CLI, reports and dashboard show
them readably and mark targets met or missed. Targets come from
``shared/domain/PLAN-TARGETS.md``; KPIs without a plan target have ``target=None``.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

__all__ = ["Kpi", "Target", "KPIS", "describe", "parse_target"]


@dataclass(frozen=True)
class Target:
    """A plan target such as "< 10 h": ``op`` is one of <, <=, >, >=."""

    op: str
    value: float
    source: str = ""

    _OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

    def met(self, value: float) -> bool:
        return bool(self._OPS[self.op](value, self.value))

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


def parse_target(value: object) -> Target | None:
    """A target as written in specs, "< 10" or ">= 0.9" (None and Targets pass through); a
    pydantic BeforeValidator for experiment and drill specs."""
    if value is None or isinstance(value, Target):
        return value
    match = _TARGET.match(str(value))
    if not match:
        raise ValueError('expected a target such as "< 10" or ">= 0.9"')
    return Target(match.group(1), float(match.group(2)))


@dataclass(frozen=True)
class Kpi:
    """A KPI's catalogue entry. ``better``: "lower" or "higher" is better; None for a context
    figure that is not judged (sizes, utilisations, where supplies came from)."""

    name: str
    label: str
    label_zh: str
    unit: str
    target: Target | None = None
    better: str | None = None


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in [
        Kpi("customers_served", "Customers counted (after warm-up)", "统计服务对象数", "count"),
        Kpi("wait_mean_min", "Mean wait in queue", "平均排队等待时间", "min"),
        Kpi("wait_p90_min", "90th-percentile wait", "第90百分位等待时间", "min"),
        Kpi("wait_probability", "Share of customers who waited", "需要等待的比例", "share"),
        Kpi("utilisation", "Server utilisation", "服务台利用率", "share"),
        Kpi("queue_length_mean", "Mean queue length", "平均队长", "count"),
        Kpi("wait_mean_erlang_c_min", "Mean wait, Erlang C (analytic)",
            "平均等待时间（Erlang C 解析值）", "min"),
        # Flood response. Targets: shared/domain/PLAN-TARGETS.md (seed file and section given).
        Kpi("population", "Population of the region", "区域人口", "people"),
        Kpi("population_at_risk", "Population at risk (zones reached by water)",
            "受威胁人口（被淹区域）", "people"),
        Kpi("warning_coverage", "Warning public coverage (warned before water arrives)",
            "灾害预警信息公众覆盖率", "share",
            Target(">", 0.9, "Zhumadian plan 2022, table 1 #11 (> 90 %)")),
        Kpi("warning_lead_time_p50_min", "Effective warning lead time (median)",
            "有效预警时间（中位数）", "min",
            Target(">=", 60.0, "Zhejiang plan 2021, goals and §3(二)3 (60 min)")),
        Kpi("share_evacuated", "Share of people at risk evacuated", "转移避险人口比例", "share"),
        Kpi("share_exposed", "Share of people at risk exposed to water", "涉水暴露人口比例",
            "share"),
        Kpi("caught_in_transit", "Evacuees caught by water on the road", "转移途中遇水人数",
            "people"),
        Kpi("trapped", "People trapped, needing rescue", "被困待救人数", "people"),
        Kpi("share_trapped", "Share of people at risk trapped", "被困人口比例", "share"),
        Kpi("rescued", "People rescued", "获救人数", "people"),
        Kpi("share_rescued", "Share of the trapped rescued", "被困人员获救比例", "share"),
        Kpi("rescue_time_p50_min", "Time to rescue, median (call to out of water)",
            "救援用时（中位数）", "min"),
        Kpi("rescue_time_p90_min", "Time to rescue, 90th percentile", "救援用时（第90百分位）",
            "min"),
        Kpi("rescue_reach_p90_min", "Time for the first team to reach a call, 90th percentile",
            "救援力量到达时间（第90百分位）", "min",
            Target("<=", 60.0, "Zhejiang plan 2021 §3(四)1: land rescue circle, arrival "
                   "within 1 h")),
        Kpi("rescue_reached_within_1h", "Share of calls reached within 1 h",
            "1小时内到达的救援请求比例", "share"),
        Kpi("deaths", "Deaths", "死亡人数", "people"),
        Kpi("deaths_expected", "Deaths, expected value", "死亡人数（期望值）", "people"),
        Kpi("deaths_per_million", "Deaths per million residents (this event)",
            "每百万人口死亡率（本次灾害）", "per million",
            Target("<", 1.3, "Zhumadian plan 2022, table 1 #7 (< 1.3 per million per year; "
                   "compared here with one event)")),
        Kpi("shelter_peak_occupancy", "Peak people in public shelters", "避难场所峰值安置人数",
            "people"),
        Kpi("shelter_turned_away", "Evacuees finding no shelter place", "未能入住避难场所人数",
            "people"),
        Kpi("shelter_area_per_person_m2", "Covered area per person, most crowded shelter",
            "人均避难面积（最拥挤场所）", "m²",
            Target(">=", 3.5, "Sphere Handbook minimum standard (3.5 m² per person)")),
        Kpi("team_utilisation", "Rescue team utilisation", "救援队伍利用率", "share"),
        # Relief supplies (docs/models/supplies.md).
        Kpi("basic_needs_met_hours", "Time until basic needs of the displaced are met",
            "受灾人员基本生活得到有效救助的时间", "h",
            Target("<", 10.0, "Zhumadian plan 2022, table 1 #10; Urumqi, Zhejiang, Anshan plans "
                   "(< 10 h)")),
        Kpi("basic_needs_met_within_target", "Basic needs met within 10 h (1 yes, 0 no)",
            "10小时内基本生活得到救助（是1/否0）", "share"),
        Kpi("kit_wait_p50_h", "Wait for the basic kit, median",
            "领取基本生活物资等待时间（中位数）", "h"),
        Kpi("kit_wait_p90_h", "Wait for the basic kit, 90th percentile",
            "领取基本生活物资等待时间（第90百分位）", "h"),
        Kpi("people_without_kit", "Displaced people still without the kit",
            "仍未领到基本生活物资的人数", "people"),
        Kpi("depot_stockouts", "Depot stock-outs", "储备库断货次数", "count"),
        Kpi("truck_utilisation", "Truck utilisation", "运输车辆利用率", "share"),
        Kpi("share_from_physical", "Share of supplies from government stock",
            "政府实物储备供应占比", "share"),
        Kpi("share_from_agreement", "Share of supplies from agreement reserves",
            "协议储备供应占比", "share"),
        Kpi("share_from_donation", "Share of supplies from donations", "捐赠物资供应占比",
            "share"),
        # Hazardous-chemical release (docs/models/chemical.md).
        Kpi("people_in_aegl2_zone", "People inside the AEGL-2 (60 min) footprint",
            "AEGL-2（60分钟）影响区内人数", "people"),
        Kpi("people_in_aegl3_zone", "People inside the AEGL-3 (60 min) footprint",
            "AEGL-3（60分钟）影响区内人数", "people"),
        Kpi("person_minutes_above_aegl2", "Person-minutes above AEGL-2",
            "超过AEGL-2的人·分钟", "person-min"),
        Kpi("deaths_expected_if_all_shelter", "Deaths expected if everyone shelters in place",
            "全部就地避险时的期望死亡人数", "people"),
        Kpi("deaths_expected_if_all_evacuate", "Deaths expected if everyone evacuates",
            "全部疏散时的期望死亡人数", "people"),
        Kpi("injured_needing_hospital", "Injured needing hospital care", "需住院救治的伤员",
            "people"),
        Kpi("release_stopped_min", "Time until the leak is stopped", "堵漏控制用时", "min"),
        Kpi("release_ended_min", "Time until the release ends", "泄漏结束时间", "min"),
        Kpi("warning_90pct_aegl2_min", "Time until 90 % in the AEGL-2 zone are warned",
            "AEGL-2区内90%人员收到预警的时间", "min"),
        Kpi("warning_100pct_aegl2_min", "Time until everyone in the AEGL-2 zone is warned",
            "AEGL-2区内全部人员收到预警的时间", "min"),
        Kpi("time_to_hospital_p50_min", "Time to hospital, median", "送医时间（中位数）", "min"),
        Kpi("time_to_hospital_p90_min", "Time to hospital, 90th percentile",
            "送医时间（第90百分位）", "min"),
        Kpi("hospital_peak_load", "Peak casualties in hospital", "医院峰值收治人数", "people"),
        Kpi("casualties_not_admitted", "Casualties not admitted (no bed or no ambulance)",
            "未能收治的伤员", "people"),
        Kpi("ambulance_utilisation", "Ambulance utilisation", "救护车利用率", "share"),
        # Chemical release with a road network ([roads]).
        Kpi("road_links_closed", "Road links closed (tanker, cordon, orders)",
            "封闭的道路路段数（事故车辆、警戒区、指令）", "count"),
        Kpi("cordon_minutes", "Minutes the police cordon was up", "警戒封控持续时间", "min"),
        Kpi("evacuees_cut_off", "Evacuees with no open road (sheltered instead)",
            "无路可撤而就地避险的人数", "people"),
        Kpi("evacuation_trip_p50_min", "Evacuees' time on the road, median",
            "疏散人员在途时间（中位数）", "min"),
        Kpi("evacuation_trip_p90_min", "Evacuees' time on the road, 90th percentile",
            "疏散人员在途时间（第90百分位）", "min"),
    ]
}


def describe(name: str) -> Kpi:
    """The catalogue entry for ``name``, or a plain one if the KPI is not catalogued."""
    if name in KPIS:
        return KPIS[name]
    if name.startswith("unmet_person_hours_"):
        item = name.removeprefix("unmet_person_hours_")
        return Kpi(name, f"Unmet person-hours, {item}", f"未满足人·小时（{item}）", "person-h")
    return Kpi(name, name.replace("_", " "), name, "")
