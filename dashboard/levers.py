"""The levers a leader controls, read from a scenario and applied back to it.

A lever is one thing a bureau can fund or decide — units per rescue tier, boats' seats, a warning
channel's reach, door-to-door officers, which shelters open and how full, depot stock and trucks,
agreement reserves, hazmat teams, ambulances, hospital beds, the protective-action instruction.
:func:`levers_for` lists the levers of a scenario with its own values as defaults;
:func:`apply_levers` returns a new, validated scenario with chosen values. Nothing here draws
random numbers or runs a model; the page shows the widgets, the service runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.scenario import ScenarioBase
from sim.config import validate

__all__ = ["Lever", "levers_for", "apply_levers", "TEAM_TIERS"]

# Rescue team types in plan wording (emergency plans fund teams by tier).
TEAM_TIERS: dict[str, tuple[str, str]] = {
    "fire_rescue": ("Fire-rescue units", "消防救援队伍"),
    "water_rescue": ("Professional water-rescue units", "专业水上救援队伍"),
    "comprehensive_city": ("City comprehensive rescue units", "市级综合性救援队伍"),
    "comprehensive_county": ("County comprehensive rescue units", "县级综合性救援队伍"),
    "comprehensive_township": ("Township rescue units", "乡镇（街道）救援队伍"),
    "social": ("Social (volunteer) rescue units", "社会应急力量"),
    "military": ("Military units", "解放军和武警部队"),
    "helicopter": ("Rescue helicopters", "航空救援直升机"),
}

Apply = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class Lever:
    """One control: ``kind`` is "int", "float" (a slider), "percent" (a slider in %, applied
    as a factor), "bool", "choice" or "multi" (a multiselect of ``options``)."""

    key: str
    group: str
    label_en: str
    label_zh: str
    kind: str
    default: Any
    apply: Apply = field(repr=False, compare=False)
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    options: tuple[str, ...] = ()
    help_en: str = ""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


GROUPS = {
    "teams": ("Rescue teams", "救援队伍"),
    "warnings": ("Warning channels", "预警发布渠道"),
    "shelters": ("Shelters", "避难场所"),
    "supplies": ("Relief supplies", "救灾物资"),
    "hazmat": ("Hazmat and medical response", "危化品处置与医疗救治"),
}


def _share_out(total: int, weights: list[int]) -> list[int]:
    """``total`` units shared over entries in proportion to ``weights`` (largest remainder;
    equal shares when all weights are zero)."""
    if not weights:
        return []
    w = [float(x) for x in weights] if sum(weights) > 0 else [1.0] * len(weights)
    exact = [total * x / sum(w) for x in w]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(w)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _team_levers(data: Mapping[str, Any]) -> list[Lever]:
    teams = data.get("rescue", {}).get("teams", [])
    levers = []
    for tier, (en, zh) in TEAM_TIERS.items():
        idx = [i for i, t in enumerate(teams) if t["type"] == tier]
        if not idx:
            continue
        units = sum(teams[i]["count"] for i in idx)
        weights = [teams[i]["count"] for i in idx]

        def set_units(d: dict, value: int, idx=idx, weights=weights) -> None:
            for i, n in zip(idx, _share_out(int(value), weights), strict=True):
                d["rescue"]["teams"][i]["count"] = n

        def set_seats(d: dict, value: int, idx=idx) -> None:
            for i in idx:
                d["rescue"]["teams"][i]["people_per_trip"] = int(value)

        seats = max(teams[i]["people_per_trip"] for i in idx)
        levers.append(Lever(f"teams.{tier}.units", "teams", f"{en}: units", f"{zh}：数量（支）",
                            "int", units, set_units, 0, max(4 * units, 10), 1))
        levers.append(Lever(f"teams.{tier}.seats", "teams", f"{en}: people carried per trip",
                            f"{zh}：每趟转运人数", "int", seats, set_seats, 1,
                            max(4 * seats, 10), 1))
    return levers


def _warning_levers(data: Mapping[str, Any]) -> list[Lever]:
    section = data.get("warnings") or {}
    levers = []
    for i, channel in enumerate(section.get("channels", [])):
        name = channel["name"]

        def set_reach(d: dict, value: float, i=i, which="reach_day") -> None:
            d["warnings"]["channels"][i][which] = float(value)

        for which, en, zh in (("reach_day", "reach by day", "白天覆盖率"),
                              ("reach_night", "reach at night", "夜间覆盖率")):
            levers.append(Lever(f"warnings.{i}.{which}", "warnings", f"{name}: {en}",
                                f"{name}：{zh}", "float", float(channel[which]),
                                lambda d, v, i=i, w=which: set_reach(d, v, i, w), 0.0, 1.0,
                                0.01))
    d2d = section.get("door_to_door")
    if d2d:
        def set_workers(d: dict, value: int) -> None:
            d["warnings"]["door_to_door"]["workers"] = int(value)

        workers = int(d2d["workers"])
        levers.append(Lever("warnings.door_to_door.workers", "warnings",
                            "Door-to-door officers (grid workers, information officers)",
                            "入户预警人员（网格员、灾害信息员）", "int", workers, set_workers, 0,
                            max(4 * workers, 100), 1))
    return levers


def _shelter_levers(data: Mapping[str, Any]) -> list[Lever]:
    shelters = data.get("shelters") or []
    if not shelters:
        return []
    ids = tuple(s["id"] for s in shelters)
    capacity = [int(s["capacity"]) for s in shelters]

    def set_open(d: dict, chosen: list[str]) -> None:
        for s, cap in zip(d["shelters"], capacity, strict=True):
            if s["id"] not in chosen:
                s["capacity"] = 0
            elif s["capacity"] == 0:
                s["capacity"] = cap

    def set_capacity(d: dict, percent: float) -> None:
        for s in d["shelters"]:
            s["capacity"] = int(round(s["capacity"] * percent / 100.0))

    return [
        Lever("shelters.open", "shelters", "Shelters opened", "启用的避难场所", "multi", ids,
              set_open, options=ids),
        Lever("shelters.capacity", "shelters", "Shelter capacity (% of planned places)",
              "避难场所容量（规划床位的百分比）", "percent", 100.0, set_capacity, 0, 300, 5),
    ]


def _supply_levers(data: Mapping[str, Any]) -> list[Lever]:
    supplies = data.get("supplies")
    if not supplies:
        return []

    def set_stock(d: dict, percent: float) -> None:
        for depot in d["supplies"]["depots"]:
            depot["stock"] = {k: v * percent / 100.0 for k, v in depot["stock"].items()}

    levers = [Lever("supplies.stock", "supplies", "Depot stock (% of planned reserve)",
                    "储备库实物储备（规划量的百分比）", "percent", 100.0, set_stock, 0, 400, 10)]
    levels: dict[str, list[int]] = {}
    for k, depot in enumerate(supplies["depots"]):
        levels.setdefault(depot["level"], []).append(k)
    for level, idx in levels.items():
        trucks = [int(supplies["depots"][k].get("fleet", {}).get("trucks", 0)) for k in idx]

        def set_trucks(d: dict, value: int, idx=idx, trucks=trucks) -> None:
            for k, n in zip(idx, _share_out(int(value), trucks), strict=True):
                d["supplies"]["depots"][k].setdefault("fleet", {})["trucks"] = n

        levers.append(Lever(f"supplies.trucks.{level}", "supplies",
                            f"Trucks at {level} depots", f"{level}级储备库运输车辆（辆）", "int",
                            sum(trucks), set_trucks, 0, max(4 * sum(trucks), 20), 1))
    agreements = supplies.get("agreements") or []
    if agreements:
        ids = tuple(a["id"] for a in agreements)

        def set_agreements(d: dict, chosen: list[str]) -> None:
            d["supplies"]["agreements"] = [a for a in d["supplies"]["agreements"]
                                           if a["id"] in chosen]

        levers.append(Lever("supplies.agreements", "supplies", "Agreement reserves signed",
                            "签订的协议储备", "multi", ids, set_agreements, options=ids))
    return levers


def _chemical_levers(data: Mapping[str, Any]) -> list[Lever]:
    response = data.get("response") or {}
    levers: list[Lever] = []
    teams = response.get("hazmat_teams") or []
    if teams:
        ids = tuple(t["id"] for t in teams)

        def set_teams(d: dict, chosen: list[str]) -> None:
            d["response"]["hazmat_teams"] = [t for t in d["response"]["hazmat_teams"]
                                             if t["id"] in chosen]

        levers.append(Lever("hazmat.teams", "hazmat", "Hazmat teams called out",
                            "出动的危化品处置队伍", "multi", ids, set_teams, options=ids))

    def set_instruction(d: dict, value: str) -> None:
        d.setdefault("response", {})["instruction"] = value

    levers.append(Lever("hazmat.instruction", "hazmat", "Instruction to the public",
                        "对公众的防护指令", "choice", response.get("instruction", "shelter"),
                        set_instruction, options=("shelter", "evacuate")))

    def set_detectors(d: dict, value: bool) -> None:
        d.setdefault("response", {})["detectors"] = bool(value)

    levers.append(Lever("hazmat.detectors", "hazmat", "Gas detectors at the site",
                        "现场气体检测报警装置", "bool", bool(response.get("detectors", True)),
                        set_detectors))
    ambulances = int(response.get("ambulances", 0))

    def set_ambulances(d: dict, value: int) -> None:
        d.setdefault("response", {})["ambulances"] = int(value)

    levers.append(Lever("hazmat.ambulances", "hazmat", "Ambulances", "救护车（辆）", "int",
                        ambulances, set_ambulances, 0, max(4 * ambulances, 20), 1))
    if response.get("hospitals"):
        def set_beds(d: dict, percent: float) -> None:
            for h in d["response"]["hospitals"]:
                h["beds"] = int(round(h["beds"] * percent / 100.0))

        levers.append(Lever("hazmat.beds", "hazmat", "Hospital beds for casualties (%)",
                            "可收治伤员床位（百分比）", "percent", 100.0, set_beds, 0, 400, 10))
    return levers


def levers_for(scenario: ScenarioBase) -> list[Lever]:
    """The levers of ``scenario`` (flood or chemical), its own values as defaults."""
    data = scenario.model_dump(mode="json")
    model = data.get("model")
    if model == "flood":
        return (_team_levers(data) + _warning_levers(data) + _shelter_levers(data)
                + _supply_levers(data))
    if model == "chemical":
        return _chemical_levers(data) + _warning_levers(data)
    return []


def apply_levers(scenario: ScenarioBase, values: Mapping[str, Any]) -> ScenarioBase:
    """A new, validated scenario: ``scenario`` with the lever values in ``values`` (by lever
    key; keys not given keep the scenario's value). Unknown keys raise KeyError."""
    levers = {lever.key: lever for lever in levers_for(scenario)}
    unknown = sorted(set(values) - set(levers))
    if unknown:
        raise KeyError(f"unknown levers {unknown}")
    changed = {k: v for k, v in values.items() if v != levers[k].default}
    if not changed:
        return scenario
    data = scenario.model_dump(mode="json")
    # Percent levers scale what the others set: apply them last, in a fixed order.
    for key in sorted(changed, key=lambda k: (levers[k].kind == "percent", k)):
        lever = levers[key]
        value = changed[key]
        lever.apply(data, list(value) if lever.kind == "multi" else value)
    return validate(type(scenario), data, f"scenario {scenario.name!r} with the dashboard's "
                    "levers")
