"""Global sensitivity of a KPI to the experiment's uncertainties, with SALib.

Our designs (Monte Carlo, Latin hypercube, Sobol sequence) are plain samples of the input
distributions, not Saltelli or Morris designs, so only "given data" estimators apply:

* ``rbd_fast`` — first-order index S1 by random balance design FAST (Tarantola et al. 2006, with
  Plischke's 2010 EASI ordering and the Tissot & Prieur 2012 bias correction); the number of
  harmonics M shrinks with small samples (M = min(10, n // 10)) so the correction stays valid.
* ``delta`` — Borgonovo's moment-independent delta (Plischke, Borgonovo & Smith 2013, bias
  reduced, on the sample as drawn: SALib's "raw" mode): how far knowing one input shifts the
  whole distribution of the KPI, interactions included. Needs at least :data:`DELTA_MIN_N`
  finite outputs, and is slow on large samples (seconds for a few hundred runs, about 100 s for
  4,000 runs and 3 inputs). SALib's delta also returns an S1 from a coarse partition (about
  n^(1/4) classes); it is left out because it misses non-monotone effects: on the Ishigami
  function with 200 runs it gives 0.06 ± 0.05 for x2, whose true S1 is 0.44.

``conf`` is the half-width of a 95 % bootstrap interval (value ± conf), from SALib's bootstrap
with a fixed seed, so a rerun gives the same numbers. The SALib verbs are mirrored:
:func:`problem` builds the problem from a spec, :func:`analyze` runs the estimators on (X, Y),
:func:`sensitivity` does both for one option of a results table.
"""

from __future__ import annotations

import warnings
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import pandas as pd
from SALib.analyze import delta as salib_delta
from SALib.analyze import rbd_fast as salib_rbd_fast

from experiments.design import INPUT_PREFIX
from experiments.spec import ExperimentSpec
from sim.streams import Streams

__all__ = ["problem", "analyze", "sensitivity", "explain_negative", "EXPLAIN_NEGATIVE",
           "METHODS", "SEED", "RBD_MIN_N", "DELTA_MIN_N", "COLUMNS", "DUMMY"]

METHODS = ("rbd_fast", "delta")
SEED = 20260101  # SALib's delta ignores a seed of 0
RBD_MIN_N = 10
DELTA_MIN_N = 50
COLUMNS = ["input", "method", "index", "value", "conf", "n", "n_dropped", "note"]
DUMMY = "(dummy: noise floor)"

EXPLAIN_NEGATIVE = (
    "How to read these indices. S1 (first-order, RBD-FAST) is the share of the KPI's variance "
    "explained by one input alone: between 0 and 1 in theory. Estimated from a finite sample it "
    "carries sampling noise, and RBD-FAST's bias correction subtracts the noise level expected "
    "of an input with no influence, so such an input comes out near 0 on either side, e.g. "
    "−0.02 ± 0.03. Read a negative S1, or any index whose interval (value ± conf) includes 0, "
    "as ≈ 0: no detectable first-order effect; a large negative S1 (below about −0.1) means the "
    "sample is too small for the estimator. delta (Borgonovo) measures how far knowing one "
    "input shifts the whole distribution of the KPI (0 to 1), interactions included; it keeps a "
    "small positive floor from noise, so compare inputs with one another rather than with 0. An "
    "input with S1 ≈ 0 but a clear delta acts through interactions with other inputs or on the "
    "spread of the KPI rather than on its mean. The row '(dummy: noise floor)' is a made-up "
    "input of random numbers that cannot affect the KPI: an input whose index is not clearly "
    "above the dummy's is indistinguishable from noise with this many runs.")


def explain_negative() -> str:
    """How to read negative or near-zero sensitivity estimates (for reports)."""
    return EXPLAIN_NEGATIVE


def _bounds(distribution: object) -> list[float]:
    """[low, high] from the inverse CDF at 0 and 1, falling back to the 0.1 % and 99.9 %
    quantiles where those are infinite (normal, lognormal)."""
    ppf = distribution.ppf  # type: ignore[attr-defined]
    low, high = (float(np.asarray(ppf(np.array([u])))[0]) for u in (0.0, 1.0))
    if not np.isfinite(low):
        low = float(np.asarray(ppf(np.array([0.001])))[0])
    if not np.isfinite(high):
        high = float(np.asarray(ppf(np.array([0.999])))[0])
    return [low, high]


def problem(spec: ExperimentSpec) -> dict:
    """SALib problem of the spec's uncertainties: names (uncertainty names), bounds and the
    results-table columns (``in.<path>``) holding their sampled values."""
    return {"num_vars": len(spec.uncertainties),
            "names": [u.name for u in spec.uncertainties],
            "bounds": [_bounds(u.distribution) for u in spec.uncertainties],
            "columns": [INPUT_PREFIX + u.path for u in spec.uncertainties]}


def _rows(names: list[str], method: str, index: str, values: object, conf: object,
          notes: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"input": names, "method": method, "index": index,
                         "value": np.asarray(values, dtype=float),
                         "conf": np.asarray(conf, dtype=float), "note": notes})


def _rbd_fast(sub: dict, X: np.ndarray, Y: np.ndarray, seed: int,
              num_resamples: int) -> pd.DataFrame:
    # RBD-FAST's bias correction divides by 1 - 2M/n, with n halved in its bootstrap, so M must
    # stay well below n/4; SALib's default M = 10 assumes n in the hundreds.
    harmonics = min(10, len(Y) // 10)
    result = salib_rbd_fast.analyze(sub, X, Y, M=harmonics, num_resamples=num_resamples,
                                    seed=seed)
    return _rows(sub["names"], "rbd_fast", "S1", result["S1"], result["S1_conf"],
                 [""] * len(sub["names"]))


def _delta(sub: dict, X: np.ndarray, Y: np.ndarray, seed: int,
           num_resamples: int) -> pd.DataFrame:
    # SALib's delta seeds numpy's global generator and changes the warning filters and
    # formatter: all three are put back as they were.
    # Inputs go in as x0, x1, ...: SALib rejects names ending in _raw, _step, _conf, ...
    names = list(sub["names"])
    generic = {**sub, "names": [f"x{i}" for i in range(len(names))]}
    state = np.random.get_state()  # noqa: NPY002 -- restored below, never drawn from here
    formatter = warnings.formatwarning
    try:
        # Its warnings (bin merges, raw vs balanced) concern modes not reported: recorded, dropped.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            result = salib_delta.analyze(generic, X, Y, num_resamples=num_resamples, seed=seed)
    finally:
        np.random.set_state(state)  # noqa: NPY002
        warnings.formatwarning = formatter
    notes = [str(n) for n in result.get("notes") or []]
    notes += [""] * (len(names) - len(notes))
    for i in range(len(names)):
        # Keep SALib's error notes; drop those about the modes not reported here ("step" needs
        # inputs on both sides of 0; "balanced" reweights the sample, which is drawn as wanted).
        kept = [part.strip() for part in notes[i].split(";") if part.strip()
                and not part.strip().startswith(("Step:", "Raw delta differs"))]
        notes[i] = "; ".join(kept)
    return _rows(names, "delta", "delta", result["delta_raw"], result["delta_raw_conf"], notes)


def _one_blas_thread() -> AbstractContextManager:
    """BLAS limited to one thread, if threadpoolctl is installed. SALib's delta evaluates
    thousands of tiny kernel density estimates; with OpenBLAS threads competing for busy cores
    (e.g. next to simulation workers) it measured 30 times slower (5 s instead of 0.15 s)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only speed depends on it
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _placeholder(names: list[str], method: str, note: str) -> pd.DataFrame:
    index = "S1" if method == "rbd_fast" else "delta"
    return _rows(names, method, index, np.full(len(names), np.nan), np.full(len(names), np.nan),
                 [note] * len(names))


def analyze(problem: dict, X: np.ndarray, Y: np.ndarray, methods: tuple[str, ...] = METHODS,
            seed: int = SEED, num_resamples: int = 100, dummy: bool = True) -> pd.DataFrame:
    """Sensitivity indices of Y (n,) to the columns of X (n, d) named in ``problem``: rows of
    input, method, index, value, conf (95 % half-width), n, n_dropped, note. Rows whose Y or X
    is not finite are dropped first; inputs constant over the sample get NaN. With ``dummy``,
    an extra input of uniform random numbers (:data:`DUMMY`, drawn from ``seed``) shows the
    estimators' noise floor."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown sensitivity method(s) {sorted(unknown)}; expected {METHODS}")
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    keep = np.isfinite(Y) & np.isfinite(X).all(axis=1)
    X, Y = X[keep], Y[keep]
    names = list(problem["names"])
    if dummy:
        X = np.column_stack([X, Streams(seed)["sensitivity.dummy"].random(len(Y))])
        names.append(DUMMY)
        problem = {**problem, "bounds": [*problem["bounds"], [0.0, 1.0]]}
    varying = np.ptp(X, axis=0) > 0 if len(Y) else np.zeros(len(names), dtype=bool)
    active = [name for name, v in zip(names, varying, strict=True) if v]
    sub = {"num_vars": len(active), "names": active,
           "bounds": [b for b, v in zip(problem["bounds"], varying, strict=True) if v]}
    constant_output = len(Y) > 0 and np.ptp(Y) == 0
    frames = []
    for method in methods:
        minimum = RBD_MIN_N if method == "rbd_fast" else DELTA_MIN_N
        if len(Y) < minimum:
            frames.append(_placeholder(names, method, f"needs >= {minimum} finite outputs, "
                                                      f"has {len(Y)}"))
            continue
        if constant_output:
            frames.append(_placeholder(names, method, "KPI constant over the sample: no "
                                                      "variance to apportion"))
            continue
        inactive = [n for n in names if n not in active]
        if inactive:
            frames.append(_placeholder(inactive, method, "input constant over the sample"))
        if active:
            estimator = _rbd_fast if method == "rbd_fast" else _delta
            with _one_blas_thread():
                frames.append(estimator(sub, X[:, varying], Y, seed, num_resamples))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    out["n"], out["n_dropped"] = int(len(Y)), int((~keep).sum())
    # Spec order of inputs within each (method, index).
    out["_order"] = out["input"].map({name: i for i, name in enumerate(names)})
    out["_method"] = out["method"].map({m: i for i, m in enumerate(METHODS)})
    out = out.sort_values(["_method", "_order"], kind="stable")
    return out.reset_index(drop=True)[COLUMNS]


def sensitivity(table: pd.DataFrame, spec: ExperimentSpec, kpi: str, option: str | None = None,
                methods: tuple[str, ...] = METHODS, seed: int = SEED,
                num_resamples: int = 100) -> pd.DataFrame:
    """Sensitivity of ``kpi`` to the spec's uncertainties over the replications of one option
    (default: the baseline); columns as :func:`analyze`. Empty if the spec has no uncertainties
    or the table lacks the KPI or the option."""
    option = spec.baseline_name if option is None else option
    prob = problem(spec)
    if not spec.uncertainties or kpi not in table.columns or any(
            c not in table.columns for c in prob["columns"]):
        return pd.DataFrame(columns=COLUMNS)
    rows = table[table["option"].astype(str) == option]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    return analyze(prob, rows[prob["columns"]].to_numpy(dtype=float),
                   rows[kpi].to_numpy(dtype=float), methods=methods, seed=seed,
                   num_resamples=num_resamples)
