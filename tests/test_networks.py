"""Graphs: the vectorised generators match networkx's, and incremental counts are exact."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import stats

import simulation
from simulation.model.networks import (
    BarabasiAlbert,
    Complete,
    FriendCounts,
    Friends,
    barabasi_albert_edges,
    erdos_renyi_edges,
    follow_graph,
    watts_strogatz_edges,
)
from tests.conftest import CONFIGS

N = 5000


def degrees(src, dst, n):
    keep = src != dst
    pairs = np.unique(np.sort(np.column_stack([src[keep], dst[keep]]), axis=1), axis=0)
    return np.bincount(pairs.ravel(), minlength=n)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda rng: erdos_renyi_edges(N, 10, rng),
     lambda: nx.fast_gnp_random_graph(N, 10 / (N - 1), seed=1)),
    (lambda rng: watts_strogatz_edges(N, 5, 0.1, rng),
     lambda: nx.watts_strogatz_graph(N, 10, 0.1, seed=1)),
    (lambda rng: barabasi_albert_edges(N, 5, rng), lambda: nx.barabasi_albert_graph(N, 5, seed=1)),
], ids=["erdos_renyi", "watts_strogatz", "barabasi_albert"])
def test_generators_match_networkx_degree_distribution(ours, theirs):
    mine = degrees(*ours(np.random.default_rng(1)), N)
    reference = np.array([d for _, d in theirs().degree()])
    assert abs(mine.mean() - reference.mean()) < 0.3
    assert stats.ks_2samp(mine, reference, method="asymp").pvalue > 0.001


def test_watts_strogatz_keeps_clustering():
    src, dst = watts_strogatz_edges(N, 5, 0.1, np.random.default_rng(2))
    graph = nx.Graph()
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    graph.remove_edges_from(nx.selfloop_edges(graph))
    reference = nx.average_clustering(nx.watts_strogatz_graph(N, 10, 0.1, seed=2))
    assert abs(nx.average_clustering(graph) - reference) < 0.03


def test_barabasi_albert_is_heavy_tailed():
    mine = degrees(*barabasi_albert_edges(20_000, 5, np.random.default_rng(3)), 20_000)
    assert mine.max() > 20 * mine.mean()
    assert mine.min() >= 1


def test_incremental_friend_counts_equal_a_full_product():
    rng = np.random.default_rng(4)
    friends = Friends(BarabasiAlbert(mean_degree=8), 2000, rng)
    counts = FriendCounts(friends)
    active = np.zeros(2000, dtype=bool)
    for _ in range(10):
        on = np.flatnonzero(~active & (rng.random(2000) < 0.1))
        off = np.flatnonzero(active & (rng.random(2000) < 0.05))
        active[on], active[off] = True, False
        counts.update(on, off)
        full = friends.adjacency @ active.astype(np.float32)
        np.testing.assert_array_equal(counts.counts, full)
        np.testing.assert_allclose(counts.share(), full * friends.inv_degree)


def test_complete_graph_is_mean_field_and_not_materialised():
    friends = Friends(Complete(), 1000, np.random.default_rng(0))
    assert friends.mean_field and friends.n_edges == 0
    counts = FriendCounts(friends)
    counts.update(np.arange(250), np.empty(0, dtype=int))
    assert counts.share() == 0.25


def test_follow_graph_samples_each_real_audience():
    """Each person follows influencer i with probability audience_i / market: the sampled
    audiences are the real ones divided by people per agent, heavy tail included."""
    rng = np.random.default_rng(5)
    audience = 20_000 * np.exp(1.5 * rng.standard_normal(1000))
    market, people = 85e6, 100_000
    follows = follow_graph(people, audience / market, rng)
    in_sample = np.asarray(follows.sum(axis=0)).ravel()
    expected = audience * people / market
    # the total against its binomial expectation, within 4 standard deviations
    assert abs(in_sample.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())
    big = expected > 200  # each large audience within 5 sd of its own expectation
    assert (np.abs(in_sample[big] - expected[big]) < 5 * np.sqrt(expected[big])).all()
    assert stats.spearmanr(audience, in_sample).statistic > 0.9
    top = np.sort(in_sample)[::-1]
    assert top[:10].sum() > 0.1 * top.sum()  # the largest 1% hold over a tenth of follows
    per_person = np.diff(follows.indptr)
    assert per_person.mean() == pytest.approx(expected.sum() / people, rel=0.02)


def test_edgelist_file(tmp_path):
    path = tmp_path / "friends.txt"
    lines = ["# a ring of 50 people"] + [f"{i} {(i + 1) % 50}" for i in range(50)]
    path.write_text("\n".join(lines) + "\n")
    config = simulation.load_config(CONFIGS / "bass.toml", {
        "population.followers": 50, "network.social.kind": "edgelist",
        "network.social.path": str(path), "adoption.innovation": 0.01, "adoption.imitation": 0.5})
    model = simulation.SparkModel(config)
    assert model.friends.n_edges == 50
    assert (model.friends.degree == 2).all()
    model.run()
    assert model.timeseries["adopters"].iloc[-1] > 0


def test_edgelist_with_ids_out_of_range(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0 1\n1 99\n")
    config = simulation.load_config(CONFIGS / "bass.toml", {
        "population.followers": 50, "network.social.kind": "edgelist",
        "network.social.path": str(path)})
    with pytest.raises(simulation.ConfigError, match=r"network.social.path.*0\.\.49"):
        simulation.SparkModel(config)


@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert"])
def test_generators_match_networkx_at_scale(kind):
    """At 50 000 people too (where networkx starts to take seconds)."""
    n = 50_000
    if kind == "watts_strogatz":
        mine = degrees(*watts_strogatz_edges(n, 5, 0.1, np.random.default_rng(6)), n)
        reference = np.array([d for _, d in nx.watts_strogatz_graph(n, 10, 0.1, seed=6).degree()])
    else:
        mine = degrees(*barabasi_albert_edges(n, 5, np.random.default_rng(6)), n)
        reference = np.array([d for _, d in nx.barabasi_albert_graph(n, 5, seed=6).degree()])
    assert abs(mine.mean() - reference.mean()) < 0.1
    assert stats.ks_2samp(mine, reference, method="asymp").pvalue > 0.001
