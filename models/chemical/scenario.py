"""The chemical model's scenario schema: zones, source, weather, warnings, response, exposure,
roads and orders, with their cross-references checked."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from models.chemical.roads import segment_distances_m
from models.chemical.targets import order_targets
from models.hazards.source import ContinuousRelease, InstantaneousRelease, PoolRelease
from models.hazards.toxicity import PROBITS
from models.orders import OrdersSection, check_orders
from models.response.roads import RoadsSection, link_ids
from models.scenario import ScenarioBase
from models.warnings import WarningsSection
from models.zones import Share, ZoneBase
from sim.config import StrictModel
from sim.distributions import Uncertain
from sim.units import Duration

__all__ = ["CHEMICAL_ACTIONS", "ChemicalScenario"]

# A transport release's coordinates must lie this close to its road link (a typo guard).
SOURCE_ON_LINK_M = 500.0

# Orders that issue the authorities' warning to zones (each with or without an instruction).
ZONE_ORDERS = ("warn", "shelter_in_place", "evacuate")
# Every order the chemical model applies (models/chemical/run.py, docs/models/chemical.md).
CHEMICAL_ACTIONS = (*ZONE_ORDERS, "mobilize_team", "request_team", "close_road", "reopen_road")

Release = Annotated[ContinuousRelease | InstantaneousRelease | PoolRelease,
                    Field(discriminator="kind")]
Stability = Literal["A", "B", "C", "D", "E", "F"]


class ChemicalZone(ZoneBase):
    """A zone around the source; its centre is the receptor (ground level)."""


class SourceSection(StrictModel):
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    height_m: float = Field(default=0.0, ge=0, description="Release height above ground (m).")
    release: Release
    transport: bool = Field(default=False, description="A road-tanker accident (closes the "
                            "road; the enterprise team is absent).")
    link: str | None = Field(default=None, description="With [roads], for a transport release: "
                             "the road link the tanker lies across ('source-target' node ids); "
                             "it is closed to all traffic from the release on.")


class WeatherSpec(StrictModel):
    """A weather step from ``start`` on."""

    start: Duration = 0.0
    wind_speed_m_s: Uncertain = Field(description="Wind speed at 10 m (m/s); below 0.5 m/s "
                                      "is taken as 0.5 (calm-wind handling).")
    wind_from_deg: Uncertain = Field(description="Direction the wind blows FROM (degrees).")
    stability: Stability | None = Field(default=None, description="Pasquill class; default: "
                                        "from wind speed and insolation/night cloud.")
    insolation: Literal["strong", "moderate", "slight"] | None = None
    night_cloud: Literal["over_4_8", "under_3_8"] | None = None
    overcast: bool = False

    @field_validator("wind_speed_m_s")
    @classmethod
    def _speed(cls, value):
        if isinstance(value, int | float) and not (math.isfinite(value) and value >= 0):
            raise ValueError(f"wind speed must be a number >= 0 m/s, got {value!r}")
        return value

    @model_validator(mode="after")
    def _sky(self) -> WeatherSpec:
        if self.stability is None and (self.insolation is None) == (self.night_cloud is None):
            raise ValueError("give stability, or exactly one of insolation (day) and "
                             "night_cloud (night)")
        return self


class HazmatTeam(StrictModel):
    id: str = Field(min_length=1)
    type: Literal["fire_hazmat", "enterprise", "gas_rescue_base"] = "fire_hazmat"
    base_lon: float = Field(ge=-180, le=180)
    base_lat: float = Field(ge=-90, le=90)
    mobilization_delay: Duration = Field(default=5.0, description="Call-out to departure.")
    speed_kmh: float = Field(default=40.0, gt=0)
    setup: Duration = Field(default=15.0, description="Reconnaissance and set-up at the scene.")
    stop: Uncertain = Field(default=20.0, description="Minutes to stop the leak once set up.")


class Hospital(StrictModel):
    id: str = Field(min_length=1)
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    beds: int = Field(ge=0, description="Beds free for casualties.")


class ResponseSection(StrictModel):
    detectors: bool = Field(default=True, description="The site has gas detectors (a "
                            "transport release never has).")
    detector_delay: Duration = Field(default=5.0, description="Detectors raise the alarm "
                                     "after this.")
    public_call_delay: Duration = Field(default=20.0, description="A call from the public.")
    instruction: Literal["shelter", "evacuate"] = Field(
        default="shelter", description="What warned people are told to do.")
    evacuate_zones: list[str] = Field(default_factory=list, description="Zones told to "
                                      "evacuate when the instruction is to shelter.")
    hazmat_teams: list[HazmatTeam] = Field(default_factory=list)
    detour_factor: float = Field(default=1.3, ge=1)
    ambulances: int = Field(default=0, ge=0)
    patients_per_trip: int = Field(default=2, ge=1)
    ambulance_base_lon: float | None = None
    ambulance_base_lat: float | None = None
    ambulance_speed_kmh: float = Field(default=40.0, gt=0)
    handover: Duration = Field(default=15.0, description="Loading plus handover at hospital.")
    hospitals: list[Hospital] = Field(default_factory=list)
    closure_radius_m: float = Field(
        default=100.0, ge=0, description="With [roads]: the police cordon closes to the public "
        "every link passing within this distance of the source (0: no cordon). Default: the "
        "ERG's immediate isolation of at least 100 m in all directions (guides 124/125).")
    closure_delay: Duration = Field(default=15.0, description="Detection to the cordon being "
                                    "in place (assumption).")
    closure_clearance: Duration = Field(
        default=30.0, description="The cordon stays up this long after the release ends (air "
        "checks before reopening; assumption).")


# Sources of the [care] defaults (docs/models/chemical.md, "Care and outcome"):
# * Graniteville chlorine release, 2005 (Van Sickle et al., Am J Emerg Med 27 (2009) 1-7): of 71
#   people hospitalised 1 died in hospital (1.4 %), 25 (35 %) needed intensive care; 8 died
#   before reaching care. With care, immediate casualties die at ~1/25: m·(1 − e) ≈ 0.04.
# * CHEMM / WISER chlorine triage (US NLM): signs of pulmonary oedema typically appear 30-60 min
#   after a severe exposure and 2-4 h after a moderate one; symptomatic patients are admitted
#   and observed because lung injury may progress for hours.
# The untreated mortalities and the care efficacies themselves have no published figure we
# found: they are assumptions, drawn once per replication (stream "care").
def _share_or_number(value):
    if isinstance(value, int | float) and not 0.0 <= value <= 1.0:
        raise ValueError(f"must be a share in [0, 1], got {value!r}")
    return value


class TriageOutcome(StrictModel):
    """What happens to casualties of one triage category without care and with it
    (:class:`models.response.ems.Triage`; each field drawn once per replication)."""

    untreated_mortality: Uncertain = Field(description="Share who die without care (share; "
                                           "draws clipped to [0, 1]).")
    deterioration: Uncertain = Field(description="Mean minutes from injury to death without "
                                     "care (exponential; draws below 1 min taken as 1).")
    care_efficacy: Uncertain = Field(description="Share of those who would die whom care "
                                     "saves when it starts in time (share; clipped to [0, 1]).")

    @field_validator("untreated_mortality", "care_efficacy")
    @classmethod
    def _share(cls, value):
        return _share_or_number(value)

    @field_validator("deterioration")
    @classmethod
    def _minutes(cls, value):
        if isinstance(value, int | float) and not (math.isfinite(value) and value > 0):
            raise ValueError(f"must be a number of minutes > 0, got {value!r}")
        return value


class CareSection(StrictModel):
    """Triage categories of the injured and their outcome with and without care."""

    immediate: TriageOutcome = Field(
        default_factory=lambda: TriageOutcome(
            untreated_mortality={"triangular": [0.2, 0.4, 0.6]},
            deterioration={"triangular": [60.0, 120.0, 240.0]},
            care_efficacy={"triangular": [0.8, 0.9, 0.95]}),
        description="Red: survivors whose breathed air had a 60-min mean at or above AEGL-3 "
        "(60 min). Mortality untreated 0.2-0.6 (assumption); deterioration 60-240 min, mode "
        "120 (assumption after CHEMM: oedema 30-60 min after a severe exposure); efficacy "
        "0.8-0.95 (assumption, gives ~4 % treated mortality as among Graniteville's ICU "
        "patients).")
    delayed: TriageOutcome = Field(
        default_factory=lambda: TriageOutcome(
            untreated_mortality={"triangular": [0.01, 0.03, 0.08]},
            deterioration={"triangular": [120.0, 240.0, 480.0]},
            care_efficacy={"triangular": [0.8, 0.9, 0.95]}),
        description="Yellow: the other survivors above AEGL-2 (60 min). Mortality untreated "
        "0.01-0.08 (assumption); deterioration 120-480 min, mode 240 (assumption after CHEMM: "
        "oedema 2-4 h after a moderate exposure); efficacy 0.8-0.95 (assumption; Graniteville's "
        "in-hospital mortality was 1.4 %).")


class ExposureSection(StrictModel):
    indoor_share_day: Share = Field(default=0.8, description="Indoors by day (assumption).")
    indoor_share_night: Share = Field(default=0.95, description="Indoors at night (assumption).")
    normal_air_exchange_per_h: float = Field(
        default=1.0, gt=0, description="Windows as usual (assumption).")
    shelter_air_exchange_per_h: float = Field(
        default=0.5, gt=0, description="Doors and windows shut (0.2-1.0 /h for homes; 0.5 "
        "assumption, reference parameters).")
    evacuation_exposure: Duration = Field(
        default=20.0, description="Without [roads]: minutes outdoors in the zone's air while "
        "leaving, then out of the plume (assumption).")
    road_access: Duration = Field(
        default=5.0, description="With [roads]: minutes from acting to driving off (getting "
        "to the car), outdoors in the zone's air (assumption).")
    access_speed_kmh: float = Field(
        default=30.0, gt=0, description="With [roads]: evacuees' speed from the zone centre to "
        "its road node (straight line x response.detour_factor), in the zone's air "
        "(assumption, the flood model's evacuation speed).")
    people_per_vehicle: float = Field(default=2.5, gt=0, description="With [roads]: evacuees "
                                      "per car (assumption, as the flood model's).")


class ChemicalScenario(ScenarioBase):
    model: Literal["chemical"]
    start_hour: float = Field(default=2.0, ge=0, lt=24)
    time_step: Duration = Field(default=1.0, gt=0, description="Concentration time step.")
    cohort_step: Duration = Field(default=5.0, gt=0)
    urban: bool = Field(default=True, description="Briggs urban dispersion coefficients.")
    receptors_per_side: int = Field(
        default=3, ge=1, le=9, description="Receptor points per zone: an n x n grid over the "
        "zone's square (people spread evenly over them).")
    zones: list[ChemicalZone] = Field(min_length=1)
    source: SourceSection
    weather: list[WeatherSpec] = Field(min_length=1)
    warnings: WarningsSection
    response: ResponseSection = ResponseSection()
    exposure: ExposureSection = ExposureSection()
    care: CareSection = Field(default_factory=CareSection, description="Triage of the "
                              "injured and their outcome with and without care.")
    roads: RoadsSection | None = Field(default=None, description="Road network (the flood "
                                       "model's, without water): travel, closures, evacuation "
                                       "routes.")
    orders: OrdersSection | None = Field(default=None, description="Commanders' timed "
                                         "decisions (models/orders.py).")

    @model_validator(mode="after")
    def _references(self) -> ChemicalScenario:
        ids = [z.id for z in self.zones]
        problems = []
        if len(set(ids)) != len(ids):
            problems.append("zones: zone ids must be unique")
        for i, zone in enumerate(self.response.evacuate_zones):
            if zone not in ids:
                problems.append(f"response.evacuate_zones[{i}]: unknown zone {zone!r}")
        if self.source.release.substance.cas not in PROBITS:
            problems.append(f"source.release.chemical: no lethality probit for "
                            f"{self.source.release.chemical!r} (have chlorine, ammonia)")
        starts = [w.start for w in self.weather]
        if starts[0] != 0 or starts != sorted(starts):
            problems.append("weather: steps must start at 0 and be in time order")
        problems += self._road_problems()
        problems += [f"{path}: {message}" for path, message
                     in check_orders(self.orders, order_targets(self), self.horizon)]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _road_problems(self) -> list[str]:
        problems = []
        link = self.source.link
        if self.roads is None:
            if link is not None:
                problems.append("source.link: names a road link but the scenario has no [roads]")
            return problems
        # The flood model's zone fields tie roads to water; the chemical model has none.
        for i, node in enumerate(self.roads.nodes):
            if node.zone is not None:
                problems.append(f"roads.nodes[{i}].zone: the chemical model has no water "
                                f"on roads (leave zone out)")
        for i, road in enumerate(self.roads.links):
            if road.zone is not None:
                problems.append(f"roads.links[{i}].zone: the chemical model has no water "
                                f"on roads (leave zone out)")
        if link is None:
            return problems
        if not self.source.transport:
            problems.append("source.link: only a transport release lies on a road link (set "
                            "source.transport = true)")
        ends = link_ids(self.roads).get(link)
        if ends is None:
            problems.append(f"source.link: unknown road link {link!r} (links are named "
                            f"'source-target' by their node ids)")
            return problems
        nodes = {n.id: n for n in self.roads.nodes}
        away = float(segment_distances_m(self.source.lon, self.source.lat, [nodes[ends[0]]],
                                         [nodes[ends[1]]])[0])
        if away > SOURCE_ON_LINK_M:
            problems.append(f"source.link: link {link!r} passes {away:.0f} m from the source "
                            f"(source.lon, source.lat): put the source on it (within "
                            f"{SOURCE_ON_LINK_M:.0f} m)")
        return problems
