"""The timeline of a run: a model's series over time, panel by panel as its spec groups them
(``ModelSpec.series`` and ``ModelSpec.panels``), the median over replications as a line and the
5–95 % range as a band."""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from models.spec import ModelSpec, Panel, SeriesSpec
from reporting.figures import drawable, new_figure, thousands

__all__ = ["BAND", "panels_of", "timeline_figure"]

BAND = (0.05, 0.95)

_WORDS = {
    "en": {"x": "Time since start of scenario (h)", "nothing": "No series to show (all zero)",
           "median": "Lines: median of {n} replications; shading: {low:.0%}–{high:.0%} range.",
           "one": "One replication.", "zero": " Not shown (zero throughout): {names}."},
    "zh": {"x": "情景开始后的时间（小时）", "nothing": "没有可显示的曲线（全部为零）",
           "median": "曲线：{n} 次重复的中位数；阴影：{low:.0%}–{high:.0%} 区间。",
           "one": "一次重复。", "zero": " 未显示（始终为零）：{names}。"},
}


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


def panels_of(spec: ModelSpec, columns: list[str]) -> list[tuple[Panel, list[SeriesSpec]]]:
    """The panels of ``spec`` that ``columns`` give data for, each with its drawn series in the
    spec's order; columns the spec does not describe, or marks as not drawn, are left out."""
    described = [s for s in (spec.series_spec(c) for c in columns) if s is not None
                 and s.panel is not None]
    order = {s.name: i for i, s in enumerate(spec.series)}
    out = []
    keys = [p.key for p in spec.panels]
    keys += [key for key in dict.fromkeys(s.panel for s in described) if key not in keys]
    for key in keys:
        series = [s for s in described if s.panel == key]
        if series:
            panel = spec.panel(key) or Panel(key, key, key, "", "")
            out.append((panel, sorted(series, key=lambda s: order.get(s.name, len(order)))))
    return out


def timeline_figure(timeseries: pd.DataFrame, title: str, spec: ModelSpec,
                    lang: str = "en") -> Figure:
    """``spec``'s series over time (hours), panel by panel: per series the median over
    replications as a line and the 5–95 % range as a band.

    ``timeseries`` is one replication's frame (``time`` in minutes, one column per series) or
    several stacked with a ``replication`` column (:func:`sim.output.timeseries_frame`). Series
    that are zero throughout are left out and named in the note under the plot; a series the
    run lacks is simply absent."""
    words = _WORDS["zh" if lang == "zh" else "en"]
    frame = timeseries
    times = np.sort(frame["time"].unique()).astype(float) / 60.0
    n_reps = int(frame["replication"].nunique()) if "replication" in frame.columns else 1
    columns = [c for c in frame.columns if c not in ("time", "replication")]

    omitted: list[str] = []
    shown: list[tuple[Panel, list[tuple[SeriesSpec, np.ndarray]]]] = []
    for panel, series in panels_of(spec, columns):
        lines = []
        for item in series:
            values = _by_replication(frame, item.name)
            if not np.any(np.nan_to_num(values) != 0):
                omitted.append(item.label(lang))
                continue
            lines.append((item, values))
        if lines:
            shown.append((panel, lines))

    fig = new_figure()
    fig.suptitle(drawable(title), fontsize=14, fontweight="bold")
    if not shown:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, words["nothing"], ha="center", va="center", fontsize=12,
                transform=ax.transAxes)
    else:
        axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False,
                            height_ratios=[p.height for p, _ in shown])[:, 0]
        span = float(times[-1]) if times.size else 1.0
        for ax, (panel, lines) in zip(axes, shown, strict=True):
            _panel(ax, panel, lines, times, n_reps, lang)
        axes[-1].set_xlim(0, span if span > 0 else 1.0)
        axes[-1].xaxis.set_major_locator(MultipleLocator(_hour_step(span)))
        axes[-1].set_xlabel(drawable(words["x"]))
    note = (words["median"].format(n=n_reps, low=BAND[0], high=BAND[1]) if n_reps > 1
            else words["one"])
    if omitted:
        note += words["zero"].format(names=", ".join(omitted))
    fig.text(0.01, 0.005, drawable(note), fontsize=9, color="#444444", ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))
    return fig


def _panel(ax, panel: Panel, lines: list[tuple[SeriesSpec, np.ndarray]], times: np.ndarray,
           n_reps: int, lang: str) -> None:
    others = iter(mcolors.TABLEAU_COLORS.values())
    for item, values in lines:
        colour = item.colour or next(others)
        dotted = item.style == "dotted"    # a total drawn over its parts
        median = np.nanmedian(values, axis=1)
        ax.plot(times, median, color=colour, lw=1.4 if dotted else 2.0, ls=":" if dotted else "-",
                zorder=3 if dotted else 2, label=drawable(item.label(lang)) or item.name)
        if n_reps > 1:
            low, high = np.nanquantile(values, BAND, axis=1)
            ax.fill_between(times, low, high, color=colour, alpha=0.18, lw=0)
    ax.set_title(drawable(panel.title(lang)) or panel.key, loc="left", fontsize=11,
                 fontweight="bold")
    ax.set_ylabel(drawable(panel.unit(lang)))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5 if panel.height > 1 or panel.integer else 3,
                                           integer=panel.integer))
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
