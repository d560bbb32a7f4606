"""The map of a run: a model's zones as circles coloured by a per-zone layer (``MapLayer``: peak
water depth, peak concentration…), with the places its spec lists on top (``map_features``:
shelters, bases, roads, hospitals…). Plain lon/lat axes (latitude-corrected aspect): no tiles,
no network."""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import numpy as np
from matplotlib import colormaps, font_manager, patheffects
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from models.geo import distance_matrix_km
from models.scenario import ScenarioBase
from models.spec import MapFeature, MapLayer, ModelSpec
from reporting.figures import drawable, font_families, new_figure

__all__ = ["KM_PER_DEG_LAT", "map_figure"]

KM_PER_DEG_LAT = 111.32
_ZERO = "#e4e0d8"          # zones at zero (no water, no gas): a neutral warm grey
_EDGE = "#4d4d4d"
_MAX_LABELS = 12           # label every zone up to this many, else the highest _HIGHEST
_HIGHEST = 10
# plotly marker names (MapFeature.symbol) as matplotlib markers
_MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle-up": "^",
            "triangle-down": "v", "star": "*", "cross": "P"}


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


def map_figure(scenario: ScenarioBase, values: np.ndarray, title: str, spec: ModelSpec,
               layer: MapLayer) -> Figure:
    """``spec``'s zones of ``scenario`` as circles (area to scale, or all shrunk by one factor so
    neighbours don't hide each other) coloured by ``values`` of ``layer`` (one per zone in
    scenario order; 0 or NaN: neutral grey), the spec's map features on top (points sized by
    their weight, lines' widths by theirs). Plain lon/lat axes, aspect corrected for
    latitude."""
    zones = list(spec.map_zones(scenario))
    value = np.asarray(values, dtype=float)
    if value.shape != (len(zones),):
        raise ValueError(f"{layer.key}: expected {len(zones)} values (one per zone), got shape "
                         f"{value.shape}")
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
    cmap = mcolors.ListedColormap(colormaps[layer.colour_scale](np.linspace(0.3, 1.0, 256)),
                                  name=layer.key)

    fig = new_figure()
    fig.suptitle(drawable(title), fontsize=14, fontweight="bold")
    ax = fig.add_subplot()
    ax.set_aspect(1.0 / math.cos(math.radians(lat0)), adjustable="datalim")

    positive = np.nan_to_num(value) > 0
    vmax = float(np.nanmax(value)) if positive.any() else 1.0
    norm = mcolors.Normalize(0.0, vmax)
    for i in np.argsort(-radius_km, kind="stable"):     # small zones on top of large ones
        ax.add_patch(Ellipse(
            (lon[i], lat[i]), 2 * radius_km[i] / km_per_deg_lon, 2 * radius_km[i] / KM_PER_DEG_LAT,
            facecolor=cmap(norm(value[i])) if positive[i] else _ZERO, edgecolor=_EDGE, lw=0.6,
            alpha=0.92, zorder=2, gid=f"zone:{zones[i].id}"))

    handles: list = [
        Patch(facecolor=cmap(0.6), edgecolor=_EDGE, lw=0.6,
              label=f"Zone (colour: {layer.label_en.lower()})"),
        Patch(facecolor=_ZERO, edgecolor=_EDGE, lw=0.6, label=f"Zone, {layer.zero_en}"),
    ]
    xs = [lon - radius_km / km_per_deg_lon, lon + radius_km / km_per_deg_lon]
    ys = [lat - radius_km / KM_PER_DEG_LAT, lat + radius_km / KM_PER_DEG_LAT]
    for z, feature in enumerate(spec.map_features(scenario)):
        handle, (fx, fy) = _feature(ax, feature, zorder=3 + z)
        handles.append(handle)
        xs.append(fx)
        ys.append(fy)

    # The view: every zone and every feature point in view, plus a margin; the equal-area aspect
    # then widens one direction to fill the axes (adjustable="datalim").
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    ax.ignore_existing_data_limits = True
    ax.update_datalim(np.column_stack([x_all, y_all]))
    ax.margins(0.06)
    ax.autoscale_view()

    colorbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8, pad=0.02)
    colorbar.set_label(f"{layer.label_en} ({layer.unit})")

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
    labelled = _label_zones(ax, zones, np.nan_to_num(value), radius_km / KM_PER_DEG_LAT,
                            layer.unit)
    circles = ("Circles: zone area to scale." if scale >= 1.0 else
               f"Circles: area ∝ zone area (radii × {scale:.2f} so neighbours show).")
    note = " ".join(part for part in (circles, labelled, "Lon/lat, aspect corrected for "
                                      "latitude; no tiles.") if part)
    fig.text(0.01, 0.005, note, fontsize=9, color="#444444", ha="left", va="bottom")
    return fig


def _feature(ax, feature: MapFeature, zorder: int) -> tuple[object, tuple[np.ndarray, ...]]:
    """Draw one feature; its legend handle and the lon/lat the view must include."""
    weight = np.array(feature.weight, dtype=float)
    label = drawable(feature.legend("en")) or feature.key
    lon, lat = np.array(feature.lon, dtype=float), np.array(feature.lat, dtype=float)
    if feature.segments:
        widths = 0.8 + 1.6 * weight / weight.max() if weight.size else 1.2
        ax.add_collection(LineCollection(
            [list(segment) for segment in feature.segments], colors=feature.colour,
            linewidths=widths, alpha=0.85, zorder=zorder, capstyle="round", gid=feature.key))
        return Line2D([], [], color=feature.colour, lw=2, label=label), (lon, lat)
    marker = _MARKERS.get(feature.symbol, "o")
    if weight.size:
        sizes = np.maximum(12.0, 160.0 * weight / max(weight.max(), 1.0))
    else:
        sizes = np.full(lon.size, (0.75 * feature.size) ** 2)
    ax.scatter(lon, lat, s=sizes, marker=marker, color=feature.colour, edgecolors="white",
               linewidths=0.8, zorder=zorder, gid=feature.key)
    handle = Line2D([], [], ls="", marker=marker, ms=8, color=feature.colour, mec="white",
                    label=label)
    keep = np.array(feature.in_view, dtype=bool) if feature.in_view else np.ones(lon.size, bool)
    return handle, (lon[keep], lat[keep])


def _label_zones(ax, zones: list, value: np.ndarray, radius_deg_lat: np.ndarray,
                 unit: str) -> str:
    """Label every zone of a small scenario (by name), or the highest few of a large one (by id,
    with the value), under the zone's circle, else above it; a label that would overlap one
    already placed or the scale bar, or leave the axes, is left out. Returns a sentence for the
    note."""
    small = len(zones) <= _MAX_LABELS
    if small:
        chosen = list(range(len(zones)))
    else:
        positive = np.flatnonzero(value > 0)
        chosen = [int(i) for i in positive[np.argsort(-value[positive], kind="stable")][:_HIGHEST]]
    fig = ax.get_figure()
    fig.draw_without_rendering()               # settle the layout, then keep it as it is, so
    fig.set_layout_engine("none")              # the label extents measured here are final
    renderer = fig.canvas.get_renderer()
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    family = font_families()
    frame = ax.get_window_extent(renderer).padded(-4)
    placed: list = [artist.get_window_extent(renderer) for artist in ax.artists]  # scale bar
    taken = len(placed)
    for i in chosen:
        zone = zones[i]
        label = ((drawable(zone.name) or zone.id) if small
                 else f"{zone.id} ({value[i]:.1f} {unit})")
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
    return f"Labels: the {shown} highest zones, where room." if shown else ""
