"""The chemical-release model's drills: what the hidden run's timeline records and the injects
made of it.

**Timeline** (:meth:`ChemicalAdapter.timeline`), kinds: ``detector_alarm``, ``public_call``,
``plume_aegl2`` (zones whose air reaches AEGL-2, grouped by :data:`PLUME_BIN_MIN` minutes),
``hospital_load``, ``leak_stopped``, ``cordon`` and ``cordon_lifted`` (the links the police
cordon closes around the source, with roads).

**Injects** (:meth:`ChemicalAdapter.injects`): gas-detector alarm (expected: mobilize hazmat
teams), public calls (shelter in place or evacuate), concentrations above AEGL-2 measured (the
zones' protective instruction), police cordon set up and lifted (close / reopen roads), hospitals
filling, the leak stopped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from drills.adapters import DrillAdapter, Watch
from drills.compose import ACTION_TEXT, Composer
from drills.names import Names
from drills.packet import Inject, TimelineEvent
from models.response.roads import link_ids

__all__ = ["ADAPTER", "ChemicalAdapter"]

PLUME_BIN_MIN = 10.0         # zones reaching AEGL-2 are reported together per 10 minutes
HOSPITAL_SHARES = (0.5, 0.9)  # hospital load reports at these shares of all beds

_event = TimelineEvent.at


class ChemicalAdapter(DrillAdapter):
    """Drills on hazardous-chemical releases (see the module docstring)."""

    model = "chemical"

    def timeline(self, model: Any, scenario: Any, watch: Watch) -> list[TimelineEvent]:
        return _timeline(model, scenario)

    def names(self, scenario: Any) -> Names:
        names = Names(scenario.source.name)
        for zone in scenario.zones:
            names.add("zone", zone.id, zone.name)
        for team in scenario.response.hazmat_teams:
            names.add("team", team.id, None)     # hazmat teams carry no name
        for key in link_ids(scenario.roads) if scenario.roads is not None else ():
            names.add("link", key, None)
        return names

    def injects(self, timeline: Sequence[TimelineEvent], scenario: Any,
                compose: Composer) -> list[Inject]:
        return _injects(timeline, scenario, compose)


ADAPTER = ChemicalAdapter()


# --- the timeline -------------------------------------------------------------------------------


def _timeline(model: Any, sc: Any) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    zones = sc.zones
    response = sc.response
    teams = [t.id for t in response.hazmat_teams
             if not (sc.source.transport and t.type == "enterprise")]
    warning = getattr(model, "warning", None)
    issued = np.asarray(getattr(warning, "issued_at", np.full(len(zones), np.inf)), dtype=float)
    warn_zones = [z.id for z, t in zip(zones, issued, strict=True) if math.isfinite(t)]
    evacuate = response.instruction == "evacuate"
    instruction = {z.id: "evacuate" if evacuate or z.id in response.evacuate_zones
                   else "shelter_in_place" for z in zones}
    common = dict(source=sc.source.name, chemical=sc.source.release.chemical,
                  hazmat_teams=teams, warn_zones=warn_zones,
                  evacuate_zones=[z for z in warn_zones if instruction[z] == "evacuate"],
                  shelter_zones=[z for z in warn_zones if instruction[z] != "evacuate"])
    detected = float(getattr(model, "detected_at", response.public_call_delay))
    by_detector = response.detectors and not sc.source.transport
    if by_detector:
        events.append(_event(detected, "detector_alarm", "", sc.source.name, None, **common))
    events.append(_event(response.public_call_delay, "public_call", "", sc.source.name, None,
                         first_report=not by_detector, **common))

    # Zones whose outdoor air first reaches AEGL-2 (60 min) at some receptor point.
    outdoor = getattr(model, "outdoor", None)
    times = np.asarray(getattr(model, "times", []), dtype=float)
    limit = getattr(getattr(model, "harm", None), "limit2", None)
    if outdoor is not None and limit is not None and times.size:
        above = (np.asarray(outdoor) >= limit).any(axis=1)               # (Z, T)
        first = np.where(above.any(axis=1), times[np.argmax(above, axis=1)], np.inf)
        peak = np.asarray(outdoor).max(axis=(1, 2))
        groups: dict[float, list[int]] = defaultdict(list)
        for z in np.flatnonzero(np.isfinite(first)):
            groups[math.floor(first[z] / PLUME_BIN_MIN) * PLUME_BIN_MIN].append(int(z))
        for _, members in sorted(groups.items()):
            t = float(min(first[z] for z in members))
            ids = [zones[z].id for z in members]
            events.append(_event(t, "plume_aegl2", ids[0], zones[members[0]].name or ids[0],
                                 float(max(peak[z] for z in members)), zones=ids,
                                 limit_ppm=float(limit),
                                 actions={i: instruction[i] for i in ids}))

    ems = getattr(model, "ems", None)
    beds = sum(h.beds for h in response.hospitals)
    monitor = getattr(ems, "in_hospital", None)
    if monitor is not None and beds > 0:
        change_t, values = monitor.arrays()
        for share in HOSPITAL_SHARES:
            reached = np.flatnonzero(values >= share * beds)
            if reached.size:
                k = int(reached[0])
                events.append(_event(float(change_t[k]), "hospital_load", "", "",
                                     float(values[k]), beds=beds, share=share))
    stopped = float(getattr(model, "stopped_at", math.inf))
    if math.isfinite(stopped):
        events.append(_event(stopped, "leak_stopped", "", sc.source.name, None))
    # The police cordon the plan sets up around the source (models/chemical.py, roads).
    names = getattr(model, "link_names", {}) or {}
    cordon = sorted(names[link] for link in getattr(model, "cordon_links", []) or []
                    if link in names)
    if cordon:
        events.append(_event(detected, "cordon", "", sc.source.name, None, links=cordon,
                             radius_m=response.closure_radius_m))
        lifted = float(getattr(model, "release_end", math.inf)) + response.closure_clearance
        if math.isfinite(lifted):
            events.append(_event(lifted, "cordon_lifted", "", sc.source.name, None,
                                 links=cordon))
    return events


# --- the injects ----------------------------------------------------------------------------------


def _injects(timeline: Sequence[TimelineEvent], scenario: Any, c: Composer) -> list[Inject]:
    out = []
    detected = min((e.minute for e in timeline
                    if e.kind in ("detector_alarm", "public_call")), default=0.0)
    plume_zones = [z for e in timeline if e.kind == "plume_aegl2" for z in e.data["zones"]]
    for e in timeline:
        kind, d, t = e.kind, e.data, e.minute
        if kind == "detector_alarm" or (kind == "public_call" and d.get("first_report")):
            by = "detector" if kind == "detector_alarm" else "call_110"
            out.append(c.inject(
                t, kind, by, "system" if by == "detector" else "phone",
                f"{c.names.source}发生{_chemical_zh(d['chemical'])}泄漏报警，现场有人员报告气味强烈。",
                f"{d['source']}: {d['chemical']} leak alarm; staff report a strong smell.",
                (f"{c.names.source}{_chemical_zh(d['chemical'])}泄漏", f"{d['chemical']} leak at "
                 f"{d['source']}"), "mobilize_team", d["hazmat_teams"]))
        if kind == "public_call":
            shelter = d["shelter_zones"] or ([] if d["evacuate_zones"] else plume_zones)
            for action, zones in (("shelter_in_place", shelter),
                                  ("evacuate", d["evacuate_zones"])):
                if not zones:
                    continue
                zh_action, en_action = ACTION_TEXT[action]
                out.append(c.inject(
                    t, "public_call", "call_110", "phone",
                    f"110接到多起群众报警：{c.names.source}附近有强烈刺激性气味，有人咳嗽、流泪。"
                    f"按下风向研判，可能受影响区域：{c.names(zones)}（需{zh_action}）。",
                    f"110 has many calls: a strong pungent smell near {d['source']}, people "
                    f"coughing and with watering eyes. Downwind areas that may be affected: "
                    f"{', '.join(zones)} ({en_action}).",
                    ("群众报告刺激性气味", "Public reports of a pungent smell"), action, zones))
        elif kind == "plume_aegl2":
            by_action: dict[str, list[str]] = defaultdict(list)
            for zone, action in d["actions"].items():
                by_action[action].append(zone)
            for action, zones in by_action.items():
                out.append(c.inject(
                    max(t, detected), "plume", "monitoring", "radio",
                    f"侦检结果：{c.names(zones)}测得浓度超过AEGL-2限值（{d['limit_ppm']:g} ppm），"
                    f"最高约{e.quantity:.0f} ppm。",
                    f"Monitoring: concentrations above AEGL-2 ({d['limit_ppm']:g} ppm) measured "
                    f"in {', '.join(zones)}, up to about {e.quantity:.0f} ppm.",
                    ("下风向浓度超限", "Hazardous concentrations downwind"), action, zones))
        elif kind == "hospital_load":
            out.append(c.inject(
                t, "hospital", "hospital", "phone",
                f"收治中毒伤员{int(e.quantity or 0):,}人，已占可用床位{d['share']:.0%}"
                f"（共{d['beds']:,}张）。",
                f"{int(e.quantity or 0):,} casualties admitted, {d['share']:.0%} of the "
                f"{d['beds']:,} beds available.",
                ("医院收治压力", "Hospitals filling"), item="医疗救护"))
        elif kind in ("cordon", "cordon_lifted"):
            lifting = kind == "cordon_lifted"
            links = d["links"]
            out.append(c.inject(
                t, "road_reopened" if lifting else "road_closed", "traffic",
                "radio",
                (f"交警报告：{c.names.source}周边空气已恢复安全，可解除警戒：{'、'.join(links)}。"
                 if lifting else
                 f"交警报告：{c.names.source}周边{d['radius_m']:g}米范围内道路需立即封闭警戒："
                 f"{'、'.join(links)}。"),
                (f"Traffic police: the air around {e.name} is safe again; the cordon can be "
                 f"lifted: {', '.join(links)}." if lifting else
                 f"Traffic police: roads within {d['radius_m']:g} m of {e.name} must be "
                 f"closed now: {', '.join(links)}."),
                (("解除警戒", "Lift the cordon") if lifting else ("设置警戒区", "Set up a cordon")),
                "reopen_road" if lifting else "close_road", links))
        elif kind == "leak_stopped":
            out.append(c.inject(
                t, "leak_stopped", "hazmat", "radio",
                f"现场处置组报告：{c.names.source}泄漏点已成功堵漏。",
                f"On-scene hazmat team: the leak at {e.name} is stopped.",
                ("泄漏点堵漏成功", "Leak stopped"), item="事故处置"))
    return out


def _chemical_zh(chemical: str) -> str:
    return {"ammonia": "液氨", "chlorine": "氯气"}.get(chemical.lower(), "危险化学品")
