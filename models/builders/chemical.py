"""Generate the bundled chemical-release scenarios.

    python -m models.builders.chemical zhumadian-ammonia > models/scenarios/zhumadian-ammonia.toml
    python -m models.builders.chemical tanker-chlorine > models/scenarios/tanker-chlorine.toml

Zones are a regular grid of squares around the source (the rule is stated in each file); every
number not cited is an assumption, marked so in the file header. A test keeps the committed
files identical to this builder's output.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import tomli_w

__all__ = ["zhumadian_ammonia", "tanker_chlorine", "render"]

# 2020 census, Zhumadian city-wide age shares (shared/data/README.md).
SHARE_CHILDREN, SHARE_ELDERLY = 0.251, 0.198


def _grid(lon: float, lat: float, cells: int, size_m: float, density_per_km2: float,
          multistorey: float, prefix: str) -> list[dict[str, Any]]:
    """``cells`` x ``cells`` square zones of side ``size_m`` centred on (lon, lat)."""
    zones = []
    half = (cells - 1) / 2
    area = (size_m / 1000) ** 2
    people = round(density_per_km2 * area)
    for row in range(cells):
        for col in range(cells):
            east, north = (col - half) * size_m, (row - half) * size_m
            zones.append(dict(
                id=f"{prefix}-{row:02d}-{col:02d}",
                lon=round(lon + east / (111_320 * math.cos(math.radians(lat))), 5),
                lat=round(lat + north / 111_320, 5), area_km2=round(area, 4),
                population_night=people, population_day=round(people * 0.8),
                share_children=SHARE_CHILDREN, share_elderly=SHARE_ELDERLY,
                share_multistorey=multistorey))
    return zones


def _warnings(night_reach: float) -> dict[str, Any]:
    return {
        "identification_delay": "5min", "communication_delay": "5min",
        "issuance": {"median": "10min", "shape": 1.2, "uncertainty": 0.5},
        "protective_action": {"median": "10min", "shape": 1.0, "uncertainty": 0.5},
        "never_act": 0.1,
        "channels": [
            {"name": "cell broadcast / SMS", "reach_day": 0.85, "reach_night": night_reach,
             "delay": {"median": "5min", "shape": 1.0, "uncertainty": 0.5}},
            {"name": "sirens and loudspeakers", "reach_day": 0.7, "reach_night": 0.5,
             "delay": {"median": "5min", "shape": 1.5, "uncertainty": 0.5}},
            {"name": "word of mouth", "reach_day": 0.4, "reach_night": 0.2,
             "delay": {"median": "20min", "shape": 1.5, "uncertainty": 0.5}},
        ],
        "door_to_door": {"workers": 120, "households_per_hour": 20.0, "start_delay": "15min"},
    }


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (round(lon + east_m / (111_320 * math.cos(math.radians(lat))), 5),
            round(lat + north_m / 111_320, 5))


def _road(source: str, target: str, speed_kmh: float, capacity_vph: float) -> dict[str, Any]:
    return {"source": source, "target": target, "speed_kmh": speed_kmh,
            "capacity_vph": capacity_vph}


def _urban_grid(lon: float, lat: float) -> dict[str, Any]:
    """8 x 8 street nodes 800 m apart around (lon, lat), which sits in the middle of a block:
    arterials (50 km/h, two lanes) on lines 1, 3, 4 and 6, streets (30 km/h, one lane) on the
    others. Node ids r<row>c<col>, rows from south to north."""
    n, spacing, arterial = 8, 800.0, {1, 3, 4, 6}
    half = (n - 1) / 2
    nodes = []
    for row in range(n):
        for col in range(n):
            x, y = _offset(lon, lat, (col - half) * spacing, (row - half) * spacing)
            nodes.append({"id": f"r{row}c{col}", "lon": x, "lat": y})
    links = []
    for row in range(n):
        for col in range(n):
            if col + 1 < n:   # east-west, along row `row`
                fast = row in arterial
                links.append(_road(f"r{row}c{col}", f"r{row}c{col + 1}", 50.0 if fast else 30.0,
                                   3600.0 if fast else 1800.0))
            if row + 1 < n:   # north-south, along column `col`
                fast = col in arterial
                links.append(_road(f"r{row}c{col}", f"r{row + 1}c{col}", 50.0 if fast else 30.0,
                                   3600.0 if fast else 1800.0))
    return {"nodes": nodes, "links": links}


def _county_roads() -> dict[str, Any]:
    """The expressway past the Suiping county town (north-south through the source at
    114.04 E) with its two interchanges, the town's streets, villages along the expressway and
    the county roads east of it; the county road from the town passes under the expressway
    right at the source, between Li village and Dong village."""
    nodes = [
        ("g4_zmd", 114.040, 32.995),   # expressway at Zhumadian city
        ("g4_ics", 114.040, 33.142),   # Suiping south interchange
        ("g4_icn", 114.040, 33.178),   # Suiping north interchange
        ("g4_n", 114.040, 33.210),
        ("town_c", 114.010, 33.150),   # town centre: fire station, hospital, ambulances
        ("town_n", 114.010, 33.172),
        ("town_s", 114.010, 33.132),
        ("town_w", 113.985, 33.150),
        ("town_e", 114.020, 33.155),
        ("west", 113.950, 33.150),     # county road west (towards Xiping)
        ("wang", 114.030, 33.170),     # villages along the expressway, west side
        ("li", 114.030, 33.160),
        ("zhao", 114.030, 33.148),
        ("dong", 114.052, 33.160),     # east side
        ("vil_e", 114.068, 33.160),
        ("vil_ne", 114.065, 33.182),
        ("vil_se", 114.065, 33.138),
    ]
    expressway, county, street = (100.0, 3600.0), (60.0, 1800.0), (40.0, 1800.0)
    links = [
        ("g4_zmd", "g4_ics", expressway), ("g4_ics", "g4_icn", expressway),
        ("g4_icn", "g4_n", expressway),
        ("town_c", "town_n", street), ("town_c", "town_s", street),
        ("town_c", "town_w", street), ("town_c", "town_e", street),
        ("town_n", "g4_icn", county), ("town_s", "g4_ics", county),
        ("town_w", "west", county),
        ("wang", "li", street), ("li", "zhao", street),
        ("wang", "g4_icn", street), ("zhao", "g4_ics", street),
        ("town_e", "li", county), ("li", "dong", county), ("dong", "vil_e", county),
        ("g4_icn", "vil_ne", county), ("vil_ne", "vil_e", county),
        ("vil_e", "vil_se", county), ("vil_se", "g4_ics", county),
    ]
    return {"nodes": [{"id": i, "lon": x, "lat": y} for i, x, y in nodes],
            "links": [_road(a, b, *kind) for a, b, kind in links]}


def zhumadian_ammonia() -> dict[str, Any]:
    lon, lat = 114.03, 32.98   # a cold-storage plant in Yicheng District (approximate)
    return {
        "schema_version": 1, "name": "zhumadian-ammonia",
        "title": "Zhumadian: liquid-ammonia release at a cold-storage plant in Yicheng District",
        "description": ("A refrigeration line ruptures at a cold-storage plant in the urban "
                        "district at night; 15 x 15 urban zones of 400 m around it, a street "
                        "grid of 800 m blocks with the plant in the middle of one; the police "
                        "cordon the block. Set start_hour = 14 for the day-time variant."),
        "model": "chemical", "horizon": "4h", "report_every": "5min", "seed": 2022,
        "start_hour": 2.0, "time_step": "1min", "cohort_step": "5min", "urban": True,
        "receptors_per_side": 3,
        "zones": _grid(lon, lat, 15, 400.0, 12000.0, 0.8, "yc"),
        "source": {"name": "Cold-storage plant (liquid ammonia refrigeration)", "lon": lon,
                   "lat": lat, "height_m": 3.0,
                   "release": {"kind": "continuous", "chemical": "ammonia", "rate_kg_s": 8.0,
                               "duration": "1h", "inventory_kg": 15000.0}},
        "weather": [
            {"start": 0, "wind_speed_m_s": {"triangular": [1.0, 2.0, 3.5]},
             "wind_from_deg": {"uniform": [0.0, 360.0]}, "night_cloud": "under_3_8"},
            {"start": "2h", "wind_speed_m_s": {"triangular": [1.5, 2.5, 4.0]},
             "wind_from_deg": {"uniform": [0.0, 360.0]}, "night_cloud": "over_4_8"},
        ],
        "warnings": _warnings(0.5),
        "response": {
            "detector_delay": "3min", "public_call_delay": "15min", "instruction": "shelter",
            "ambulances": 20, "patients_per_trip": 2,
            "ambulance_base_lon": 114.02, "ambulance_base_lat": 32.99,
            "closure_radius_m": 500.0, "closure_delay": "15min", "closure_clearance": "30min",
            "hazmat_teams": [
                {"id": "plant-team", "type": "enterprise", "base_lon": lon + 0.0005,
                 "base_lat": lat, "mobilization_delay": "5min", "setup": "10min",
                 "stop": {"triangular": [15.0, 30.0, 60.0]}},
                {"id": "yicheng-fire-hazmat", "type": "fire_hazmat", "base_lon": 114.05,
                 "base_lat": 32.99, "mobilization_delay": "3min", "setup": "15min",
                 "stop": {"triangular": [10.0, 20.0, 40.0]}},
            ],
            "hospitals": [
                {"id": "central-hospital", "name": "Zhumadian Central Hospital", "lon": 114.02,
                 "lat": 32.98, "beds": 150},
                {"id": "second-hospital", "lon": 114.06, "lat": 33.00, "beds": 80},
                {"id": "tcm-hospital", "lon": 113.99, "lat": 32.97, "beds": 60},
            ],
        },
        "roads": _urban_grid(lon, lat),
    }


def tanker_chlorine() -> dict[str, Any]:
    lon, lat = 114.04, 33.16   # an expressway link by the Suiping county town (approximate)
    return {
        "schema_version": 1, "name": "tanker-chlorine",
        "title": "Chlorine road-tanker rollover on an expressway next to a county town",
        "description": ("An Anshan-style transport accident: a 20 t liquid-chlorine tanker "
                        "overturns on the expressway beside a county town and leaks from a "
                        "valve, lying across the expressway between the town's two "
                        "interchanges; 11 x 11 zones of 500 m around it. The expressway link "
                        "is closed by the tanker; the police cordon (1 km) closes the county "
                        "road passing under the expressway at the tanker and the roads of the "
                        "village beside it: traffic detours by the interchanges and the "
                        "town."),
        "model": "chemical", "horizon": "4h", "report_every": "5min", "seed": 722,
        "start_hour": 15.0, "time_step": "1min", "cohort_step": "5min", "urban": False,
        "receptors_per_side": 3,
        "zones": _grid(lon, lat, 11, 500.0, 4000.0, 0.5, "sp"),
        "source": {"name": "Overturned chlorine tanker", "lon": lon, "lat": lat,
                   "height_m": 1.0, "transport": True, "link": "g4_ics-g4_icn",
                   "release": {"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 5.0,
                               "duration": "2h", "inventory_kg": 20000.0}},
        "weather": [
            {"start": 0, "wind_speed_m_s": {"triangular": [2.0, 3.0, 5.0]},
             "wind_from_deg": {"triangular": [60.0, 90.0, 120.0]}, "insolation": "moderate"},
        ],
        "warnings": _warnings(0.6),
        "response": {
            "detectors": False, "public_call_delay": "10min", "instruction": "shelter",
            "ambulances": 8, "patients_per_trip": 2,
            "ambulance_base_lon": 114.01, "ambulance_base_lat": 33.15,
            "closure_radius_m": 1000.0, "closure_delay": "20min", "closure_clearance": "1h",
            "hazmat_teams": [
                {"id": "suiping-fire-hazmat", "type": "fire_hazmat", "base_lon": 114.01,
                 "base_lat": 33.15, "mobilization_delay": "5min", "setup": "20min",
                 "stop": {"triangular": [20.0, 40.0, 90.0]}},
                {"id": "city-hazmat", "type": "fire_hazmat", "base_lon": 114.05,
                 "base_lat": 32.99, "mobilization_delay": "5min", "speed_kmh": 60.0,
                 "setup": "15min", "stop": {"triangular": [15.0, 30.0, 60.0]}},
            ],
            "hospitals": [
                {"id": "suiping-hospital", "lon": 114.01, "lat": 33.15, "beds": 60},
                {"id": "central-hospital", "lon": 114.02, "lat": 32.98, "beds": 150},
            ],
        },
        "roads": _county_roads(),
    }


HEADER = """\
# {name} — GENERATED by `python -m models.builders.chemical {name}`; edit the builder, not this
# file (a test checks they agree).
#
# Zones: a regular grid of square zones around the source (the rule); population density,
# building heights, release size, weather, warning reach, team positions, ambulances, hospital
# beds, the road network (a schematic street grid or expressway and county roads, not surveyed
# roads) and the cordon's radius and timing are assumptions (marked here once for all), not
# data about real places.
# Chemical properties come from the `chemicals` package; AEGLs and probits from the reference
# parameters (docs/models/chemical-physics.md).
"""

BUILDERS = {"zhumadian-ammonia": zhumadian_ammonia, "tanker-chlorine": tanker_chlorine}


def render(name: str) -> str:
    return HEADER.format(name=name) + "\n" + tomli_w.dumps(BUILDERS[name](),
                                                           multiline_strings=True)


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in BUILDERS:
        sys.exit(f"usage: python -m models.builders.chemical {{{','.join(BUILDERS)}}}")
    sys.stdout.write(render(sys.argv[1]))


if __name__ == "__main__":
    main()
