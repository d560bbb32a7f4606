"""The flood model's levers (:class:`models.levers.Lever`): rescue units and seats per tier,
warning channels (shared), shelters, relief supplies. No published cost figure backs any of
them yet (the costs of experiments/specs/zhumadian-capability-options.toml are assumptions), so
every ``cost`` is None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.flood.scenario import FloodScenario
from models.levers import GROUPS, Lever, name_zh, share_out, warning_levers

__all__ = ["LEVELS", "TEAM_TIERS", "flood_levers"]

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

# Depot levels (models.supplies.Level) as the reserve system names them.
LEVELS: dict[str, tuple[str, str]] = {
    "province": ("provincial", "省级"), "city": ("city", "市级"), "county": ("county", "县级"),
    "township": ("township", "乡镇级"), "village": ("village", "村级"),
}


def _names(ids: tuple[str, ...], names: list[str]) -> tuple[str, ...]:
    """Option labels: each entry's name, with its id where the name is missing or shared."""
    return tuple(name if name and names.count(name) == 1 else f"{name} ({i})" if name else i
                 for i, name in zip(ids, names, strict=True))


def _team_levers(data: Mapping[str, Any]) -> list[Lever]:
    teams = data.get("rescue", {}).get("teams", [])
    group = GROUPS["teams"]
    levers = []
    for tier, (en, zh) in TEAM_TIERS.items():
        idx = [i for i, t in enumerate(teams) if t["type"] == tier]
        if not idx:
            continue
        units = sum(teams[i]["count"] for i in idx)
        weights = [teams[i]["count"] for i in idx]

        def set_units(d: dict, value: int, idx: list[int] = idx,
                      weights: list[int] = weights) -> None:
            for i, n in zip(idx, share_out(int(value), weights), strict=True):
                d["rescue"]["teams"][i]["count"] = n

        def set_seats(d: dict, value: int, idx: list[int] = idx) -> None:
            for i in idx:
                d["rescue"]["teams"][i]["people_per_trip"] = int(value)

        seats = max(teams[i]["people_per_trip"] for i in idx)
        counter = "架" if tier == "helicopter" else "支"   # helicopters are counted by airframe
        levers.append(Lever(f"teams.{tier}.units", group, f"{en}: units",
                            f"{zh}：数量（{counter}）", "int", units, set_units, "units", counter,
                            0, max(4 * units, 10), 1))
        levers.append(Lever(f"teams.{tier}.seats", group, f"{en}: people carried per trip",
                            f"{zh}：每趟转运人数", "int", seats, set_seats, "people per trip",
                            "人/趟", 1, max(4 * seats, 10), 1))
    return levers


def _shelter_levers(data: Mapping[str, Any]) -> list[Lever]:
    shelters = data.get("shelters") or []
    if not shelters:
        return []
    group = GROUPS["shelters"]
    ids = tuple(s["id"] for s in shelters)
    names = _names(ids, [s.get("name", "") for s in shelters])
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
        Lever("shelters.open", group, "Shelters opened", "启用的避难场所", "multi", ids,
              set_open, options=ids, option_en=names,
              option_zh=tuple(name_zh(n, {}) for n in names)),
        Lever("shelters.capacity", group, "Shelter capacity (% of planned places)",
              "避难场所容量（规划床位的百分比）", "percent", 100.0, set_capacity, "%", "%", 0, 300,
              5),
    ]


def _supply_levers(data: Mapping[str, Any]) -> list[Lever]:
    supplies = data.get("supplies")
    if not supplies:
        return []
    group = GROUPS["supplies"]

    def set_stock(d: dict, percent: float) -> None:
        for depot in d["supplies"]["depots"]:
            depot["stock"] = {k: v * percent / 100.0 for k, v in depot["stock"].items()}

    levers = [Lever("supplies.stock", group, "Depot stock (% of planned reserve)",
                    "储备库实物储备（规划量的百分比）", "percent", 100.0, set_stock, "%", "%", 0,
                    400, 10)]
    levels: dict[str, list[int]] = {}
    for k, depot in enumerate(supplies["depots"]):
        levels.setdefault(depot["level"], []).append(k)
    for level, idx in levels.items():
        trucks = [int(supplies["depots"][k].get("fleet", {}).get("trucks", 0)) for k in idx]
        en, zh = LEVELS.get(level, (level, level))

        def set_trucks(d: dict, value: int, idx: list[int] = idx,
                       trucks: list[int] = trucks) -> None:
            for k, n in zip(idx, share_out(int(value), trucks), strict=True):
                d["supplies"]["depots"][k].setdefault("fleet", {})["trucks"] = n

        levers.append(Lever(f"supplies.trucks.{level}", group, f"Trucks at {en} depots",
                            f"{zh}储备库运输车辆（辆）", "int", sum(trucks), set_trucks, "trucks",
                            "辆", 0, max(4 * sum(trucks), 20), 1))
    agreements = supplies.get("agreements") or []
    if agreements:
        ids = tuple(a["id"] for a in agreements)
        suppliers = _names(ids, [a.get("supplier", "") for a in agreements])

        def set_agreements(d: dict, chosen: list[str]) -> None:
            d["supplies"]["agreements"] = [a for a in d["supplies"]["agreements"]
                                           if a["id"] in chosen]

        levers.append(Lever("supplies.agreements", group, "Agreement reserves signed",
                            "签订的协议储备", "multi", ids, set_agreements, options=ids,
                            option_en=suppliers,
                            option_zh=tuple(name_zh(s, {}) for s in suppliers)))
    return levers


def flood_levers(scenario: FloodScenario) -> list[Lever]:
    """The levers of a flood scenario, its own values as defaults."""
    data = scenario.model_dump(mode="json")
    return (_team_levers(data) + warning_levers(data) + _shelter_levers(data)
            + _supply_levers(data))
