"""sparksim: how a new social network grows when it pays influencers to bring their followers.

The public API (fixed; other tools script against it):

- ``load_config(path_or_mapping, overrides=None)`` → :class:`Config`
- ``run(config, seed=None)`` → :class:`RunResult` (``.timeseries``, ``.summary``, ``.config``)
- ``SparkModel``: the ``mesa.Model`` itself, for stepping by hand.

The package is in layers, each a subpackage that imports only from those
below it (``tests/test_layers.py`` checks): ``model`` (one run), ``plots``
(figures), ``runs`` (one or many runs, sweeps, reports), ``analysis``
(comparison, fitting, decomposition, optimisation) and the command line
(``cli``). Names are imported on first use (PEP 562), so ``import simulation``
and the command line start fast, and Ctrl-C during start-up is caught by the CLI.
"""

from __future__ import annotations

import importlib  # already loaded by the interpreter: importing the package loads nothing

TYPE_CHECKING = False
"""True for type checkers only (``typing`` is not imported here, so ``python -m simulation``
reaches the command line's Ctrl-C handler before any slow import: see ``__main__``)."""

_PUBLIC: dict[str, str] = {
    "Config": "model.config", "load_config": "model.config",
    "ConfigError": "errors",
    "COLUMNS": "model.metrics", "SUMMARY_KEYS": "model.metrics",
    "SparkModel": "model.spark_model",
    "RunResult": "runs.run", "run": "runs.run", "Runner": "runs.runner",
    "SweepResult": "runs.sweep", "load_sweep": "runs.sweep", "run_many": "runs.sweep",
    "sweep": "runs.sweep",
    "BassFit": "analysis.bass", "bass_share": "analysis.bass", "fit_bass": "analysis.bass",
    "Calibration": "analysis.calibrate", "calibrate": "analysis.calibrate",
    "compare": "analysis.compare", "compare_runs": "analysis.compare",
    "Until": "analysis.verdicts",
    "decompose": "analysis.decompose", "decompose_runs": "analysis.decompose",
    "optimise": "analysis.optimise",
    "write_report": "analysis.report",
}
"""Public name → the module (in this package) that defines it."""
_LIVE = {"COLUMNS", "SUMMARY_KEYS"}
"""Names read afresh each time: they follow the registries (a new scheme adds a column)."""

__all__ = [
    "COLUMNS", "SUMMARY_KEYS", "BassFit", "Calibration", "Config", "ConfigError", "RunResult",
    "Runner", "SparkModel", "SweepResult", "Until", "bass_share", "calibrate", "compare",
    "compare_runs", "decompose", "decompose_runs", "fit_bass", "load_config", "load_sweep",
    "optimise", "run", "run_many", "sweep", "write_report",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        if name not in _LIVE:
            globals()[name] = value  # once: later lookups are plain attribute reads
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


if TYPE_CHECKING:  # for type checkers and editors
    from .analysis.bass import BassFit, bass_share, fit_bass
    from .analysis.calibrate import Calibration, calibrate
    from .analysis.compare import compare, compare_runs
    from .analysis.decompose import decompose, decompose_runs
    from .analysis.optimise import optimise
    from .analysis.report import write_report
    from .analysis.verdicts import Until
    from .errors import ConfigError
    from .model.config import Config, load_config
    from .model.metrics import COLUMNS, SUMMARY_KEYS
    from .model.spark_model import SparkModel
    from .runs.run import RunResult, run
    from .runs.runner import Runner
    from .runs.sweep import SweepResult, load_sweep, run_many, sweep
