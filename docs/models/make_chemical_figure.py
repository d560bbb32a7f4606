"""Draw docs/models/figures/chemical-footprint.png: the worked example of docs/models/chemical.md.

tiny-plume as bundled, root seed 1, replication 0: the peak outdoor concentration at every
receptor point of every zone, the AEGL-1 (warning area), AEGL-2 and AEGL-3 footprints the model
uses (computed on a fine grid with the same release, weather and threat-zone rule), the zones and
the source. Run from the repository root::

    .venv/bin/python docs/models/make_chemical_figure.py

Matplotlib's object API only (a Figure with an Agg canvas, no pyplot).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from models.catalog import build
from models.chemical.exposure import receptor_points
from models.chemical.run import ChemicalRun
from models.hazards.plume import concentration_series, local_metres, lonlat_from_local
from models.hazards.toxicity import aegl, threat_zones
from models.loading import load_scenario
from sim.runner import ReplicationResult, run_replication

OUT = Path(__file__).resolve().parent / "figures" / "chemical-footprint.png"
HALF_WIDTH_M = 1000.0      # the map shows 2 x 2 km around the source
GRID_STEP_M = 10.0         # fine grid for the AEGL contours
LEVEL_STYLE = {1: ("#e0b000", "AEGL-1 for 10, 30 or 60 min: the warning area"),
               2: ("#e06000", "AEGL-2 for 60 min: the AEGL-2 zone"),
               3: ("#b00000", "AEGL-3 for 60 min: the AEGL-3 zone")}


def worked_example() -> tuple[ReplicationResult, ChemicalRun]:
    """tiny-plume, root seed 1, replication 0, keeping the model object."""
    scenario = load_scenario("tiny-plume")
    kept: list[ChemicalRun] = []

    def build_and_keep(ctx, sc):
        kept.append(build(ctx, sc))
        return kept[-1]

    result = run_replication(build_and_keep, scenario, 0, 1, scenario.horizon,
                             report_every=scenario.report_every)
    return result, kept[0]


def fine_grid_levels(run: ChemicalRun,
                     step_m: float = GRID_STEP_M) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East and north (m) of a fine grid and the highest AEGL level reached at each point, by the
    model's rules: AEGL-1 for any of 10, 30 or 60 min, AEGL-2 and -3 for 60 min."""
    sc = run.sc
    axis = np.arange(-HALF_WIDTH_M, HALF_WIDTH_M + step_m / 2, step_m)
    east, north = np.meshgrid(axis, axis)
    lon, lat = lonlat_from_local(east.ravel(), north.ravel(), sc.source.lon, sc.source.lat)
    rate = sc.source.release.rate_function(stop_s=run.stopped_at * 60.0)
    ppm = concentration_series(rate, run.weather, np.column_stack([lon, lat]),
                               (sc.source.lon, sc.source.lat), run.times * 60.0,
                               molecular_weight=run.chemical.molecular_weight,
                               source_height_m=sc.source.height_m, urban=sc.urban)
    zones = threat_zones(ppm, run.times, run.chemical.cas)
    level = np.where(zones.exceeds[0].any(axis=0), 1, 0)
    level = np.where(zones.exceeds[1, 2], 2, level)
    level = np.where(zones.exceeds[2, 2], 3, level)
    return east, north, level.reshape(east.shape)


def footprint_figure(result: ReplicationResult, run: ChemicalRun,
                     step_m: float = GRID_STEP_M) -> Figure:
    """The footprint map; ``step_m`` is the spacing (m) of the grid the AEGL contours use."""
    sc = run.sc
    k = result.kpis
    src = (sc.source.lon, sc.source.lat)
    fig = Figure(figsize=(9.0, 9.4), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    # Zones: squares of side sqrt(area) around their centres, with ids.
    for zone in sc.zones:
        x, y = local_metres(zone.lon, zone.lat, *src)
        side = math.sqrt(zone.area_km2) * 1000.0
        ax.add_patch(Rectangle((float(x) - side / 2, float(y) - side / 2), side, side,
                               fill=False, edgecolor="#888888", linewidth=0.8, zorder=1))
        ax.text(float(x) - side / 2 + 8, float(y) + side / 2 - 8, zone.id, fontsize=7,
                color="#555555", ha="left", va="top", zorder=2)

    # AEGL footprints on the fine grid (filled lightly, outlined).
    east, north, level = fine_grid_levels(run, step_m)
    for lvl, (colour, _) in LEVEL_STYLE.items():
        if (level >= lvl).any():
            ax.contourf(east, north, (level >= lvl).astype(float), levels=[0.5, 1.5],
                        colors=[colour], alpha=0.12, zorder=1)
            ax.contour(east, north, (level >= lvl).astype(float), levels=[0.5],
                       colors=[colour], linewidths=2.0, zorder=3)

    # Peak outdoor concentration at every receptor point (the model's exposure points).
    points = np.array(receptor_points(sc.zones, sc.receptors_per_side))
    px, py = local_metres(points[:, 0], points[:, 1], *src)
    peak = run.outdoor.max(axis=2).ravel()
    hit = peak >= 0.1
    ax.scatter(px[~hit], py[~hit], s=6, color="#cccccc", zorder=4,
               label="receptor point, peak < 0.1 ppm")
    limits = [float(aegl(run.chemical.cas, lvl, 60.0)) for lvl in (1, 2, 3)]
    norm = LogNorm(vmin=0.1, vmax=2.0 * max(limits[2], float(peak.max())))
    dots = ax.scatter(px[hit], py[hit], c=peak[hit], s=46, cmap="viridis", norm=norm,
                      edgecolors="black", linewidths=0.4, zorder=5)
    bar = fig.colorbar(dots, ax=ax, shrink=0.78, pad=0.02)
    bar.set_label(f"peak outdoor concentration of {run.chemical.name} (ppm)")
    for lvl, value in zip((1, 2, 3), limits, strict=True):
        bar.ax.axhline(value, color=LEVEL_STYLE[lvl][0], linewidth=2.5)

    # Source and wind.
    ax.plot(0, 0, marker="*", markersize=18, color="black", markeredgecolor="white", zorder=6)
    (weather,) = run.weather
    to = math.radians(weather.wind_from_deg + 180.0)
    tail = (-960.0, -960.0)
    ax.annotate("", xy=(tail[0] + 200 * math.sin(to), tail[1] + 200 * math.cos(to)), xytext=tail,
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 2}, zorder=6)
    ax.text(-700, -900, f"wind {weather.wind_speed_m_s:.1f} m/s from {weather.wind_from_deg:.0f}°"
            f", Pasquill class {weather.stability}", fontsize=8, ha="left", va="center")

    handles = [Line2D([], [], color=colour, linewidth=2, label=f"{text} ({value:g} ppm)")
               for (colour, text), value in zip(LEVEL_STYLE.values(), limits, strict=True)]
    handles += [Line2D([], [], marker="*", color="black", linestyle="", markersize=12,
                       label=f"source: {sc.source.name}"),
                Line2D([], [], marker="s", color="#888888", fillstyle="none", linestyle="",
                       markersize=10, label="zone (900 people), 3 x 3 receptor points"),
                Line2D([], [], marker="o", color="#cccccc", linestyle="", markersize=4,
                       label="receptor point, peak < 0.1 ppm")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2,
              fontsize=8, frameon=False)
    ax.set_xlim(-HALF_WIDTH_M, HALF_WIDTH_M)
    ax.set_ylim(-HALF_WIDTH_M, HALF_WIDTH_M)
    ax.set_aspect("equal")
    ax.set_xlabel("metres east of the source")
    ax.set_ylabel("metres north of the source")
    release = sc.source.release
    ax.set_title(f"tiny-plume, root seed 1, replication 0: {release.chemical} "
                 f"{release.rate_kg_s:g} kg/s, stopped at {k['release_stopped_min']:.1f} min\n"
                 f"{k['people_in_aegl2_zone']:.0f} people in the AEGL-2 zone, "
                 f"{k['injured_needing_hospital']:.0f} needing hospital, "
                 f"{k['deaths']:.0f} deaths", fontsize=10)
    fig.tight_layout()
    return fig


def main(out: Path = OUT, step_m: float = GRID_STEP_M) -> Path:
    """Run the example, draw the figure to ``out`` and print the numbers the docs quote."""
    result, run = worked_example()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    footprint_figure(result, run, step_m).savefig(out)
    for name, value in result.kpis.items():
        print(f"{name} = {value:.6g}")
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
