"""A one-page briefing of an option comparison, as a self-contained HTML file a leader can
forward (figures embedded as PNG; no scripts, no external files). English or Chinese."""

from __future__ import annotations

import base64
import html
import math
from datetime import date

import pandas as pd
from matplotlib.figure import Figure

from dashboard.comparison import Comparison, Experiment, ranked_by_median, shown
from dashboard.i18n import format_value, kpi_label, tr
from experiments.report import forest_figure, target_figure
from models.kpis import describe
from reporting.figures import png_bytes

__all__ = ["briefing_html", "figure_png"]

_WORDS = {
    "en": {"title": "Briefing: capability options", "date": "Date", "question":
           "Question", "question_text": "Which option improves “{kpi}”, how surely, at what cost?",
           "best": "Best option on this indicator", "baseline": "Baseline",
           "vs": "compared with the baseline", "targets": "Plan targets: probability of meeting",
           "costs": "Cost-effectiveness", "basis": "Basis", "basis_text":
           "{reps} paired replications per option (common random numbers) of scenario "
           "“{base}”; experiment “{name}”; drsim git {commit}. Intervals are 95 %.",
           "options": "Options", "diff": "Difference vs baseline (95 % CI)",
           "per_death": "CNY per death averted"},
    "zh": {"title": "决策简报：能力建设方案比选", "date": "日期", "question": "问题",
           "question_text": "哪个方案能改善“{kpi}”？把握有多大？成本多少？",
           "best": "该指标最优方案", "baseline": "基准方案", "vs": "与基准方案相比",
           "targets": "达到规划目标的概率", "costs": "成本效益", "basis": "依据",
           "basis_text": "情景“{base}”每个方案 {reps} 次配对重复（共同随机数）；试验“{name}”；"
                         "drsim 版本 {commit}。区间均为95%。",
           "options": "方案", "diff": "与基准方案的差值（95%置信区间）",
           "per_death": "每减少一人死亡的成本（元）"},
}


def figure_png(fig: Figure) -> bytes:
    """``fig`` as PNG at 100 dpi (the briefing's page width)."""
    return png_bytes(fig, dpi=100)


def _img(fig: Figure) -> str:
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}" style="max-width:100%">'


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if math.isinf(value):   # "not within the horizon" (reporting.censored)
            return tr("no_value", "en") if value > 0 else f"-({tr('no_value', 'en')})"
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return "—"
    return str(value)


def briefing_html(experiment: Experiment, comparison: Comparison, lang: str = "en",
                  today: date | None = None) -> str:
    """The briefing for ``comparison`` (one KPI) of ``experiment``."""
    w = _WORDS["zh" if lang == "zh" else "en"]
    spec, kpi = experiment.spec, comparison.kpi
    unit = describe(kpi).unit
    label = kpi_label(kpi, lang)
    ranking = comparison.ranking
    best = ranking.iloc[0] if len(ranking) else None
    baseline = spec.baseline_name
    base_row = ranking[ranking["option"] == baseline]
    parts = [f"<h1>{html.escape(w['title'])}</h1>",
             f"<p><b>{w['date']}</b>: {(today or date.today()).isoformat()} · "
             f"<b>{html.escape(spec.title or spec.name)}</b></p>",
             f"<p><b>{w['question']}</b>: "
             f"{html.escape(w['question_text'].format(kpi=label))}</p>"]
    # Some run never within the horizon (+inf): the means say nothing, the medians rank.
    middle = "p50" if ranked_by_median(comparison) else "mean"
    if best is not None:
        line = (f"<b>{w['best']}</b>: {html.escape(str(best['option']))} — "
                f"{html.escape(format_value(float(best[middle]), unit, lang))}")
        if len(base_row) and best["option"] != baseline:
            line += (f" ({w['baseline']} {html.escape(str(baseline))}: "
                     f"{html.escape(format_value(float(base_row[middle].iloc[0]), unit, lang))})")
        if middle == "p50":
            line += f" · {html.escape(tr('ranking_median', lang))}"
        parts.append(f"<p class='key'>{line}</p>")
    table = shown(ranking[["option", "n", "n_inf", "mean", "ci_low", "ci_high", "p5", "p50",
                           "p95"]], kpi, lang)
    table = table.drop(columns=["n", "n_inf"]).rename(columns={
        "option": tr("option", lang), "mean": tr("mean", lang)})
    parts.append(f"<h2>{html.escape(label)}</h2>" + _table(table))
    diffs = comparison.differences
    if not diffs.empty:
        parts.append(f"<h3>{w['diff']}</h3>" + _img(forest_figure(diffs, kpi)))
    if not comparison.targets.empty:
        parts.append(f"<h2>{w['targets']}</h2>")
        table = comparison.targets.assign(kpi=comparison.targets["kpi"].map(
            lambda k: kpi_label(str(k), lang)))[["option", "kpi", "target", "p_met", "ci_low",
                                                 "ci_high", "n"]]
        parts.append(_table(table) + _img(target_figure(comparison.targets)))
    costs = comparison.costs
    if not costs.empty:
        columns = [c for c in ("option", "cost_total_cny", "deaths_averted",
                               "cost_per_death_averted", "note") if c in costs.columns]
        parts.append(f"<h2>{w['costs']}</h2>" + _table(costs.drop_duplicates("option")[columns]))
    options = pd.DataFrame([{tr("option", lang): o.name, "": o.description,
                             tr("cost_m", lang): (o.cost_capital_cny + o.cost_yearly_cny
                                                  * spec.years) / 1e6} for o in spec.options])
    parts.append(f"<h2>{w['options']}</h2>" + _table(options))
    reps = int(experiment.table.groupby("option")["replication"].count().min())
    commit = (experiment.manifest.get("git") or {}).get("commit", "unknown")
    parts.append(f"<p class='basis'><b>{w['basis']}</b>: " + html.escape(w["basis_text"].format(
        reps=reps, base=experiment.manifest.get("base_scenario", {}).get("name", spec.base),
        name=spec.name, commit=str(commit)[:12])) + "</p>")
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:900px;"
             "margin:1.5em auto;font-size:14px} table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right} th{background:#eee}"
             " .key{font-size:16px;background:#eef6ee;padding:.5em} .basis{color:#555}"
             " @media print{body{margin:0}}")
    return (f"<!doctype html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
            f"<meta charset=\"utf-8\"><title>{html.escape(w['title'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
