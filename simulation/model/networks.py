"""Graphs: who follows which influencer, and who is friends with whom.

- The follow graph F (people × simulated creators, CSR) holds an entry for
  each real creator a person follows. People are a sample of the market and
  the simulated creators a sample of its creators (:mod:`creators`): each
  person follows a creator with probability (its audience in the market) ÷
  (market size), and an entry to an agent that stands for a group means
  following one creator of the group, so a person's expected follows of real
  creators do not depend on how the creators are grouped.
- The social graph carries imitation. Its kind is one of the
  :data:`SOCIAL_KINDS` registry, each a config section with its own
  parameters and its own builder (``edges``). ``complete`` is mean field: the
  share of friends active is the population share, and no edge is
  materialised. Other kinds are undirected CSR adjacency, read from an
  edge-list file or generated: ``erdos_renyi``, ``watts_strogatz`` and
  ``barabasi_albert`` by vectorised numpy generators of the same models
  (networkx's take seconds at 100 000 people and minutes at millions),
  ``powerlaw_cluster`` by networkx. A new kind is one class: a
  :class:`SocialKind` subclass with a ``kind`` literal and ``edges``.
  :class:`FriendCounts` keeps each person's
  number of active friends up to date along the edges of the people who
  changed state that day, instead of a full sparse product each day.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field, model_validator

from ..errors import ConfigError, check_input_file
from .sections import Kind

SOCIAL_KINDS: dict[str, type[SocialKind]] = {}
"""The registry: ``network.social.kind`` value → its section class, in the order defined."""


class SocialKind(Kind):
    """A kind of social graph: its parameters, and a builder of its edges.

    A subclass that declares ``kind: Literal["name"]`` registers itself in
    :data:`SOCIAL_KINDS` and becomes a value of ``network.social.kind``; a kind
    already taken is an error unless defined with ``replace=True``.
    ``simulation.testing.check_social_kind`` checks what it promises.
    """

    registry: ClassVar[dict[str, type[Kind]]] = SOCIAL_KINDS
    mean_field: ClassVar[bool] = False
    """True for the complete graph, whose edges are never materialised."""

    @property
    def mean_friends(self) -> float:
        """Friends per person, roughly (for memory estimates)."""
        return float(getattr(self, "mean_degree", 0.0))

    def friends_of(self, n: int) -> float:
        """Friends per person among ``n`` people, roughly (for memory estimates)."""
        return self.mean_friends

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Undirected edges as parallel int32 arrays (repeats and self-loops are dropped later)."""
        raise NotImplementedError

    @classmethod
    def entry_problem(cls) -> str | None:
        """A kind that is not mean field must write ``edges(n, rng)``."""
        if not cls.mean_field and cls.edges is SocialKind.edges:
            return ("it must write edges(n, rng) -> (src, dst), or set mean_field = True "
                    "(see simulation.model.networks.SocialKind)")
        return None


KIND = "which graph: picks the generator and the keys beside it"


def _half(mean_degree: float, n: int) -> int:
    """Links each side (ring) or per new person (preferential attachment): 5 → 3."""
    return max(1, min(math.floor(mean_degree / 2 + 0.5), n - 1))


class Complete(SocialKind):
    """Everyone is everyone's friend: mean field, the Bass model's assumption; no edges."""

    kind: Literal["complete"] = Field("complete", description=KIND)
    mean_field: ClassVar[bool] = True


class Generated(SocialKind):
    """A graph generated to a mean degree."""

    mean_degree: float = Field(
        10.0, gt=0, le=5_000, description="friends per person; diffusion studies use 5–20 "
        "active ties (watts_strogatz, barabasi_albert, powerlaw_cluster round it to an even "
        "number, up); at most 5 000, Facebook's friend limit")


class ErdosRenyi(Generated):
    """Friends at random (Erdős & Rényi 1959): no clustering, Poisson degrees."""

    kind: Literal["erdos_renyi"] = Field("erdos_renyi", description=KIND)

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # noqa: D102
        return erdos_renyi_edges(n, self.mean_degree, rng)


class WattsStrogatz(Generated):
    """A small world (Watts & Strogatz 1998): the clustering of friendship networks."""

    kind: Literal["watts_strogatz"] = Field("watts_strogatz", description=KIND)
    rewire_prob: float = Field(
        0.1, ge=0, le=1, description="rewiring; 0.01–0.1 is the small-world regime "
        "(Watts & Strogatz 1998)")

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # noqa: D102
        return watts_strogatz_edges(n, _half(self.mean_degree, n), self.rewire_prob, rng)


class BarabasiAlbert(Generated):
    """Preferential attachment (Barabási & Albert 1999): hubs, power-law degrees."""

    kind: Literal["barabasi_albert"] = Field("barabasi_albert", description=KIND)

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # noqa: D102
        return barabasi_albert_edges(n, _half(self.mean_degree, n), rng)


class PowerlawCluster(Generated):
    """Hubs and clustering (Holme & Kim 2002), built by networkx (about a minute at 1M)."""

    kind: Literal["powerlaw_cluster"] = Field("powerlaw_cluster", description=KIND)
    triangle_prob: float = Field(
        0.5, ge=0, le=1, description="probability of closing a triangle after each link "
        "(Holme & Kim 2002)")

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # noqa: D102
        import networkx as nx

        graph = nx.powerlaw_cluster_graph(n, _half(self.mean_degree, n), self.triangle_prob,
                                          seed=int(rng.integers(2**31 - 1)))
        edges = np.array(graph.edges(), dtype=np.int32).reshape(-1, 2)
        return edges[:, 0], edges[:, 1]


class EdgeList(SocialKind):
    """A graph of your own: a file of 'a b' person-id pairs (0-based), '#' comments."""

    kind: Literal["edgelist"] = Field("edgelist", description=KIND)
    path: str | None = Field(None, min_length=1, max_length=4096,
                             description="the edge-list file (at most 2 GB: MAX_EDGELIST_BYTES)")

    @model_validator(mode="after")
    def _has_a_path(self) -> EdgeList:
        if self.path is None:
            raise ValueError("kind = 'edgelist' needs `path`, a file of 'a b' id pairs")
        return self

    @property
    def mean_friends(self) -> float:  # noqa: D102 - unknown until read: assume a typical graph
        return 10.0

    def friends_of(self, n: int) -> float:
        """From the file's size: a line of two ids of about ``len(str(n))`` digits each."""
        try:
            size = os.stat(self.path).st_size
        except (OSError, TypeError, ValueError):
            return self.mean_friends
        bytes_per_line = 2 * len(str(max(n - 1, 1))) + 2
        return max(self.mean_friends, 2 * size / bytes_per_line / max(n, 1))

    def edges(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # noqa: D102
        return _read_edgelist(Path(self.path), n)


def follow_graph(n_people: int, follow_rate: np.ndarray, rng: np.random.Generator,
                 weight: np.ndarray | None = None) -> sp.csr_matrix:
    """Follow matrix F (people × agents, float32): one stored entry per creator followed.

    ``follow_rate`` is each agent's expected follows per person: its weight × the
    chance a person follows one of its creators (in-market audience ÷ market size).
    An agent of weight 1 (a creator simulated one to one) is followed by each person
    with probability equal to its rate, so its sampled audience is its real one scaled
    down, heavy tail included: Poisson(−N ln(1 − p)) uniform picks, of which the
    distinct ones follow, include each person with probability p. An agent standing
    for a group is followed Poisson(rate) times by each person (Poisson(N × rate)
    uniform picks, all kept): an entry stands for following one creator of the group,
    so a person's expected follows of real creators are kept whatever the grouping,
    and a person following two creators of a group holds two entries (they count twice
    wherever a row's entries are added up). Drawn without a loop over people.
    """
    n_agents = len(follow_rate)
    weight = np.ones(n_agents) if weight is None else np.asarray(weight, dtype=float)
    single = weight <= 1
    rate = np.where(single, np.clip(follow_rate, 0.0, 1.0 - 1e-12), np.maximum(follow_rate, 0))
    if n_agents == 0 or not rate.any():
        return sp.csr_matrix((n_people, n_agents), dtype=np.float32)
    picks = rng.poisson(np.where(single, -n_people * np.log1p(-np.where(single, rate, 0.0)),
                                 n_people * rate))
    targets = np.repeat(np.arange(n_agents, dtype=np.int32), picks)
    people = rng.integers(0, n_people, size=len(targets), dtype=np.int32)
    order = np.lexsort((targets, people))
    people, targets = people[order], targets[order]
    repeat = np.r_[False, (people[1:] == people[:-1]) & (targets[1:] == targets[:-1])]
    keep = ~(repeat & single[targets])  # picked twice is following a single creator once
    people, targets = people[keep], targets[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(people, minlength=n_people))])
    return sp.csr_matrix((np.ones(len(targets), dtype=np.float32), targets,
                          indptr.astype(np.int64)), shape=(n_people, n_agents))


class Friends:
    """The social graph: mean field for ``complete``, else CSR adjacency."""

    def __init__(self, spec: SocialKind, n_people: int, rng: np.random.Generator):
        self.kind = spec.kind
        self.n_people = n_people
        self.adjacency: sp.csr_matrix | None = None
        if spec.mean_field:
            return
        src, dst = spec.edges(n_people, rng)
        keep = src != dst
        src, dst = src[keep], dst[keep]
        both_src = np.concatenate([src, dst])
        both_dst = np.concatenate([dst, src])
        ones = np.ones(len(both_src), dtype=np.float32)
        adjacency = sp.csr_matrix((ones, (both_src, both_dst)), shape=(n_people, n_people))
        adjacency.sum_duplicates()
        adjacency.data[:] = 1.0
        self.adjacency = adjacency
        self.degree = np.diff(adjacency.indptr).astype(np.float32)
        self.inv_degree = np.divide(1.0, self.degree, out=np.zeros_like(self.degree),
                                    where=self.degree > 0)

    @property
    def mean_field(self) -> bool:
        """True when the graph is complete and never materialised."""
        return self.adjacency is None

    @property
    def n_edges(self) -> int:
        """Undirected edges (0 for the mean-field graph)."""
        return 0 if self.adjacency is None else self.adjacency.nnz // 2


class FriendCounts:
    """Share of each person's friends active on one platform, updated incrementally."""

    def __init__(self, friends: Friends):
        self.friends = friends
        self.n_active = 0  # mean field: people active
        if not friends.mean_field:
            self.counts = np.zeros(friends.n_people, dtype=np.float32)

    def share(self) -> float | np.ndarray:
        """Share of friends active: a scalar in mean field, else one value per person."""
        if self.friends.mean_field:
            return self.n_active / self.friends.n_people
        return self.counts * self.friends.inv_degree

    def update(self, became_active: np.ndarray, became_inactive: np.ndarray) -> None:
        """Add the edges of people who became active, remove those who stopped."""
        self.n_active += len(became_active) - len(became_inactive)
        if self.friends.mean_field:
            return
        add_rows(self.friends.adjacency, became_active, 1.0, self.counts)
        add_rows(self.friends.adjacency, became_inactive, -1.0, self.counts)


def add_rows(matrix: sp.csr_matrix, rows: np.ndarray, weights: np.ndarray | float,
             out: np.ndarray) -> None:
    """``out[j] += weight of row i`` for every stored (i, j) of the given CSR rows.

    The same as ``out += matrix.T @ w`` for a ``w`` that is zero outside
    ``rows``, at a cost proportional to those rows' entries, not the matrix's.
    """
    if len(rows) == 0:
        return
    columns, row_of = gather_rows(matrix.indptr, matrix.indices, rows)
    if 16 * len(columns) > len(out):  # many entries: one pass over out beats ufunc.at
        values = weights[row_of] if np.ndim(weights) else None
        counts = np.bincount(columns, weights=values, minlength=len(out))
        out += (counts if np.ndim(weights) else weights * counts).astype(out.dtype)
    else:
        values = weights[row_of] if np.ndim(weights) else weights
        np.add.at(out, columns, np.asarray(values, dtype=out.dtype))


def gather_rows(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the given CSR rows, concatenated, and which row each came from."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    ends = np.cumsum(lengths)
    # entry t of the output is indices[starts[r] + t - (ends[r] - lengths[r])] for its row r
    shift = np.repeat(starts - (ends - lengths), lengths)
    positions = np.arange(ends[-1] if len(ends) else 0, dtype=shift.dtype) + shift
    row_of = np.repeat(np.arange(len(rows)), lengths)
    return indices[positions], row_of


def erdos_renyi_edges(n: int, mean_degree: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """G(n, p) with p = mean_degree / (n - 1): a binomial number of uniform pairs.

    Pairs drawn twice are merged later; at the sparse densities used here
    that loses a share of about p / 2 of the edges.
    """
    pairs = n * (n - 1) // 2
    n_edges = rng.binomial(pairs, min(1.0, mean_degree / max(n - 1, 1))) if pairs else 0
    src = rng.integers(0, n, size=n_edges, dtype=np.int32)
    dst = (src + rng.integers(1, max(n, 2), size=n_edges, dtype=np.int32)) % n  # never src
    return src, dst.astype(np.int32)


def watts_strogatz_edges(n: int, half: int, rewire_prob: float, rng: np.random.Generator
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Small world: a ring, each link's far end rewired with probability ``rewire_prob``.

    Each person links to ``half`` neighbours on each side (Watts & Strogatz
    1998). Self-loops from rewiring are dropped and repeats merged later.
    """
    src = np.repeat(np.arange(n, dtype=np.int32), half)
    dst = (src + np.tile(np.arange(1, half + 1, dtype=np.int32), n)) % n
    rewire = rng.random(len(src)) < rewire_prob
    dst[rewire] = rng.integers(0, n, size=int(rewire.sum()), dtype=np.int32)
    return src, dst.astype(np.int32)


def barabasi_albert_edges(n: int, m: int, rng: np.random.Generator
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Preferential attachment, each new person bringing ``m`` links.

    Batagelj & Brandes (2005): edge e = v·m + i joins person v to the person
    at a uniform position of the list of all edge ends so far, which is
    choosing in proportion to degree. The list is resolved without a loop over
    people: an end that points at another edge's far end follows it
    (pointer jumping; a couple of rounds on average, a few dozen at most).
    """
    n_edges = n * m
    src = np.arange(n_edges, dtype=np.int64) // m
    pointer = (rng.random(n_edges) * (2 * np.arange(n_edges) + 1)).astype(np.int64)
    target = np.where(pointer % 2 == 0, (pointer // 2) // m, -1)
    unresolved = np.flatnonzero(target < 0)
    while len(unresolved):
        pointer[unresolved] = pointer[(pointer[unresolved] - 1) // 2]
        even = pointer[unresolved] % 2 == 0
        done = unresolved[even]
        target[done] = (pointer[done] // 2) // m
        unresolved = unresolved[~even]
    return src.astype(np.int32), target.astype(np.int32)


MAX_EDGELIST_BYTES = 2_000_000_000
"""The largest edge-list file read (2 GB), checked before reading: about 10^8 friendships at
16 bytes a line, which numpy reads in about 10 s (200 MB/s measured) and whose ends fit the
int32 indices of the sparse graph."""


def _read_edgelist(path: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Read 'a b' id pairs; errors name the line, never echo the file's content."""
    key = "network.social.path"
    check_input_file(path, key, "a file of 'a b' person-id pairs", max_bytes=MAX_EDGELIST_BYTES)
    try:
        edges = np.loadtxt(path, comments="#", delimiter=None, dtype=np.int64, ndmin=2)
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{key} = {str(path)!r}: {_first_bad_line(path)}; allowed: two "
                          "integer person ids per line, '#' comments") from None
    if edges.size == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    if edges.shape[1] < 2:
        raise ConfigError(f"{key} = {str(path)!r}: each line needs two person ids")
    edges = edges[:, :2]
    if edges.min() < 0 or edges.max() >= n:
        raise ConfigError(
            f"{key} = {str(path)!r}: person ids must be in 0..{n - 1} "
            f"(population.followers = {n}); found {edges.min()}..{edges.max()}"
        )
    return edges[:, 0].astype(np.int32), edges[:, 1].astype(np.int32)


def _first_bad_line(path: Path) -> str:
    """Which line of an edge list is not integer pairs (for the error message)."""
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError:
        return "not a text file"
    widths = set()
    for number, line in enumerate(lines, start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if not all(f.lstrip("-").isdigit() for f in fields):
            return f"line {number} is not integer ids"
        widths.add(len(fields))
        if len(widths) > 1:
            return f"line {number} has {len(fields)} fields, unlike the lines before it"
    return "not a list of integer pairs"
