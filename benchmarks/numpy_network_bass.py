"""Network Bass diffusion in bare numpy: the floor any vectorised implementation can hope for.

Same dynamics as ``mesa_network_bass.py``: a person who has not adopted adopts on a day with
probability ``1 - exp(-(p + q * s))``, ``s`` being the share of their neighbours on a
networkx Barabási–Albert graph who had adopted at the start of the day (synchronous update,
degree-0 people have ``s = 0``, no churn).

The work per day is the minimum: one uniform draw per waiting (not yet adopted) person, and
neighbour-adopted counts updated only along the edges of that day's new adopters (CSR adjacency
from scipy.sparse; the neighbour indices of the new adopters are gathered and added with
``np.bincount``). No per-day pass over all edges.

What is timed (by ``benchmarks/bench.py``) is the whole call, graph building included;
``timings`` (optional) receives the split (``graph_s``, ``setup_s``, ``steps_s``).
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import scipy.sparse as sp
from network_bass_case import BENCHMARK, NetworkBass


def _csr_adjacency(graph: nx.Graph, n: int) -> sp.csr_array:
    """Symmetric CSR adjacency of a graph whose nodes are 0..n-1."""
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    data = np.ones(rows.size, dtype=np.int8)
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


def _gather_neighbours(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Concatenated CSR neighbour lists of ``nodes`` (with repetition), without a Python loop."""
    starts = indptr[nodes]
    lengths = indptr[nodes + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=indices.dtype)
    # position k of the output reads indices[starts[j] + (k - offset_j)] for the j owning k
    offsets = np.cumsum(lengths) - lengths
    pos = np.arange(total) + np.repeat(starts - offsets, lengths)
    return indices[pos]


def run_numpy_network_bass(case: NetworkBass = BENCHMARK, timings: dict | None = None
                           ) -> np.ndarray:
    """Run the bare numpy model; return the adopted share at the end of each day.

    ``timings``, if given, is filled with ``graph_s``, ``setup_s`` and ``steps_s`` (seconds).
    """
    n, days, p, q = case.n, case.days, case.p, case.q
    t0 = time.perf_counter()
    graph = case.graph()
    t1 = time.perf_counter()
    adj = _csr_adjacency(graph, n)
    del graph
    indptr = adj.indptr.astype(np.int64)
    indices = adj.indices
    degree = np.diff(indptr)
    inv_degree = np.zeros(n)
    np.divide(1.0, degree, out=inv_degree, where=degree > 0)
    rng = np.random.default_rng(case.seed)

    adopted_neighbours = np.zeros(n, dtype=np.int64)
    waiting = np.arange(n)  # people who have not adopted yet
    adopted_total = 0
    shares = np.empty(days)
    t2 = time.perf_counter()

    for day in range(days):
        if waiting.size:
            s = adopted_neighbours[waiting] * inv_degree[waiting]
            hazard = -np.expm1(-(p + q * s))
            adopts = rng.random(waiting.size) < hazard
            new = waiting[adopts]
            waiting = waiting[~adopts]
            adopted_total += new.size
            if new.size:
                nbrs = _gather_neighbours(indptr, indices, new)
                adopted_neighbours += np.bincount(nbrs, minlength=n)
        shares[day] = adopted_total / n

    if timings is not None:
        t3 = time.perf_counter()
        timings["graph_s"] = t1 - t0
        timings["setup_s"] = t2 - t1
        timings["steps_s"] = t3 - t2
    return shares


if __name__ == "__main__":
    t = {}
    start = time.perf_counter()
    out = run_numpy_network_bass(timings=t)
    print(f"numpy: final adopted share {out[-1]:.4f} in {time.perf_counter() - start:.3f} s {t}")
