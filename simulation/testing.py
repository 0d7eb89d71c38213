"""The conformance suite, public: check a scheme, graph kind, metric or design of your own.

After scikit-learn's ``check_estimator``: each ``check_*`` runs a list of named
checks of what that kind of entry promises, and raises an AssertionError that
names the failing check and what it saw. Each check takes seconds at most
(small models: 1 500 people, 40 influencers, 25 days).

- :func:`check_scheme`: registered with a phase key and a spend column; pays
  nothing when there is nothing to pay for; pays each influencer a finite,
  non-negative amount; in a run, fills its own column (and no other scheme's),
  its influencers' pay adds up to the day's spend, ``spend_total`` adds up the
  spend columns, and spend never exceeds the budget.
- :func:`check_social_kind`: valid edges (integer ids in range, parallel
  arrays), a symmetric graph without self-loops, the mean degree asked for
  (within :data:`MEAN_DEGREE_TOLERANCE`), the same graph from the same seed.
- :func:`check_metric`: declared (words, unit, direction); a finite number for
  a tiny run (None only if its ``none`` says when); whole if ``integer``.
- :func:`check_design`: the number of points it says, inside the bounds,
  the same points from the same seed.

In your own tests::

    from simulation.testing import check_scheme, parametrize_with_checks

    def test_tip_jar():
        check_scheme(TipJar)          # or TipJar(tip=2.0), or "tip_jar"

    @parametrize_with_checks([TipJar, MyGraph, "my_metric"])
    def test_conformance(entry, check):
        check(entry)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model.config import Config, load_config, plain
from .model.metrics import METRICS, Metric, columns, platform_runs
from .model.networks import SOCIAL_KINDS, Friends, SocialKind
from .model.payouts import SCHEMES, Activity, Outlook, Phase, Scheme, spend_columns
from .runs.designs import DESIGNS, DesignKind

__all__ = ["check_scheme", "check_social_kind", "check_metric", "check_design",
           "parametrize_with_checks", "checks_of", "Check", "MEAN_DEGREE_TOLERANCE"]

TINY = {"horizon_days": 25, "population.followers": 1500, "population.influencers": 40,
        "population.market_size": 1_500_000, "platforms.0.budget": 1e9,
        "platforms.0.invitation": {"policy": "open"}}
"""The small model each run-level check uses (under a second a run)."""
MEAN_DEGREE_TOLERANCE = 0.15
"""A graph's mean degree may miss the one asked for by this share, plus 1 friend: kinds
that link ring neighbours or new people in pairs round it to an even number, and merged
repeats and dropped self-loops lose a few edges (the shipped kinds miss 10 by under 2%)."""
GRAPH_PEOPLE = 2000
"""People in the graph a social-kind check builds."""


@dataclass(frozen=True)
class Check:
    """One named check of an entry: ``check(entry)`` raises AssertionError if it fails."""

    name: str
    function: Callable[[Any], None]

    def __call__(self, entry: Any) -> None:
        """Run the check; an AssertionError names it."""
        try:
            self.function(entry)
        except AssertionError as err:
            raise AssertionError(f"{self.name} failed for {_name(entry)}: {err}") from None

    def __repr__(self) -> str:
        return self.name


def _name(entry: Any) -> str:
    for attribute in ("key", "kind"):
        value = getattr(entry, attribute, None)
        if isinstance(value, str):
            return f"{type(entry).__name__} {value!r}"
    return repr(entry)


def _run_all(checks: list[Check], entry: Any) -> None:
    for check in checks:
        check(entry)


# --- payout schemes ------------------------------------------------------------------


def _instance(entry: Any, registry: dict[str, type], base: type, what: str) -> Any:
    """An entry instance from its registry key, its class (at its defaults) or an instance."""
    if isinstance(entry, str):
        assert entry in registry, f"no {what} {entry!r}; registered: {', '.join(registry)}"
        entry = registry[entry]
    if isinstance(entry, type):
        assert issubclass(entry, base), f"{entry!r} is not a {base.__name__} subclass"
        return entry()
    assert isinstance(entry, base), f"{entry!r} is not a {what}"
    return entry


def as_scheme(scheme: str | type[Scheme] | Scheme) -> Scheme:
    """A scheme instance from its key, class (at its defaults) or an instance."""
    return _instance(scheme, SCHEMES, Scheme, "payout scheme")


def _contracts(n: int, rng: np.random.Generator | None) -> dict[str, np.ndarray]:
    """Who holds (or is offered) each registered scheme's contract: half at random, or none."""
    return {key: (np.zeros(n, bool) if rng is None else rng.random(n) < 0.5) for key in SCHEMES}


def _activity(n: int, rng: np.random.Generator | None) -> Activity:
    """Zero activity (rng None) or a random day's activity of ``n`` influencers."""
    if rng is None:
        zeros = np.zeros(n)
        return Activity(posts=zeros.astype(int), views=zeros, gmv=zeros,
                        new_adopters=zeros, tier=np.zeros(n, int), active_followers=zeros,
                        contracts=_contracts(n, rng))
    return Activity(posts=rng.integers(0, 6, n), views=rng.gamma(1.0, 200.0, n),
                    gmv=rng.gamma(1.0, 50.0, n), new_adopters=rng.poisson(1.0, n).astype(float),
                    tier=rng.integers(0, 5, n), active_followers=rng.gamma(1.0, 2000.0, n),
                    contracts=_contracts(n, rng))


def _outlook(n: int, rng: np.random.Generator | None) -> Outlook:
    if rng is None:
        zeros = np.zeros(n)
        return Outlook(views_per_post=zeros, gmv_per_post=zeros, adopters_per_post=zeros,
                       tier=np.zeros(n, int), active_followers=zeros,
                       contracts=_contracts(n, rng))
    return Outlook(views_per_post=rng.gamma(1.0, 100.0, n), gmv_per_post=rng.gamma(1.0, 20.0, n),
                   adopters_per_post=rng.gamma(1.0, 0.2, n), tier=rng.integers(0, 5, n),
                   active_followers=rng.gamma(1.0, 2000.0, n), contracts=_contracts(n, rng))


def _amounts(values: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    values = np.asarray(values)
    assert values.shape == shape, (f"{what} returned shape {values.shape}, expected {shape} "
                                   "(one amount per influencer): a single number per day "
                                   "does not add up to what influencers are paid")
    assert np.issubdtype(values.dtype, np.number), f"{what} returned {values.dtype}, not $"
    assert np.isfinite(values).all(), f"{what} returned {np.sum(~np.isfinite(values))} " \
        "values that are not finite"
    assert (values >= 0).all(), f"{what} returned negative amounts (min {values.min():g}): " \
        "a scheme pays, it never charges"
    return values


def _scheme_registered(scheme: Scheme) -> None:
    cls = type(scheme)
    assert SCHEMES.get(cls.key) is cls, (f"SCHEMES[{cls.key!r}] is "
                                         f"{SCHEMES.get(cls.key)!r}, not {cls.__name__}")
    assert cls.key in Phase.config_keys(), f"phases have no key {cls.key!r}"
    assert cls.column() in columns(), f"the daily table has no column {cls.column()!r}"
    for part in ("label", "color"):
        assert isinstance(getattr(cls, part), str) and getattr(cls, part), f"no {part}"


def _scheme_is_its_config_section(scheme: Scheme) -> None:
    key = type(scheme).key
    config = load_config({"platforms": [{"phases": [{key: plain(scheme)}]}]})
    read = getattr(config.platforms[0].phases[0], key)
    assert read == scheme, f"platforms.0.phases.0.{key} read back as {read!r}, not {scheme!r}"
    again = load_config(_toml_round_trip(config))
    assert again == config, "the resolved config (to_toml) does not read back the same"


def _toml_round_trip(config: Config) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(config.to_toml())


def _scheme_pays_nothing_for_nothing(scheme: Scheme) -> None:
    n = 30
    owed = _amounts(scheme.owed(_activity(n, None)), (n,), "owed(no activity)")
    assert not owed.any(), f"owed() paid ${owed.sum():g} for a day with no posts, views, " \
        "sales or adopters"
    options = np.tile(np.arange(7), (n, 1))
    expected = _amounts(scheme.expected(options, _outlook(n, None)), (n, 7),
                        "expected(n_posts, nothing expected)")
    assert not expected[:, 0].any(), "expected() promised pay for posting nothing"


def _scheme_pays_finite_non_negative(scheme: Scheme) -> None:
    rng = np.random.default_rng(20)
    n = 50
    _amounts(scheme.owed(_activity(n, rng)), (n,), "owed(activity)")
    _amounts(scheme.expected(np.tile(np.arange(7), (n, 1)), _outlook(n, rng)), (n, 7),
             "expected(n_posts, outlook)")


def _tiny_scheme_run(scheme: Scheme, budget: float | None = None) -> tuple[Any, Any]:
    """A tiny model paying ``scheme`` beside a flat fee that keeps influencers posting."""
    from .model.spark_model import SparkModel

    key = type(scheme).key
    phase = {"name": key, "flat_fee": {"fee": 60.0, "posts_per_day": 1}, key: plain(scheme)}
    overrides = {**TINY, "platforms.0.phases": [phase]}
    if budget is not None:
        overrides["platforms.0.budget"] = budget
    model = SparkModel(load_config({}, overrides), seed=1)
    paid = []
    try:
        while model.running:
            model.step()  # day by day: what influencers were paid, beside what is recorded
            paid.append(float(model.today.paid[:, 0].sum()))
        table = model.timeseries
    finally:
        model.release()
    return table, np.array(paid)


def _scheme_run_adds_up(scheme: Scheme) -> None:
    key, column = type(scheme).key, type(scheme).column()
    table, paid = _tiny_scheme_run(scheme)
    assert table[column].sum() > 0, f"{column} is zero over a 25-day run in which " \
        "influencers post, are viewed, sell and bring adopters"
    others = [c for c in spend_columns() if c not in (column, "spend_flat_fee")]
    assert not table[others].to_numpy().any(), f"other schemes' columns were filled: {others}"
    total = table[list(spend_columns())].sum(axis=1).to_numpy()
    assert np.allclose(table["spend_total"], total), "spend_total is not the sum of the " \
        "spend columns"
    recorded = table["spend_total"].to_numpy()[1:]
    assert np.allclose(paid, recorded, rtol=1e-9, atol=1e-6), (
        f"what influencers were paid (${paid.sum():,.2f}) does not add up to the spend "
        f"recorded (${recorded.sum():,.2f}) with {key}")


def _scheme_stays_within_budget(scheme: Scheme) -> None:
    table, _ = _tiny_scheme_run(scheme)
    budget = float(table["spend_total"].sum()) / 2
    capped, _ = _tiny_scheme_run(scheme, budget=budget)
    spent = float(capped["spend_total"].sum())
    assert spent <= budget * (1 + 1e-9), f"spent ${spent:,.2f} of a ${budget:,.2f} budget"
    assert (capped[list(spend_columns())] >= 0).all().all(), "a negative spend"


SCHEME_CHECKS = [
    Check("check_scheme_is_registered", _scheme_registered),
    Check("check_scheme_is_its_config_section", _scheme_is_its_config_section),
    Check("check_scheme_pays_nothing_for_nothing", _scheme_pays_nothing_for_nothing),
    Check("check_scheme_pays_finite_non_negative", _scheme_pays_finite_non_negative),
    Check("check_scheme_fills_its_column_and_adds_up", _scheme_run_adds_up),
    Check("check_scheme_never_exceeds_the_budget", _scheme_stays_within_budget),
]


def check_scheme(scheme: str | type[Scheme] | Scheme) -> None:
    """Run every scheme check (:data:`SCHEME_CHECKS`) on a key, class or instance."""
    _run_all(SCHEME_CHECKS, as_scheme(scheme))


# --- social-graph kinds ----------------------------------------------------------------


def as_social_kind(kind: str | type[SocialKind] | SocialKind) -> SocialKind:
    """A graph-kind instance from its kind, class (at its defaults) or an instance."""
    return _instance(kind, SOCIAL_KINDS, SocialKind, "social-graph kind")


def _edges(kind: SocialKind, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    src, dst = kind.edges(GRAPH_PEOPLE, np.random.default_rng(seed))
    return np.asarray(src), np.asarray(dst)


def _kind_registered(kind: SocialKind) -> None:
    assert SOCIAL_KINDS.get(kind.kind) is type(kind), (
        f"SOCIAL_KINDS[{kind.kind!r}] is {SOCIAL_KINDS.get(kind.kind)!r}")
    config = load_config({"network": {"social": plain(kind)}})
    assert config.network.social == kind, f"network.social read back as {config.network.social!r}"


def _kind_gives_valid_edges(kind: SocialKind) -> None:
    if kind.mean_field:
        friends = Friends(kind, GRAPH_PEOPLE, np.random.default_rng(7))
        assert friends.mean_field and friends.n_edges == 0, "a mean-field kind made edges"
        return
    src, dst = _edges(kind)
    assert src.ndim == dst.ndim == 1 and len(src) == len(dst), (
        f"edges gave arrays of shapes {src.shape} and {dst.shape}, not two parallel arrays")
    assert np.issubdtype(src.dtype, np.integer) and np.issubdtype(dst.dtype, np.integer), (
        f"edges gave {src.dtype} and {dst.dtype}, not integer person ids")
    if len(src):
        low, high = min(src.min(), dst.min()), max(src.max(), dst.max())
        assert 0 <= low and high < GRAPH_PEOPLE, (
            f"person ids {low}..{high} outside 0..{GRAPH_PEOPLE - 1}")
    adjacency = Friends(kind, GRAPH_PEOPLE, np.random.default_rng(7)).adjacency
    assert (adjacency != adjacency.T).nnz == 0, "the friendship graph is not symmetric"
    assert not adjacency.diagonal().any(), "the friendship graph has self-loops"


def _kind_gives_its_mean_degree(kind: SocialKind) -> None:
    asked = getattr(kind, "mean_degree", None)
    if kind.mean_field or asked is None:
        return  # nothing asked for (complete, an edge list)
    friends = Friends(kind, GRAPH_PEOPLE, np.random.default_rng(7))
    mean = float(friends.degree.mean())
    allowed = MEAN_DEGREE_TOLERANCE * asked + 1.0
    assert abs(mean - asked) <= allowed, (
        f"mean degree {mean:.2f} among {GRAPH_PEOPLE} people, asked for mean_degree = "
        f"{asked:g} (allowed: within {allowed:.2f})")


def _kind_is_reproducible(kind: SocialKind) -> None:
    if kind.mean_field:
        return
    first, again = _edges(kind, 11), _edges(kind, 11)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True)), (
        "the same seed gave different edges (draw only from the rng given to edges)")


SOCIAL_KIND_CHECKS = [
    Check("check_social_kind_is_registered", _kind_registered),
    Check("check_social_kind_gives_valid_edges", _kind_gives_valid_edges),
    Check("check_social_kind_gives_its_mean_degree", _kind_gives_its_mean_degree),
    Check("check_social_kind_is_reproducible", _kind_is_reproducible),
]


def check_social_kind(kind: str | type[SocialKind] | SocialKind) -> None:
    """Run every graph-kind check (:data:`SOCIAL_KIND_CHECKS`) on a kind, class or instance."""
    _run_all(SOCIAL_KIND_CHECKS, as_social_kind(kind))


# --- summary metrics -----------------------------------------------------------------


def as_metric(metric: str | Metric) -> Metric:
    """A metric's declaration from its key or itself."""
    if isinstance(metric, str):
        assert metric in METRICS, f"no metric {metric!r}; registered: {', '.join(METRICS)}"
        return METRICS[metric]
    assert isinstance(metric, Metric), f"{metric!r} is not a Metric (declare it with @metric)"
    return metric


_TINY_RUNS: dict[str, Any] = {}


def tiny_platform_run() -> Any:
    """One platform's run of a tiny flat fee then commission plan (computed once)."""
    if "run" not in _TINY_RUNS:
        from .model.spark_model import SparkModel

        phases = [{"flat_fee": {"fee": 60.0, "posts_per_day": 1}},
                  {"start": {"day": 10}, "commission": {}}]
        config = load_config({}, {**TINY, "platforms.0.phases": phases,
                                  "metrics.retention_window_days": 10})
        model = SparkModel(config, seed=3).run()
        try:
            table = model.timeseries
            joined = model.influencers.joined | model.influencers.quit
            _TINY_RUNS["run"] = platform_runs(
                table, config.population.market_size, model.scale,
                {p.name: p.switch_day for p in model.platforms},
                dict(zip(model.platform_names, joined.sum(axis=0).tolist(), strict=True)),
                config.metrics.retention_window_days)[model.platform_names[0]]
        finally:
            model.release()
    return _TINY_RUNS["run"]


def _metric_declared(metric: Metric) -> None:
    assert isinstance(metric.words, str) and metric.words, "no words"
    assert isinstance(metric.unit, str) and metric.unit, "no unit"
    assert metric.better in ("higher", "lower", None), f"better = {metric.better!r}"
    assert metric.key.isidentifier(), f"key {metric.key!r} is not an identifier"


def _metric_finite(metric: Metric) -> None:
    value = metric.compute(tiny_platform_run())
    if value is None:
        assert metric.none, ("it returned None for a tiny run, and its declaration does not "
                             "say when it may (@metric(..., none=\"when ...\"))")
        return
    assert isinstance(value, int | float | np.number) and not isinstance(value, bool), (
        f"it returned {value!r} ({type(value).__name__}), not a number")
    assert math.isfinite(value), f"it returned {value!r} for a tiny run"
    if metric.integer:
        assert float(value).is_integer(), f"integer metric returned {value!r}"


METRIC_CHECKS = [
    Check("check_metric_is_declared", _metric_declared),
    Check("check_metric_is_finite_on_a_tiny_run", _metric_finite),
]


def check_metric(metric: str | Metric) -> None:
    """Run every metric check (:data:`METRIC_CHECKS`) on a key or a declaration."""
    _run_all(METRIC_CHECKS, as_metric(metric))


# --- experiment designs ---------------------------------------------------------------

PROBLEM = {"num_vars": 2, "names": ["adoption.imitation", "platforms.0.budget"],
           "bounds": [[0.01, 0.04], [5.0, 6.0]]}
"""SALib's problem the design checks sample: two ranges (the second a log10 range)."""
GRID = {"adoption.imitation": [0.01, 0.02, 0.04], "platforms.0.budget": [1e5, 1e6]}
"""The parameters a grid design check lists."""


def as_design(design: str | type[DesignKind] | DesignKind) -> DesignKind:
    """A design instance from its kind, class (at its defaults) or an instance."""
    return _instance(design, DESIGNS, DesignKind, "design")


def _ranges() -> dict[str, Any]:
    return {name: {"low": low, "high": high}
            for name, (low, high) in zip(PROBLEM["names"], PROBLEM["bounds"], strict=True)}


def _design_registered(design: DesignKind) -> None:
    assert DESIGNS.get(design.kind) is type(design), f"DESIGNS[{design.kind!r}] is " \
        f"{DESIGNS.get(design.kind)!r}"


def _design_gives_its_points(design: DesignKind) -> None:
    if design.grid:
        design.check(GRID)
        points = design.points(GRID)
        assert len(points) == design.n_points(GRID), (
            f"{len(points)} points, n_points says {design.n_points(GRID)}")
        for point in points:
            assert set(point) == set(GRID), f"a point sets {sorted(point)}"
            assert all(point[k] in GRID[k] for k in GRID), f"{point} is not from the lists"
        return
    design.check(_ranges())
    x = np.asarray(design.sample(PROBLEM, 5))
    n = design.n_points(_ranges())
    assert x.shape == (n, PROBLEM["num_vars"]), f"sample gave shape {x.shape}; n_points " \
        f"says {n} points of {PROBLEM['num_vars']} parameters"
    bounds = np.array(PROBLEM["bounds"])
    assert np.isfinite(x).all(), "sample gave values that are not finite"
    inside = (x >= bounds[:, 0] - 1e-12) & (x <= bounds[:, 1] + 1e-12)
    assert inside.all(), f"{(~inside).sum()} sampled values outside the bounds {bounds.tolist()}"


def _design_is_reproducible(design: DesignKind) -> None:
    if design.grid:
        assert design.points(GRID) == design.points(GRID), "the same lists gave other points"
        return
    first, again = design.sample(PROBLEM, 5), design.sample(PROBLEM, 5)
    assert np.array_equal(first, again), "the same seed gave different points"


DESIGN_CHECKS = [
    Check("check_design_is_registered", _design_registered),
    Check("check_design_gives_its_points_inside_the_bounds", _design_gives_its_points),
    Check("check_design_is_reproducible", _design_is_reproducible),
]


def check_design(design: str | type[DesignKind] | DesignKind) -> None:
    """Run every design check (:data:`DESIGN_CHECKS`) on a kind, class or instance."""
    _run_all(DESIGN_CHECKS, as_design(design))


# --- for pytest ------------------------------------------------------------------------


def checks_of(entry: Any) -> tuple[Any, list[Check]]:
    """An entry (as the checks take it) and its kind's checks.

    ``entry`` is a scheme, graph kind or design (class or instance) or a
    :class:`~simulation.model.metrics.Metric`; a string is looked up in the one
    registry that has it.
    """
    if isinstance(entry, str):
        found = [name for name, registry in (("scheme", SCHEMES), ("social kind", SOCIAL_KINDS),
                                             ("design", DESIGNS), ("metric", METRICS))
                 if entry in registry]
        if len(found) != 1:
            raise ValueError(f"{entry!r} is {' and '.join(found) or 'in no registry'}: pass "
                             "the class or declaration itself")
        entry = {"scheme": SCHEMES, "social kind": SOCIAL_KINDS, "design": DESIGNS,
                 "metric": METRICS}[found[0]][entry]
    kinds = ((Scheme, as_scheme, SCHEME_CHECKS), (SocialKind, as_social_kind, SOCIAL_KIND_CHECKS),
             (DesignKind, as_design, DESIGN_CHECKS))
    for base, make, checks in kinds:
        if isinstance(entry, base) or isinstance(entry, type) and issubclass(entry, base):
            return make(entry), checks
    if isinstance(entry, Metric):
        return entry, METRIC_CHECKS
    raise ValueError(f"{entry!r} is not a scheme, social kind, design or metric")


def parametrize_with_checks(entries: Iterable[Any]) -> Any:
    """A ``pytest.mark.parametrize`` of ``(entry, check)`` over every check of every entry.

    Its ids are ``<entry>-<check>``, so a failure names both; call ``check(entry)``
    in the test.
    """
    import pytest

    cases = []
    for given in entries:
        entry, checks = checks_of(given)
        cases += [pytest.param(entry, check, id=f"{_id(entry)}-{check.name}")
                  for check in checks]
    return pytest.mark.parametrize(("entry", "check"), cases)


def _id(entry: Any) -> str:
    return str(getattr(entry, "key", None) or getattr(entry, "kind", None) or entry)
