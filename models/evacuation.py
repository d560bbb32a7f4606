"""Protective action and evacuation: who goes where, how long it takes, who is caught.

People who begin protective action choose (shares per zone and group, drawn multinomially):

* **vertical refuge** — only possible for people in multi-storey buildings;
* **public shelter** — the nearest shelter with room (see :mod:`models.shelters`);
* **self-arranged** — relatives, friends, hotels, out of the flood area.

Movement has two forms:

* **Road network** (``[roads]``, :mod:`models.response.roads`, shared with the chemical model):
  nodes and links with length, free-flow speed, capacity (vehicles/h) and elevation. A platoon
  of vehicles follows the fastest open path (networkx Dijkstra); each link is a point queue that
  lets vehicles out at its capacity; a link closes when the water on it is deeper than
  ``closure_depth_m`` (ordinary cars unsafe at about 0.3 m — commonly used, an assumption), and
  platoons re-route at every node. A platoon on a link that floods is caught there.
* **No network**: each zone has one exit with a capacity (vehicles/h, a point queue), then a
  straight-line trip times a detour factor. People still inside their zone (queueing to leave or
  driving out) when water arrives are caught.

Caught people are exposed in transit (higher debris factor) and become trapped.
"""

from __future__ import annotations

from pydantic import Field

# The road network moved to models.response.roads (both hazard models drive on it); these names
# stay importable from here for the layers above.
from models.zones import Share
from sim.config import StrictModel

__all__ = ["EvacuationSection"]


class EvacuationSection(StrictModel):
    """The scenario's ``[evacuation]`` section (shares are of people who act)."""

    vertical_refuge: Share = Field(
        default=0.5, description="Of actors in multi-storey buildings, share who go upstairs "
        "rather than leave (assumption).")
    public_shelter: Share = Field(
        default=0.35, description="Of those who leave, share heading for a public shelter "
        "(assumption; the rest self-arrange).")
    people_per_vehicle: float = Field(default=2.5, gt=0, description="Assumption.")
    speed_kmh: float = Field(default=30.0, gt=0, description="Mean road speed without a network "
                             "(assumption).")
    detour_factor: float = Field(default=1.3, ge=1, description="Road distance / straight line "
                                 "(typical 1.2-1.4; assumption).")
    zone_exit_capacity_vph: float = Field(
        default=3000.0, gt=0, description="Vehicles/h that can leave a zone without a network "
        "(assumption: about two lanes).")
    self_arranged_km: float = Field(
        default=20.0, gt=0, description="Trip length to self-arranged accommodation (assumption).")
    closure_depth_m: float = Field(default=0.3, gt=0, description="Water depth closing a road.")
