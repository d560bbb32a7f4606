"""Timed decisions of the response's commanders (an EOC's orders), shared by all models.

A scenario's optional ``[orders]`` section lists decisions with the minute they are taken: warn
or evacuate zones, tell them to shelter in place, open shelters, mobilize or request teams,
release depot stock or activate an agreement reserve, close or reopen roads. Drills replay the
participants' recorded decisions through it (``drills/``), and experiments can test a decision
rule ("evacuate the river zones at hour 2") the same way.

``replaces_plan`` says whose decisions count:

* ``false`` (default): the plan's built-in decision chain still runs (the baseline response:
  warnings after the issuance delay, shelters opening after the first warning, ...) and an order
  can only bring a decision earlier — the earlier of the two counts for each zone, shelter, team.
* ``true``: the orders are the only decisions of their kind — a zone never ordered warned is
  never warned by the authorities, a shelter never ordered open stays shut, a mutual-aid team
  never requested never comes. Automatic dispatching of local rescue units to calls for help
  stays (that is the dispatcher's routine, not a commander's decision).

When a decision takes effect under this rule: :func:`models.response.orders.decided_at`.

Each model applies the actions it knows (see ``ACTIONS`` and the model's docs) and its scenario
validator rejects orders naming unknown zones, shelters, teams, depots or road links with one
located line, e.g. ``orders.orders[2].targets: unknown zone 'Z9'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import Field

# Road link ids are the road network's (models.response.roads); importable from here too.
from sim.config import StrictModel
from sim.units import Duration

__all__ = ["ACTIONS", "Action", "Order", "OrdersSection", "check_orders"]

Action = Literal["warn", "evacuate", "shelter_in_place", "open_shelter", "mobilize_team",
                 "request_team", "release_supplies", "activate_agreement", "close_road",
                 "reopen_road"]

# What each action's ``targets`` name, by the kind of id (the key of check_orders' ``known``).
ACTIONS: dict[str, str] = {
    "warn": "zone",                 # alert the zones (warning issued now; people decide)
    "evacuate": "zone",             # alert with an evacuation instruction
    "shelter_in_place": "zone",     # alert with a shelter-in-place instruction (chemical)
    "open_shelter": "shelter",      # start opening the shelters now
    "mobilize_team": "team",        # call out local units now (they depart after mobilization)
    "request_team": "team",         # request mutual aid now (it joins after its delay)
    "release_supplies": "depot",    # the depot may ship from now on
    "activate_agreement": "agreement",  # the agreement reserve's supplier starts now
    "close_road": "link",           # police closure of road links (ids "source-target")
    "reopen_road": "link",
}


class Order(StrictModel):
    """One decision: ``action`` on ``targets`` at minute ``at``."""

    at: Duration = Field(description="When the decision is taken (from the scenario start).")
    action: Action
    targets: list[str] = Field(min_length=1, description="Ids of what it applies to: zones, "
                               "shelters, teams, depots, agreements or road links "
                               "('source-target'), by action.")
    by: str = Field(default="", description="Who decided (role), for the record.")
    note: str = ""


class OrdersSection(StrictModel):
    """The scenario's ``[orders]`` section (see the module docstring)."""

    replaces_plan: bool = Field(
        default=False, description="true: only these orders decide warnings, shelter opening, "
        "mutual aid and supply release; false: orders can only bring the plan's decisions "
        "earlier.")
    orders: list[Order] = Field(default_factory=list)

    def of(self, *actions: str) -> list[Order]:
        """Orders of the given actions, in time order (stable for equal times)."""
        return sorted((o for o in self.orders if o.action in actions), key=lambda o: o.at)

    def earliest(self, action: str | tuple[str, ...], target: str) -> float | None:
        """Minute of the first order of ``action`` naming ``target``; None if there is none."""
        actions = (action,) if isinstance(action, str) else action
        times = [o.at for o in self.orders if o.action in actions and target in o.targets]
        return min(times) if times else None


def check_orders(section: OrdersSection | None, known: Mapping[str, Iterable[str]],
                 horizon: float, path: str = "orders",
                 actions: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Located problems in ``section``: actions the model does not apply (a kind missing from
    ``known``, or an action left out of ``actions`` when given), unknown target ids, times past
    the horizon. ``known`` maps an id kind ("zone", "shelter", ...) to the ids the scenario has;
    for links, give both "a-b" and "b-a"."""
    if section is None:
        return []
    problems: list[tuple[str, str]] = []
    sets = {kind: set(ids) for kind, ids in known.items()}
    applied = None if actions is None else set(actions)
    for i, order in enumerate(section.orders):
        where = f"{path}.orders[{i}]"
        kind = ACTIONS[order.action]
        if applied is not None and order.action not in applied:
            problems.append((f"{where}.action", f"{order.action!r} is not an action this "
                             f"model applies (it applies {', '.join(sorted(applied))})"))
            continue
        if kind not in sets:
            problems.append((f"{where}.action", f"{order.action!r} is not an action this "
                             f"model applies (it has no {kind}s)"))
            continue
        unknown = [t for t in order.targets if t not in sets[kind]]
        if unknown:
            problems.append((f"{where}.targets", f"unknown {kind} {unknown[0]!r}"
                             + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")))
        if order.at > horizon:
            problems.append((f"{where}.at", f"{order.at:g} min is after the scenario horizon "
                             f"({horizon:g} min)"))
    return problems
