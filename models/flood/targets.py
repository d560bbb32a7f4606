"""What the flood model's orders may name (:class:`models.spec.ModelSpec` ``order_targets`` and
``team_actions``): the ids of a scenario by kind, and which action names each rescue team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.response.roads import link_ids

if TYPE_CHECKING:   # the scenario module may use these functions itself
    from models.flood.scenario import FloodScenario

__all__ = ["order_targets", "team_actions"]


def order_targets(scenario: FloodScenario) -> dict[str, list[str]]:
    """Ids an order may name, by kind: zones, shelters, rescue teams, and with supplies depots
    and agreement reserves, with roads links (each as "a-b" and "b-a")."""
    out: dict[str, list[str]] = {"zone": [z.id for z in scenario.zones],
                                 "shelter": [s.id for s in scenario.shelters],
                                 "team": [t.id for t in scenario.rescue.teams]}
    if scenario.supplies is not None:
        out["depot"] = [d.id for d in scenario.supplies.depots]
        out["agreement"] = [a.id for a in scenario.supplies.agreements]
    if scenario.roads is not None:
        out["link"] = list(link_ids(scenario.roads))
    return out


def team_actions(scenario: FloodScenario) -> dict[str, list[str]]:
    """Team id -> the action that may name it: local teams (``available_from`` 0) are
    mobilized, mutual-aid teams (``available_from`` > 0) requested."""
    return {t.id: ["request_team"] if t.available_from > 0 else ["mobilize_team"]
            for t in scenario.rescue.teams}
