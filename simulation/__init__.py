"""sparksim: how a new social network grows when it pays influencers to bring their followers.

The public API (fixed; other tools script against it):

- ``load_config(path_or_mapping, overrides=None)`` → :class:`Config`
- ``run(config, seed=None)`` → :class:`RunResult` (``.timeseries``, ``.summary``, ``.config``)
- ``SparkModel``: the ``mesa.Model`` itself, for stepping by hand.
"""

from .config import Config, ConfigError, load_config
from .metrics import COLUMNS, SUMMARY_KEYS
from .model import SparkModel
from .run import RunResult, run

__all__ = [
    "COLUMNS", "SUMMARY_KEYS", "Config", "ConfigError", "RunResult", "SparkModel",
    "load_config", "run",
]
__version__ = "0.1.0"
