"""The network Bass benchmark's case, shared by its per-agent Mesa and bare numpy versions."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class NetworkBass:
    """Bass diffusion on a Barabási–Albert social graph, one day a step, no churn.

    A person who has not adopted adopts on a day with probability 1 - exp(-(p + q s)),
    s the share of their neighbours who had adopted at the start of the day.
    """

    n: int = 10_000
    """people"""
    mean_degree: int = 10
    """mean degree of the graph (``m = mean_degree // 2`` links per new node)"""
    days: int = 365
    """daily steps"""
    p: float = 0.03 / 30
    """innovation, per day (the Bass meta-analysis average 0.03 a year, read per month)"""
    q: float = 0.38 / 30
    """imitation, per day (0.38 a year, read per month)"""
    seed: int = 0
    """seeds the graph and the model's random numbers"""

    @property
    def size(self) -> str:
        """The case in words, for the benchmark table."""
        return f"{self.n:,} people, BA k={self.mean_degree}, {self.days} d"

    def graph(self) -> nx.Graph:
        """The social graph (networkx's generator, as in Mesa's examples)."""
        return nx.barabasi_albert_graph(self.n, max(1, self.mean_degree // 2), seed=self.seed)


BENCHMARK = NetworkBass()
"""The case ``make bench`` times."""
