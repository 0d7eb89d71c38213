"""Sweep files: which runs a sweep makes.

A sweep file (TOML) names a base config, fixed overrides, the parameters
to vary (dotted keys exactly as ``--set`` takes them) and a design::

    name = "fee_vs_quota"
    base = "../baseline.toml"        # relative to this file
    replicates = 4
    seed = 2026
    [set]                             # fixed overrides for every run
    "population.followers" = 10000
    [design]
    kind = "grid"                     # grid | random | lhs | sobol | morris
    [parameters]                      # grid: lists of values
    "platforms.0.phases.0.flat_fee.fee" = [10, 20, 40]
    "platforms.0.phases.0.flat_fee.posts_per_day" = [1, 2, 3]

For a sampled design (``random``, ``lhs``, ``sobol``, ``morris``: see
:mod:`simulation.runs.designs`) each parameter is a range, ``{low = 0.01,
high = 0.1}`` (add ``log = true`` to sample on a log scale, ``integer = true``
to round); ``samples`` is the number of points (random, lhs), the base sample
N (sobol: N·(D+2) points, a power of two) or the trajectories (morris:
N·(D+1) points).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ConfigError, check_input_file
from ..model.config import MAX_CONFIG_BYTES, Config, load_config
from ..model.sections import OneKind, Section, describe_error
from .designs import DesignKind, Grid
from .executors import MAX_REPLICATES, MAX_RUNS, run_seed

DESIGN_KEY = (0, 0, 0)
"""SeedSequence spawn key of the design's own sampling (run seeds use keys of length 1 or 2)."""


class Range(Section):
    """A parameter's range for sampled designs."""

    low: float
    high: float
    log: bool = Field(False, description="sample uniformly in log10 (low must be > 0)")
    integer: bool = Field(False, description="round sampled values to whole numbers")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low = {self.low} must be below high = {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"log = true needs low > 0 (given low = {self.low})")
        return self


Design = Annotated[SerializeAsAny[DesignKind], OneKind(DesignKind, "grid")]
"""A ``[design]`` section: the design registered in DESIGNS that its ``kind`` names (default
grid), looked up when the sweep file is validated (a design defined later is a kind at once)."""


class ReportSettings(Section):
    """What ``sparksim report`` shows by default (the ``[report]`` section)."""

    metric: str = Field("active_users_end", description="summary key for heatmap and sensitivity")
    platform: str | None = Field(None, description="platform reported (default: the first)")
    heatmap: list[str] | None = Field(
        None, min_length=2, max_length=2, description="two parameters (default: the first two)"
    )
    fan_points: int = Field(12, ge=1, le=100, description="design points drawn in fan charts")


class SweepSpec(Section):
    """A parsed sweep file."""

    name: str = Field("sweep", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    base: str | None = Field(None, description="base config TOML, relative to the sweep file")
    set: dict[str, Any] = Field(default_factory=dict, description="fixed overrides for every run")
    seed: int = Field(0, ge=0, description="root seed of every run's seed and of the design")
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES, description=(
        f"runs per design point; at most {MAX_REPLICATES:,} (executors.MAX_REPLICATES: "
        "the mean's Monte Carlo error is then 1% of the run-to-run spread)"))
    common_random_numbers: bool = Field(
        True, description="replicate r uses the same seed at every point (paired differences)"
    )
    design: Design = Field(default_factory=Grid, description="how points are chosen "
                           "(simulation/runs/designs.py)")
    parameters: dict[str, list[Any] | Range] = Field(..., min_length=1)
    report: ReportSettings = Field(default_factory=ReportSettings)
    observers: list[str] = Field(default_factory=list, max_length=20, description=(
        "observers run beside the daily table (keys of simulation.model.observers.OBSERVERS, "
        "e.g. \"tiers\"): each run's table is stored as observed/<key>/run-NNNNNN.parquet"))

    _folder: Path = PrivateAttr(default_factory=Path.cwd)
    _text: str = PrivateAttr("")
    _path: Path | None = PrivateAttr(None)

    @field_validator("observers")
    @classmethod
    def _observers_are_registered(cls, keys: list[str]) -> list[str]:
        from ..model.observers import make_observers

        try:
            make_observers(keys)
        except ConfigError as err:
            raise ValueError(str(err).removeprefix("observers: ")) from None
        return keys

    @model_validator(mode="after")
    def _parameters_fit_the_design(self) -> SweepSpec:
        self.design.check(self.parameters)
        runs = self.design.n_points(self.parameters) * self.replicates
        if runs > MAX_RUNS:
            raise ValueError(
                f"design and replicates make {self.design.n_points(self.parameters):,} points "
                f"x {self.replicates:,} replicates = {runs:,} runs; allowed: at most "
                f"{MAX_RUNS:,} runs per sweep (executors.MAX_RUNS: one daily table per run, "
                "and days of computing); split the study into several sweeps or lower "
                "replicates or samples")
        if self.report.heatmap and not set(self.report.heatmap) <= set(self.parameters):
            raise ValueError(f"report.heatmap = {self.report.heatmap}: both must be parameters "
                             f"(allowed: {', '.join(self.parameters)})")
        return self

    @property
    def inputs(self) -> list[Path]:
        """The files this sweep reads (its file and base config), which its output may not hold."""
        found = [self._path] if self._path is not None else []
        if self.base is not None:
            found.append(self._folder / self.base)
        return found

    @property
    def source_text(self) -> str:
        """The sweep file as written (kept in the manifest)."""
        return self._text

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and bounds (log10 bounds for log ranges)."""
        bounds = []
        for value in self.parameters.values():
            assert isinstance(value, Range)
            bounds.append([math.log10(value.low), math.log10(value.high)] if value.log
                          else [value.low, value.high])
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": bounds}

    def base_config(self) -> Config:
        """The base config with the fixed overrides, validated; parameter keys checked."""
        if self.base is None:
            raise ConfigError("sweep file: 'base' is missing (allowed: a config TOML path "
                              "relative to the sweep file, e.g. base = \"../baseline.toml\")")
        config = load_config(self._folder / self.base, self.set)
        first = self.points()[0]
        for key, value in first.items():  # a key that cannot exist fails the whole sweep
            try:
                load_config(config, {key: value})
            except ConfigError as err:
                if "unknown key" in str(err) or str(err).startswith("override"):
                    raise ConfigError(f"sweep file parameters: {key!r} is not a config key "
                                      f"({err})") from None
        return config

    def seed_of(self, point: int, replicate: int) -> int:
        """The run seed of (design point, replicate)."""
        return run_seed(self.seed, replicate,
                        None if self.common_random_numbers else point)

    @property
    def design_seed(self) -> int:
        """The seed of the design's own sampling, derived from the sweep seed."""
        return int(np.random.SeedSequence(self.seed, spawn_key=DESIGN_KEY).generate_state(1)[0])

    def sample(self) -> np.ndarray:
        """The design matrix in sampling space (points × parameters); not for grids."""
        return self.design.sample(self.problem, self.design_seed)

    def points(self) -> list[dict[str, Any]]:
        """Every design point as dotted key → value, in a fixed order."""
        if self.design.grid:
            return self.design.points(self.parameters)
        points = []
        for row in self.sample():
            point = {}
            for (key, spec), x in zip(self.parameters.items(), row, strict=True):
                assert isinstance(spec, Range)
                value = float(10.0 ** x) if spec.log else float(x)
                point[key] = int(round(value)) if spec.integer else value
            points.append(point)
        return points


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep file.

    Raises:
        ConfigError: one message naming the key, the value and what is allowed.
    """
    path = Path(path)
    check_input_file(path, "sweep file", "a .toml file", max_bytes=MAX_CONFIG_BYTES)
    try:
        text = path.read_text()
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"sweep file {str(path)!r} is not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"sweep file {str(path)!r} cannot be read: {err}") from None
    raw.setdefault("name", path.stem)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe_error(err, SweepSpec, "sweep file")) from None
    spec._folder = path.resolve().parent
    spec._text = text
    spec._path = path
    return spec
