"""English and Chinese labels of the dashboard.

KPI names come from the models' KPI catalogues (``ModelSpec.kpis``, :mod:`models.kpis`), worded
as the plans word them; this module holds the dashboard's own words. ``tr(key, lang)`` falls back
to English, then to the key, so a missing translation shows up as English rather than as an error
in front of a leader.
"""

from __future__ import annotations

from models.kpis import UNITS_ZH, find

__all__ = ["LANGUAGES", "tr", "kpi_label", "STRINGS"]

LANGUAGES = {"en": "English", "zh": "中文"}

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "drsim — disaster response", "zh": "drsim — 灾害应急响应仿真"},
    "language": {"en": "Language", "zh": "语言"},
    "page_explorer": {"en": "Scenario explorer", "zh": "情景推演"},
    "page_compare": {"en": "Option comparison", "zh": "方案比选"},
    "page_drill": {"en": "Drill control", "zh": "演练导调"},
    # Explorer
    "bundled": {"en": "Bundled scenario", "zh": "内置情景"},
    "upload": {"en": "Or upload a scenario file (TOML)", "zh": "或上传情景文件（TOML）"},
    "upload_error": {"en": "This scenario file cannot be used", "zh": "该情景文件无法使用"},
    "levers": {"en": "What you can fund and decide", "zh": "可投入的能力与决策"},
    "levers_none": {"en": "This scenario's model declares no levers.",
                    "zh": "该情景所用模型没有可调整的能力参数。"},
    "replications": {"en": "Replications", "zh": "重复次数"},
    "seed": {"en": "Random seed", "zh": "随机种子"},
    "run": {"en": "Run", "zh": "运行"},
    "running": {"en": "Running replication {i} of {n}", "zh": "正在运行第 {i}/{n} 次"},
    "not_run": {"en": "Set the levers and press Run.", "zh": "设置参数后点击“运行”。"},
    "results_for": {"en": "Run {run}: {name}, {n} replication(s), seed {seed}, {secs:.1f} s",
                    "zh": "第 {run} 次运行：{name}，{n} 次重复，种子 {seed}，用时 {secs:.1f} 秒"},
    "kpis_targets": {"en": "Plan indicators", "zh": "规划指标"},
    "no_target": {"en": "no plan target", "zh": "无规划目标值"},
    "kpis_other": {"en": "Other indicators", "zh": "其他指标"},
    "target": {"en": "target", "zh": "目标"},
    "col_indicator": {"en": "indicator", "zh": "指标"},
    "col_unit": {"en": "unit", "zh": "单位"},
    "col_met_in": {"en": "runs meeting the target", "zh": "达标次数"},
    "met": {"en": "met", "zh": "达标"},
    "not_met": {"en": "not met", "zh": "未达标"},
    "no_verdict": {"en": "no value", "zh": "无数值"},
    "met_share": {"en": "met in {k} of {n} runs", "zh": "{n} 次中 {k} 次达标"},
    # +inf: what a time KPI times did not happen within the simulated horizon (reporting.censored)
    "no_value": {"en": "not within the horizon", "zh": "未在时限内"},
    "median_shown": {"en": "median of {n} runs: {k} not within the horizon, so no mean",
                     "zh": "{n} 次中位数：{k} 次未在时限内，无均值"},
    "col_value": {"en": "mean (median if a run was not within the horizon)",
                  "zh": "均值（有未在时限内的重复时为中位数）"},
    "col_never": {"en": "runs not within the horizon", "zh": "未在时限内次数"},
    "ranking_median": {"en": "Options ranked by the median (some runs not within the horizon: "
                       "no mean)", "zh": "方案排序（按中位数：部分重复未在时限内，无均值）"},
    "chart_never": {"en": "not within the horizon: {options}", "zh": "未在时限内：{options}"},
    "map": {"en": "Map", "zh": "地图"},
    "map_time": {"en": "Time (hours after the start)", "zh": "时间（开始后小时）"},
    "zones": {"en": "Zones", "zh": "区域"},
    "timelines": {"en": "Timelines", "zh": "过程曲线"},
    "band": {"en": "5–95 % band over replications", "zh": "各次重复的 5–95 % 区间"},
    "hours": {"en": "hours", "zh": "小时"},
    "people": {"en": "people", "zh": "人"},
    "download_kpis": {"en": "Download KPI table (CSV)", "zh": "下载指标表（CSV）"},
    "download_timeline": {"en": "Download timeline figure (PNG)", "zh": "下载过程曲线图（PNG）"},
    # Compare
    "experiment_dir": {"en": "Experiment results folder", "zh": "试验结果目录"},
    "experiment_tab_load": {"en": "Load stored results", "zh": "加载已有结果"},
    "experiment_load": {"en": "Load", "zh": "加载"},
    "experiment_run": {"en": "Or run a small experiment here", "zh": "或在此运行小型试验"},
    "experiment_spec": {"en": "Experiment spec", "zh": "试验设计"},
    "experiment_out": {"en": "Write results to", "zh": "结果写入目录"},
    "experiment_reps": {"en": "Replications per option", "zh": "每个方案的重复次数"},
    "experiment_go": {"en": "Run experiment", "zh": "运行试验"},
    "experiment_error": {"en": "Cannot use these results", "zh": "无法使用该结果"},
    "experiment_none": {"en": "Load a results folder or run an experiment.",
                        "zh": "请加载结果目录或运行试验。"},
    "experiment_caption": {"en": "{folder} · {options} options · {reps} paired replications · "
                           "base scenario {base}",
                           "zh": "{folder} · {options} 个方案 · 每个方案 {reps} 次配对重复 · "
                                 "基准情景 {base}"},
    "rank_by": {"en": "Rank options by", "zh": "按指标排序"},
    "ranking": {"en": "Options ranked (mean with 95 % confidence interval)",
                "zh": "方案排序（均值及95%置信区间）"},
    "target_probability": {"en": "Probability of meeting each plan target",
                           "zh": "达到各项规划目标的概率"},
    "cost_effectiveness": {"en": "Cost-effectiveness", "zh": "成本效益"},
    "download_tables": {"en": "Download tables (CSV)", "zh": "下载表格（CSV）"},
    "download_figure": {"en": "Download figure (PNG)", "zh": "下载图（PNG）"},
    "briefing": {"en": "Download one-page briefing (HTML)", "zh": "下载一页简报（HTML）"},
    "option": {"en": "Option", "zh": "方案"},
    "mean": {"en": "Mean", "zh": "均值"},
    "p_met": {"en": "P(target met)", "zh": "达标概率"},
    "cost_m": {"en": "Total cost (M CNY)", "zh": "总成本（百万元）"},
    "deaths_averted": {"en": "Deaths averted per event", "zh": "每次灾害减少死亡人数"},
    "lower_better": {"en": "lower is better", "zh": "越低越好"},
    "higher_better": {"en": "higher is better", "zh": "越高越好"},
    "not_judged": {"en": "a context figure: neither higher nor lower is better",
                   "zh": "背景指标：不评判高低优劣"},
    # Drill control
    "drill_seal": {"en": "Seal a new drill (exercise director)",
                   "zh": "封存新的演练（演练总指挥）"},
    "drill_spec": {"en": "Drill spec", "zh": "演练方案"},
    "drill_out": {"en": "New drill folder", "zh": "新演练目录"},
    "drill_seal_go": {"en": "Seal", "zh": "封存"},
    "drill_sealing": {"en": "Drawing the scenario and running the hidden simulation…",
                      "zh": "正在抽取情景并运行隐藏仿真……"},
    "drill_key_once": {"en": "The key is shown once: write it down and keep it from the "
                       "participants. It is not stored anywhere.",
                       "zh": "密钥只显示一次：请记下并对参演人员保密。系统不保存密钥。"},
    "drill_dir": {"en": "Drill folder", "zh": "演练目录"},
    "drill_key": {"en": "Controller key (leave empty as a participant)",
                  "zh": "导调密钥（参演人员留空）"},
    "drill_key_help": {"en": "With the key: clock, inject release, MSEL and scoring. Kept in "
                       "this browser session only.",
                       "zh": "输入密钥后可控制时钟、发布情况注入、查看脚本并评估。"
                             "仅保存在本浏览器会话中。"},
    "drill_none": {"en": "Open a sealed drill folder, or seal a new drill.",
                   "zh": "请打开已封存的演练目录，或封存新的演练。"},
    "drill_controller": {"en": "Control (controllers only)", "zh": "导调控制（仅导调人员）"},
    "drill_speed": {"en": "Speed (simulated minutes per minute)",
                    "zh": "速度（每分钟推演分钟数）"},
    "drill_speed_help": {"en": "1 = real time (live drill); 60 = one hour per minute (tabletop).",
                         "zh": "1 为实时（实战演练）；60 为每分钟推演一小时（桌面推演）。"},
    "drill_start": {"en": "Start the drill clock", "zh": "开始演练计时"},
    "drill_pause": {"en": "Pause", "zh": "暂停"},
    "drill_resume": {"en": "Resume", "zh": "继续"},
    "drill_advance": {"en": "Advance 30 min", "zh": "快进30分钟"},
    "drill_set_speed": {"en": "Set speed", "zh": "设置速度"},
    "drill_clock": {"en": "Drill clock", "zh": "演练时钟"},
    "drill_counts": {"en": "{released} injects released, {pending} pending, {decisions} "
                     "decisions recorded",
                     "zh": "已发布情况注入 {released} 条，待发布 {pending} 条，"
                           "已记录决策 {decisions} 条"},
    "drill_msel": {"en": "Master scenario events list (controllers only)",
                   "zh": "主情景事件清单（仅导调人员）"},
    "drill_to": {"en": "To", "zh": "接收方"},
    "drill_synopsis": {"en": "Event", "zh": "事件"},
    "drill_expected": {"en": "Expected action", "zh": "预期行动"},
    "drill_released": {"en": "Released", "zh": "已发布"},
    "drill_participant": {"en": "Participants", "zh": "参演人员"},
    "drill_role": {"en": "Role", "zh": "角色"},
    "drill_inbox_empty": {"en": "Nothing received yet.", "zh": "尚未收到信息。"},
    "drill_still_missing": {"en": "Still no action on", "zh": "仍未处置"},
    "drill_decide": {"en": "Record a decision", "zh": "记录决策"},
    "drill_action": {"en": "Decision", "zh": "决策类型"},
    "drill_targets": {"en": "Applies to", "zh": "对象"},
    "drill_targets_help": {"en": "Ids from the region's public list (the same for every "
                           "scenario of the drill).",
                           "zh": "来自区域公开清单的编号（对演练库中各情景相同）。"},
    "drill_note": {"en": "Note", "zh": "备注"},
    "drill_record": {"en": "Record", "zh": "记录"},
    "drill_recorded": {"en": "Recorded at drill minute {minute:.0f}.",
                       "zh": "已记录（演练第 {minute:.0f} 分钟）。"},
    "drill_end": {"en": "End the drill", "zh": "结束演练"},
    "drill_end_help": {"en": "Stops the clock for good: no more injects; the drill can then be "
                       "scored.", "zh": "终止演练计时，不再下达注入，之后可以评估。"},
    "drill_recorded_blind": {"en": "Recorded at {time}.", "zh": "已于 {time} 记录。"},
    "drill_recorded_at": {"en": "Recorded at", "zh": "记录时间"},
    "drill_score_wait": {"en": "The drill is still running: end it (above) before scoring, so "
                         "nobody sees the evaluation while playing.",
                         "zh": "演练尚未结束：请先结束演练再评估，"
                               "以免参演人员在演练中看到评估结果。"},
    "drill_score_force": {"en": "Score now anyway (a controllers' preview)",
                          "zh": "仍然现在评估（仅供导调人员预览）"},
    "drill_score": {"en": "Evaluation (after the drill)", "zh": "演练评估（演练结束后）"},
    "drill_experiment": {"en": "Experiment results to compare with (optional)",
                         "zh": "用于比较的试验结果目录（可选）"},
    "drill_score_go": {"en": "Score the drill", "zh": "评估演练"},
    "drill_scoring": {"en": "Replaying the decisions in the sealed scenario…",
                      "zh": "正在将决策回放到封存情景中……"},
    "drill_minute": {"en": "Drill minute", "zh": "演练分钟"},
    "drill_minute_value": {"en": "minute {minute:.0f}", "zh": "第 {minute:.0f} 分钟"},
    "drill_points": {"en": "{points:g} of 4 points", "zh": "{points:g} / 4 分"},
    "drill_points_help": {"en": "Mean of the objectives' grades: excellent 4, good 3, fair 2, "
                          "poor 1 (rounded down; docs/drills.md).",
                          "zh": "各目标得分（优4、良3、中2、差1）的平均值，向下取整"
                                "（见 docs/drills.md）。"},
    "drill_rating": {"en": "Overall rating", "zh": "总体评价"},
    "drill_report": {"en": "Download the after-action report (HTML)",
                     "zh": "下载演练评估报告（HTML）"},
    "action_warn": {"en": "Issue a warning", "zh": "发布预警"},
    "action_evacuate": {"en": "Order evacuation", "zh": "下达转移避险命令"},
    "action_shelter_in_place": {"en": "Order shelter in place", "zh": "下达就地避险命令"},
    "action_open_shelter": {"en": "Open shelters", "zh": "开放避难场所"},
    "action_mobilize_team": {"en": "Mobilize teams", "zh": "调派救援队伍"},
    "action_request_team": {"en": "Request mutual aid", "zh": "请求增援队伍"},
    "action_release_supplies": {"en": "Release depot stock", "zh": "调拨储备物资"},
    "action_activate_agreement": {"en": "Activate agreement reserve", "zh": "启动协议储备"},
    "action_close_road": {"en": "Close roads", "zh": "实施道路管制"},
    "action_reopen_road": {"en": "Reopen roads", "zh": "解除道路管制"},
}



def tr(key: str, lang: str = "en", **values: object) -> str:
    """The dashboard string ``key`` in ``lang`` ("en" or "zh"), formatted with ``values``."""
    entry = STRINGS.get(key)
    text = key if entry is None else entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def kpi_label(name: str, lang: str = "en", model: str | None = None) -> str:
    """The KPI's name as the plans word it (Chinese) or its English label (from ``model``'s
    catalogue, else any registered model's); the bare name if no catalogue knows it."""
    kpi = find(name, model)
    if kpi is None:
        return name
    return kpi.label_in(lang)


def unit_label(unit: str, lang: str = "en") -> str:
    return UNITS_ZH.get(unit, unit) if lang == "zh" else unit


def format_value(value: float, unit: str, lang: str = "en") -> str:
    """A KPI value as a leader reads it: shares in %, counts with thousands separators, times
    with one decimal; infinity (never reached within the horizon) and NaN in words."""
    import math

    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return tr("no_value", lang) if value > 0 else f"-({tr('no_value', lang)})"
    if unit == "share":
        return f"{value * 100:.1f} %"
    if unit in ("people", "count", "person-min", "person-h"):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    if unit == "min" and abs(value) >= 120:   # long waits read better in hours
        return f"{value / 60:,.1f} {unit_label('h', lang)}"
    if unit in ("min", "h", "m²", "per million"):
        return f"{value:,.1f} {unit_label(unit, lang)}"
    return f"{value:,.3g} {unit_label(unit, lang)}".strip()


_OP_SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def format_target(target, unit: str, lang: str = "en") -> str:
    """A plan target in the KPI's own units, e.g. "> 90.0 %" or "≤ 60.0 min"."""
    return f"{_OP_SYMBOLS.get(target.op, target.op)} {format_value(target.value, unit, lang)}"
