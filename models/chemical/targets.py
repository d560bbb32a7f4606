"""What the chemical model's orders may name (:class:`models.spec.ModelSpec` ``order_targets``
and ``team_actions``): the ids of a scenario by kind, and which actions name each hazmat team."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.response.roads import link_ids

if TYPE_CHECKING:   # the scenario module may use these functions itself
    from models.chemical.scenario import ChemicalScenario

__all__ = ["order_targets", "team_actions"]


def order_targets(scenario: ChemicalScenario) -> dict[str, list[str]]:
    """Ids an order may name, by kind: zones, hazmat teams and, with roads, links (each as
    "a-b" and "b-a")."""
    out: dict[str, list[str]] = {"zone": [z.id for z in scenario.zones],
                                 "team": [t.id for t in scenario.response.hazmat_teams]}
    if scenario.roads is not None:
        out["link"] = list(link_ids(scenario.roads))
    return out


def team_actions(scenario: ChemicalScenario) -> dict[str, list[str]]:
    """Team id -> the actions that may name it: a hazmat team may be mobilized or requested
    (the model treats both alike)."""
    return {t.id: ["mobilize_team", "request_team"] for t in scenario.response.hazmat_teams}
