"""How a KPI value that may be "never within the horizon" (+inf) is shown, in English and Chinese.

A time KPI over everyone it is about (docs/models/rescue.md) is +inf when what it times did not
happen within the simulated horizon, e.g. the p90 of the time for a team to reach a call when more
than a tenth of the calls were never reached. +inf is a value, not an error: a quantile of values
with +inf is well defined (and may be +inf); a mean over replications with any +inf is not a
number anyone can use, so it is shown as words with how many runs were never, not as "inf"; a
paired difference with a never on one side likewise. NaN means "not defined" (e.g. no call was
made) and is shown as a dash. The CLI, the experiment report and the dashboard all use these
words; CSV files keep the numbers (pandas writes +inf as ``inf`` and NaN as an empty field, and
reads both back).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["NEVER", "UNDEFINED", "never_text", "mean_text", "value_text", "difference_text"]

NEVER = {"en": "not within the horizon", "zh": "未在时限内"}
UNDEFINED = "—"

_MEAN_SOME = {"en": "no mean: {k} of {n} runs not within the horizon",
              "zh": "无均值：{n} 次中 {k} 次未在时限内"}
_MEAN_ALL = {"en": "not within the horizon (all {n} runs)", "zh": "未在时限内（全部 {n} 次）"}
_DIFF_SOME = {"en": "no mean: {k} of {n} pairs not within the horizon on one side",
              "zh": "无均值：{n} 对中 {k} 对有一方未在时限内"}


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def never_text(lang: str = "en") -> str:
    """The words for +inf: "not within the horizon" / "未在时限内"."""
    return NEVER[_lang(lang)]


def value_text(value: float | None, fmt: Callable[[float], str], lang: str = "en") -> str:
    """One value: ``fmt(value)`` when finite, the words for +inf (and "-" before them for
    -inf, which only a difference or a score can be), a dash for NaN or None."""
    if value is None or math.isnan(value):
        return UNDEFINED
    if math.isinf(value):
        return never_text(lang) if value > 0 else f"-({never_text(lang)})"
    return fmt(value)


def mean_text(mean: float, n_never: int, n: int, fmt: Callable[[float], str],
              lang: str = "en") -> str:
    """A mean over ``n`` runs of which ``n_never`` were +inf: the formatted mean when none was;
    "not within the horizon (all n runs)" when all were; else "no mean: k of n runs not within
    the horizon" (the median and the share of runs meeting a target still mean something)."""
    if n_never <= 0 or n <= 0:
        return value_text(mean, fmt, lang)
    if n_never >= n:
        return never_text(lang) if n == 1 else _MEAN_ALL[_lang(lang)].format(n=n)
    return _MEAN_SOME[_lang(lang)].format(k=n_never, n=n)


def difference_text(mean_diff: float, n_one_never: int, n_pairs: int,
                    fmt: Callable[[float], str], lang: str = "en") -> str:
    """A mean paired difference over ``n_pairs`` of which ``n_one_never`` had +inf on exactly
    one side (the difference then is ±inf): the formatted mean when none had; else words."""
    if n_one_never <= 0:
        return value_text(mean_diff, fmt, lang)
    return _DIFF_SOME[_lang(lang)].format(k=n_one_never, n=n_pairs)
