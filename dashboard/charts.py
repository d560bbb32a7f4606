"""Plotly figures of the dashboard: the scenario map and the timelines with bands.

Both are read from the model's spec (:mod:`models.spec`): the map draws the spec's zones
(``map_zones``) coloured by its map layer, with the places it lists (``map_features``: river
gauges, roads, shelters, depots, team bases, the release source, hospitals…) on plain
longitude/latitude axes (equal distances, no internet map tiles: bureaus' networks are often
closed); the timelines draw its series panel by panel (``series``, ``panels``). Colours follow
the layer's sense (its colour scale: blues for water depth, reds for concentration).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import kpi_label, tr, unit_label
from dashboard.service import ZoneLayers, band_frame
from models.catalog import spec_for
from models.scenario import ScenarioBase
from models.spec import MapFeature, Panel
from reporting.timeline import panels_of
from sim.runner import ReplicationResult

__all__ = ["map_figure", "timeline_figures", "ranking_figure", "target_figure",
           "frontier_figure"]


def _feature_trace(fig: go.Figure, feature: MapFeature, lang: str) -> None:
    name = feature.label(lang)
    if feature.segments:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for (x0, y0), (x1, y1) in feature.segments:
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name,
                                 line={"color": feature.colour, "width": 2}, hoverinfo="skip"))
    elif feature.lon:
        fig.add_trace(go.Scatter(x=list(feature.lon), y=list(feature.lat), mode="markers",
                                 name=name, text=list(feature.text), hoverinfo="text+name",
                                 marker={"symbol": feature.symbol, "size": feature.size,
                                         "color": feature.colour,
                                         "line": {"width": 1, "color": "#222"}}))


def map_figure(scenario: ScenarioBase, layers: ZoneLayers | None, frame: int,
               lang: str = "en") -> go.Figure:
    """The spec's zones coloured by ``layers`` at time index ``frame`` (grey when no run yet),
    sized by population, with the spec's map features on top."""
    spec = spec_for(scenario)
    zones = list(spec.map_zones(scenario))
    fig = go.Figure()
    features = spec.map_features(scenario)
    for feature in features:           # lines below the zones
        if feature.segments:
            _feature_trace(fig, feature, lang)
    population = np.array([z.population_night for z in zones], dtype=float)
    # Marker area ~ population; smaller markers when there are many zones so they overlap less.
    biggest = 38.0 if len(zones) <= 20 else 22.0
    size = 6 + (biggest - 6) * np.sqrt(population / max(population.max(), 1.0))
    names = [f"{z.id} {z.name}".strip() for z in zones]
    if layers is not None:
        layer = layers.layer
        values = layers.values[:, min(frame, layers.values.shape[1] - 1)]
        unit = unit_label(layer.unit, lang)
        scale_max = float(np.nanmax(layers.values)) if np.isfinite(layers.values).any() else 1.0
        text = [f"{n}<br>{v:,.2f} {unit}<br>{int(p):,} {tr('people', lang)}"
                for n, v, p in zip(names, values, population, strict=True)]
        marker = {"size": size, "color": np.nan_to_num(values), "cmin": 0.0,
                  "cmax": max(scale_max, 1e-9), "colorscale": layer.colour_scale,
                  "line": {"width": 1, "color": "#333"}, "opacity": 0.85,
                  "colorbar": {"title": {"text": f"{layer.label(lang)} ({unit})"}}}
    else:
        text = [f"{n}<br>{int(p):,} {tr('people', lang)}" for n, p in zip(names, population,
                                                                            strict=True)]
        marker = {"size": size, "color": "#bdbdbd", "line": {"width": 1, "color": "#333"}}
    fig.add_trace(go.Scatter(x=[z.lon for z in zones], y=[z.lat for z in zones],
                             mode="markers", name=tr("zones", lang), text=text,
                             hoverinfo="text", marker=marker))
    for feature in features:
        if not feature.segments:
            _feature_trace(fig, feature, lang)
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


def timeline_figures(results: Sequence[ReplicationResult], scenario: ScenarioBase,
                     lang: str = "en") -> list[tuple[Panel, go.Figure]]:
    """One figure per panel of the model's spec that has data: mean lines, 5–95 % bands when
    several runs; series that are zero throughout are left out."""
    if not results:
        return []
    spec = spec_for(scenario)
    out = []
    for panel, series in panels_of(spec, list(results[0].timeseries.columns)):
        fig = go.Figure()
        shown = 0
        for item in series:
            band = band_frame(results, item.name)
            if not np.any(band["high"].to_numpy() != 0):
                continue
            shown += 1
            label = item.label(lang)
            if len(results) > 1:
                fig.add_trace(go.Scatter(
                    x=np.concatenate([band["hours"], band["hours"][::-1]]),
                    y=np.concatenate([band["high"], band["low"][::-1]]), fill="toself",
                    fillcolor=item.colour, opacity=0.18, line={"width": 0}, hoverinfo="skip",
                    showlegend=False, name=label))
            fig.add_trace(go.Scatter(x=band["hours"], y=band["mean"], mode="lines", name=label,
                                     line={"color": item.colour, "width": 2,
                                           "dash": "dot" if item.style == "dotted" else None}))
        if shown:
            fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                              xaxis_title=tr("hours", lang), yaxis_title=panel.unit(lang),
                              legend={"orientation": "h", "y": -0.25})
            out.append((panel, fig))
    return out


# --- option comparison -------------------------------------------------------------------------

def ranking_figure(summary: pd.DataFrame, kpi: str, lang: str = "en") -> go.Figure:
    """Options' means with 95 % confidence intervals, in the given (ranked) order; where some
    run was never within the horizon (+inf) the medians instead, without intervals, and the
    options whose median is itself +inf named in the title (a chart cannot draw infinity)."""
    if (summary["n_inf"] > 0).any():
        x = summary["p50"].astype(float)
        error = None
    else:
        x = summary["mean"].astype(float)
        error = {"type": "data", "symmetric": False,
                 "array": (summary["ci_high"] - summary["mean"]).clip(lower=0),
                 "arrayminus": (summary["mean"] - summary["ci_low"]).clip(lower=0)}
    never = summary.loc[np.isinf(x), "option"].astype(str).tolist()
    fig = go.Figure(go.Scatter(
        x=x.where(np.isfinite(x)), y=summary["option"], mode="markers", error_x=error,
        marker={"size": 11, "color": "#1f77b4"}))
    fig.update_layout(height=80 + 40 * len(summary), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title=kpi_label(kpi, lang),
                      yaxis={"autorange": "reversed", "title": ""})
    if never:
        fig.update_layout(title={"text": tr("chart_never", lang, options=", ".join(never)),
                                 "font": {"size": 12}})
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
