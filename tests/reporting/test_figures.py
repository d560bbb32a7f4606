"""Run figures read from the model's spec: the timeline (its series by panel, median and 5-95 %
band over replications) and the map (zones by a per-zone layer, the spec's features: shelters,
team bases, roads…), built from real runs, plus the peak depths the flood model hands out
through ``extras``."""

from __future__ import annotations

import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import matplotlib.colors as mcolors
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from models.catalog import build, spec_for
from models.loading import load_scenario
from reporting.figures import png_bytes, save_png
from reporting.maps import map_figure
from reporting.runs import figures_for
from reporting.timeline import timeline_figure
from sim.output import timeseries_frame
from sim.runner import run_replications

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny():
    scenario = load_scenario("tiny-flood")
    results = run_replications(build, scenario, 2, scenario.seed, scenario.horizon,
                               report_every=scenario.report_every)
    return scenario, results


@pytest.fixture(scope="module")
def tiny_figures(tiny) -> dict[str, Figure]:
    scenario, results = tiny
    return figures_for(scenario, results)


@pytest.fixture(scope="module")
def queue():
    scenario = load_scenario("mmc-reference", ["horizon=4h"])
    results = run_replications(build, scenario, 2, 3, scenario.horizon,
                               report_every=scenario.report_every)
    return scenario, results


def panels(fig: Figure) -> dict[str, object]:
    """The timeline's data axes by panel title."""
    return {ax.get_title(loc="left"): ax for ax in fig.axes if ax.get_title(loc="left")}


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def figure_texts(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.texts)


def zone_patches(fig: Figure) -> list[Ellipse]:
    return [p for ax in fig.axes for p in ax.patches
            if isinstance(p, Ellipse) and (p.get_gid() or "").startswith("zone:")]


# --- extras: the flood model's peak depths -------------------------------------------------

def test_flood_replications_carry_peak_depth_per_zone_as_plain_json(tiny) -> None:
    scenario, results = tiny
    for result in results:
        depths = result.extras["peak_depth_m"]
        assert list(depths) == [z.id for z in scenario.zones]
        assert all(isinstance(v, float) and v >= 0 for v in depths.values())
        assert json.loads(json.dumps(result.extras)) == result.extras
    # tiny-flood: the riverside village is overtopped, the hill town stays dry
    assert results[0].extras["peak_depth_m"]["riverside"] > 0.5
    assert results[0].extras["peak_depth_m"]["hill"] == 0.0


def test_models_without_extras_give_an_empty_mapping(queue) -> None:
    _, results = queue
    assert all(r.extras == {} for r in results)


# --- which figures a run gets ----------------------------------------------------------------

def test_a_flood_run_gets_a_timeline_and_a_map(tiny_figures) -> None:
    assert list(tiny_figures) == ["timeline.png", "map.png"]
    assert all(isinstance(f, Figure) for f in tiny_figures.values())


def test_the_queue_model_gets_a_timeline_of_queue_and_servers(queue) -> None:
    scenario, results = queue
    figures = figures_for(scenario, results)
    assert list(figures) == ["timeline.png"]
    by_title = panels(figures["timeline.png"])
    assert list(by_title) == ["Queue", "Servers"]
    assert legend_texts(by_title["Queue"]) == ["Waiting in queue"]
    assert legend_texts(by_title["Servers"]) == ["Servers busy"]


def test_a_chemical_run_gets_a_timeline_and_a_map_by_peak_concentration() -> None:
    scenario = load_scenario("tiny-plume")
    results = run_replications(build, scenario, 1, 2, scenario.horizon)
    figures = figures_for(scenario, results)
    assert list(figures) == ["timeline.png", "map.png"]
    assert list(panels(figures["timeline.png"])) == ["Warning spread",
                                                     "Casualties: ambulances and hospitals",
                                                     "Casualties who died, by where"]
    fig = figures["map.png"]
    assert "Peak outdoor concentration by zone" in fig._suptitle.get_text()
    ax = next(ax for ax in fig.axes if zone_patches_of(ax))
    assert {"source", "hospitals", "team_bases"} <= {c.get_gid() for c in ax.collections}


def test_other_models_and_empty_runs_get_no_figures(tiny) -> None:
    scenario, results = tiny
    assert figures_for(SimpleNamespace(model="plume"), results) == {}  # type: ignore[arg-type]
    assert figures_for(scenario, []) == {}


def test_no_map_when_a_replication_lacks_peak_depths(tiny) -> None:
    scenario, results = tiny
    stripped = [results[0], type(results[1])(**{**results[1].__dict__, "extras": {}})]
    assert list(figures_for(scenario, stripped)) == ["timeline.png"]


# --- the timeline ----------------------------------------------------------------------------

def test_timeline_panels_axes_and_legend(tiny_figures) -> None:
    fig = tiny_figures["timeline.png"]
    by_title = panels(fig)
    assert list(by_title) == ["Where people are", "Trapped and rescued", "Casualties", "Rescue",
                             "Relief supplies"]
    assert fig._suptitle.get_text() == "Over time · tiny-flood (2 replications)"
    for title in ("Where people are", "Trapped and rescued", "Casualties"):
        assert by_title[title].get_ylabel() == "People"
    assert by_title["Rescue"].get_ylabel() == "Units busy"
    assert fig.axes[-1].get_xlabel() == "Time since start of scenario (h)"
    assert fig.axes[-1].get_xlim() == pytest.approx((0.0, 36.0))          # hours, not minutes
    assert legend_texts(by_title["Where people are"]) == [
        "At home (not warned)", "Warned, not yet acting", "Vertical refuge (upper floor)",
        "Evacuating (in transit)", "In public shelter", "Self-arranged (left the area)",
        "Shelter occupants, all (incl. rescued)"]
    assert legend_texts(by_title["Trapped and rescued"]) == [
        "Trapped, awaiting rescue", "Rescued"]
    assert legend_texts(by_title["Casualties"]) == [
        "Dead", "Dead at the peak (drowning, collapse)", "Dead on the road (caught evacuating)",
        "Dead while waiting for rescue"]


def test_timeline_lines_are_medians_with_a_band_per_series(tiny, tiny_figures) -> None:
    _, results = tiny
    ax = panels(tiny_figures["timeline.png"])["Where people are"]
    frame = timeseries_frame(results)
    at_home = frame.pivot(index="time", columns="replication", values="at_home").to_numpy()
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), np.sort(frame["time"].unique()) / 60)
    np.testing.assert_allclose(line.get_ydata(), np.median(at_home, axis=1))
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == len(ax.get_lines())


def test_timeline_omits_all_zero_series_and_says_so(tiny) -> None:
    scenario, results = tiny
    frame = timeseries_frame(results).assign(dead=0.0, dead_at_peak=0.0, dead_in_transit=0.0,
                                             dead_while_waiting=0.0)
    fig = timeline_figure(frame, "No deaths", spec_for(scenario))
    assert "Casualties" not in panels(fig)
    note = figure_texts(fig)
    assert ("Not shown (zero throughout): Dead, Dead at the peak (drowning, collapse), "
            "Dead on the road (caught evacuating), Dead while waiting for rescue.") in note
    assert "median of 2 replications" in note and "5%–95% range" in note


def test_series_the_spec_does_not_draw_stay_out_of_the_timeline(tiny, tiny_figures) -> None:
    _, results = tiny
    columns = set(results[0].timeseries.columns)
    assert "depot_stock_water" in columns     # in timeseries.parquet only (panel None)
    labels = " ".join(t for ax in tiny_figures["timeline.png"].axes for t in legend_texts(ax))
    assert "Depot stock" not in labels


def test_a_series_the_run_lacks_does_not_break_the_timeline(tiny) -> None:
    scenario, results = tiny
    frame = timeseries_frame(results).drop(columns=["rescued", "rescue_teams_busy"])
    by_title = panels(timeline_figure(frame, "Fewer series", spec_for(scenario)))
    assert "Rescue" not in by_title
    assert legend_texts(by_title["Trapped and rescued"]) == ["Trapped, awaiting rescue"]


def test_timeline_uses_thousands_separators(tiny_figures) -> None:
    ax = panels(tiny_figures["timeline.png"])["Where people are"]
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(12000, 0) == "12,000"
    assert formatter(3000000, 0) == "3,000,000"


def test_timeline_of_one_replication_has_no_band(tiny) -> None:
    scenario, results = tiny
    fig = timeline_figure(results[0].timeseries, "One run", spec_for(scenario))  # one run
    ax = panels(fig)["Where people are"]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert "One replication." in figure_texts(fig)


def test_timeline_with_only_zero_series_says_there_is_nothing_to_show() -> None:
    frame = pd.DataFrame({"time": [0.0, 60.0], "dead": [0.0, 0.0]})
    fig = timeline_figure(frame, "Nothing happens", spec_for("flood"))
    assert "No series to show" in " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "Dead" in figure_texts(fig)


def test_only_series_the_spec_describes_are_drawn() -> None:
    frame = pd.DataFrame({"time": [0.0, 60.0, 120.0], "dead": [0, 2, 5],
                          "boats_afloat": [0, 3, 1]})
    by_title = panels(timeline_figure(frame, "Custom", spec_for("flood")))
    assert list(by_title) == ["Casualties"]
    assert legend_texts(by_title["Casualties"]) == ["Dead"]


def test_timeline_in_chinese_when_a_cjk_font_draws_it(tiny) -> None:
    from reporting.figures import figure_language

    scenario, results = tiny
    lang = figure_language("zh")
    fig = timeline_figure(timeseries_frame(results), "中文", spec_for(scenario), lang)
    titles = list(panels(fig))
    assert titles[0] == ("人员分布" if lang == "zh" else "Where people are")


# --- the map ---------------------------------------------------------------------------------

def test_map_has_one_circle_per_zone_coloured_by_depth(tiny, tiny_figures) -> None:
    scenario, results = tiny
    fig = tiny_figures["map.png"]
    patches = zone_patches(fig)
    assert sorted(p.get_gid() for p in patches) == sorted(f"zone:{z.id}" for z in scenario.zones)
    mean = {z.id: np.mean([r.extras["peak_depth_m"][z.id] for r in results])
            for z in scenario.zones}
    colour = {p.get_gid()[5:]: mcolors.to_hex(p.get_facecolor(), keep_alpha=False)
              for p in patches}
    dry = {zid for zid, d in mean.items() if d == 0}
    assert "hill" in dry and "riverside" not in dry
    assert len({colour[zid] for zid in dry}) == 1                         # one neutral colour
    assert all(colour[zid] not in {colour[d] for d in dry} for zid in mean if zid not in dry)
    assert "mean of 2 replications" in fig._suptitle.get_text()


def test_map_circles_have_the_zone_area_in_tiny_flood(tiny, tiny_figures) -> None:
    scenario, _ = tiny
    by_id = {p.get_gid()[5:]: p for p in zone_patches(tiny_figures["map.png"])}
    for zone in scenario.zones:
        height_km = by_id[zone.id].height * 111.32                          # lat degrees
        assert math.pi * (height_km / 2) ** 2 == pytest.approx(zone.area_km2, rel=1e-6)


def test_map_colorbar_axes_and_aspect(tiny_figures) -> None:
    fig = tiny_figures["map.png"]
    colorbars = [ax for ax in fig.axes if isinstance(getattr(ax, "_colorbar", None), Colorbar)]
    assert len(colorbars) == 1
    assert colorbars[0].get_ylabel() == "Peak water depth (m)"
    ax = next(ax for ax in fig.axes if zone_patches_of(ax))
    assert ax.get_xlabel() == "Longitude" and ax.get_ylabel() == "Latitude"
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(33.02)), rel=1e-3)
    assert ax.xaxis.get_major_formatter()(114.05, 0) == "114.05°E"
    assert ax.yaxis.get_major_formatter()(33.0, 0) == "33°N"


def zone_patches_of(ax) -> list:
    return [p for p in ax.patches if (p.get_gid() or "").startswith("zone:")]


def test_map_shows_shelters_team_bases_and_roads(tiny, tiny_figures) -> None:
    scenario, _ = tiny
    fig = tiny_figures["map.png"]
    ax = next(ax for ax in fig.axes if zone_patches_of(ax))
    by_gid = {c.get_gid(): c for c in ax.collections}
    assert len(by_gid["shelters"].get_offsets()) == len(scenario.shelters)
    sizes = by_gid["shelters"].get_sizes()                  # area follows capacity
    assert sizes[0] > sizes[1]                              # 1,200 places vs 500
    assert len(by_gid["team_bases"].get_offsets()) == 2     # two bases
    roads = by_gid["roads"]
    assert isinstance(roads, LineCollection)
    assert len(roads.get_segments()) == len(scenario.roads.links)
    labels = legend_texts(ax)
    assert any(t.startswith("Shelter") for t in labels)
    assert any(t.startswith("Rescue base (7 units, 2 bases)") for t in labels)
    assert any(t.startswith("Road") for t in labels)
    assert "Zone, no water" in labels


def test_map_of_110_zones_without_roads_labels_only_the_deepest() -> None:
    scenario = load_scenario("zhumadian-flood")
    depth = np.zeros(len(scenario.zones))
    depth[::7] = np.linspace(0.2, 3.0, len(depth[::7]))
    spec = spec_for(scenario)
    fig = map_figure(scenario, depth, "Zhumadian", spec, spec.map_layers[1])
    assert len(zone_patches(fig)) == 110
    ax = next(ax for ax in fig.axes if zone_patches_of(ax))
    assert "roads" not in {c.get_gid() for c in ax.collections}
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    assert 1 <= len(labels) <= 10
    assert all(re.fullmatch(r"[a-z]+-\w+ \(\d+\.\d m\)", t.get_text()) for t in labels)
    assert "radii ×" in figure_texts(fig)                   # circles shrunk, and said so


def test_map_rejects_a_depth_array_of_the_wrong_length(tiny) -> None:
    scenario, _ = tiny
    spec = spec_for(scenario)
    with pytest.raises(ValueError, match="peak_depth_m: expected 4 values"):
        map_figure(scenario, np.zeros(3), "wrong", spec, spec.map_layers[1])


# --- rendering ---------------------------------------------------------------------------------

def test_figures_save_as_1200_by_800_png(tiny_figures, tmp_path: Path) -> None:
    for name, fig in tiny_figures.items():
        save_png(fig, tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert mpimg.imread(tmp_path / name).shape[:2] == (800, 1200)


def test_figures_can_be_built_in_threads(tiny) -> None:
    """The object API only (no pyplot state), so figures are built in parallel safely."""
    _, results = tiny

    def render(k: int) -> bytes:
        return png_bytes(timeline_figure(results[k].timeseries, f"replication {k}",
                                         spec_for("flood")))

    with ThreadPoolExecutor(max_workers=2) as pool:
        images = list(pool.map(render, [0, 1]))
    assert all(image[:8] == b"\x89PNG\r\n\x1a\n" for image in images)


PYPLOT_IMPORT = re.compile(r"^\s*(import matplotlib\.pyplot|from matplotlib\.pyplot import|"
                           r"from matplotlib import .*\bpyplot\b)", re.MULTILINE)


def test_no_code_imports_pyplot() -> None:
    sources = [p for folder in ("sim", "models", "reporting", "experiments", "drills",
                                "dashboard", "drsim") for p in (ROOT / folder).rglob("*.py")]
    assert ROOT / "reporting" / "maps.py" in sources
    assert not [p for p in sources if PYPLOT_IMPORT.search(p.read_text(encoding="utf-8"))]
    assert PYPLOT_IMPORT.search("import matplotlib.pyplot as plt\n")
