"""When a commander's order takes effect: the one rule every part of every model applies.

The ``[orders]`` schema and what ``replaces_plan`` means are in :mod:`models.orders`: without
it an order can only bring the plan's decision earlier; with it the orders are the only
decisions of their kind.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.orders import OrdersSection

__all__ = ["decided_at"]


def decided_at(orders: OrdersSection | None, action: str | tuple[str, ...], target: str,
               plan: float, delay: float = 0.0) -> float:
    """Minute the decision on ``target`` takes effect: ``plan`` (the plan's minute, inf for
    never) against the first order of ``action`` naming ``target`` plus ``delay``; the earlier
    of the two, or with ``replaces_plan`` the order's alone (inf without one). ``plan`` when
    there are no orders."""
    if orders is None:
        return plan
    ordered = orders.earliest(action, target)
    at = math.inf if ordered is None else ordered + delay
    return at if orders.replaces_plan else min(plan, at)
