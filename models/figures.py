"""Run figures: people by state over time (``timeline.png``) and the flood map (``map.png``).

Built with matplotlib's object API only — a :class:`~matplotlib.figure.Figure` with an Agg canvas,
never pyplot — so figures can be made in any thread (the dashboard) and need no display. The map
is drawn in plain lon/lat axes (latitude-corrected aspect): no tiles, no network.

``figures_for(scenario, results)`` gives the figures of a run by file name; ``save_png`` writes
one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib import colormaps, font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from models.flood import FloodScenario
from models.geo import distance_matrix_km
from models.scenario import ScenarioBase
from sim.output import timeseries_frame
from sim.runner import ReplicationResult

__all__ = ["DPI", "SIZE_IN", "figures_for", "map_figure", "save_png", "timeline_figure"]

DPI = 120
SIZE_IN = (10.0, 20.0 / 3.0)          # 1200 x 800 pixels at DPI
KM_PER_DEG_LAT = 111.32
BAND = (0.05, 0.95)

# Series shown by the timeline, panel by panel; the first panel is people by state.
_LABELS = {
    "at_home": "At home (not warned)",
    "warned": "Warned, not yet acting",
    "vertical_refuge": "Vertical refuge (upper floor)",
    "in_transit": "Evacuating (in transit)",
    "public_shelter": "In public shelter",
    "self_arranged": "Self-arranged (left the area)",
    "shelter_occupants": "Shelter occupants, all (incl. rescued)",
    "trapped": "Trapped, awaiting rescue",
    "rescued": "Rescued",
    "injured": "Injured",
    "dead": "Dead",
    "rescue_teams_busy": "Rescue units busy",
    "displaced_in_shelters": "Displaced in shelters",
    "displaced_with_kit": "… holding the basic kit",
    "queue_length": "Waiting in queue",
    "servers_busy": "Servers busy",
}
_COLOURS = {
    "at_home": "#7f7f7f",
    "warned": "#e6ab02",
    "vertical_refuge": "#7570b3",
    "in_transit": "#e7298a",
    "public_shelter": "#1f78b4",
    "self_arranged": "#66a61e",
    "shelter_occupants": "#08306b",
    "trapped": "#d95f02",
    "rescued": "#1b9e77",
    "injured": "#a6761d",
    "dead": "#111111",
    "rescue_teams_busy": "#d62728",
    "displaced_in_shelters": "#1f78b4",
    "displaced_with_kit": "#33a02c",
    "queue_length": "#1f78b4",
    "servers_busy": "#d95f02",
}
_DASHED = {"shelter_occupants"}


@dataclass(frozen=True)
class _Panel:
    title: str
    ylabel: str
    columns: tuple[str, ...]
    height: float = 1.0
    integer: bool = False


_PANELS = (
    _Panel("Where people are", "People",
           ("at_home", "warned", "vertical_refuge", "in_transit", "public_shelter",
            "self_arranged", "shelter_occupants"), height=2.0),
    _Panel("Trapped and rescued", "People", ("trapped", "rescued"), height=1.2),
    _Panel("Casualties", "People", ("injured", "dead"), height=0.9),
    _Panel("Rescue", "Units busy", ("rescue_teams_busy",), height=0.8, integer=True),
    _Panel("Relief supplies", "People", ("displaced_in_shelters", "displaced_with_kit"),
           height=1.0),
    _Panel("Queue", "Customers waiting", ("queue_length",), height=1.4),
    _Panel("Servers", "Servers busy", ("servers_busy",), height=1.0, integer=True),
)


# --- text: keep to glyphs the installed fonts have (no tofu boxes, no warnings) --------------

_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
              "Arial Unicode MS")


@cache
def _fonts() -> tuple[list[str], frozenset[int] | None]:
    """Font families for user text, and the code points the default font has (None: a CJK
    fallback font is installed, trust it)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in _CJK_FONTS if name in installed]
    if cjk:
        return ["sans-serif", cjk[0]], None
    from matplotlib.ft2font import FT2Font  # only needed without a CJK font

    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return ["sans-serif"], frozenset(FT2Font(path).get_charmap())


def _drawable(text: str) -> str:
    """``text`` without characters no installed font can draw (e.g. Chinese without a CJK font),
    spaces tidied; '' if nothing is left."""
    _, charmap = _fonts()
    if charmap is None:
        return text
    kept = "".join(c if ord(c) in charmap or c.isspace() else " " for c in text)
    kept = re.sub(r"\(\s*", "(", re.sub(r"\s+", " ", kept)).strip()
    return "" if re.fullmatch(r"[\W_]*", kept) else kept


def _thousands(x: float, _pos: int | None = None) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 or x == round(x) else f"{x:,.1f}"


def _new_figure() -> Figure:
    fig = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)   # Agg canvas: savefig/PNG without pyplot or a display
    return fig


def save_png(fig: Figure, path: str | Path, dpi: int = DPI) -> None:
    """Write ``fig`` as a PNG (1200 x 800 pixels at the default size and dpi)."""
    fig.savefig(path, format="png", dpi=dpi, facecolor="white")


# --- timeline ----------------------------------------------------------------------------------

def _hour_step(hours: float) -> float:
    """A tick step (h) giving 6-12 ticks over ``hours``."""
    for step in (0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 168):
        if hours / step <= 12:
            return step
    return 24.0 * 7 * math.ceil(hours / (24 * 7 * 12))


def _by_replication(frame: pd.DataFrame, column: str) -> np.ndarray:
    """(times, replications) values of ``column``."""
    if "replication" not in frame.columns:
        return frame[column].to_numpy(dtype=float)[:, None]
    table = frame.pivot_table(index="time", columns="replication", values=column,
                              aggfunc="first", dropna=False)
    return table.to_numpy(dtype=float)


def timeline_figure(timeseries: pd.DataFrame, title: str) -> Figure:
    """People by state over time (hours): per series the median over replications as a line
    and the 5–95 % range as a band.

    ``timeseries`` is one replication's frame (``time`` in minutes, one column per series) or
    several stacked with a ``replication`` column (:func:`sim.output.timeseries_frame`). Known
    series are grouped in panels (where people are; trapped and rescued; casualties; rescue units
    busy; or the queue model's queue and servers); other columns go to a last panel. Series that
    are zero throughout are left out and named in the note under the plot.
    """
    frame = timeseries
    times = np.sort(frame["time"].unique()).astype(float) / 60.0
    n_reps = int(frame["replication"].nunique()) if "replication" in frame.columns else 1
    # Depot stocks are in their items' own units (L, rations, sets): they stay in
    # timeseries.parquet rather than share an axis with people.
    series = [c for c in frame.columns if c not in ("time", "replication")
              and not c.startswith("depot_stock_")]
    known = {c for p in _PANELS for c in p.columns}
    panels = [p for p in _PANELS if any(c in series for c in p.columns)]
    others = tuple(c for c in series if c not in known)
    if others:
        panels.append(_Panel("Other series", "Value", others, height=1.2))

    omitted: list[str] = []
    shown: list[tuple[_Panel, list[tuple[str, np.ndarray]]]] = []
    for panel in panels:
        lines = []
        for column in panel.columns:
            if column not in series:
                continue
            values = _by_replication(frame, column)
            if not np.any(np.nan_to_num(values) != 0):
                omitted.append(_LABELS.get(column, column))
                continue
            lines.append((column, values))
        if lines:
            shown.append((panel, lines))

    fig = _new_figure()
    fig.suptitle(_drawable(title), fontsize=14, fontweight="bold")
    if not shown:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No series to show (all zero)", ha="center", va="center",
                fontsize=12, transform=ax.transAxes)
    else:
        axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False,
                            height_ratios=[p.height for p, _ in shown])[:, 0]
        span = float(times[-1]) if times.size else 1.0
        for ax, (panel, lines) in zip(axes, shown, strict=True):
            _timeline_panel(ax, panel, lines, times, n_reps)
        axes[-1].set_xlim(0, span if span > 0 else 1.0)
        axes[-1].xaxis.set_major_locator(MultipleLocator(_hour_step(span)))
        axes[-1].set_xlabel("Time since start of scenario (h)")
    if n_reps > 1:
        note = (f"Lines: median of {n_reps} replications; shading: "
                f"{BAND[0]:.0%}–{BAND[1]:.0%} range.")
    else:
        note = "One replication."
    if omitted:
        note += f" Not shown (zero throughout): {', '.join(omitted)}."
    fig.text(0.01, 0.005, note, fontsize=9, color="#444444", ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
    return fig


def _timeline_panel(ax, panel: _Panel, lines: list[tuple[str, np.ndarray]], times: np.ndarray,
                    n_reps: int) -> None:
    others = iter(mcolors.TABLEAU_COLORS.values())
    for column, values in lines:
        colour = _COLOURS.get(column) or next(others)
        median = np.nanmedian(values, axis=1)
        ax.plot(times, median, color=colour, lw=2.0 if column not in _DASHED else 1.4,
                ls=":" if column in _DASHED else "-", zorder=3 if column in _DASHED else 2,
                label=_LABELS.get(column, column.replace("_", " ").capitalize()))
        if n_reps > 1:
            low, high = np.nanquantile(values, BAND, axis=1)
            ax.fill_between(times, low, high, color=colour, alpha=0.18, lw=0)
    ax.set_title(panel.title, loc="left", fontsize=11, fontweight="bold")
    ax.set_ylabel(panel.ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5 if panel.height > 1 or panel.integer else 3,
                                           integer=panel.integer))
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)


# --- map ---------------------------------------------------------------------------------------

_DRY = "#e4e0d8"          # zones without water: a neutral warm grey
_EDGE = "#4d4d4d"
_DEPTH_CMAP = mcolors.ListedColormap(
    colormaps["Blues"](np.linspace(0.3, 1.0, 256)), name="depth")
_SHELTER = "#1b9e77"
_TEAM = "#d62728"
_ROAD = "#8c6d31"
_MAX_LABELS = 12       # label every zone up to this many, else the deepest _DEEPEST
_DEEPEST = 10


def _nice(x: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``x``."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    return max(m * power for m in (1, 2, 5) if m * power <= x)


def _degrees(hemisphere: str):
    """Tick formatter: 114.05°E, 32.9°N (negative values get W / S)."""
    other = {"E": "W", "N": "S"}[hemisphere]

    def format_tick(value: float, _pos: int | None = None) -> str:
        text = f"{abs(value):.4f}".rstrip("0").rstrip(".")
        return f"{text}°{hemisphere if value >= 0 else other}"

    return format_tick


def map_figure(scenario: FloodScenario, peak_depth: np.ndarray, title: str) -> Figure:
    """Zones as circles (area to scale, or all shrunk by one factor so neighbours don't hide each
    other) coloured by ``peak_depth`` (m, one value per zone in scenario order; 0: neutral grey),
    shelters as squares (area ∝ capacity), rescue team bases as triangles (area ∝ units), road
    links if the scenario has roads. Plain lon/lat axes, aspect corrected for latitude."""
    zones = scenario.zones
    depth = np.asarray(peak_depth, dtype=float)
    if depth.shape != (len(zones),):
        raise ValueError(f"peak_depth: expected {len(zones)} values (one per zone), "
                         f"got shape {depth.shape}")
    lon = np.array([z.lon for z in zones])
    lat = np.array([z.lat for z in zones])
    lat0 = float(np.mean(lat))
    km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat0))
    radius_km = np.sqrt(np.array([z.area_km2 for z in zones]) / math.pi)
    scale = 1.0
    if len(zones) > 1:
        distance = distance_matrix_km(lon, lat, lon, lat)
        np.fill_diagonal(distance, np.inf)
        nearest = distance.argmin(axis=1)
        fits = distance[np.arange(len(zones)), nearest] / (radius_km + radius_km[nearest])
        scale = float(min(1.0, np.median(fits)))
    radius_km = radius_km * scale

    fig = _new_figure()
    fig.suptitle(_drawable(title), fontsize=14, fontweight="bold")
    ax = fig.add_subplot()
    ax.set_aspect(1.0 / math.cos(math.radians(lat0)), adjustable="datalim")

    vmax = float(np.nanmax(depth)) if np.any(depth > 0) else 1.0
    norm = mcolors.Normalize(0.0, vmax)
    for i in np.argsort(-radius_km, kind="stable"):     # small zones on top of large ones
        wet = depth[i] > 0
        ax.add_patch(Ellipse(
            (lon[i], lat[i]), 2 * radius_km[i] / km_per_deg_lon, 2 * radius_km[i] / KM_PER_DEG_LAT,
            facecolor=_DEPTH_CMAP(norm(depth[i])) if wet else _DRY, edgecolor=_EDGE, lw=0.6,
            alpha=0.92, zorder=2, gid=f"zone:{zones[i].id}"))

    handles: list = [
        Patch(facecolor=_DEPTH_CMAP(0.6), edgecolor=_EDGE, lw=0.6,
              label="Zone, flooded (colour: peak depth)"),
        Patch(facecolor=_DRY, edgecolor=_EDGE, lw=0.6, label="Zone, no water"),
    ]
    xs, ys = [lon - radius_km / km_per_deg_lon, lon + radius_km / km_per_deg_lon], \
        [lat - radius_km / KM_PER_DEG_LAT, lat + radius_km / KM_PER_DEG_LAT]

    if scenario.roads is not None:
        nodes = {n.id: (n.lon, n.lat) for n in scenario.roads.nodes}
        links = scenario.roads.links
        capacity = np.array([link.capacity_vph for link in links])
        widths = 0.8 + 1.6 * capacity / capacity.max()
        ax.add_collection(LineCollection(
            [[nodes[link.source], nodes[link.target]] for link in links], colors=_ROAD,
            linewidths=widths, alpha=0.85, zorder=3, capstyle="round", gid="roads"))
        xs.append(np.array([p[0] for p in nodes.values()]))
        ys.append(np.array([p[1] for p in nodes.values()]))
        handles.append(Line2D([], [], color=_ROAD, lw=2, label="Road (width ∝ capacity)"))

    if scenario.shelters:
        cap = np.array([s.capacity for s in scenario.shelters], dtype=float)
        s_lon = np.array([s.lon for s in scenario.shelters])
        s_lat = np.array([s.lat for s in scenario.shelters])
        sizes = np.maximum(12.0, 160.0 * cap / max(cap.max(), 1.0))
        ax.scatter(s_lon, s_lat, s=sizes, marker="s", color=_SHELTER, edgecolors="white",
                   linewidths=0.8, zorder=4, gid="shelters")
        xs.append(s_lon)
        ys.append(s_lat)
        handles.append(Line2D([], [], ls="", marker="s", ms=8, color=_SHELTER, mec="white",
                              label=f"Shelter (area ∝ capacity, max "
                                    f"{_thousands(cap.max())})"))

    bases: dict[tuple[float, float], int] = {}
    for team in scenario.rescue.teams:
        key = (team.base_lon, team.base_lat)
        bases[key] = bases.get(key, 0) + team.count
        if team.mode != "helicopter":      # helicopter bases may lie far away: not in the extent
            xs.append(np.array([team.base_lon]))
            ys.append(np.array([team.base_lat]))
    if bases:
        units = np.array(list(bases.values()), dtype=float)
        b = np.array(list(bases))
        ax.scatter(b[:, 0], b[:, 1], s=30.0 + 90.0 * units / max(units.max(), 1.0), marker="^",
                   color=_TEAM, edgecolors="white", linewidths=0.8, zorder=5, gid="team_bases")
        handles.append(Line2D([], [], ls="", marker="^", ms=8, color=_TEAM, mec="white",
                              label=f"Rescue base ({int(units.sum()):,} units, "
                                    f"{len(bases)} bases)"))

    # The view: every zone, shelter, road node and (non-helicopter) base, plus a margin; the
    # equal-area aspect then widens one direction to fill the axes (adjustable="datalim").
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    ax.ignore_existing_data_limits = True
    ax.update_datalim(np.column_stack([x_all, y_all]))
    ax.margins(0.06)
    ax.autoscale_view()

    colorbar = fig.colorbar(ScalarMappable(norm=norm, cmap=_DEPTH_CMAP), ax=ax, shrink=0.8,
                            pad=0.02)
    colorbar.set_label("Peak water depth (m)")

    for axis, hemisphere in ((ax.xaxis, "E"), (ax.yaxis, "N")):
        axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
        axis.set_major_formatter(FuncFormatter(_degrees(hemisphere)))
    ax.set_xlabel("Longitude")
    ax.set_ylabel("Latitude")
    ax.grid(True, color="#e6e6e6", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_facecolor("#fbfbf8")

    width_km = (x_all.max() - x_all.min()) * 1.12 * km_per_deg_lon
    bar_km = _nice(width_km / 5)
    ax.add_artist(AnchoredSizeBar(
        ax.transData, bar_km / km_per_deg_lon, f"{bar_km:g} km", loc="lower left",
        pad=0.4, borderpad=0.6, sep=4, frameon=True, size_vertical=0, color="#333333",
        fontproperties=font_manager.FontProperties(size=9)))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3,
              frameon=False, fontsize=9, columnspacing=1.5, handletextpad=0.5)

    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
    # Labels last, once the layout is settled, so overlaps are judged on the final positions.
    labelled = _label_zones(ax, scenario, depth, radius_km / KM_PER_DEG_LAT)
    circles = ("Circles: zone area to scale." if scale >= 1.0 else
               f"Circles: area ∝ zone area (radii × {scale:.2f} so neighbours show).")
    note = " ".join(part for part in (circles, labelled, "Lon/lat, aspect corrected for "
                                      "latitude; no tiles.") if part)
    fig.text(0.01, 0.005, note, fontsize=9, color="#444444", ha="left", va="bottom")
    return fig


def _label_zones(ax, scenario: FloodScenario, depth: np.ndarray, radius_deg_lat: np.ndarray
                 ) -> str:
    """Label every zone of a small scenario (by name), or the deepest few of a large one (by id,
    with the depth), under the zone's circle, else above it; a label that would overlap one
    already placed or the scale bar, or leave the axes, is left out. Returns a sentence for the
    note."""
    zones = scenario.zones
    small = len(zones) <= _MAX_LABELS
    if small:
        chosen = list(range(len(zones)))
    else:
        wet = np.flatnonzero(depth > 0)
        chosen = [int(i) for i in wet[np.argsort(-depth[wet], kind="stable")][:_DEEPEST]]
    fig = ax.get_figure()
    fig.draw_without_rendering()               # settle the layout, then keep it as it is, so
    fig.set_layout_engine("none")              # the label extents measured here are final
    renderer = fig.canvas.get_renderer()
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    family, _ = _fonts()
    frame = ax.get_window_extent(renderer).padded(-4)
    placed: list = [artist.get_window_extent(renderer) for artist in ax.artists]  # scale bar
    taken = len(placed)
    for i in chosen:
        zone = zones[i]
        label = (_drawable(zone.name) or zone.id) if small else f"{zone.id} ({depth[i]:.1f} m)"
        for sign in (-1, 1):                    # under the circle, else above it
            text = ax.annotate(
                label, (zone.lon, zone.lat + sign * radius_deg_lat[i]), xytext=(0, 2 * sign),
                textcoords="offset points", ha="center", va="top" if sign < 0 else "bottom",
                fontsize=9, fontfamily=family, path_effects=halo, zorder=6, gid=f"label:{zone.id}")
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
    if small:
        return ""
    shown = len(placed) - taken
    return f"Labels: the {shown} deepest zones, where room." if shown else ""


# --- the figures of a run ----------------------------------------------------------------------

def figures_for(scenario: ScenarioBase, results: Sequence[ReplicationResult]
                ) -> dict[str, Figure]:
    """The figures of a run by file name: ``timeline.png`` and ``map.png`` for a flood,
    ``timeline.png`` for the queue model, nothing for other models or no results.

    The map shows each zone's peak depth averaged over the replications (from their
    ``extras["peak_depth_m"]``); it is left out if a replication lacks it."""
    if not results or scenario.model not in ("flood", "queue"):
        return {}
    n = len(results)
    reps = f"{n} replication{'s' * (n > 1)}"
    what = "People by state over time" if scenario.model == "flood" else \
        "Queue and servers over time"
    figures = {"timeline.png": timeline_figure(timeseries_frame(results),
                                               f"{what} · {scenario.name} ({reps})")}
    if isinstance(scenario, FloodScenario):
        depths = [r.extras.get("peak_depth_m") for r in results]
        if all(isinstance(d, Mapping) for d in depths):
            table = np.array([[float(d.get(z.id, 0.0)) for z in scenario.zones]
                              for d in depths if isinstance(d, Mapping)])
            which = f"mean of {reps}" if n > 1 else f"replication {results[0].replication}"
            figures["map.png"] = map_figure(
                scenario, table.mean(axis=0),
                f"Peak water depth by zone · {scenario.name} ({which})")
    return figures
