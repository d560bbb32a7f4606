"""Generate the bundled ``zhumadian-flood`` scenario from ``zhumadian_counties.csv``.

    python -m models.builders.zhumadian > models/scenarios/zhumadian-flood.toml

The CSV (copied from the project's shared data) gives each county-level division's seat position
and approximate population. Everything else here is a stated rule or an assumption; the header of
the generated file repeats them so a user can replace them with real township data. A test keeps
the committed TOML identical to this builder's output.
"""

from __future__ import annotations

import csv
import math
import sys
from importlib import resources
from typing import Any

import tomli_w

__all__ = ["build", "render"]

# 2020 census, city-wide (shared/data/README.md): 25.1 % aged 0-14, 19.8 % aged 60+.
SHARE_CHILDREN = 0.251
SHARE_ELDERLY = 0.198
CITY_AREA_KM2 = 15083.0

# Assumptions per county: ground elevation of the seat (m a.s.l., rounded from topographic maps:
# hills in the west, the Huang-Huai plain in the east), flood peak rise above the reach's normal
# stage (m: low/mode/high) and hours to the peak (upstream reaches peak first).
COUNTY = {
    "Yicheng District": dict(gauge="ru-yicheng", river="Lian River (Ru tributary)", base=78.0,
                             rise=(2.0, 3.0, 4.5), peak_h=(20, 26, 34)),
    "Xiping County": dict(gauge="hong-xiping", river="Hong River", base=58.0,
                          rise=(2.5, 3.5, 5.0), peak_h=(24, 30, 40)),
    "Shangcai County": dict(gauge="hong-shangcai", river="Hong River", base=50.0,
                            rise=(2.5, 3.5, 5.0), peak_h=(30, 38, 48)),
    "Pingyu County": dict(gauge="hong-pingyu", river="Hong River", base=42.0,
                          rise=(3.0, 4.0, 5.5), peak_h=(36, 44, 56)),
    "Zhengyang County": dict(gauge="huai-zhengyang", river="Ru/Huai River", base=44.0,
                             rise=(2.5, 3.5, 5.0), peak_h=(36, 46, 60)),
    "Queshan County": dict(gauge="ru-queshan", river="Ru River tributaries", base=88.0,
                           rise=(1.5, 2.5, 3.5), peak_h=(18, 24, 30)),
    "Biyang County": dict(gauge="ru-biyang", river="upper Ru River", base=125.0,
                          rise=(1.5, 2.5, 3.5), peak_h=(14, 20, 26)),
    "Runan County": dict(gauge="ru-runan", river="Ru River", base=46.0,
                         rise=(3.0, 4.0, 5.5), peak_h=(30, 38, 48)),
    "Suiping County": dict(gauge="ru-suiping", river="Ru River", base=62.0,
                           rise=(2.5, 3.5, 5.0), peak_h=(20, 26, 34)),
    "Xincai County": dict(gauge="hong-xincai", river="Hong/Ru confluence", base=36.0,
                          rise=(3.0, 4.5, 6.0), peak_h=(42, 52, 66)),
}

# Ring of ten township zones around each seat: terrain class by position on the ring (a stylised
# rule, assumption): three riverside lowlands behind 2 m levees, five plains, two uplands.
RING = [("lowland", 1.0, 2.0), ("lowland", 1.5, 2.0), ("lowland", 2.0, 2.0),
        ("plain", 3.5, 0.0), ("plain", 4.0, 0.0), ("plain", 4.5, 0.0), ("plain", 5.0, 0.0),
        ("plain", 5.5, 0.0), ("upland", 10.0, 0.0), ("upland", 15.0, 0.0)]
CORE_SHARE = {"Yicheng District": 0.6}   # the city proper; 0.3 elsewhere (assumption)
RING_KM = {"Yicheng District": 10.0}     # 15 km elsewhere (assumption)


def _offset(lon: float, lat: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """Point ``km`` from (lon, lat) along ``bearing_deg`` (flat-earth, fine at these scales)."""
    b = math.radians(bearing_deg)
    dlat = km * math.cos(b) / 111.32
    dlon = km * math.sin(b) / (111.32 * math.cos(math.radians(lat)))
    return round(lon + dlon, 4), round(lat + dlat, 4)


def _counties() -> list[dict[str, Any]]:
    path = resources.files("models.builders") / "zhumadian_counties.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build() -> dict[str, Any]:
    """The scenario as a dict (TOML-serialisable)."""
    counties = _counties()
    total = sum(int(c["population_est"]) for c in counties)
    zones, gauges, shelters, teams, depots = [], [], [], [], []
    for c in counties:
        name, info = c["name_en"], COUNTY[c["name_en"]]
        key = name.split()[0].lower()
        lon, lat, people = float(c["seat_lon"]), float(c["seat_lat"]), int(c["population_est"])
        area = CITY_AREA_KM2 * people / total
        core_share = CORE_SHARE.get(name, 0.3)
        core_people = round(people * core_share)
        base = info["base"]
        zones.append(dict(
            id=f"{key}-core", name=f"{c['name_zh']} 城区 ({name} urban core)", lon=lon, lat=lat,
            area_km2=round(min(120.0, area * 0.05), 1), population_night=core_people,
            population_day=core_people, share_children=SHARE_CHILDREN,
            share_elderly=SHARE_ELDERLY, share_multistorey=0.75,
            ground_elevation_m=base + 5.0, protection_m=3.0, gauge=info["gauge"]))
        ring_people = people - core_people
        ring_area = (area - zones[-1]["area_km2"]) / len(RING)
        for k, (terrain, height, levee) in enumerate(RING):
            zlon, zlat = _offset(lon, lat, RING_KM.get(name, 15.0), 36.0 * k + 18.0)
            n = ring_people // len(RING) + (1 if k < ring_people % len(RING) else 0)
            zones.append(dict(
                id=f"{key}-{k + 1:02d}", name=f"{c['name_zh']} {terrain} township {k + 1}",
                lon=zlon, lat=zlat, area_km2=round(ring_area, 1), population_night=n,
                share_children=SHARE_CHILDREN, share_elderly=SHARE_ELDERLY,
                share_multistorey=0.5, ground_elevation_m=base + height, protection_m=levee,
                gauge=info["gauge"]))
        low, mode, high = info["rise"]
        t_low, t_mode, t_high = info["peak_h"]
        gauges.append(dict(
            id=info["gauge"], name=f"{info['river']} at {name.split()[0]}", lon=lon, lat=lat,
            base_stage_m=base, peak_stage_m={"triangular": [base + low, base + mode, base + high]},
            time_to_peak_h={"triangular": [float(t_low), float(t_mode), float(t_high)]},
            duration_h={"triangular": [72.0, 96.0, 120.0]}, warning_stage_m=base + 2.5,
            forecast_lead_h=6.0))
        # Shelters: one at each county seat (the city's class-I shelter in Yicheng), one more in
        # an upland township of each county, and a third in the two most populous (22 in all,
        # as the plan reports). Capacity and area: assumptions (2.5 m² per place).
        slon, slat = _offset(lon, lat, 3.0, 0.0)
        capacity = 20000 if key == "yicheng" else 5000
        shelters.append(dict(id=f"{key}-seat-shelter", name=f"{c['name_zh']} seat shelter",
                             lon=slon, lat=slat, capacity=capacity, area_m2=capacity * 2.5,
                             opening_delay="2h"))
        ulon, ulat = zones[-1]["lon"], zones[-1]["lat"]
        shelters.append(dict(id=f"{key}-upland-shelter", name=f"{c['name_zh']} upland school",
                             lon=ulon, lat=ulat, capacity=1500, area_m2=1500 * 2.5,
                             opening_delay="3h"))
        if key in ("shangcai", "xincai"):
            plon, plat = zones[-3]["lon"], zones[-3]["lat"]
            shelters.append(dict(id=f"{key}-plain-shelter", name=f"{c['name_zh']} plain school",
                                 lon=plon, lat=plat, capacity=1500, area_m2=1500 * 2.5,
                                 opening_delay="3h"))
        # Reserve network (plan §三(六)2: city and county depots, township points). Stocks and
        # fleets are assumptions; the city depot doubles as Yicheng's county depot.
        dlon, dlat = _offset(lon, lat, 4.0, 180.0)
        if key == "yicheng":
            depots.append(dict(id="city-depot", name="Zhumadian city reserve depot",
                               level="city", lon=dlon, lat=dlat, parent="henan-depot",
                               stock=dict(water=300000.0, food=60000.0, bedding=20000.0),
                               opening_delay="2h", fleet=dict(trucks=20)))
        else:
            depots.append(dict(id=f"{key}-depot", name=f"{c['name_zh']} county reserve depot",
                               level="county", lon=dlon, lat=dlat, parent="city-depot",
                               stock=dict(water=60000.0, food=12000.0, bedding=5000.0),
                               opening_delay="2h", fleet=dict(trucks=6)))
        depots.append(dict(id=f"{key}-point", name=f"{c['name_zh']} township supply point",
                           level="township", lon=ulon, lat=ulat,
                           parent="city-depot" if key == "yicheng" else f"{key}-depot",
                           stock=dict(water=5000.0, food=1000.0, bedding=500.0),
                           opening_delay="1h",
                           fleet=dict(trucks=2, capacity_kg=3000.0, capacity_m3=15.0)))
        # Rescue forces today (29 teams, plan §一): a fire-rescue station and a comprehensive
        # team per county, the city team in Yicheng, social teams in nine counties.
        blon, blat = _offset(lon, lat, 2.0, 90.0)
        teams.append(dict(id=f"{key}-fire", type="fire_rescue", base_lon=blon, base_lat=blat,
                          count=2, crew=8, people_per_trip=8, mobilization_delay="30min",
                          shifts=2))
        if key == "yicheng":
            teams.append(dict(id="city-team", type="comprehensive_city", base_lon=blon,
                              base_lat=blat, count=10, crew=10, people_per_trip=6,
                              mobilization_delay="1h", shifts=2))
        else:
            teams.append(dict(id=f"{key}-county-team", type="comprehensive_county",
                              base_lon=blon, base_lat=blat, count=4, crew=10,
                              people_per_trip=6, mobilization_delay="1h30min", shifts=2))
            teams.append(dict(id=f"{key}-social", type="social", base_lon=blon, base_lat=blat,
                              count=2, crew=6, people_per_trip=4, mobilization_delay="2h"))
        # Planned capabilities, at zero size today (experiment options switch them on): a
        # township team by the riverside lowlands (plan: >= 20 people per township) and one
        # more comprehensive shelter per county (plan §四(二)).
        llon, llat = zones[-len(RING)]["lon"], zones[-len(RING)]["lat"]
        teams.append(dict(id=f"{key}-township-teams", type="comprehensive_township",
                          base_lon=llon, base_lat=llat, count=0, crew=5, people_per_trip=4,
                          mobilization_delay="30min"))
        plon, plat = zones[-5]["lon"], zones[-5]["lat"]
        shelters.append(dict(id=f"{key}-planned-shelter", name=f"{c['name_zh']} planned shelter",
                             lon=plon, lat=plat, capacity=0, area_m2=1.0, opening_delay="2h"))
    seat = next(c for c in counties if c["name_en"] == "Yicheng District")
    stage_lon, stage_lat = float(seat["seat_lon"]), float(seat["seat_lat"])
    teams.append(dict(id="provincial-mutual-aid", type="water_rescue", base_lon=stage_lon,
                      base_lat=stage_lat, count=20, crew=10, people_per_trip=8,
                      mobilization_delay="30min", available_from="12h", shifts=2))
    teams.append(dict(id="pla-mutual-aid", type="military", base_lon=stage_lon,
                      base_lat=stage_lat, count=30, crew=12, people_per_trip=8,
                      mobilization_delay="30min", available_from="24h", shifts=2))
    # Planned: the aviation rescue centre at Pingyu general airport (plan §四), zero today.
    teams.append(dict(id="pingyu-aviation", type="helicopter", mode="helicopter",
                      base_lon=114.63, base_lat=32.93, count=0, crew=4, people_per_trip=10,
                      air_speed_kmh=220.0, mobilization_delay="45min", minutes_per_person=2.0,
                      shifts=2))
    depots.insert(0, dict(id="henan-depot", name="Henan provincial reserve depot (Zhengzhou)",
                          level="province", lon=113.65, lat=34.75,
                          stock=dict(water=2000000.0, food=400000.0, bedding=100000.0),
                          opening_delay="4h", fleet=dict(trucks=40, speed_kmh=60.0)))
    return {
        "schema_version": 1,
        "name": "zhumadian-flood",
        "title": "Zhumadian (Henan): extreme multi-day rainfall flood on the Ru and Hong rivers",
        "description": DESCRIPTION.strip(),
        "model": "flood",
        "horizon": "96h",
        "report_every": "1h",
        "seed": 19750805,
        "start_hour": 20.0,
        "cohort_step": "1h",
        "zones": zones,
        "hazard": {
            "time_step": "20min",
            "froude": 0.12,
            "gauges": gauges,
            "breaches": [
                # Levee breaches in three lowlands (chances and stages: assumptions).
                {"zone": "runan-01", "probability": 0.3, "at_stage_m": 46.0 + 2.8,
                 "froude": 0.25},
                {"zone": "xincai-02", "probability": 0.3, "at_stage_m": 36.0 + 3.2,
                 "froude": 0.25},
                {"zone": "pingyu-03", "probability": 0.2, "at_stage_m": 42.0 + 3.6,
                 "froude": 0.25},
            ],
            "dam_break": {
                "name": "Banqiao reservoir (板桥水库), approximate position",
                "lon": 113.62, "lat": 32.98, "probability": 0.0,
                "failure_time_h": {"triangular": [40.0, 54.0, 66.0]},
                "peak_depth_m": {"triangular": [5.0, 7.0, 9.0]},
                "celerity_m_s": {"triangular": [2.0, 3.0, 4.0]},
                "attenuation_km": 40.0, "duration_h": 18.0, "max_distance_km": 120.0,
            },
        },
        "warnings": {
            "identification_delay": "30min",
            "communication_delay": "20min",
            "issuance": {"median": "1h", "shape": 1.2, "uncertainty": 0.5},
            "protective_action": {"median": "45min", "shape": 1.0, "uncertainty": 0.5},
            "never_act": 0.1,
            "channels": [
                {"name": "cell broadcast / SMS", "reach_day": 0.85, "reach_night": 0.6,
                 "delay": {"median": "10min", "shape": 1.0, "uncertainty": 0.5}},
                {"name": "TV and radio", "reach_day": 0.3, "reach_night": 0.05,
                 "delay": {"median": "30min", "shape": 1.0, "uncertainty": 0.5}},
                {"name": "village loudspeakers (乡村大喇叭)", "reach_day": 0.6,
                 "reach_night": 0.4, "delay": {"median": "20min", "shape": 1.5,
                                               "uncertainty": 0.5}},
                {"name": "word of mouth", "reach_day": 0.5, "reach_night": 0.3,
                 "delay": {"median": "1h", "shape": 1.5, "uncertainty": 0.5}},
            ],
            "door_to_door": {"workers": 3365, "households_per_hour": 12.0,
                             "start_delay": "30min", "uncertainty": 0.3},
        },
        "evacuation": {"public_shelter": 0.35, "vertical_refuge": 0.5},
        "shelters": shelters,
        "supplies": {
            "policy": "fcfs",
            "kit_share": 0.95,
            "target_hours": 10.0,
            "items": [
                {"id": "water", "name": "Drinking water", "unit": "L", "kg_per_unit": 1.0,
                 "m3_per_unit": 0.001, "per_person_per_day": 15.0,
                 "source": "Sphere Handbook: 15 L per person per day"},
                {"id": "food", "name": "Food ration (2,100 kcal)", "unit": "ration",
                 "kg_per_unit": 0.6, "m3_per_unit": 0.0015, "per_person_per_day": 1.0,
                 "source": "Sphere Handbook: 2,100 kcal per person per day"},
                {"id": "bedding", "name": "Quilt and mat", "unit": "set", "kg_per_unit": 3.0,
                 "m3_per_unit": 0.03, "per_person_once": 1.0,
                 "source": "assumption: one set per person"},
            ],
            "depots": depots,
            # Agreement reserves (协议储备) with local suppliers, delivering into the city depot
            # (rates, caps, activation: assumptions).
            "agreements": [
                {"id": "water-bottler", "supplier": "Zhumadian bottled-water plants",
                 "depot": "city-depot",
                 "activation_delay": {"triangular": [4.0, 6.0, 10.0]},
                 "rate_per_hour": {"water": 40000.0}, "cap": {"water": 1500000.0}},
                {"id": "food-company", "supplier": "Grain and food companies",
                 "depot": "city-depot",
                 "activation_delay": {"triangular": [4.0, 8.0, 12.0]},
                 "rate_per_hour": {"food": 8000.0}, "cap": {"food": 300000.0}},
                {"id": "bedding-maker", "supplier": "Textile companies",
                 "depot": "city-depot",
                 "activation_delay": {"triangular": [6.0, 10.0, 16.0]},
                 "rate_per_hour": {"bedding": 1500.0}, "cap": {"bedding": 50000.0}},
            ],
            "donations": [
                {"depot": "city-depot", "arrival_h": {"triangular": [24.0, 36.0, 60.0]},
                 "items": {"water": 500000.0, "food": 100000.0, "bedding": 30000.0}},
            ],
        },
        "rescue": {"people_per_request": 60, "call_delay": "30min", "rescue_depth_m": 0.5,
                   "teams": teams},
    }


DESCRIPTION = """
Zhumadian city, Henan: one district and nine counties, 7.0 million residents (2020 census,
shared out by each county's earlier population share), under an extreme multi-day rainfall flood
like those of August 1975 and July 2021. Zones: each county-level division is split into an
urban core at its seat and ten township zones on a ring around it (three riverside lowlands
behind levees, five plains, two uplands): 110 zones. Rivers: one gauge per county reach of the
Ru, Hong and Huai systems, peaks later downstream, uncertain peak stage and timing. Forces today
(plan §一): 29 rescue teams (fire-rescue, county and city comprehensive, social), 22 shelters,
3,365 disaster-information officers; provincial and PLA mutual aid after 12 h and 24 h. The
Banqiao dam-break wave is included with probability 0 (set hazard.dam_break.probability to study
it). Every number not from the census or the plan is an assumption: see the file header.
"""

HEADER = """\
# zhumadian-flood — GENERATED by `python -m models.builders.zhumadian`; edit the builder, not
# this file (a test checks they agree).
#
# Sources: shared/data/zhumadian_counties.csv (seat positions, population = 2020 census total
# shared out by an earlier county table); 2020 census age shares (25.1 % aged 0-14, 19.8 % aged
# 60+, city-wide, applied to every zone); Zhumadian 14th Five-Year emergency plan (29 rescue
# teams, 22 shelters, 3,365 information officers).
#
# Zone rule: each county-level division -> 1 urban core at the seat (30 % of its people, 60 % in
# Yicheng District; 75 % in multi-storey buildings; ground 5 m above the county base; 3 m
# levees) + 10 township zones on a ring 15 km (Yicheng 10 km) around the seat, sharing the rest
# equally (50 % multi-storey): 3 riverside lowlands 1-2 m above the county base behind 2 m
# levees, 5 plains 3.5-5.5 m above, 2 uplands 10 and 15 m above. County areas: the city's 15,083 km²
# shared by population (assumption). County base elevations, peak rises and times: assumptions
# (builder's COUNTY table). Which ring positions are lowland is stylised: replace the zones with
# real township data when you have it.
#
# Supplies: items after Sphere (15 L water, one 2,100 kcal ration a day) plus a bedding set;
# reserve network province (Zhengzhou) -> city -> county -> township points; stocks, fleets,
# agreement rates/caps/activation and the donation are assumptions. Capability options for
# experiments: "expand a county depot by 4,000 m²" (Anshan plan project; e.g. +200,000 L water,
# +40,000 rations, +15,000 bedding sets in one county depot) and "agreement reserves sized for
# the 10 h target" (faster activation, higher rates).
#
# Other assumptions: warning channel reach and delays, protective-action delays, shelter
# capacities (2.5 m² per place, below Sphere's 3.5), team units and boats, two crews per unit
# for professional teams (social teams rest), mutual-aid timing, levee breach chances. All are
# inputs: change them here or with --set.
"""


def render() -> str:
    """The scenario file's text: header comment, then the TOML body."""
    return HEADER + "\n" + tomli_w.dumps(build(), multiline_strings=True)


def options_spec() -> dict[str, Any]:
    """The bundled experiment ``zhumadian-capability-options``: today's forces against the
    plan's capability projects, under flood and behaviour uncertainty. List positions in the
    override paths are looked up by id here, so they stay right when the scenario changes."""
    scenario = build()
    team = {t["id"]: k for k, t in enumerate(scenario["rescue"]["teams"])}
    shelter = {s["id"]: k for k, s in enumerate(scenario["shelters"])}
    gauge = {g["id"]: k for k, g in enumerate(scenario["hazard"]["gauges"])}
    depot = {d["id"]: k for k, d in enumerate(scenario["supplies"]["depots"])}
    agreement = {a["id"]: k for k, a in enumerate(scenario["supplies"]["agreements"])}
    channel = {c["name"]: k for k, c in enumerate(scenario["warnings"]["channels"])}
    keys = [c["name_en"].split()[0].lower() for c in _counties()]
    teams = {f"rescue.teams.{team[f'{k}-county-team']}.count": 5 for k in keys if k != "yicheng"}
    teams |= {f"rescue.teams.{team[f'{k}-township-teams']}.count": 4 for k in keys}
    loud, cell = channel["village loudspeakers (乡村大喇叭)"], channel["cell broadcast / SMS"]
    warning = {f"warnings.channels.{loud}.reach_day": 0.9,
               f"warnings.channels.{loud}.reach_night": 0.75,
               f"warnings.channels.{cell}.reach_night": 0.8}
    shelters = {}
    for k in keys:
        index = shelter[f"{k}-planned-shelter"]
        shelters[f"shelters.{index}.capacity"] = 10000
        shelters[f"shelters.{index}.area_m2"] = 35000.0
    supplies = {f"supplies.agreements.{agreement[a]}.activation_delay": 2.0
                for a in ("water-bottler", "food-company", "bedding-maker")}
    supplies |= {f"supplies.agreements.{agreement['water-bottler']}.rate_per_hour.water": 80000.0,
                 f"supplies.agreements.{agreement['food-company']}.rate_per_hour.food": 16000.0,
                 f"supplies.agreements.{agreement['bedding-maker']}.rate_per_hour.bedding":
                     3000.0,
                 f"supplies.depots.{depot['xincai-depot']}.stock.water": 260000.0,
                 f"supplies.depots.{depot['xincai-depot']}.stock.food": 52000.0,
                 f"supplies.depots.{depot['xincai-depot']}.stock.bedding": 20000.0}
    aviation = {f"rescue.teams.{team['pingyu-aviation']}.count": 4}
    peak = {g: scenario["hazard"]["gauges"][gauge[g]]["peak_stage_m"]["triangular"]
            for g in ("ru-runan", "hong-xincai", "hong-pingyu")}
    return {
        "schema_version": 1,
        "name": "zhumadian-capability-options",
        "title": "Zhumadian: which capability projects move which plan targets",
        "description": OPTIONS_DESCRIPTION.strip(),
        "base": "zhumadian-flood",
        "replications": 20,
        "design": "lhs",
        "root_seed": 20221,
        "chunk_size": 5,
        "years": 10.0,
        "uncertainties": [
            *[{"path": f"hazard.gauges.{gauge[g]}.peak_stage_m", "label": f"peak stage {g}",
               "distribution": {"triangular": peak[g]}} for g in peak],
            {"path": "hazard.froude", "label": "floodplain Froude number",
             "distribution": {"uniform": [0.08, 0.18]}},
            {"path": "warnings.never_act", "label": "share who never act",
             "distribution": {"uniform": [0.05, 0.2]}},
            {"path": "warnings.protective_action.median", "label": "median PAI delay (min)",
             "distribution": {"triangular": [15.0, 45.0, 120.0]}},
        ],
        "options": [
            {"name": "baseline", "description": "Today's forces (plan §一)"},
            {"name": "teams-50-20", "description": "County teams >= 50 and township teams >= 20 "
             "people (plan §二(三)2(5))", "cost_capital_cny": 14.7e6, "cost_yearly_cny": 34.8e6,
             "overrides": teams},
            {"name": "village-warning", "description": "Loudspeakers and cell broadcast to every "
             "village (plan §三(四)1)", "cost_capital_cny": 45e6, "cost_yearly_cny": 4e6,
             "overrides": warning},
            {"name": "county-shelters", "description": "One more comprehensive shelter of "
             "10,000 places per county (plan §四(二))", "cost_capital_cny": 300e6,
             "cost_yearly_cny": 10e6, "overrides": shelters},
            {"name": "supplies-10h", "description": "Agreement reserves sized for the 10 h "
             "target and a 4,000 m² county depot expansion", "cost_capital_cny": 20e6,
             "cost_yearly_cny": 5e6, "overrides": supplies},
            {"name": "aviation-pingyu", "description": "Aviation rescue centre at Pingyu "
             "airport, 4 helicopters (plan §四)", "cost_capital_cny": 120e6,
             "cost_yearly_cny": 40e6, "overrides": aviation},
            {"name": "combined", "description": "All of the above",
             "cost_capital_cny": 14.7e6 + 45e6 + 300e6 + 20e6 + 120e6,
             "cost_yearly_cny": 34.8e6 + 4e6 + 10e6 + 5e6 + 40e6,
             "overrides": teams | warning | shelters | supplies | aviation},
        ],
        "outcomes": [{"kpi": k} for k in (
            "deaths", "warning_coverage", "warning_lead_time_p50_min", "share_evacuated",
            "trapped", "rescue_reach_p90_min", "rescue_time_p90_min", "shelter_turned_away",
            "basic_needs_met_hours", "basic_needs_met_within_target")],
    }


OPTIONS_DESCRIPTION = """
The baseline (today's forces in the Zhumadian plan) against five capability projects the plan
funds, and all of them together, under uncertain flood peaks on three lower reaches, floodplain
flow speed, public compliance and protective-action delay. Costs are assumptions (CNY), to be
replaced by the bureau's budget figures; running costs count over `years`.
"""


def render_options_spec() -> str:
    header = ("# zhumadian-capability-options — GENERATED by `python -m models.builders.zhumadian"
              " --experiment`;\n# edit the builder, not this file. Costs are assumptions.\n")
    return header + "\n" + tomli_w.dumps(options_spec(), multiline_strings=True)


def main() -> None:
    sys.stdout.write(render_options_spec() if "--experiment" in sys.argv[1:] else render())


if __name__ == "__main__":
    main()
