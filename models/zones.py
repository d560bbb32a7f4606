"""Zones: the places people live, the unit at which hazard, warning and response are resolved.

A zone is a township, a district's urban core or a stretch of riverside lowland; its people are
simulated as cohorts (zone x group x action-time bin), never one object per person.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.config import StrictModel

__all__ = ["Zone", "ZoneBase", "Share"]

Share = Annotated[float, Field(ge=0, le=1)]


class ZoneBase(StrictModel):
    """What every zone has, whatever the hazard: place, size and people."""

    id: str = Field(min_length=1, description="Unique identifier, used by other sections.")
    name: str = Field(default="", description="Human name (Chinese or English).")
    lon: float = Field(ge=-180, le=180, description="Longitude of the zone centre (WGS84).")
    lat: float = Field(ge=-90, le=90, description="Latitude of the zone centre (WGS84).")
    area_km2: float = Field(gt=0, description="Area (km²).")
    population_night: int = Field(ge=0, description="Residents present at night.")
    population_day: int | None = Field(
        default=None, ge=0, description="People present by day (default: as at night).")
    share_children: Share = Field(description="Share aged 0-14.")
    share_elderly: Share = Field(description="Share aged 60 and over.")
    share_multistorey: Share = Field(
        description="Share living in buildings of 2+ storeys (vertical refuge possible).")

    @model_validator(mode="after")
    def _shares(self) -> ZoneBase:
        if self.share_children + self.share_elderly > 1:
            raise ValueError("share_children + share_elderly must not exceed 1")
        return self

    def population(self, daytime: bool) -> int:
        """People present at the given time of day."""
        if daytime and self.population_day is not None:
            return self.population_day
        return self.population_night


class Zone(ZoneBase):
    """A flood zone. Elevations in metres above the common datum of the river gauges."""

    ground_elevation_m: float = Field(description="Ground elevation (m above gauge datum).")
    protection_m: float = Field(
        default=0.0, ge=0, description="Height of levees/protection above ground (m).")
    gauge: str = Field(min_length=1, description="Id of the river gauge whose stage floods it.")
