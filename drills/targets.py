"""What a decision can name: the ids of zones, shelters, teams, depots, agreements and road links
of a scenario, by kind, and the actions that may name each team — as the scenario's model spec
gives them (``order_targets``, ``team_actions``, ``order_actions``).

Participants need ids to decide ("evacuate yicheng-01"), yet a list of one scenario's ids would
tell them which scenario was drawn. The public list a sealed drill hands out
(``participants/targets.json``) is therefore the union over the whole scenario library: it reveals
the library (the region and the kinds of hazard the drill may be about), never the draw.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models.catalog import spec_for
from models.orders import ACTIONS
from models.scenario import ScenarioBase

__all__ = ["KINDS", "kind_of", "scenario_targets", "union_targets"]

# The kinds of id orders name, in the order of models.orders.ACTIONS.
KINDS = tuple(dict.fromkeys(ACTIONS.values()))


def kind_of(action: str) -> str:
    """The kind of id an action's targets name (zone, shelter, team, ...)."""
    return ACTIONS[action]


def scenario_targets(scenario: ScenarioBase) -> dict[str, list[str]]:
    """Ids a decision on ``scenario`` may name, by kind (every kind, links as "a-b" and
    "b-a")."""
    ids = spec_for(scenario).order_targets(scenario)
    return {kind: list(ids.get(kind, [])) for kind in KINDS}


def union_targets(scenarios: Iterable[ScenarioBase]) -> dict[str, Any]:
    """The public decision-target list: every id of every library scenario, by kind, sorted
    (no hint of which scenario an id belongs to), plus which actions may name each team and
    the actions of any library model."""
    ids: dict[str, set[str]] = {kind: set() for kind in KINDS}
    teams: dict[str, set[str]] = {}
    actions: set[str] = set()
    for scenario in scenarios:
        spec = spec_for(scenario)
        for kind, values in scenario_targets(scenario).items():
            ids[kind].update(values)
        for team, allowed in spec.team_actions(scenario).items():
            teams.setdefault(team, set()).update(allowed)
        actions.update(spec.order_actions)
    out: dict[str, Any] = {kind: sorted(values) for kind, values in ids.items()}
    out["team_actions"] = {team: sorted(allowed) for team, allowed in sorted(teams.items())}
    out["actions"] = [a for a in ACTIONS if a in actions]
    return out
