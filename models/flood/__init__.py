"""The flood model: hazard, warnings, evacuation, shelters, rescue, supplies and life loss.

``scenario`` holds the schema, ``run`` one replication, ``spec`` what the layers above read
(KPIs, levers, orders, series, map layers). See docs/models/flood.md.
"""

from models.flood.run import FloodRun, build_flood
from models.flood.scenario import FLOOD_ACTIONS, FloodScenario

__all__ = ["FLOOD_ACTIONS", "FloodRun", "FloodScenario", "build_flood"]
