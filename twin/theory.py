"""Queueing theory that twin is validated against: Erlang C for M/M/c, Pollaczek-
Khinchine for M/D/1, Cobham's non-preemptive priorities, and a station of a
Jackson network. The validation tests and the benchmarks read these formulas;
they are the truth a degenerate scenario's confidence interval must contain.

Rates and times share one time unit (e.g. per minute and minutes).

>>> round(erlang_c(2, 1.6), 4)          # M/M/2 at load 0.8: 2 rho^2 / (1 + rho)
0.7111
>>> round(mmc_sojourn(0.5, 3.2, 2), 3)  # wait + service [min]
8.889
"""

from __future__ import annotations

import math


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lam / mu < c."""
    rho = offered / servers
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"load must be below 1 (got {rho:g})")
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) / (1.0 - rho)
    return top / (below + top)


def mmc_wait(lam: float, mean_service: float, servers: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    mu = 1.0 / mean_service
    return erlang_c(servers, lam / mu) / (servers * mu - lam)


def mmc_sojourn(lam: float, mean_service: float, servers: int) -> float:
    """Mean time in an M/M/c station: wait plus service. In an open Jackson network
    (e.g. two stations in tandem fed by Poisson arrivals) each station behaves as
    this one, and the mean time in the network is the sum over its stations."""
    return mmc_wait(lam, mean_service, servers) + mean_service


def mmc_feedback(lam: float, settle: float, mean_service: float, servers: int
                 ) -> tuple[float, float, float]:
    """An M/M/c station with Bernoulli feedback through a delay: a job leaves after a
    service with probability ``settle``, else it comes back after a fixed delay (a
    mediation session that neither settles nor fails, followed by the next one).

    The number of services per job is geometric, mean 1 / settle; the station sees
    the total rate Lambda = lam / settle. A delay node of infinitely many servers keeps
    the network's product form (BCMP), so the station is an M/M/c with rate Lambda.
    Returns (services per job, utilisation Lambda E[S] / c, mean wait per service)."""
    total = lam / settle
    return 1.0 / settle, total * mean_service / servers, mmc_wait(total, mean_service, servers)


def md1_wait(lam: float, service: float) -> float:
    """Mean wait in queue of M/D/1 (Pollaczek-Khinchine): lam E[S^2] / (2 (1 - rho))."""
    rho = lam * service
    return lam * service**2 / (2.0 * (1.0 - rho))


def priority_waits(lam: float, mean_service: float, servers: int,
                   shares: dict[str, float]) -> dict[str, float]:
    """Mean wait per class of M/M/c with non-preemptive priorities and equal service
    rates (Cobham); ``shares`` lists the classes most urgent first."""
    mu = 1.0 / mean_service
    base = erlang_c(servers, lam / mu) / (servers * mu)
    out: dict[str, float] = {}
    sigma = 0.0
    for name, share in shares.items():
        before = sigma
        sigma += share * lam / (servers * mu)
        out[name] = base / ((1.0 - before) * (1.0 - sigma))
    return out
