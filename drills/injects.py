"""The MSEL (master scenario events list): injects compiled from the hidden run's timeline.

Each timeline event (drills/timeline.py) becomes what the EOC would learn and when: who sends it
(gauge station, 110/119 call centre, shelter manager, traffic police, detector, depot), to which
role, the message in Chinese and English, the action expected of the players (an orders action
and its targets) and the objective it tests. An inject with an expected action gets a
*contingency* inject: released by the session only if the action has not been recorded by the
deadline (``[contingency]`` of the spec).

The MSEL belongs to the controllers. :func:`export_controller` writes it as CSV and XLSX in the
HSEEP MSEL columns, with task cards (任务卡) per role in Markdown and HTML, into a controller's
folder — never into the participants' area.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from drills.spec import AQT_ITEMS, DrillSpec
from models.geo import haversine_km
from models.orders import link_key
from models.scenario import ScenarioBase
from sim.units import format_duration

__all__ = ["MSEL_COLUMNS", "SATISFIES", "compile_msel", "covered", "clock_text", "msel_frame",
           "task_card_markdown", "task_card_html", "export_controller", "missing_targets"]

MSEL_COLUMNS = ["MSEL Event #", "Designated Scenario Time", "Event Synopsis",
                "Responsible Controller", "Recipient Player", "Inject Mode", "Message",
                "Expected Player Action", "Objective/Capability", "Notes"]

# A recorded decision of action A counts for an expected action E when A is in SATISFIES[E]
# (an evacuation order also warns; either protective instruction protects).
SATISFIES: dict[str, set[str]] = {
    "warn": {"warn", "evacuate", "shelter_in_place"},
    "evacuate": {"evacuate"},
    "shelter_in_place": {"shelter_in_place", "evacuate"},
}

ACTION_TEXT = {
    "warn": ("发布预警", "warn"),
    "evacuate": ("组织转移（撤离）", "evacuate"),
    "shelter_in_place": ("通知就地避险（关闭门窗）", "tell to shelter in place"),
    "open_shelter": ("开放避难场所", "open shelters"),
    "mobilize_team": ("调派救援队伍出动", "mobilize teams"),
    "request_team": ("请求增援（跨区域救援力量）", "request mutual-aid teams"),
    "release_supplies": ("下达物资调拨（储备库发货）", "release depot supplies"),
    "activate_agreement": ("启动协议储备", "activate agreement reserves"),
    "close_road": ("实施交通管制（封闭道路）", "close roads"),
    "reopen_road": ("解除交通管制", "reopen roads"),
}

SOURCES = {
    "hydrology": ("市水文局", "City hydrology bureau"),
    "gauge": ("水文站", "Gauge station"),
    "township": ("乡镇人民政府", "Township government"),
    "call_119": ("119指挥中心", "119 fire-rescue call centre"),
    "call_110": ("110指挥中心", "110 police call centre"),
    "eoc": ("市应急指挥部值班室", "City EOC duty desk"),
    "shelter": ("安置点负责人", "Shelter manager"),
    "depot": ("物资储备库", "Reserve depot"),
    "traffic": ("交警部门", "Traffic police"),
    "detector": ("企业有毒气体报警系统", "Site gas-detector alarm"),
    "monitoring": ("消防侦检组", "Hazmat monitoring team"),
    "hospital": ("120急救指挥中心", "120 EMS dispatch centre"),
    "hazmat": ("现场处置组", "On-scene hazmat team"),
    "controller": ("演练控制组", "Exercise control"),
}

MODES = {
    "phone": ("电话", "phone"),
    "system": ("监测系统推送", "monitoring system"),
    "report": ("书面报告", "written report"),
    "radio": ("对讲机", "radio"),
}


def clock_text(start: datetime, minute: float) -> str:
    """Clock time of drill ``minute`` (China time), e.g. ``2026-07-14 05:19``."""
    return (start + timedelta(minutes=float(minute))).strftime("%Y-%m-%d %H:%M")


def _t(minute: float) -> str:
    return "T+" + format_duration(round(float(minute)))


_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PAREN = re.compile(r"\s*[（(]([^()（）]*)[)）]")
_LEADING_HAN = re.compile(r"^([\u3400-\u9fff]+)(?=\s|$)")

# Chinese words for the kinds of place an inject names, and for common relief items (by id).
KIND_ZH = {"zone": "区域", "shelter": "避难场所", "depot": "储备库", "agreement": "协议储备",
           "team": "救援队伍", "link": "路段", "gauge": "水文站", "item": "物资"}
ITEM_ZH = {"water": "饮用水", "drinking-water": "饮用水", "food": "食品", "bedding": "被褥",
           "quilt": "被褥", "kit": "生活用品包", "tent": "帐篷", "tents": "帐篷",
           "medicine": "药品", "medical": "药品"}


def chinese_name(name: str | None) -> str | None:
    """The Chinese name inside a scenario's name, or None when it has none: the name itself
    when it has no Latin letters; without its English gloss in brackets ("驿城区 城区 (Yicheng
    District urban core)" -> "驿城区 城区"); a Chinese name in brackets ("Banqiao reservoir
    (板桥水库)" -> "板桥水库")."""
    name = (name or "").strip()
    if not name or not _HAN.search(name):
        return None
    if not _LATIN.search(name):
        return name
    bare = _PAREN.sub(lambda m: "" if _LATIN.search(m.group(1)) else m.group(0), name).strip()
    if bare and not _LATIN.search(bare):
        return bare
    for inner in _PAREN.findall(name):
        if inner.strip() and _HAN.search(inner) and not _LATIN.search(inner):
            return inner.strip()
    return None


class _Names:
    """How Chinese messages name places: the Chinese name with the id (``驿城区 城区（yicheng-
    core）``) when the scenario gives one, otherwise the id — alone in lists, with a Chinese word
    for its kind (and the district its name starts with) when it is the subject
    (``区域 yicheng-01（驿城区）``). English names never go into Chinese text."""

    def __init__(self, scenario: ScenarioBase) -> None:
        self.entries: dict[str, tuple[str | None, str, str | None]] = {}

        def add(kind: str, ident: str, name: str | None) -> None:
            prefix = _LEADING_HAN.match((name or "").strip())
            self.entries[ident] = (chinese_name(name), KIND_ZH[kind],
                                   prefix.group(1) if prefix else None)

        for kind, attr in (("zone", "zones"), ("shelter", "shelters")):
            for item in getattr(scenario, attr, []) or []:
                add(kind, item.id, item.name)
        hazard = getattr(scenario, "hazard", None)
        for gauge in getattr(hazard, "gauges", []) or []:
            add("gauge", gauge.id, gauge.name)
        supplies = getattr(scenario, "supplies", None)
        self.items: dict[str, str] = {}
        if supplies is not None:
            for depot in supplies.depots:
                add("depot", depot.id, depot.name)
            for agreement in supplies.agreements:
                add("agreement", agreement.id, agreement.supplier)
            for item in supplies.items:
                self.items[item.id] = (chinese_name(item.name) or ITEM_ZH.get(item.id.lower())
                                       or f"物资 {item.id}")
        for team in _team_list(scenario):
            add("team", team.id, getattr(team, "name", None))
        roads = getattr(scenario, "roads", None)
        for link in getattr(roads, "links", []) or []:
            for key in (link_key(link.source, link.target), link_key(link.target, link.source)):
                add("link", key, None)
        source = getattr(scenario, "source", None)
        self.source = (chinese_name(getattr(source, "name", None)) or "事发企业"
                       if source is not None else "事发企业")

    def one(self, ident: str) -> str:
        """A place as the subject of a Chinese sentence."""
        zh, kind, prefix = self.entries.get(ident, (None, "", None))
        if zh:
            return f"{zh}（{ident}）"
        where = f"（{prefix}）" if prefix else ""
        return f"{kind} {ident}{where}" if kind else ident

    def item(self, ident: str, name: str = "") -> str:
        return self.items.get(ident) or chinese_name(name) or f"物资 {ident}"

    def __call__(self, ids: Iterable[str], limit: int = 12) -> str:
        """Places in a Chinese list: Chinese name (id), or the id; ``…等N处`` past ``limit``."""
        ids = list(ids)
        shown = []
        for ident in ids[:limit]:
            zh = self.entries.get(ident, (None, "", None))[0]
            shown.append(f"{zh}（{ident}）" if zh else ident)
        return "、".join(shown) + (f"等{len(ids)}处" if len(ids) > limit else "")


def _team_list(scenario: ScenarioBase) -> list[Any]:
    rescue = getattr(scenario, "rescue", None)
    if rescue is not None:
        return list(rescue.teams)
    response = getattr(scenario, "response", None)
    return list(getattr(response, "hazmat_teams", []) or [])


def _inject(spec: DrillSpec, start: datetime, minute: float, kind: str, source: str,
            mode: str, zh: str, en: str, synopsis: tuple[str, str],
            action: str | None = None, targets: Sequence[str] = (),
            item: str | None = None, notes: str = "") -> dict[str, Any]:
    targets = [t for t in dict.fromkeys(targets) if t]
    expected = {"action": action, "targets": targets} if action and targets else None
    objective = spec.objective_for(action) if expected else None
    if objective is None and item is not None:
        objective = next((o for o in spec.objectives if o.item == item), None)
    deadline = minute + spec.contingency.for_action(action) if expected else None
    return {
        "id": "", "minute": round(float(minute), 3), "clock": clock_text(start, minute),
        "kind": kind, "source": SOURCES[source][0], "source_en": SOURCES[source][1],
        "recipient": spec.recipient(kind), "mode": MODES[mode][0], "mode_en": MODES[mode][1],
        "synopsis": synopsis[0], "synopsis_en": synopsis[1], "message": zh, "message_en": en,
        "expected": expected, "objective": objective.id if objective else None,
        "deadline": None if deadline is None else round(float(deadline), 3),
        "followup_of": None, "notes": notes,
    }


def compile_msel(timeline: list[dict[str, Any]], scenario: ScenarioBase, spec: DrillSpec,
                 start: datetime, end: float | None = None) -> list[dict[str, Any]]:
    """The injects (dicts, JSON-ready) of a hidden run, in time order, with contingency
    injects after them; ``end`` (drill minute) drops anything later."""
    end = scenario.horizon if end is None else end
    names = _Names(scenario)
    if scenario.model == "flood":
        injects = _flood(timeline, scenario, spec, start, names)
    elif scenario.model == "chemical":
        injects = _chemical(timeline, scenario, spec, start, names)
    else:
        injects = []
    injects = [i for i in injects if i["minute"] <= end]
    injects.sort(key=lambda i: (i["minute"], i["kind"]))
    for n, inject in enumerate(injects, start=1):
        inject["id"] = f"INJ-{n:03d}"
    followups = [_followup(i, spec, start, names) for i in injects
                 if spec.contingency.enabled and i["deadline"] is not None
                 and i["deadline"] <= end]
    return injects + followups


def _followup(parent: dict[str, Any], spec: DrillSpec, start: datetime,
              names: _Names) -> dict[str, Any]:
    action, targets = parent["expected"]["action"], parent["expected"]["targets"]
    zh_action, en_action = ACTION_TEXT[action]
    minute = parent["deadline"]
    zh = (f"【催办】{parent['source']}再次报告：{parent['synopsis']}。"
          f"截至{clock_text(start, minute)}仍未收到“{zh_action}”的指令（{names(targets)}）。"
          "请立即决策。")
    en = (f"[Follow-up] {parent['source_en']} reports again: {parent['synopsis_en']}. No order "
          f"to {en_action} ({', '.join(targets)}) has been received by "
          f"{clock_text(start, minute)}. Decide now.")
    inject = dict(parent)
    inject.update(id=parent["id"] + "-F", minute=minute, clock=clock_text(start, minute),
                  kind="followup", source=SOURCES["controller"][0],
                  source_en=SOURCES["controller"][1], mode=MODES["phone"][0],
                  mode_en=MODES["phone"][1], message=zh, message_en=en,
                  synopsis="催办：" + parent["synopsis"],
                  synopsis_en="Follow-up: " + parent["synopsis_en"],
                  deadline=None, followup_of=parent["id"],
                  notes=f"Contingency: released only if {action} of every target of "
                        f"{parent['id']} is not recorded by {_t(minute)}.")
    return inject


def covered(expected: dict[str, Any], decisions: Iterable[dict[str, Any]],
            by_minute: float) -> set[str]:
    """Targets of ``expected`` named by a satisfying decision recorded at or before
    ``by_minute`` (decisions: dicts with action, targets, minute)."""
    accept = SATISFIES.get(expected["action"], {expected["action"]})
    done: set[str] = set()
    for decision in decisions:
        if decision["action"] in accept and decision["minute"] <= by_minute + 1e-9:
            done.update(decision["targets"])
    return done & set(expected["targets"])


def missing_targets(expected: dict[str, Any], decisions: Iterable[dict[str, Any]],
                    by_minute: float) -> list[str]:
    done = covered(expected, decisions, by_minute)
    return [t for t in expected["targets"] if t not in done]


# --- flood ------------------------------------------------------------------------------------


def _nearest_shelters(scenario: Any, zone_ids: Sequence[str], per_zone: int = 2,
                      limit: int = 6) -> list[str]:
    shelters = [s for s in scenario.shelters if s.capacity > 0]
    zones = {z.id: z for z in scenario.zones}
    chosen: list[str] = []
    for zone_id in zone_ids:
        zone = zones[zone_id]
        near = sorted(shelters, key=lambda s: float(haversine_km(s.lon, s.lat, zone.lon,
                                                                  zone.lat)))
        chosen += [s.id for s in near[:per_zone]]
    return list(dict.fromkeys(chosen))[:limit]


def _flood(timeline, scenario, spec, start, names) -> list[dict[str, Any]]:
    out = []
    stockouts: dict[tuple[float, str], list[dict]] = defaultdict(list)
    for e in timeline:
        kind, d, t = e["kind"], e["data"], e["minute"]
        place = names.one(e["place"]) if e["place"] else ""
        if kind == "forecast":
            area, risk = d["warning_area"], d["zones_at_risk"]
            warn_clock = clock_text(start, d["warning_minute"])
            peak_clock = clock_text(start, d["peak_minute"])
            out.append(_inject(
                spec, start, t, "forecast", "hydrology", "report",
                f"水文预报：{place}预计于{warn_clock}前后达到警戒水位{d['warning_stage_m']:g}米，"
                f"预报洪峰水位约{d['peak_stage_m']:.1f}米（{peak_clock}前后）。可能受淹区域："
                f"{names(area) or '暂无'}。",
                f"Hydrological forecast: {e['name']} is expected to reach its warning stage of "
                f"{d['warning_stage_m']:g} m around {warn_clock}, with a forecast peak of about "
                f"{d['peak_stage_m']:.1f} m around {peak_clock}. Areas that may flood: "
                f"{', '.join(area) or 'none yet'}.",
                (f"{place}洪水预报", f"Flood forecast for {e['name']}"),
                "warn", area))
            if risk and scenario.shelters:
                shelters = _nearest_shelters(scenario, risk)
                out.append(_inject(
                    spec, start, t, "shelter_opening", "eoc", "phone",
                    f"指挥部通报：{place}沿线可能组织群众转移，涉及约{d['people_at_risk']:,}人。"
                    f"请做好避难场所开放准备，就近场所：{names(shelters)}。",
                    f"EOC notice: people along {e['name']} may have to be evacuated, about "
                    f"{d['people_at_risk']:,} of them. Get shelters ready to open; nearest: "
                    f"{', '.join(shelters)}.",
                    ("避难场所开放准备", "Shelters to be readied"), "open_shelter", shelters))
        elif kind == "gauge_warning":
            risk = d["zones_at_risk"]
            out.append(_inject(
                spec, start, t, "gauge", "gauge", "system",
                f"{place}实测水位{d['warning_stage_m']:g}米，已达警戒水位并继续上涨。"
                f"地势低洼、堤防可能漫顶的区域：{names(risk) or '暂无'}。",
                f"{e['name']} now reads {d['warning_stage_m']:g} m, at its warning stage and "
                f"rising. Low-lying areas whose levees may be overtopped: "
                f"{', '.join(risk) or 'none'}.",
                (f"{place}超警戒水位", f"{e['name']} above warning stage"),
                "evacuate", risk))
        elif kind == "gauge_peak":
            out.append(_inject(
                spec, start, t, "gauge", "gauge", "system",
                f"{place}出现洪峰，水位{d['peak_stage_m']:.2f}米。",
                f"{e['name']} peaks at {d['peak_stage_m']:.2f} m.",
                (f"{place}洪峰", f"{e['name']} peak"), item="事故监测与研判"))
        elif kind == "water_arrives":
            n = int(e["quantity"] or 0)
            out.append(_inject(
                spec, start, t, "flooding", "township", "phone",
                f"{place}：洪水已进入该区域，区内仍有约{n:,}人未转移。",
                f"{e['name']} ({e['place']}): water is entering the zone; about {n:,} people are "
                "still there.",
                (f"{place}进水", f"Water in {e['name']}"), item="事故监测与研判"))
        elif kind == "rescue_first_calls":
            n = int(e["quantity"] or 0)
            out.append(_inject(
                spec, start, t, "rescue_call", "call_119", "phone",
                f"{place}：1小时内接到{d['calls']}起求救电话，约{n:,}人被困。",
                f"{e['name']} ({e['place']}): {d['calls']} calls for rescue within the hour, "
                f"about {n:,} people trapped.",
                (f"{place}群众被困求救", f"People trapped in {e['name']}"),
                "mobilize_team", d["nearest_teams"]))
        elif kind == "rescue_backlog":
            n = int(e["quantity"] or 0)
            out.append(_inject(
                spec, start, t, "rescue_backlog", "call_119", "phone",
                f"全市待救人员已达{n:,}人，超出本地救援力量处置能力，建议请求跨区域增援。",
                f"{n:,} people are now waiting for rescue, more than local teams can reach; "
                "mutual aid is advised.",
                ("待救人员积压", "Rescue backlog"), "request_team", d["mutual_aid"]))
        elif kind == "shelter_first_arrival":
            n = int(e["quantity"] or 0)
            depot = [d["depot"]] if d.get("depot") else []
            out.append(_inject(
                spec, start, t, "supply_request", "shelter", "phone",
                f"{place}：首批{n:,}名转移群众已到达，急需饮用水、食品和被褥。",
                f"{e['name']} ({e['place']}): the first {n:,} evacuees have arrived and need "
                "water, food and bedding.",
                (f"{place}请求物资", f"{e['name']} asks for supplies"),
                "release_supplies", depot))
        elif kind in ("shelter_filling", "shelter_full"):
            n, cap = int(e["quantity"] or 0), d["capacity"]
            full = kind == "shelter_full"
            out.append(_inject(
                spec, start, t, "shelter_filling", "shelter", "phone",
                f"{place}：已安置{n:,}人（容量{cap:,}人）"
                + ("，已满员，后续群众无法接收。" if full else "，即将满员。"),
                f"{e['name']} ({e['place']}): {n:,} people in (capacity {cap:,})"
                + (", full: no one else can be taken in." if full else ", nearly full."),
                (f"{place}{'满员' if full else '即将满员'}",
                 f"{e['name']} {'full' if full else 'nearly full'}"),
                None if full else "open_shelter", [] if full else d["next_shelters"],
                item="人员保护"))
        elif kind == "stockout":
            stockouts[(t, e["place"])].append(e)
        elif kind in ("road_closed", "road_reopened"):
            closed = kind == "road_closed"
            out.append(_inject(
                spec, start, t, kind, "traffic", "radio",
                f"{place}"
                + ("积水过深，车辆无法通行。" if closed else "积水已退，具备通行条件。"),
                f"Road {e['place']}: " + ("under water, impassable." if closed else
                                           "water gone, passable again."),
                (f"{place}{'积水断路' if closed else '恢复通行'}",
                 f"Road {e['place']} {'flooded' if closed else 'clear'}"),
                "close_road" if closed else "reopen_road", [e["place"]]))
    for (t, place), group in sorted(stockouts.items()):
        d = group[0]["data"]
        items_zh = "、".join(dict.fromkeys(names.item(g["data"]["item"], g["data"]["item_name"])
                                           for g in group))
        if d["agreements"]:
            action, targets = "activate_agreement", d["agreements"]
        elif d.get("parent"):
            action, targets = "release_supplies", [d["parent"]]
        else:
            action, targets = None, []
        out.append(_inject(
            spec, start, t, "stockout", "depot", "phone",
            f"{names.one(place)}：{items_zh}库存告罄，仍有调拨需求未满足。",
            f"{group[0]['name']} ({place}): out of {items_zh}; orders are still waiting.",
            (f"{names.one(place)}断货", f"Stock-out at {group[0]['name']}"), action, targets,
            item="应急资源管理"))
    return out


# --- chemical ---------------------------------------------------------------------------------


def _chemical(timeline, scenario, spec, start, names) -> list[dict[str, Any]]:
    out = []
    detected = min((e["minute"] for e in timeline
                    if e["kind"] in ("detector_alarm", "public_call")), default=0.0)
    plume_zones = [z for e in timeline if e["kind"] == "plume_aegl2" for z in e["data"]["zones"]]
    for e in timeline:
        kind, d, t = e["kind"], e["data"], e["minute"]
        if kind == "detector_alarm" or (kind == "public_call" and d.get("first_report")):
            by = "detector" if kind == "detector_alarm" else "call_110"
            out.append(_inject(
                spec, start, t, kind, by, "system" if by == "detector" else "phone",
                f"{names.source}发生{_chemical_zh(d['chemical'])}泄漏报警，现场有人员报告气味强烈。",
                f"{d['source']}: {d['chemical']} leak alarm; staff report a strong smell.",
                (f"{names.source}{_chemical_zh(d['chemical'])}泄漏", f"{d['chemical']} leak at "
                 f"{d['source']}"), "mobilize_team", d["hazmat_teams"]))
        if kind == "public_call":
            shelter = d["shelter_zones"] or ([] if d["evacuate_zones"] else plume_zones)
            for action, zones in (("shelter_in_place", shelter),
                                  ("evacuate", d["evacuate_zones"])):
                if not zones:
                    continue
                zh_action, en_action = ACTION_TEXT[action]
                out.append(_inject(
                    spec, start, t, "public_call", "call_110", "phone",
                    f"110接到多起群众报警：{names.source}附近有强烈刺激性气味，有人咳嗽、流泪。"
                    f"按下风向研判，可能受影响区域：{names(zones)}（需{zh_action}）。",
                    f"110 has many calls: a strong pungent smell near {d['source']}, people "
                    f"coughing and with watering eyes. Downwind areas that may be affected: "
                    f"{', '.join(zones)} ({en_action}).",
                    ("群众报告刺激性气味", "Public reports of a pungent smell"), action, zones))
        elif kind == "plume_aegl2":
            by_action: dict[str, list[str]] = defaultdict(list)
            for zone, action in d["actions"].items():
                by_action[action].append(zone)
            for action, zones in by_action.items():
                out.append(_inject(
                    spec, start, max(t, detected), "plume", "monitoring", "radio",
                    f"侦检结果：{names(zones)}测得浓度超过AEGL-2限值（{d['limit_ppm']:g} ppm），"
                    f"最高约{e['quantity']:.0f} ppm。",
                    f"Monitoring: concentrations above AEGL-2 ({d['limit_ppm']:g} ppm) measured "
                    f"in {', '.join(zones)}, up to about {e['quantity']:.0f} ppm.",
                    ("下风向浓度超限", "Hazardous concentrations downwind"), action, zones))
        elif kind == "hospital_load":
            out.append(_inject(
                spec, start, t, "hospital", "hospital", "phone",
                f"收治中毒伤员{int(e['quantity'] or 0):,}人，已占可用床位{d['share']:.0%}"
                f"（共{d['beds']:,}张）。",
                f"{int(e['quantity'] or 0):,} casualties admitted, {d['share']:.0%} of the "
                f"{d['beds']:,} beds available.",
                ("医院收治压力", "Hospitals filling"), item="医疗救护"))
        elif kind in ("cordon", "cordon_lifted"):
            lifting = kind == "cordon_lifted"
            links = d["links"]
            out.append(_inject(
                spec, start, t, "road_reopened" if lifting else "road_closed", "traffic",
                "radio",
                (f"交警报告：{names.source}周边空气已恢复安全，可解除警戒：{'、'.join(links)}。"
                 if lifting else
                 f"交警报告：{names.source}周边{d['radius_m']:g}米范围内道路需立即封闭警戒："
                 f"{'、'.join(links)}。"),
                (f"Traffic police: the air around {e['name']} is safe again; the cordon can be "
                 f"lifted: {', '.join(links)}." if lifting else
                 f"Traffic police: roads within {d['radius_m']:g} m of {e['name']} must be "
                 f"closed now: {', '.join(links)}."),
                (("解除警戒", "Lift the cordon") if lifting else ("设置警戒区", "Set up a cordon")),
                "reopen_road" if lifting else "close_road", links))
        elif kind == "leak_stopped":
            out.append(_inject(
                spec, start, t, "leak_stopped", "hazmat", "radio",
                f"现场处置组报告：{names.source}泄漏点已成功堵漏。",
                f"On-scene hazmat team: the leak at {e['name']} is stopped.",
                ("泄漏点堵漏成功", "Leak stopped"), item="事故处置"))
    return out


def _chemical_zh(chemical: str) -> str:
    return {"ammonia": "液氨", "chlorine": "氯气"}.get(chemical.lower(), "危险化学品")


# --- exports ----------------------------------------------------------------------------------


def _expected_text(inject: dict[str, Any], lang: str) -> str:
    if not inject["expected"]:
        return "（知悉，无指定行动）" if lang == "zh" else "(for information; no set action)"
    zh, en = ACTION_TEXT[inject["expected"]["action"]]
    targets = ", ".join(inject["expected"]["targets"])
    return f"{zh if lang == 'zh' else en}: {targets}"


def msel_frame(injects: list[dict[str, Any]], spec: DrillSpec, start: datetime) -> pd.DataFrame:
    """The MSEL in HSEEP columns (bilingual cells: Chinese, then English)."""
    roles = {r.id: r for r in spec.roles}
    objectives = {o.id: o for o in spec.objectives}
    rows = []
    for inject in injects:
        role = roles.get(inject["recipient"])
        objective = objectives.get(inject["objective"] or "")
        notes = [f"kind={inject['kind']}"]
        if inject["deadline"] is not None:
            notes.append(f"deadline {_t(inject['deadline'])} "
                         f"({clock_text(start, inject['deadline'])}), else {inject['id']}-F")
        if inject["notes"]:
            notes.append(inject["notes"])
        rows.append({
            "MSEL Event #": inject["id"],
            "Designated Scenario Time": f"{inject['clock']} ({_t(inject['minute'])})",
            "Event Synopsis": f"{inject['synopsis']} / {inject['synopsis_en']}",
            "Responsible Controller": (f"{role.name}控制员 / Controller for {role.name_en}"
                                       if role else ""),
            "Recipient Player": f"{role.name} / {role.name_en}" if role else inject["recipient"],
            "Inject Mode": f"{inject['source']}（{inject['mode']}） / {inject['source_en']} "
                           f"({inject['mode_en']})",
            "Message": f"{inject['message']}\n{inject['message_en']}",
            "Expected Player Action": (f"{_expected_text(inject, 'zh')}\n"
                                       f"{_expected_text(inject, 'en')}"),
            "Objective/Capability": (f"{objective.name}（{objective.item}） / {objective.name_en} "
                                     f"({AQT_ITEMS[objective.item]})" if objective else ""),
            "Notes": "; ".join(notes),
        })
    return pd.DataFrame(rows, columns=MSEL_COLUMNS)


def task_card_markdown(role_id: str, injects: list[dict[str, Any]], spec: DrillSpec,
                       header: dict[str, str]) -> str:
    """A controller's task card (任务卡) for one role: the role, its objectives and the injects
    it will receive with the expected actions (Chinese with English)."""
    role = spec.role(role_id)
    assert role is not None
    mine = [i for i in injects if i["recipient"] == role_id]
    objectives = {o.id: o for o in spec.objectives}
    lines = [f"# 任务卡 Task card: {role.name} / {role.name_en}", "",
             f"演练 Drill: {header.get('drill', '')}  ·  情景 Scenario: "
             f"{header.get('scenario', '')}  ·  开始 Start: {header.get('start', '')}", "",
             "**控制员使用，演练结束前不得交给参演人员。 For controllers: do not show to players "
             "before the drill ends.**", ""]
    if role.duties:
        lines += [f"职责 Duties: {role.duties}", ""]
    allowed = role.actions or list(ACTION_TEXT)
    lines += ["可下达的决策 Decisions this role may record: "
              + "、".join(f"{ACTION_TEXT[a][0]} ({a})" for a in allowed), ""]
    tested = sorted({i["objective"] for i in mine if i["objective"]})
    if tested:
        lines += ["检验目标 Objectives tested:", ""]
        lines += [f"- {objectives[o].name} / {objectives[o].name_en} "
                  f"（{objectives[o].item}）" for o in tested if o in objectives]
        lines.append("")
    lines += ["| # | 时间 Time | 来源 Source | 信息 Message | 期望行动 Expected action | "
              "时限 Deadline |", "|---|---|---|---|---|---|"]
    for i in mine:
        deadline = "" if i["deadline"] is None else _t(i["deadline"])
        condition = "（仅在未落实时下达 only if not done）" if i["followup_of"] else ""
        lines.append(f"| {i['id']} | {i['clock']} ({_t(i['minute'])}) | {i['source']} / "
                     f"{i['source_en']} | {i['message']}{condition}<br>{i['message_en']} | "
                     f"{_expected_text(i, 'zh')}<br>{_expected_text(i, 'en')} | {deadline} |")
    if not mine:
        lines.append("| – | – | – | 本角色无注入信息 No injects for this role | – | – |")
    return "\n".join(lines) + "\n"


def task_card_html(markdown: str, title: str) -> str:
    """A self-contained HTML page of a task card (the Markdown table rendered as a table)."""
    body: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            head, *rows = table
            body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head)
                        + "</tr></thead><tbody>" + "".join(
                            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                            for row in rows) + "</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if all(set(c) <= {"-", ""} for c in cells):
                continue
            table.append([html.escape(c).replace("&lt;br&gt;", "<br>") for c in cells])
            continue
        flush()
        text = html.escape(line)
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.startswith("**") and line.endswith("**"):
            body.append(f"<p class='warn'>{html.escape(line.strip('*'))}</p>")
        elif text:
            body.append(f"<p>{text}</p>")
    flush()
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;}"
             "table{border-collapse:collapse;}td,th{border:1px solid #999;padding:4px;"
             "vertical-align:top;}.warn{color:#a00;font-weight:bold;}"
             "@media print{body{margin:0}}")
    return (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def export_controller(packet: dict[str, Any], spec: DrillSpec) -> dict[str, Any]:
    """Writers (file name -> bytes or str) of the controller's export: msel.csv, msel.xlsx,
    timeline.csv, controller.md and task cards per role (taskcards/<role>.md|.html)."""
    start = datetime.fromisoformat(packet["start"])
    injects = packet["msel"]
    frame = msel_frame(injects, spec, start)
    header = {"drill": packet["spec"]["name"], "scenario": packet["scenario"]["name"],
              "start": start.strftime("%Y-%m-%d %H:%M") + " (UTC+8)"}
    files: dict[str, Any] = {
        "msel.csv": frame.to_csv(index=False).encode("utf-8-sig"),  # BOM: Excel reads UTF-8
        "msel.xlsx": frame,
        "timeline.csv": _timeline_frame(packet["timeline"], start).to_csv(index=False)
        .encode("utf-8-sig"),
        "controller.md": _controller_brief(packet, spec, start),
    }
    for role in spec.roles:
        markdown = task_card_markdown(role.id, injects, spec, header)
        files[f"taskcards/{role.id}.md"] = markdown
        files[f"taskcards/{role.id}.html"] = task_card_html(markdown, f"任务卡 {role.name}")
    return files


def _timeline_frame(timeline: list[dict[str, Any]], start: datetime) -> pd.DataFrame:
    rows = [{"minute": e["minute"], "clock": clock_text(start, e["minute"]), "kind": e["kind"],
             "place": e["place"], "name": e["name"], "quantity": e["quantity"]}
            for e in timeline]
    return pd.DataFrame(rows, columns=["minute", "clock", "kind", "place", "name", "quantity"])


def _controller_brief(packet: dict[str, Any], spec: DrillSpec, start: datetime) -> str:
    scenario = packet["scenario"]
    lines = [f"# 控制组简报 Controllers' brief: {spec.title or spec.name}", "",
             "**保密：仅限演练控制组和评估组。 Confidential: controllers and evaluators only.**",
             "",
             f"- 情景 Scenario: {scenario['name']} — {scenario['content'].get('title', '')}",
             f"- 开始时间 Start: {start.strftime('%Y-%m-%d %H:%M')} (UTC+8)",
             f"- 演练结束 Drill ends at: {_t(packet['end_minute'])} "
             f"({clock_text(start, packet['end_minute'])})",
             f"- 方式 Style: {packet['style']['mode']}, speed {packet['style']['speed']:g}",
             f"- 随机种子 Seed: {packet['seed']}",
             "- 抽取的参数 Drawn parameters: "
             + (", ".join(f"{k} = {v:g}" for k, v in packet["parameters"].items()) or "none"),
             f"- 注入数量 Injects: {sum(1 for i in packet['msel'] if not i['followup_of'])} "
             f"(+ {sum(1 for i in packet['msel'] if i['followup_of'])} contingency)", "",
             "## 基准（预案自动响应）Baseline (the plan's own response)", "",
             "| KPI | value |", "|---|---|"]
    for name, value in packet["baseline"]["kpis"].items():
        text = "never" if isinstance(value, float) and math.isinf(value) else (
            "–" if value is None or (isinstance(value, float) and math.isnan(value))
            else f"{value:,.4g}")
        lines.append(f"| {name} | {text} |")
    return "\n".join(lines) + "\n"


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The MSEL as an Excel sheet named MSEL, wrapped text, columns widened (openpyxl)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="MSEL", index=False)
        sheet = writer.sheets["MSEL"]
        widths = {"A": 14, "B": 26, "C": 30, "D": 26, "E": 24, "F": 26, "G": 70, "H": 40,
                  "I": 34, "J": 40}
        for column, width in widths.items():
            sheet.column_dimensions[column].width = width
        from openpyxl.styles import Alignment

        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
