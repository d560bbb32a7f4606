"""Experimental designs: which uncertainty values each replication index gets.

Every option sees the same table (common random numbers). Points of the unit cube come from
independent uniforms (``monte_carlo``, drawn from sim's named streams), a Latin hypercube (``lhs``)
or a scrambled Sobol sequence (``sobol``), both from ``scipy.stats.qmc``; each column is then
turned into parameter values by its distribution's inverse CDF.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import qmc

from experiments.spec import ExperimentSpec
from sim.streams import Streams

__all__ = ["unit_cube", "draws", "INPUT_PREFIX"]

INPUT_PREFIX = "in."


def unit_cube(spec: ExperimentSpec) -> np.ndarray:
    """(replications, uncertainties) points in [0, 1)."""
    n, d = spec.replications, len(spec.uncertainties)
    if d == 0:
        return np.zeros((n, 0))
    if spec.design == "monte_carlo":
        return np.array([[Streams(spec.root_seed, k)[f"experiment.{u.path}"].random()
                          for u in spec.uncertainties] for k in range(n)])
    seed = np.random.SeedSequence(spec.root_seed)  # a generator for scipy, from the spec's seed
    if spec.design == "lhs":
        return qmc.LatinHypercube(d=d, rng=np.random.Generator(np.random.PCG64(seed))).random(n)
    sampler = qmc.Sobol(d=d, scramble=True, rng=np.random.Generator(np.random.PCG64(seed)))
    with warnings.catch_warnings():
        # n need not be a power of 2; the sequence's balance is then only approximate.
        warnings.simplefilter("ignore", UserWarning)
        return sampler.random(n)


def draws(spec: ExperimentSpec) -> pd.DataFrame:
    """One row per replication: ``replication`` and ``in.<path>`` values."""
    cube = unit_cube(spec)
    table = {"replication": np.arange(spec.replications)}
    for j, u in enumerate(spec.uncertainties):
        table[INPUT_PREFIX + u.path] = np.asarray(u.distribution.ppf(cube[:, j]), dtype=float)
    return pd.DataFrame(table)
