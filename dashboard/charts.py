"""Plotly figures of the dashboard: the scenario map and the timelines with bands.

The map is drawn from the scenario alone — zones, river gauges (scenarios carry no river
geometry: a river shows through its gauges and the zones it floods), roads, shelters, depots, team
bases, the release source and hospitals — on plain longitude/latitude axes (equal distances, no
internet map tiles: bureaus' networks are often closed). Colours follow the KPI's sense: blues
for water depth, reds for concentration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import kpi_label, tr
from dashboard.service import ZoneLayers, band_frame
from models.scenario import ScenarioBase
from sim.runner import ReplicationResult

__all__ = ["map_figure", "timeline_figures", "ranking_figure", "target_figure",
           "frontier_figure"]

_SERIES_ZH = {
    "at_home": "在家（未收到预警）", "warned": "已收到预警、尚未行动",
    "vertical_refuge": "垂直避险（楼上）", "in_transit": "转移途中",
    "public_shelter": "公共避难场所", "self_arranged": "自行安置（投亲靠友等）",
    "trapped": "被困待救", "rescued": "已获救", "injured": "受伤", "dead": "死亡",
    "shelter_occupants": "避难场所安置人数（含获救者）", "rescue_teams_busy": "执行任务的救援队伍",
    "displaced_in_shelters": "集中安置人员", "displaced_with_kit": "已领到基本生活物资",
    "alerted": "已收到预警人数", "awaiting_ambulance": "等待救护车的伤员",
    "in_hospital": "住院伤员",
}
_SERIES_EN = {
    "at_home": "At home (not warned)", "warned": "Warned, not yet acting",
    "vertical_refuge": "Vertical refuge", "in_transit": "Evacuating (in transit)",
    "public_shelter": "In public shelter", "self_arranged": "Self-arranged",
    "trapped": "Trapped", "rescued": "Rescued", "injured": "Injured", "dead": "Dead",
    "shelter_occupants": "Shelter occupants (incl. rescued)",
    "rescue_teams_busy": "Rescue units busy", "displaced_in_shelters": "Displaced in shelters",
    "displaced_with_kit": "… holding the basic kit",
    "alerted": "People alerted", "awaiting_ambulance": "Casualties awaiting an ambulance",
    "in_hospital": "Casualties in hospital",
}
_COLOURS = {"at_home": "#7f7f7f", "warned": "#e6ab02", "vertical_refuge": "#7570b3",
            "in_transit": "#e7298a", "public_shelter": "#1f78b4", "self_arranged": "#66a61e",
            "trapped": "#d95f02", "rescued": "#1b9e77", "injured": "#a6761d", "dead": "#111111",
            "shelter_occupants": "#08306b", "rescue_teams_busy": "#d62728",
            "displaced_in_shelters": "#1f78b4", "displaced_with_kit": "#33a02c",
            "alerted": "#e6ab02", "awaiting_ambulance": "#d95f02", "in_hospital": "#7570b3"}

PANELS = (
    ("people_by_state", ("at_home", "warned", "vertical_refuge", "in_transit", "public_shelter",
                         "self_arranged", "trapped", "rescued", "injured", "dead")),
    ("rescue_and_shelter", ("shelter_occupants", "rescue_teams_busy")),
    ("supply_coverage", ("displaced_in_shelters", "displaced_with_kit")),
    # Chemical release.
    ("warning_spread", ("alerted",)),
    ("casualty_care", ("awaiting_ambulance", "in_hospital")),
)


def series_label(column: str, lang: str) -> str:
    return (_SERIES_ZH if lang == "zh" else _SERIES_EN).get(column, column)


def _points(fig: go.Figure, lon, lat, text, name: str, symbol: str, colour: str,
            size: float = 11) -> None:
    if len(lon):
        fig.add_trace(go.Scatter(x=list(lon), y=list(lat), mode="markers", name=name,
                                 text=list(text), hoverinfo="text+name",
                                 marker={"symbol": symbol, "size": size, "color": colour,
                                         "line": {"width": 1, "color": "#222"}}))


def map_figure(scenario: ScenarioBase, layers: ZoneLayers | None, frame: int,
               lang: str = "en") -> go.Figure:
    """Zones coloured by ``layers`` at time index ``frame`` (grey when no run yet), sized by
    population, with the scenario's infrastructure on top."""
    sc = scenario
    zones = sc.zones  # type: ignore[attr-defined]
    fig = go.Figure()
    roads = getattr(sc, "roads", None)
    if roads is not None:
        nodes = {n.id: n for n in roads.nodes}
        xs: list[float | None] = []
        ys: list[float | None] = []
        for link in roads.links:
            a, b = nodes[link.source], nodes[link.target]
            xs += [a.lon, b.lon, None]
            ys += [a.lat, b.lat, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=tr("roads", lang),
                                 line={"color": "#9e9e9e", "width": 2}, hoverinfo="skip"))
    population = np.array([z.population_night for z in zones], dtype=float)
    # Marker area ~ population; smaller markers when there are many zones so they overlap less.
    biggest = 38.0 if len(zones) <= 20 else 22.0
    size = 6 + (biggest - 6) * np.sqrt(population / max(population.max(), 1.0))
    names = [f"{z.id} {z.name}".strip() for z in zones]
    if layers is not None:
        values = layers.values[:, min(frame, layers.values.shape[1] - 1)]
        depth = layers.kind == "depth"
        unit = "m" if depth else "ppm"
        scale_max = float(np.nanmax(layers.values)) if np.isfinite(layers.values).any() else 1.0
        text = [f"{n}<br>{v:,.2f} {unit}<br>{int(p):,} {tr('people', lang)}"
                for n, v, p in zip(names, values, population, strict=True)]
        marker = {"size": size, "color": np.nan_to_num(values), "cmin": 0.0,
                  "cmax": max(scale_max, 1e-9), "colorscale": "Blues" if depth else "Reds",
                  "line": {"width": 1, "color": "#333"}, "opacity": 0.85,
                  "colorbar": {"title": {"text": tr("map_layer_depth" if depth
                                                    else "map_layer_ppm", lang)}}}
    else:
        text = [f"{n}<br>{int(p):,} {tr('people', lang)}" for n, p in zip(names, population,
                                                                            strict=True)]
        marker = {"size": size, "color": "#bdbdbd", "line": {"width": 1, "color": "#333"}}
    fig.add_trace(go.Scatter(x=[z.lon for z in zones], y=[z.lat for z in zones],
                             mode="markers", name=tr("zones", lang), text=text,
                             hoverinfo="text", marker=marker))
    hazard = getattr(sc, "hazard", None)
    if hazard is not None and getattr(hazard, "gauges", None):
        g = hazard.gauges
        _points(fig, [x.lon for x in g], [x.lat for x in g], [x.name or x.id for x in g],
                tr("gauges", lang), "triangle-down", "#0b5394")
    shelters = getattr(sc, "shelters", None) or []
    _points(fig, [s.lon for s in shelters], [s.lat for s in shelters],
            [f"{s.name or s.id}: {s.capacity:,}" for s in shelters], tr("shelters", lang),
            "square", "#2ca02c")
    supplies = getattr(sc, "supplies", None)
    if supplies is not None:
        d = supplies.depots
        _points(fig, [x.lon for x in d], [x.lat for x in d], [f"{x.name or x.id} ({x.level})"
                                                              for x in d],
                tr("depots", lang), "diamond", "#8c564b")
    rescue = getattr(sc, "rescue", None)
    if rescue is not None and rescue.teams:
        t = rescue.teams
        _points(fig, [x.base_lon for x in t], [x.base_lat for x in t],
                [f"{x.id} ({x.type}) ×{x.count}" for x in t], tr("team_bases", lang),
                "triangle-up", "#ff7f0e")
    source = getattr(sc, "source", None)
    if source is not None:
        _points(fig, [source.lon], [source.lat], [source.name or "source"], tr("source", lang),
                "star", "#d62728", size=18)
        response = sc.response  # type: ignore[attr-defined]
        h = response.hospitals
        _points(fig, [x.lon for x in h], [x.lat for x in h], [f"{x.name or x.id}: {x.beds}"
                                                              for x in h],
                tr("hospitals", lang), "cross", "#e377c2")
        t = response.hazmat_teams
        _points(fig, [x.base_lon for x in t], [x.base_lat for x in t],
                [f"{x.id} ({x.type})" for x in t], tr("team_bases", lang), "triangle-up",
                "#ff7f0e")
    mean_lat = float(np.mean([z.lat for z in zones]))
    # Frame the zones (far-away places such as a provincial depot fall outside the frame).
    lon = np.array([z.lon for z in zones])
    lat = np.array([z.lat for z in zones])
    pad = max(0.1 * max(np.ptp(lon), np.ptp(lat)), 0.01)
    fig.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.08}, plot_bgcolor="#f7f7f2",
        xaxis={"title": "lon (°E)", "showgrid": False, "zeroline": False,
               "range": [float(lon.min() - pad), float(lon.max() + pad)]},
        yaxis={"title": "lat (°N)", "showgrid": False, "zeroline": False,
               "range": [float(lat.min() - pad), float(lat.max() + pad)],
               # Equal ground distances: one degree of longitude is cos(lat) of one of latitude.
               "scaleanchor": "x", "scaleratio": 1.0 / math.cos(math.radians(mean_lat))})
    return fig


def timeline_figures(results: Sequence[ReplicationResult], lang: str = "en"
                     ) -> list[tuple[str, go.Figure]]:
    """One figure per panel that has data: mean lines, 5–95 % bands when several runs."""
    if not results:
        return []
    columns = set(results[0].timeseries.columns)
    out = []
    for key, wanted in PANELS:
        present = [c for c in wanted if c in columns]
        if not present:
            continue
        fig = go.Figure()
        shown = 0
        for column in present:
            band = band_frame(results, column)
            if not np.any(band["high"].to_numpy() != 0):
                continue
            shown += 1
            colour = _COLOURS.get(column, "#444")
            label = series_label(column, lang)
            if len(results) > 1:
                fig.add_trace(go.Scatter(
                    x=np.concatenate([band["hours"], band["hours"][::-1]]),
                    y=np.concatenate([band["high"], band["low"][::-1]]), fill="toself",
                    fillcolor=colour, opacity=0.18, line={"width": 0}, hoverinfo="skip",
                    showlegend=False, name=label))
            fig.add_trace(go.Scatter(x=band["hours"], y=band["mean"], mode="lines",
                                     name=label, line={"color": colour, "width": 2}))
        if shown:
            fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                              xaxis_title=tr("hours", lang), yaxis_title=tr("people", lang)
                              if key != "rescue_and_shelter" else "",
                              legend={"orientation": "h", "y": -0.25})
            out.append((key, fig))
    return out


# --- option comparison -------------------------------------------------------------------------

def ranking_figure(summary: pd.DataFrame, kpi: str, lang: str = "en") -> go.Figure:
    """Options' means with 95 % confidence intervals, in the given (ranked) order."""
    fig = go.Figure(go.Scatter(
        x=summary["mean"], y=summary["option"], mode="markers",
        error_x={"type": "data", "symmetric": False,
                 "array": (summary["ci_high"] - summary["mean"]).clip(lower=0),
                 "arrayminus": (summary["mean"] - summary["ci_low"]).clip(lower=0)},
        marker={"size": 11, "color": "#1f77b4"}))
    fig.update_layout(height=80 + 40 * len(summary), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title=kpi_label(kpi, lang),
                      yaxis={"autorange": "reversed", "title": ""})
    return fig


def target_figure(probabilities: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Probability of meeting each plan target by option, with Wilson intervals."""
    fig = go.Figure()
    for kpi, group in probabilities.groupby("kpi", sort=False):
        fig.add_trace(go.Bar(
            x=group["option"], y=group["p_met"], name=f"{kpi_label(str(kpi), lang)} "
            f"({group['target'].iloc[0]})",
            error_y={"type": "data", "symmetric": False,
                     "array": (group["ci_high"] - group["p_met"]).clip(lower=0),
                     "arrayminus": (group["p_met"] - group["ci_low"]).clip(lower=0)}))
    fig.update_layout(barmode="group", height=380, yaxis={"range": [0, 1.05],
                                                          "title": tr("p_met", lang)},
                      margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def frontier_figure(costs: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Deaths averted per event against total cost (million CNY), one point per option."""
    rows = costs.drop_duplicates("option")
    fig = go.Figure(go.Scatter(x=rows["cost_total_cny"] / 1e6, y=rows["deaths_averted"],
                               mode="markers+text", text=rows["option"],
                               textposition="top center", marker={"size": 12}))
    fig.update_layout(height=380, xaxis_title=tr("cost_m", lang),
                      yaxis_title=tr("deaths_averted", lang),
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig
