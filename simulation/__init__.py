"""sparksim: how a new social network grows when it pays influencers to bring their followers.

The public API (fixed; other tools script against it):

- ``load_config(path_or_mapping, overrides=None)`` → :class:`Config`
- ``run(config, seed=None)`` → :class:`RunResult` (``.timeseries``, ``.summary``, ``.config``)
- ``SparkModel``: the ``mesa.Model`` itself, for stepping by hand.
"""

from .bass import BassFit, bass_share, fit_bass
from .calibrate import Calibration, calibrate
from .compare import compare
from .config import Config, load_config
from .decompose import decompose
from .errors import ConfigError
from .metrics import COLUMNS, SUMMARY_KEYS
from .model import SparkModel
from .optimise import optimise
from .run import RunResult, run
from .sweep import SweepResult, load_sweep, run_many, sweep

__all__ = [
    "COLUMNS", "SUMMARY_KEYS", "BassFit", "Config", "ConfigError", "RunResult", "SparkModel",
    "bass_share", "compare", "decompose", "fit_bass", "optimise", "Calibration", "calibrate",
    "SweepResult", "load_config", "load_sweep", "run", "run_many", "sweep",
]
__version__ = "0.1.0"
