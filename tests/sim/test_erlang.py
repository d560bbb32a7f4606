"""The Erlang C formula against hand-computed values, and the M/M/c model built on sim against
Erlang C: the engine's end-to-end validation."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from models.loading import load_scenario
from models.queue import build_queue, erlang_c
from sim.runner import run_replications


def erlang_c_exact(arrival_rate: Fraction, service_rate: Fraction, servers: int):
    """P_w and W_q in exact rational arithmetic, straight from the textbook formula
    (REFERENCE-PARAMETERS.md): P_w = [a^c/c! / (1-rho)] / [sum_{k<c} a^k/k! + a^c/c! / (1-rho)],
    W_q = P_w / (c mu - lambda)."""
    a = arrival_rate / service_rate
    rho = a / servers
    tail = a**servers / math.factorial(servers) / (1 - rho)
    head = sum(a**k / math.factorial(k) for k in range(servers))
    p_wait = tail / (head + tail)
    return p_wait, p_wait / (servers * service_rate - arrival_rate)


# --- the formula -------------------------------------------------------------------------------


@pytest.mark.parametrize("arrival_rate, service_rate", [(0.5, 1.0), (3.0, 4.0), (0.9, 1.0)])
def test_mm1_wait_probability_is_rho_and_mean_wait_is_rho_over_mu_minus_lambda(
        arrival_rate, service_rate):
    rho = arrival_rate / service_rate
    result = erlang_c(arrival_rate, service_rate, 1)
    assert result.wait_probability == pytest.approx(rho)
    assert result.mean_wait == pytest.approx(rho / (service_rate - arrival_rate))
    assert result.utilisation == pytest.approx(rho)


def test_mm3_by_hand():
    # lambda = 2, mu = 1, c = 3: a = 2, rho = 2/3; sum_{k<3} 2^k/k! = 1 + 2 + 2 = 5;
    # 2^3/3! / (1 - 2/3) = 4; P_w = 4 / (5 + 4) = 4/9; W_q = P_w / (3 - 2) = 4/9.
    result = erlang_c(2.0, 1.0, 3)
    assert result.wait_probability == pytest.approx(4 / 9)
    assert result.mean_wait == pytest.approx(4 / 9)
    assert result.utilisation == pytest.approx(2 / 3)


def test_reference_scenario_figures():
    # mmc-reference: a call every 0.5 min, 3.5 min handling, 8 call-takers.
    p_wait, mean_wait = erlang_c_exact(Fraction(2), Fraction(2, 7), 8)
    result = erlang_c(2.0, 2 / 7, 8)
    assert result.wait_probability == pytest.approx(float(p_wait), rel=1e-12)
    assert result.mean_wait == pytest.approx(float(mean_wait), rel=1e-12)
    # The figures quoted in the scenario's description.
    assert round(result.mean_wait, 2) == 2.22 and round(result.wait_probability, 3) == 0.635


@pytest.mark.parametrize("servers, arrival_rate", [(5, Fraction(7, 2)), (50, Fraction(45)),
                                                   (200, Fraction(190))])
def test_many_servers_match_exact_arithmetic(servers, arrival_rate):
    # a^c/c! overflows floats long before c = 200; the iterative form must not.
    p_wait, mean_wait = erlang_c_exact(arrival_rate, Fraction(1), servers)
    result = erlang_c(float(arrival_rate), 1.0, servers)
    assert result.wait_probability == pytest.approx(float(p_wait), rel=1e-9)
    assert result.mean_wait == pytest.approx(float(mean_wait), rel=1e-9)


@pytest.mark.parametrize("arrival_rate, servers", [(3.0, 3), (4.0, 3), (0.0, 2)])
def test_no_steady_state_is_rejected(arrival_rate, servers):
    with pytest.raises(ValueError, match="rho"):
        erlang_c(arrival_rate, 1.0, servers)


# --- the simulation ----------------------------------------------------------------------------

SERVERS, RHO = 3, 0.7
ARRIVAL_RATE = RHO * SERVERS  # per minute; mean service 1 minute
REPLICATIONS, HORIZON, WARMUP = 4, 100_000.0, 200.0  # ~210 000 customers per replication
BATCHES_PER_REPLICATION = 25  # ~8 400 customers per batch


def batch_means(samples: list[np.ndarray]) -> tuple[float, float]:
    """Grand mean and its standard error from non-overlapping batch means (Law & Kelton).

    The waits of this queue are correlated over some tens of customers, so batches of thousands
    have nearly independent means; the replications themselves are independent.
    """
    means = [batch.mean() for x in samples for batch in np.array_split(x, BATCHES_PER_REPLICATION)]
    return float(np.concatenate(samples).mean()), float(np.std(means, ddof=1) / np.sqrt(len(means)))


@pytest.mark.slow
def test_mmc_model_matches_erlang_c():
    scenario = load_scenario("mmc-reference", {
        "horizon": HORIZON, "queue.servers": SERVERS, "queue.mean_service": 1.0,
        "queue.mean_interarrival": 1 / ARRIVAL_RATE, "queue.warmup": WARMUP})
    exact = erlang_c(ARRIVAL_RATE, 1.0, SERVERS)  # P_w = 0.492, W_q = 0.547 min

    models = []

    def build_and_keep(ctx, scen):
        models.append(build_queue(ctx, scen))
        return models[-1]

    results = run_replications(build_and_keep, scenario, REPLICATIONS, 20260101, HORIZON)
    waits = [model.waits.values for model in models]
    assert sum(w.size for w in waits) > 800_000

    mean_wait, se_wait = batch_means(waits)
    p_wait, se_p = batch_means([(w > 0).astype(float) for w in waits])
    utilisation = [r.kpis["utilisation"] for r in results]

    # Statistical power: a tolerance narrower than the noise would make this test a coin toss.
    # Measured with this seed: SE(W_q) = 1.14 % of W_q, so the 3 % margin is 2.6 SE (a correct
    # engine passes for ~99 % of seeds); SE(P_w) = 0.37 %, so 2 % is 5.4 SE. A full 3 SE on W_q
    # would take ~1.2 million customers, about 26 s. The seed is fixed: the test is deterministic.
    assert 0.03 * exact.mean_wait > 2.5 * se_wait
    assert mean_wait == pytest.approx(exact.mean_wait, rel=0.03)
    assert 0.02 * exact.wait_probability > 4 * se_p
    assert p_wait == pytest.approx(exact.wait_probability, rel=0.02)
    # Time-weighted busy share over the whole run (the 200-min warm-up is 0.2 % of it); across
    # replications it varies by ~0.3 %, so 1 % is many standard errors.
    assert np.mean(utilisation) == pytest.approx(RHO, rel=0.01)
    assert np.std(utilisation) < 0.005
    assert results[0].kpis["wait_mean_erlang_c_min"] == exact.mean_wait
