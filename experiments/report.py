"""Experiment report: Markdown and HTML with matplotlib figures, and CSV tables.

``write_report(folder)`` reads a result folder (manifest + parts), runs the analysis and writes
``report.md``, ``report.html``, ``figures/*.png`` and ``tables/*.csv`` into it. Figures are made
and written with :mod:`reporting.figures` (object API, no pyplot) in the Okabe-Ito colour-blind-safe
palette, with units and plain titles.
"""

from __future__ import annotations

import html
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments import analysis
from experiments.sensitivity import EXPLAIN_NEGATIVE, sensitivity
from experiments.spec import ExperimentSpec
from experiments.store import ResultStore
from models.kpis import describe
from reporting.censored import difference_text, mean_text, never_text
from reporting.figures import new_figure, png_bytes
from sim.io import write_file

__all__ = ["write_report", "OKABE_ITO"]

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"]


def _figure(width: float = 9.0, height: float = 5.0) -> Figure:
    return new_figure((width, height))


def _label(kpi: str) -> str:
    info = describe(kpi)
    return f"{info.label} ({info.unit})" if info.unit else info.label


def _finite(values: pd.Series) -> np.ndarray:
    array = values.to_numpy(dtype=float)
    return array[np.isfinite(array)]


def distributions_figure(table: pd.DataFrame, spec: ExperimentSpec, kpi: str) -> Figure:
    """Box plots of one KPI per option (finite values; 'never' counted in the title)."""
    fig = _figure(9.0, 4.5)
    ax = fig.add_subplot()
    names = [o.name for o in spec.options]
    data = [_finite(table.loc[table["option"] == n, kpi]) for n in names]
    never = [int(np.isinf(table.loc[table["option"] == n, kpi].to_numpy(dtype=float)).sum())
             for n in names]
    boxes = ax.boxplot(data, tick_labels=names, patch_artist=True, showmeans=True)
    for patch, colour in zip(boxes["boxes"], OKABE_ITO[1:] * 2, strict=False):
        patch.set_facecolor(colour)
        patch.set_alpha(0.6)
    target = describe(kpi).target
    if target is not None:
        ax.axhline(target.value, color=OKABE_ITO[6], linestyle="--",
                   label=f"plan target {target}")
        ax.legend(loc="best")
    ax.set_ylabel(_label(kpi))
    ax.set_title(f"{describe(kpi).label}: distribution over replications, by option")
    ax.tick_params(axis="x", rotation=20)
    if any(never):
        fig.text(0.01, 0.005, "Not drawn (never within the horizon): " + ", ".join(
            f"{n} {c}" for n, c in zip(names, never, strict=True) if c), fontsize=8)
    return fig


def forest_figure(diffs: pd.DataFrame, kpi: str) -> Figure:
    """Paired differences against the baseline with 95 % confidence intervals."""
    fig = _figure(8.0, 4.0)
    ax = fig.add_subplot()
    rows = diffs[diffs["kpi"] == kpi].reset_index(drop=True)
    # A mean difference with "never" on one side is ±inf: not drawn, named below the axes.
    unusable = rows[~np.isfinite(rows["mean_diff"].to_numpy(dtype=float))]
    rows = rows[np.isfinite(rows["mean_diff"].to_numpy(dtype=float))].reset_index(drop=True)
    if len(unusable):
        fig.text(0.01, 0.005, "No mean difference (" + never_text() + " on one side): "
                 + ", ".join(unusable["option"].astype(str)), fontsize=8)
    y = np.arange(len(rows))[::-1]
    ax.errorbar(rows["mean_diff"], y, xerr=[rows["mean_diff"] - rows["ci_low"],
                                            rows["ci_high"] - rows["mean_diff"]],
                fmt="o", color=OKABE_ITO[5], ecolor=OKABE_ITO[2], capsize=4)
    ax.axvline(0.0, color=OKABE_ITO[0], linewidth=1)
    ax.set_yticks(y, rows["option"])
    ax.set_xlabel(f"Change vs baseline in {_label(kpi)} (paired mean, 95 % CI)")
    ax.set_title(f"{describe(kpi).label}: what each option changes")
    return fig


def target_figure(probabilities: pd.DataFrame) -> Figure:
    """Probability of meeting each plan target, per option (95 % Wilson intervals)."""
    kpis = list(dict.fromkeys(probabilities["kpi"]))
    options = list(dict.fromkeys(probabilities["option"]))
    fig = _figure(9.0, 1.2 + 0.9 * max(len(kpis), 1))
    ax = fig.add_subplot()
    height = 0.8 / max(len(options), 1)
    for j, option in enumerate(options):
        rows = probabilities[probabilities["option"] == option].set_index("kpi").reindex(kpis)
        y = np.arange(len(kpis)) + j * height
        err = [rows["p_met"] - rows["ci_low"], rows["ci_high"] - rows["p_met"]]
        ax.barh(y, rows["p_met"], height=height, color=OKABE_ITO[(j + 1) % 8], label=option,
                xerr=err, ecolor="#555555", capsize=2)
    ax.set_yticks(np.arange(len(kpis)) + 0.4 - height / 2,
                  [textwrap.fill(f"{describe(k).label} {rows_target(probabilities, k)}", 30)
                   for k in kpis])
    ax.set_xlim(0, 1)
    ax.set_xlabel("Probability of meeting the plan target (share of replications)")
    ax.set_title("How surely each option meets the plan targets")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def rows_target(probabilities: pd.DataFrame, kpi: str) -> str:
    targets = probabilities.loc[probabilities["kpi"] == kpi, "target"]
    return f"({targets.iloc[0]})" if len(targets) else ""


def frontier_figure(costs: pd.DataFrame) -> Figure:
    """Cost against deaths averted per event: the cost-effectiveness frontier."""
    fig = _figure(8.0, 5.0)
    ax = fig.add_subplot()
    rows = costs.drop_duplicates("option")
    ax.scatter(rows["cost_total_cny"] / 1e6, rows["deaths_averted"], color=OKABE_ITO[5],
               zorder=3)
    for _, row in rows.iterrows():
        ax.annotate(row["option"], (row["cost_total_cny"] / 1e6, row["deaths_averted"]),
                    textcoords="offset points", xytext=(5, 4), fontsize=8)
    ordered = rows.sort_values("cost_total_cny")
    best, frontier = -math.inf, []
    for _, row in ordered.iterrows():
        if row["deaths_averted"] > best:
            best = row["deaths_averted"]
            frontier.append(row)
    if len(frontier) > 1:
        front = pd.DataFrame(frontier)
        ax.plot(front["cost_total_cny"] / 1e6, front["deaths_averted"], color=OKABE_ITO[6],
                linestyle="--", label="frontier")
        ax.legend(loc="lower right")
    ax.axhline(0.0, color=OKABE_ITO[0], linewidth=0.8)
    ax.set_xlabel("Total cost over the appraisal period (million CNY)")
    ax.set_ylabel("Deaths averted per event (paired mean)")
    ax.set_title("Cost-effectiveness: deaths averted against cost")
    return fig


def sensitivity_figure(table: pd.DataFrame, kpi: str) -> Figure:
    fig = _figure(8.0, 1.5 + 0.5 * max(table["input"].nunique(), 1))
    ax = fig.add_subplot()
    methods = list(dict.fromkeys(zip(table["method"], table["index"], strict=True)))
    inputs = list(dict.fromkeys(table["input"]))
    height = 0.8 / max(len(methods), 1)
    for j, (method, index) in enumerate(methods):
        rows = table[(table["method"] == method) & (table["index"] == index)].set_index(
            "input").reindex(inputs)
        y = np.arange(len(inputs)) + j * height
        ax.barh(y, rows["value"], xerr=rows["conf"], height=height,
                color=OKABE_ITO[(j + 5) % 8], label=f"{index} ({method})", capsize=2)
    ax.set_yticks(np.arange(len(inputs)) + 0.4 - height / 2, inputs)
    ax.axvline(0.0, color=OKABE_ITO[0], linewidth=0.8)
    ax.set_xlabel("Sensitivity index (with 95 % confidence interval)")
    ax.set_title(f"What drives {describe(kpi).label} (baseline option)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "–"
            if math.isinf(value):
                return never_text() if value > 0 else f"-({never_text()})"
            return _number(value, digits)
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _number(value: float, digits: int = 3) -> str:
    return f"{value:,.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"


def shown_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.kpi_summary` rows as the report shows them: a mean over runs some of
    which were never within the horizon (``n_inf`` > 0) is words, not inf (with its sd and
    interval, which are not estimable then); the quantiles stay (+inf in words)."""
    out = rows.astype({c: object for c in ("mean", "sd", "ci_low", "ci_high")})
    censored = rows["n_inf"] > 0
    for i in rows.index[censored]:
        out.at[i, "mean"] = mean_text(float(rows.at[i, "mean"]), int(rows.at[i, "n_inf"]),
                                      int(rows.at[i, "n"]), _number)
        for column in ("sd", "ci_low", "ci_high"):
            out.at[i, column] = "–"
    return out


def shown_differences(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`analysis.paired_differences` rows as shown: a mean difference over pairs some of
    which had "never" on one side is words (the shares better and worse still count them)."""
    out = rows.astype({c: object for c in ("mean_diff", "ci_low", "ci_high")})
    for i in rows.index[rows["n_one_never"] > 0]:
        out.at[i, "mean_diff"] = difference_text(float(rows.at[i, "mean_diff"]),
                                                 int(rows.at[i, "n_one_never"]),
                                                 int(rows.at[i, "n_pairs"]), _number)
        out.at[i, "ci_low"] = out.at[i, "ci_high"] = "–"
    return out


def write_report(folder: str | Path) -> list[Path]:
    """Analyse a result folder and write the report files into it; returns the paths."""
    store = ResultStore(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise FileNotFoundError(f"{folder}: no manifest.json (not a result folder)")
    spec = ExperimentSpec.model_validate(manifest["spec"])
    table = store.table()
    if table.empty:
        raise ValueError(f"{folder}: no results yet")
    folder = Path(folder)
    figures, tables = folder / "figures", folder / "tables"
    figures.mkdir(exist_ok=True)
    tables.mkdir(exist_ok=True)
    written: list[Path] = []

    summary = analysis.kpi_summary(table, spec)
    diffs = analysis.paired_differences(table, spec)
    probabilities = analysis.target_probabilities(table, spec)
    costs = analysis.cost_effectiveness(table, spec)
    robust = analysis.robustness(table, spec)
    for name, frame in [("kpi_summary", summary), ("paired_differences", diffs),
                        ("target_probabilities", probabilities), ("cost_effectiveness", costs),
                        ("robustness", robust)]:
        path = tables / f"{name}.csv"
        write_file(path, frame.to_csv(index=False))
        written.append(path)

    def save(fig: Figure, name: str) -> str:
        path = figures / f"{name}.png"
        write_file(path, png_bytes(fig))
        written.append(path)
        return f"figures/{name}.png"

    outcomes = [o.kpi for o in spec.outcomes if o.kpi in table.columns]
    sections: list[tuple[str, str, list[str]]] = []  # (title, markdown text, images)
    n_rep = int(table.groupby("option")["replication"].count().min())
    intro = (f"{spec.title or spec.name}\n\n{spec.description}\n\n"
             f"Base scenario `{manifest['base_scenario']['name']}` (hash "
             f"{manifest['base_scenario']['hash'][:12]}), {len(spec.options)} options × "
             f"{n_rep} paired replications (common random numbers), design `{spec.design}`, "
             f"root seed {spec.root_seed}, executor `{manifest.get('executor')}`, git "
             f"{(manifest.get('git') or {}).get('commit', 'unknown')}.")
    sections.append(("Experiment", intro, []))
    options_table = pd.DataFrame([{
        "option": o.name, "description": o.description,
        "capital (M CNY)": o.cost_capital_cny / 1e6, "yearly (M CNY)": o.cost_yearly_cny / 1e6,
    } for o in spec.options])
    sections.append(("Options", _markdown_table(options_table), []))
    if not probabilities.empty:
        sections.append(("Plan targets: how surely each option meets them",
                         _markdown_table(probabilities), [save(target_figure(probabilities),
                                                               "targets")]))
    for kpi in outcomes:
        images = [save(distributions_figure(table, spec, kpi), f"distribution-{kpi}")]
        if not diffs.empty and (diffs["kpi"] == kpi).any():
            images.append(save(forest_figure(diffs, kpi), f"difference-{kpi}"))
        rows = shown_summary(summary[summary["kpi"] == kpi].drop(columns=["kpi"]))
        text = _markdown_table(rows)
        if not diffs.empty and (diffs["kpi"] == kpi).any():
            text += "\n\nPaired differences against the baseline (same replications):\n\n" + \
                _markdown_table(shown_differences(diffs[diffs["kpi"] == kpi].drop(
                    columns=["kpi"])))
        if (summary.loc[summary["kpi"] == kpi, "n_inf"] > 0).any():
            text += ("\n\n+inf (" + never_text() + ") in some runs: a mean over them is not "
                     "a number; read the median (p50), the quantiles and the probability of "
                     "meeting the target. In the CSV tables +inf is written `inf`.")
        sections.append((f"{describe(kpi).label}", text, images))
    if not costs.empty and "deaths_averted" in costs.columns:
        sections.append(("Cost-effectiveness", _markdown_table(costs),
                         [save(frontier_figure(costs), "frontier")]))
    sections.append(("Robustness (regret and satisficing)", _markdown_table(robust), []))
    if spec.uncertainties:
        for kpi in [k for k in ("deaths", "basic_needs_met_hours") if k in outcomes][:2] or \
                outcomes[:1]:
            sens = sensitivity(table, spec, kpi)
            sens = sens[sens["value"].notna()] if not sens.empty else sens
            if sens.empty:   # too few runs for a sensitivity estimate
                continue
            write_file(tables / f"sensitivity-{kpi}.csv", sens.to_csv(index=False))
            written.append(tables / f"sensitivity-{kpi}.csv")
            sections.append((f"Sensitivity of {describe(kpi).label} to the uncertainties",
                             _markdown_table(sens) + "\n\n" + EXPLAIN_NEGATIVE,
                             [save(sensitivity_figure(sens, kpi), f"sensitivity-{kpi}")]))

    markdown = [f"# {spec.title or spec.name}\n"]
    body_html = [f"<h1>{html.escape(spec.title or spec.name)}</h1>"]
    for title, text, images in sections:
        markdown.append(f"## {title}\n\n{text}\n")
        markdown.extend(f"![{title}]({image})\n" for image in images)
        body_html.append(f"<h2>{html.escape(title)}</h2>")
        body_html.append(_html_block(text))
        body_html.extend(f'<p><img src="{image}" alt="{html.escape(title)}" '
                         f'style="max-width:100%"></p>' for image in images)
    md_path = folder / "report.md"
    write_file(md_path, "\n".join(markdown))
    html_path = folder / "report.html"
    write_file(html_path,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
        f"{html.escape(spec.name)}</title><style>body{{font-family:sans-serif;max-width:1000px;"
        "margin:2em auto;}} table{border-collapse:collapse;font-size:90%} td,th{border:1px "
        "solid #ccc;padding:2px 6px}</style></head><body>" + "\n".join(body_html)
        + "</body></html>\n")
    written += [md_path, html_path]
    return written


def _html_block(text: str) -> str:
    """Markdown tables and paragraphs of our own making to HTML (no external converter)."""
    out, table = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            rows = [r.strip("|").split(" | ") for r in table if not r.startswith("|---")]
            head, *body = rows
            out.append("<table><tr>" + "".join(f"<th>{html.escape(c.strip())}</th>"
                                               for c in head) + "</tr>" + "".join(
                "<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in row) + "</tr>"
                for row in body) + "</table>")
            table = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(out)
