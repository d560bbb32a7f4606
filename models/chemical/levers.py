"""The chemical model's levers (:class:`models.levers.Lever`): hazmat teams, the instruction to
the public, gas detectors, ambulances, hospital beds, and the warning channels (shared). No
published cost figure backs any of them yet, so every ``cost`` is None."""

from __future__ import annotations

from typing import Any

from models.chemical.scenario import ChemicalScenario
from models.levers import GROUPS, Lever, warning_levers

__all__ = ["HAZMAT_TYPES", "INSTRUCTIONS", "chemical_levers"]

# Hazmat team types (models.chemical.scenario.HazmatTeam.type) in plan wording.
HAZMAT_TYPES: dict[str, tuple[str, str]] = {
    "fire_hazmat": ("fire-service hazmat team", "消防救援危化品处置队"),
    "enterprise": ("the plant's own team", "企业专职应急救援队"),
    "gas_rescue_base": ("gas rescue station", "气体防护站"),
}
INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "shelter": ("Shelter in place", "就地避险"),
    "evacuate": ("Evacuate", "疏散撤离"),
}


def _hazmat_levers(data: dict[str, Any]) -> list[Lever]:
    response = data.get("response") or {}
    group = GROUPS["hazmat"]
    levers: list[Lever] = []
    teams = response.get("hazmat_teams") or []
    if teams:
        ids = tuple(t["id"] for t in teams)
        kinds = [HAZMAT_TYPES.get(t["type"], (t["type"], t["type"])) for t in teams]

        def set_teams(d: dict, chosen: list[str]) -> None:
            d["response"]["hazmat_teams"] = [t for t in d["response"]["hazmat_teams"]
                                             if t["id"] in chosen]

        levers.append(Lever(
            "hazmat.teams", group, "Hazmat teams called out", "出动的危化品处置队伍", "multi",
            ids, set_teams, options=ids,
            option_en=tuple(f"{i} ({en})" for i, (en, _) in zip(ids, kinds, strict=True)),
            option_zh=tuple(f"{i}（{zh}）" for i, (_, zh) in zip(ids, kinds, strict=True))))

    def set_instruction(d: dict, value: str) -> None:
        d.setdefault("response", {})["instruction"] = value

    options = tuple(INSTRUCTIONS)
    levers.append(Lever("hazmat.instruction", group, "Instruction to the public",
                        "对公众的防护指令", "choice", response.get("instruction", "shelter"),
                        set_instruction, options=options,
                        option_en=tuple(INSTRUCTIONS[o][0] for o in options),
                        option_zh=tuple(INSTRUCTIONS[o][1] for o in options)))

    def set_detectors(d: dict, value: bool) -> None:
        d.setdefault("response", {})["detectors"] = bool(value)

    levers.append(Lever("hazmat.detectors", group, "Gas detectors at the site",
                        "现场气体检测报警装置", "bool", bool(response.get("detectors", True)),
                        set_detectors))
    ambulances = int(response.get("ambulances", 0))

    def set_ambulances(d: dict, value: int) -> None:
        d.setdefault("response", {})["ambulances"] = int(value)

    levers.append(Lever("hazmat.ambulances", group, "Ambulances", "救护车（辆）", "int",
                        ambulances, set_ambulances, "ambulances", "辆", 0,
                        max(4 * ambulances, 20), 1))
    if response.get("hospitals"):
        def set_beds(d: dict, percent: float) -> None:
            for h in d["response"]["hospitals"]:
                h["beds"] = int(round(h["beds"] * percent / 100.0))

        levers.append(Lever("hazmat.beds", group, "Hospital beds for casualties (%)",
                            "可收治伤员床位（百分比）", "percent", 100.0, set_beds, "%", "%", 0,
                            400, 10))
    return levers


def chemical_levers(scenario: ChemicalScenario) -> list[Lever]:
    """The levers of a chemical-release scenario, its own values as defaults."""
    data = scenario.model_dump(mode="json")
    return _hazmat_levers(data) + warning_levers(data)
