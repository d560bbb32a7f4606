"""What a decision can name: the ids of zones, shelters, teams, depots, agreements and road links
of a scenario, by kind, and the actions each model applies.

Participants need ids to decide ("evacuate yicheng-01"), yet a list of one scenario's ids would
tell them which scenario was drawn. The public list a sealed drill hands out
(``participants/targets.json``) is therefore the union over the whole scenario library: it reveals
the library (the region and the kinds of hazard the drill may be about), never the draw.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models.orders import ACTIONS, link_key
from models.scenario import ScenarioBase

__all__ = ["KINDS", "MODEL_ACTIONS", "kind_of", "mutual_aid_teams", "scenario_targets",
           "team_actions", "union_targets"]

KINDS = ("zone", "shelter", "team", "depot", "agreement", "link")

# The orders each model applies (models/flood.py, models/chemical.py, "Orders").
MODEL_ACTIONS: dict[str, tuple[str, ...]] = {
    "flood": ("warn", "evacuate", "open_shelter", "mobilize_team", "request_team",
              "release_supplies", "activate_agreement", "close_road", "reopen_road"),
    "chemical": ("warn", "shelter_in_place", "evacuate", "mobilize_team", "request_team",
                 "close_road", "reopen_road"),
}


def kind_of(action: str) -> str:
    """The kind of id an action's targets name (zone, shelter, team, ...)."""
    return ACTIONS[action]


def _teams(scenario: ScenarioBase) -> list:
    rescue = getattr(scenario, "rescue", None)
    if rescue is not None:
        return list(rescue.teams)
    response = getattr(scenario, "response", None)
    return list(getattr(response, "hazmat_teams", []) or [])


def mutual_aid_teams(scenario: ScenarioBase) -> list[str]:
    """Teams that join only when requested (flood mutual aid: ``available_from > 0``)."""
    return [t.id for t in _teams(scenario) if getattr(t, "available_from", 0.0) > 0]


def team_actions(scenario: ScenarioBase) -> dict[str, list[str]]:
    """Team id -> the actions that may name it: a flood's local teams are mobilized and its
    mutual-aid teams requested; a chemical release's hazmat teams take either."""
    if scenario.model == "flood":
        mutual = set(mutual_aid_teams(scenario))
        return {t.id: ["request_team"] if t.id in mutual else ["mobilize_team"]
                for t in _teams(scenario)}
    return {t.id: ["mobilize_team", "request_team"] for t in _teams(scenario)}


def scenario_targets(scenario: ScenarioBase) -> dict[str, list[str]]:
    """Ids a decision on ``scenario`` may name, by kind (links as "a-b" and "b-a")."""
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    out["zone"] = [z.id for z in getattr(scenario, "zones", [])]
    out["shelter"] = [s.id for s in getattr(scenario, "shelters", [])]
    out["team"] = [t.id for t in _teams(scenario)]
    supplies = getattr(scenario, "supplies", None)
    if supplies is not None:
        out["depot"] = [d.id for d in supplies.depots]
        out["agreement"] = [a.id for a in supplies.agreements]
    roads = getattr(scenario, "roads", None)
    if roads is not None:
        out["link"] = [key for link in roads.links
                       for key in (link_key(link.source, link.target),
                                   link_key(link.target, link.source))]
    return out


def union_targets(scenarios: Iterable[ScenarioBase]) -> dict[str, Any]:
    """The public decision-target list: every id of every library scenario, by kind, sorted
    (no hint of which scenario an id belongs to), plus which actions may name each team and
    the actions of any library model."""
    ids: dict[str, set[str]] = {kind: set() for kind in KINDS}
    teams: dict[str, set[str]] = {}
    actions: set[str] = set()
    for scenario in scenarios:
        for kind, values in scenario_targets(scenario).items():
            ids[kind].update(values)
        for team, allowed in team_actions(scenario).items():
            teams.setdefault(team, set()).update(allowed)
        actions.update(MODEL_ACTIONS.get(scenario.model, ()))
    out: dict[str, Any] = {kind: sorted(values) for kind, values in ids.items()}
    out["team_actions"] = {team: sorted(allowed) for team, allowed in sorted(teams.items())}
    out["actions"] = [a for a in ACTIONS if a in actions]
    return out
