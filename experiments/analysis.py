"""Analysis of an experiment's results table: summaries, paired differences, plan-target
probabilities, cost-effectiveness and robustness.

Every function is a pure function of the results table (``ResultStore.table()``: one row per
(option, replication) with every KPI as a column) and the :class:`ExperimentSpec`, returns a tidy
DataFrame, and works on whole columns (melt, merge, groupby), never row by row.

Missing and infinite values are handled explicitly, the same way everywhere:

* NaN means "not defined in this replication" (e.g. a rescue time when nobody was trapped): it is
  dropped, and each table says how many values (``n``) it used.
* +inf is a legitimate value, e.g. ``basic_needs_met_hours = inf`` or ``rescue_reach_p90_min =
  inf`` (more than a tenth of all calls never reached) means "never within the horizon".
  Quantiles treat it as the largest value; a mean containing it is inf, and then its standard
  deviation and confidence interval are NaN (not estimable); ``n_inf`` counts them, and the
  report and dashboard show such a mean as words (:mod:`reporting.censored`), never as "inf":
  for these KPIs read the median, the quantiles and the probability of meeting the target. A
  target such as ``< 10`` or ``<= 60`` is not met by inf (and ``> x`` is). A paired difference
  with one infinite side is ±inf (counted in ``n_one_never``); when both sides are the same
  infinity the difference is undetermined (both censored at the horizon): it is left out of
  the mean and counted in ``n_undetermined``, and it is a tie for ``share_better``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import stats

from experiments.spec import ExperimentSpec
from models.kpis import Target, find

__all__ = ["better_direction", "outcome_kpis", "outcome_targets", "kpi_summary",
           "paired_differences", "target_probabilities", "wilson_interval",
           "cost_effectiveness", "robustness", "CONFIDENCE"]

CONFIDENCE = 0.95
_Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))

# Direction of KPIs no model catalogues (``Kpi.better`` is the authority for the others), in the
# vocabulary of the catalogues. Checked in this order: a name token in _HIGHER_BETTER makes
# higher better (warning *lead* time, *coverage*, people *rescued*/*evacuated*/*served*, calls
# *reached* or needs met *within* a time); else a token in _LOWER_BETTER makes lower better
# (deaths, people trapped, exposed, caught in transit, turned away, without a kit, unmet
# person-hours, stock-outs, waits, queues, and durations: *_min, *_h, *_hours, *time*); else
# higher is better.
_HIGHER_BETTER = {"lead", "coverage", "rescued", "evacuated", "served", "reached", "within"}
_LOWER_BETTER = {"deaths", "death", "trapped", "exposed", "caught", "turned", "away", "without",
                 "unmet", "stockouts", "wait", "queue", "min", "h", "hours", "time", "minutes",
                 "injured", "casualties", "load", "aegl2", "aegl3", "cut"}
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def better_direction(kpi: str, target: Target | None = None) -> int:
    """-1 if lower values of ``kpi`` are better, +1 if higher are, 0 for a context figure that
    is not judged: from ``target``'s operator if given, else from the model catalogues'
    ``Kpi.better``; only a KPI no catalogue knows falls back to its name (the heuristic above)."""
    if target is not None:
        return -1 if target.op in ("<", "<=") else 1
    entry = find(kpi)
    if entry is not None:
        return {"lower": -1, "higher": 1, None: 0}[entry.better]
    tokens = set(re.split(r"[_.\-\s]+", kpi.lower()))
    if tokens & _HIGHER_BETTER:
        return 1
    if tokens & _LOWER_BETTER:
        return -1
    return 1


def outcome_kpis(table: pd.DataFrame, spec: ExperimentSpec) -> list[str]:
    """The spec's outcome KPIs that the table holds, in spec order."""
    return [o.kpi for o in spec.outcomes if o.kpi in table.columns]


def outcome_targets(table: pd.DataFrame, spec: ExperimentSpec) -> dict[str, Target]:
    """KPI -> plan target for the outcomes that have one (the spec's, else the catalogue's)."""
    targets = {}
    for outcome in spec.outcomes:
        target = outcome.resolved_target()
        if target is not None and outcome.kpi in table.columns:
            targets[outcome.kpi] = target
    return targets


def _directions(table: pd.DataFrame, spec: ExperimentSpec, kpis: list[str]) -> dict[str, int]:
    targets = outcome_targets(table, spec)
    return {k: better_direction(k, targets.get(k)) for k in kpis}


def _option_order(table: pd.DataFrame, spec: ExperimentSpec) -> list[str]:
    names = [o.name for o in spec.options]
    return names + sorted(set(table["option"].astype(str)) - set(names))


def _long(table: pd.DataFrame, spec: ExperimentSpec, kpis: list[str]) -> pd.DataFrame:
    """option (categorical, spec order), replication, kpi (categorical), value (float)."""
    frame = table[["option", "replication", *kpis]].melt(
        id_vars=["option", "replication"], value_vars=kpis, var_name="kpi", value_name="value")
    frame["option"] = pd.Categorical(frame["option"].astype(str),
                                     categories=_option_order(table, spec))
    frame["kpi"] = pd.Categorical(frame["kpi"], categories=kpis)
    frame["value"] = frame["value"].astype(float)
    return frame


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals back to plain strings, a fresh index."""
    for column in ("option", "kpi"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame.reset_index(drop=True)


def _mean_ci(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Per group of ``keys``: n, n_inf, mean, sd and the t confidence interval of the mean, over
    the non-NaN values of ``column``, with the infinity rules of the module docstring."""
    values = frame[column]
    work = frame[keys].assign(
        _v=values.where(np.isfinite(values)), _pos=values == np.inf, _neg=values == -np.inf,
        _n=values.notna())
    grouped = work.groupby(keys, observed=True, sort=True)
    out = grouped.agg(n=("_n", "sum"), n_pos=("_pos", "sum"), n_neg=("_neg", "sum"),
                      finite_mean=("_v", "mean"), sd=("_v", "std"))
    n = out["n"].to_numpy(dtype=float)
    pos, neg = out["n_pos"].to_numpy() > 0, out["n_neg"].to_numpy() > 0
    mean = np.select([pos & neg, pos, neg], [np.nan, np.inf, -np.inf],
                     default=out["finite_mean"].to_numpy(dtype=float))
    mean = np.where(n > 0, mean, np.nan)
    sd = np.where(pos | neg, np.nan, out["sd"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return pd.DataFrame({"n": n.astype(int), "n_inf": (out["n_pos"] + out["n_neg"]).to_numpy(),
                         "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half},
                        index=out.index)


def _quantiles(frame: pd.DataFrame, keys: list[str], column: str,
               probabilities: dict[str, float]) -> pd.DataFrame:
    """Per group: quantiles of the non-NaN values by linear interpolation (numpy's default,
    Hyndman-Fan type 7); an interpolation that touches an infinite value is that infinity."""
    data = frame.loc[frame[column].notna(), [*keys, column]].sort_values([*keys, column])
    values = data[column].to_numpy(dtype=float)
    grouped = data.groupby(keys, observed=True, sort=True)
    size = grouped[column].size()
    n = size.to_numpy()
    start = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(int)
    out = pd.DataFrame(index=size.index)
    for name, p in probabilities.items():
        h = (n - 1) * p
        lo, hi = np.floor(h).astype(int), np.ceil(h).astype(int)
        a, b, frac = values[start + lo], values[start + hi], h - np.floor(h)
        with np.errstate(invalid="ignore"):
            lerp = a + (b - a) * frac
        out[name] = np.select([frac == 0, np.isinf(a), np.isinf(b)], [a, a, b], default=lerp)
    return out


def kpi_summary(table: pd.DataFrame, spec: ExperimentSpec,
                kpis: list[str] | None = None) -> pd.DataFrame:
    """Per option and KPI (default: the spec's outcomes): n, n_inf, mean, sd, the 95 % t interval
    of the mean (ci_low, ci_high) and the 5th, 50th and 95th percentiles (p5, p50, p95)."""
    kpis = outcome_kpis(table, spec) if kpis is None else [k for k in kpis if k in table.columns]
    columns = ["option", "kpi", "n", "n_inf", "mean", "sd", "ci_low", "ci_high", "p5", "p50",
               "p95"]
    if not kpis or table.empty:
        return pd.DataFrame(columns=columns)
    long = _long(table, spec, kpis)  # NaN kept here so that an all-NaN group shows n = 0
    keys = ["option", "kpi"]
    moments = _mean_ci(long, keys, "value")
    quantiles = _quantiles(long, keys, "value", {"p5": 0.05, "p50": 0.5, "p95": 0.95})
    return _plain(moments.join(quantiles).reset_index())[columns]


def _pairs(table: pd.DataFrame, spec: ExperimentSpec, kpis: list[str]) -> pd.DataFrame:
    """Each non-baseline option's values next to the baseline's in the same replication (rows
    where either is NaN dropped): option, replication, kpi, value, base."""
    long = _long(table, spec, kpis).dropna(subset=["value"])
    baseline = spec.baseline_name
    base = long.loc[long["option"] == baseline, ["replication", "kpi", "value"]].rename(
        columns={"value": "base"})
    others = long[long["option"] != baseline]
    return others.merge(base, on=["replication", "kpi"], how="inner")


def paired_differences(table: pd.DataFrame, spec: ExperimentSpec,
                       kpis: list[str] | None = None) -> pd.DataFrame:
    """Per non-baseline option and KPI: option − baseline paired by replication (common random
    numbers): n_pairs, mean_diff with its 95 % t interval, n_undetermined (both infinite), the
    shares of replications where the option is strictly better or worse (KPI direction; NaN for
    a context figure the catalogue does not judge), and n_one_never: pairs infinite on exactly
    one side, whose difference is ±inf (then mean_diff is ±inf, not a usable mean: the shares
    better and worse still are)."""
    kpis = outcome_kpis(table, spec) if kpis is None else [k for k in kpis if k in table.columns]
    columns = ["option", "kpi", "n_pairs", "mean_diff", "ci_low", "ci_high", "n_undetermined",
               "share_better", "share_worse", "n_one_never"]
    if not kpis or table.empty:
        return pd.DataFrame(columns=columns)
    pairs = _pairs(table, spec, kpis)
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    value, base = pairs["value"], pairs["base"]
    undetermined = np.isinf(value) & (value == base)
    with np.errstate(invalid="ignore"):
        pairs["diff"] = (value - base).where(~undetermined)
    direction = pairs["kpi"].map(_directions(table, spec, kpis)).astype(int)
    judged = direction != 0   # a context figure (Kpi.better None): neither better nor worse
    pairs["better"] = np.where(judged, np.where(direction < 0, value < base, value > base),
                               np.nan)
    pairs["worse"] = np.where(judged, np.where(direction < 0, value > base, value < base),
                              np.nan)
    pairs["undetermined"] = undetermined
    keys = ["option", "kpi"]
    moments = _mean_ci(pairs, keys, "diff")
    counts = pairs.groupby(keys, observed=True, sort=True).agg(
        n_pairs=("value", "size"), n_undetermined=("undetermined", "sum"),
        share_better=("better", "mean"), share_worse=("worse", "mean"))
    out = counts.join(moments[["mean", "ci_low", "ci_high", "n_inf"]]).rename(
        columns={"mean": "mean_diff", "n_inf": "n_one_never"})
    return _plain(out.reset_index())[columns]


def wilson_interval(successes: np.ndarray | float, n: np.ndarray | float,
                    confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (Wilson 1927; Agresti & Coull 1998):
    (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n). NaN where n = 0."""
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    # Exact ends at k = 0 and k = n (the formula gives them up to rounding).
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    nan = ~(n > 0)
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def _met(long: pd.DataFrame, targets: dict[str, Target]) -> pd.Series:
    """Whether each (non-NaN) value meets its KPI's target; inf fails '<' and meets '>'."""
    kpi = long["kpi"].astype(str)
    threshold = kpi.map({k: t.value for k, t in targets.items()}).to_numpy(dtype=float)
    op = kpi.map({k: t.op for k, t in targets.items()}).to_numpy()
    value = long["value"].to_numpy(dtype=float)
    met = np.select([op == symbol for symbol in _OPS],
                    [fn(value, threshold) for fn in _OPS.values()], default=False)
    return pd.Series(met, index=long.index)


def _target_long(table: pd.DataFrame, spec: ExperimentSpec) -> tuple[pd.DataFrame,
                                                                      dict[str, Target]]:
    targets = outcome_targets(table, spec)
    if not targets or table.empty:
        return pd.DataFrame(columns=["option", "replication", "kpi", "value", "met"]), targets
    long = _long(table, spec, list(targets)).dropna(subset=["value"])
    return long.assign(met=_met(long, targets)), targets


def target_probabilities(table: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Per option and outcome with a plan target: target (e.g. "< 10"), n (non-NaN values),
    n_met, p_met = n_met / n and its 95 % Wilson score interval."""
    columns = ["option", "kpi", "target", "p_met", "ci_low", "ci_high", "n", "n_met"]
    long, targets = _target_long(table, spec)
    if long.empty:
        return pd.DataFrame(columns=columns)
    out = long.groupby(["option", "kpi"], observed=True, sort=True).agg(
        n=("met", "size"), n_met=("met", "sum")).reset_index()
    out["p_met"] = out["n_met"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["n_met"].to_numpy(), out["n"].to_numpy())
    out["target"] = out["kpi"].astype(str).map({k: str(t) for k, t in targets.items()})
    return _plain(out)[columns]


def _option_costs(table: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    costs = pd.DataFrame({
        "option": [o.name for o in spec.options],
        "cost_total_cny": [o.cost_capital_cny + o.cost_yearly_cny * spec.years
                           for o in spec.options]})
    costs = costs[costs["option"].isin(set(table["option"].astype(str)))]
    base_cost = costs.loc[costs["option"] == spec.baseline_name, "cost_total_cny"]
    base = float(base_cost.iloc[0]) if len(base_cost) else 0.0
    return costs.assign(cost_incremental_cny=costs["cost_total_cny"] - base)


def cost_effectiveness(table: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Per option (and, in long format, per outcome with a plan target): total cost (capital +
    yearly × spec.years, CNY), incremental cost vs the baseline, deaths averted per event (mean
    paired reduction in ``deaths``) and CNY per death averted; gain in the probability of meeting
    the target (percentage points vs the baseline, paired) and CNY per percentage point.

    Ratios are incremental cost / effect, reported only when the effect is > 0 and the
    incremental cost >= 0; otherwise NaN, with the reason in ``note`` (no effect, an undefined
    effect, or an option that is cheaper than the baseline *and* better: it dominates)."""
    columns = ["option", "cost_total_cny", "cost_incremental_cny", "deaths_averted",
               "cost_per_death_averted", "kpi", "target", "gain_in_p_met", "cost_per_point",
               "note"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    costs = _option_costs(table, spec)
    baseline = spec.baseline_name
    out = costs.copy()
    if "deaths" in table.columns:
        diffs = paired_differences(table, spec, ["deaths"])
        averted = -diffs.set_index("option")["mean_diff"]
        out["deaths_averted"] = out["option"].map(averted).astype(float)
        out.loc[out["option"] == baseline, "deaths_averted"] = 0.0
        out["cost_per_death_averted"], reason = _ratio(out["cost_incremental_cny"],
                                                       out["deaths_averted"], "deaths")
        notes = reason.where(out["option"] != baseline, "baseline")
    else:
        out["deaths_averted"] = np.nan
        out["cost_per_death_averted"] = np.nan
        notes = pd.Series("no 'deaths' KPI in the results", index=out.index)
    out["note"] = notes

    long, targets = _target_long(table, spec)
    if long.empty:
        out = out.assign(kpi=np.nan, target=np.nan, gain_in_p_met=np.nan, cost_per_point=np.nan)
        return out.reset_index(drop=True)[columns]
    met = long[["option", "replication", "kpi", "met"]].assign(met=long["met"].astype(float))
    base = met.loc[met["option"] == baseline, ["replication", "kpi", "met"]].rename(
        columns={"met": "base"})
    pairs = met.merge(base, on=["replication", "kpi"], how="inner")
    gains = (pairs.assign(gain=100 * (pairs["met"] - pairs["base"]))
             .groupby(["option", "kpi"], observed=True, sort=True)["gain"].mean()
             .rename("gain_in_p_met").reset_index())
    gains = _plain(gains)
    rows = out.merge(gains, on="option", how="left", sort=False)
    rows["target"] = rows["kpi"].map({k: str(t) for k, t in targets.items()})
    rows["cost_per_point"], reason = _ratio(rows["cost_incremental_cny"], rows["gain_in_p_met"],
                                            "target")
    reason = reason.where(rows["option"] != baseline, "")
    rows["note"] = (rows["note"] + "; " + reason).str.strip("; ")
    order = {name: i for i, name in enumerate(_option_order(table, spec))}
    rows = rows.sort_values("option", key=lambda s: s.map(order), kind="stable")
    return rows.reset_index(drop=True)[columns]


def _ratio(cost: pd.Series, effect: pd.Series, what: str) -> tuple[pd.Series, pd.Series]:
    """cost / effect where effect > 0 and cost >= 0, else NaN, with the reason."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = cost / effect
    undefined = ~np.isfinite(effect)
    none = np.isfinite(effect) & (effect <= 0)
    dominant = (effect > 0) & (cost < 0)
    reason = pd.Series(np.select(
        [undefined, none, dominant],
        [f"{what}: effect not estimable", f"{what}: no gain (effect <= 0)",
         f"{what}: dominant (cheaper than baseline and better)"], default=""),
        index=cost.index)
    return ratio.where(reason == ""), reason


def robustness(table: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Per option and outcome KPI: mean and max regret over replications (regret in replication
    k = best value any option reached in k minus this option's value, in the KPI's better
    direction, so >= 0, in the KPI's unit; NaN for a context figure not judged) and
    satisficing: the share of replications in which the option meets every outcome target at
    once (the same value on each of its rows)."""
    columns = ["option", "kpi", "n", "mean_regret", "max_regret", "satisficing"]
    kpis = outcome_kpis(table, spec)
    if not kpis or table.empty:
        return pd.DataFrame(columns=columns)
    long = _long(table, spec, kpis).dropna(subset=["value"])
    direction = long["kpi"].map(_directions(table, spec, kpis)).astype(int)
    score = long["value"] * direction  # higher is better
    best = score.groupby([long["replication"], long["kpi"]], observed=True).transform("max")
    with np.errstate(invalid="ignore"):
        regret = (best - score).where(score != best, 0.0)  # equal infinities: no regret
    regret = regret.where(direction != 0)  # a context figure (not judged) has no regret
    long = long.assign(regret=regret)
    keys = ["option", "kpi"]
    moments = _mean_ci(long, keys, "regret")
    worst = long.groupby(keys, observed=True, sort=True)["regret"].max().rename("max_regret")
    out = moments[["n", "mean"]].rename(columns={"mean": "mean_regret"}).join(worst)
    out = _plain(out.reset_index())
    out["satisficing"] = out["option"].map(_satisficing(table, spec)).astype(float)
    return out[columns]


def _satisficing(table: pd.DataFrame, spec: ExperimentSpec) -> pd.Series:
    """Option -> share of replications meeting all outcome targets (replications where some
    targeted KPI is NaN cannot be judged and are left out); NaN without targets."""
    long, targets = _target_long(table, spec)
    if long.empty:
        return pd.Series(dtype=float)
    per_replication = long.groupby(["option", "replication"], observed=True).agg(
        judged=("met", "size"), all_met=("met", "all"))
    judged = per_replication[per_replication["judged"] == len(targets)]
    return _plain(judged.groupby("option", observed=True)["all_met"].mean()
                  .reset_index()).set_index("option")["all_met"]
