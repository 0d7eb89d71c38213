"""Experiment designs: which points a sweep runs, and (for some) their sensitivity indices.

Each design is one class, registered in :data:`DESIGNS` by its ``kind`` (the
``[design]`` section of a sweep file), with its own keys and, as in SALib, the
same two methods:

- ``sample(problem, seed)``: the design matrix in sampling space (points ×
  parameters); a grid has no sampling and lists ``points`` instead;
- ``analyse(problem, X, y, seed, conf_level)``: sensitivity indices of an
  output ``y`` (one value per point), for the designs that have one
  (``sobol``, ``morris``); ``bars`` says which columns a figure draws.

``problem`` is SALib's: ``{"num_vars", "names", "bounds"}`` (log10 bounds for
log ranges). Samples come from ``scipy.stats.qmc`` (Latin hypercube), numpy
(random) and SALib (Saltelli/Sobol', Morris), seeded from the sweep seed.
A new design is one class: a :class:`DesignKind` with a ``kind`` literal.

The designs live with the runs, not the analyses: a sweep file names its
design, and the sweep machinery (:mod:`simulation.runs.sweep_file`) parses it
and samples its points before any run. ``analyse`` stays on the class (one
class per design, as in SALib); the analysis of a sweep's results, its table
and report are :mod:`simulation.analysis.sensitivity` and
:mod:`simulation.analysis.report`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..model.sections import Kind
from .executors import MAX_RUNS

DESIGNS: dict[str, type[DesignKind]] = {}
"""The registry: ``design.kind`` → its class, in the order defined."""


class DesignKind(Kind):
    """A design: its keys, how it samples, and how it analyses (if it does)."""

    registry: ClassVar[dict[str, type[Kind]]] = DESIGNS
    grid: ClassVar[bool] = False
    """True for designs that list values rather than sample ranges."""
    bars: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Columns of ``analyse``'s table a figure draws, with their words (two at most)."""
    xlabel: ClassVar[str] = ""
    """What the bars measure, for the figure's axis; ``{output}`` names the metric."""

    @property
    def analyses(self) -> bool:
        """Whether this design has a sensitivity analysis."""
        return type(self).analyse is not DesignKind.analyse

    def check(self, parameters: Mapping[str, Any]) -> None:
        """A ValueError if the sweep file's parameters or samples do not fit this design."""

    def n_points(self, parameters: Mapping[str, Any]) -> int:
        """How many design points ``parameters`` make, counted without making them."""
        raise NotImplementedError

    def sample(self, problem: Mapping[str, Any], seed: int) -> np.ndarray:
        """The design matrix in sampling space (points × parameters)."""
        raise NotImplementedError(f"design {self.kind!r} lists its points; it does not sample")

    def analyse(self, problem: Mapping[str, Any], x: np.ndarray, y: np.ndarray, seed: int,
                conf_level: float) -> dict[str, np.ndarray]:
        """Sensitivity indices of ``y`` (one per design point), by column name."""
        raise NotImplementedError(f"design {self.kind!r} has no sensitivity analysis")

    @classmethod
    def entry_problem(cls) -> str | None:
        """A design must count its points, and list them (a grid) or sample them."""
        if cls.n_points is DesignKind.n_points:
            return "it must write n_points(parameters) (see simulation.runs.designs)"
        if cls.grid and not callable(getattr(cls, "points", None)):
            return "a grid design (grid = True) must write points(parameters)"
        if not cls.grid and cls.sample is DesignKind.sample:
            return "it must write sample(problem, seed), or set grid = True and write points"
        if cls.analyse is not DesignKind.analyse and not cls.bars:
            return "a design that writes analyse() must set bars, the columns a figure draws"
        return None


KIND = "how points are chosen"
SAMPLES = "random/lhs: points; sobol: base N (N·(D+2) points); morris: trajectories"


class Grid(DesignKind):
    """Every combination of the listed values (a full factorial)."""

    kind: Literal["grid"] = Field("grid", description=KIND)
    grid: ClassVar[bool] = True

    def check(self, parameters: Mapping[str, Any]) -> None:  # noqa: D102
        for key, value in parameters.items():
            if not isinstance(value, list):
                raise ValueError(f"parameters.{key}: a grid needs a list of values "
                                 f"(given: {value!r}), e.g. [10, 20, 40]")
            if not value:
                raise ValueError(f"parameters.{key}: the list of values is empty")

    def n_points(self, parameters: Mapping[str, Any]) -> int:  # noqa: D102
        return math.prod(len(values) for values in parameters.values())

    def points(self, parameters: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
        """Every combination, the last parameter varying fastest."""
        keys = list(parameters)
        return [dict(zip(keys, values, strict=True))
                for values in itertools.product(*parameters.values())]


class Sampled(DesignKind):
    """A design that samples each parameter's range."""

    kind: str
    samples: int = Field(16, ge=1, le=MAX_RUNS, description=f"{SAMPLES}; at most "
                         f"{MAX_RUNS:,} (runs in one sweep: executors.MAX_RUNS)")

    def n_points(self, parameters: Mapping[str, Any]) -> int:  # noqa: D102
        return self.samples

    def check(self, parameters: Mapping[str, Any]) -> None:  # noqa: D102
        for key, value in parameters.items():
            if isinstance(value, list):
                raise ValueError(f"parameters.{key}: a {self.kind} design needs a range "
                                 f"(given: {value!r}), e.g. {{low = 0.01, high = 0.1}}")


def _scaled(unit: np.ndarray, problem: Mapping[str, Any]) -> np.ndarray:
    from scipy.stats import qmc

    bounds = np.array(problem["bounds"])
    return qmc.scale(unit, bounds[:, 0], bounds[:, 1])


class RandomDesign(Sampled):
    """Points drawn uniformly at random in the ranges (numpy)."""

    kind: Literal["random"] = Field("random", description=KIND)

    def sample(self, problem: Mapping[str, Any], seed: int) -> np.ndarray:  # noqa: D102
        unit = np.random.default_rng(seed).random((self.samples, problem["num_vars"]))
        return _scaled(unit, problem)


class LatinHypercube(Sampled):
    """A Latin hypercube: one point in each of ``samples`` strata of every range (scipy)."""

    kind: Literal["lhs"] = Field("lhs", description=KIND)

    def sample(self, problem: Mapping[str, Any], seed: int) -> np.ndarray:  # noqa: D102
        from scipy.stats import qmc

        sampler = qmc.LatinHypercube(d=problem["num_vars"], seed=np.random.default_rng(seed))
        return _scaled(sampler.random(self.samples), problem)


class Sobol(Sampled):
    """Saltelli's scheme for Sobol' indices (SALib): N·(D+2) points for ``samples = N``."""

    kind: Literal["sobol"] = Field("sobol", description=KIND)
    second_order: bool = Field(False, description="also second-order indices (N·(2D+2) points)")
    bars: ClassVar[tuple[tuple[str, str], ...]] = (("S1", "first order S1"),
                                                   ("ST", "total ST"))
    xlabel: ClassVar[str] = "share of output variance (Sobol index)"

    def check(self, parameters: Mapping[str, Any]) -> None:  # noqa: D102
        super().check(parameters)
        if self.samples & (self.samples - 1):
            raise ValueError(f"design.samples = {self.samples}: a Sobol' design needs a "
                             "power of two (e.g. 64, 128, 256)")

    def n_points(self, parameters: Mapping[str, Any]) -> int:  # noqa: D102
        return self.samples * ((2 if self.second_order else 1) * len(parameters) + 2)

    def sample(self, problem: Mapping[str, Any], seed: int) -> np.ndarray:  # noqa: D102
        from SALib.sample import sobol

        return sobol.sample(dict(problem), self.samples, calc_second_order=self.second_order,
                            seed=seed)

    def analyse(self, problem: Mapping[str, Any], x: np.ndarray, y: np.ndarray, seed: int,
                conf_level: float) -> dict[str, np.ndarray]:
        """First-order and total indices (Saltelli 2010 estimators) with interval half-widths."""
        from SALib.analyze import sobol

        with np.errstate(divide="ignore", invalid="ignore"):  # an output that never varies
            indices = sobol.analyze(dict(problem), y, calc_second_order=self.second_order,
                                    conf_level=conf_level, seed=seed)  # has NaN indices
        return {k: np.asarray(indices[k], dtype=float) for k in ("S1", "S1_conf", "ST",
                                                                  "ST_conf")}


class Morris(Sampled):
    """Morris elementary effects (SALib): N·(D+1) points for N trajectories."""

    kind: Literal["morris"] = Field("morris", description=KIND)
    levels: int = Field(4, ge=2, le=100, description="grid levels (SALib's default 4)")
    bars: ClassVar[tuple[tuple[str, str], ...]] = (("mu_star", "μ* (mean |effect|)"),
                                                   ("sigma", "σ (non-linearity, interactions)"))
    xlabel: ClassVar[str] = "elementary effect on {output}"

    def n_points(self, parameters: Mapping[str, Any]) -> int:  # noqa: D102
        return self.samples * (len(parameters) + 1)

    def sample(self, problem: Mapping[str, Any], seed: int) -> np.ndarray:  # noqa: D102
        from SALib.sample import morris

        return morris.sample(dict(problem), self.samples, num_levels=self.levels, seed=seed)

    def analyse(self, problem: Mapping[str, Any], x: np.ndarray, y: np.ndarray, seed: int,
                conf_level: float) -> dict[str, np.ndarray]:
        """μ, μ* with its interval half-width, and σ (Morris 1991, Campolongo 2007)."""
        from SALib.analyze import morris

        indices = morris.analyze(dict(problem), x, y, conf_level=conf_level,
                                 num_levels=self.levels, seed=seed)
        return {k: np.asarray(indices[k], dtype=float) for k in ("mu", "mu_star",
                                                                  "mu_star_conf", "sigma")}
