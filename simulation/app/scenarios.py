"""The shipped scenarios a strategist can start from: configs/baseline.toml and configs/schemes/."""

from __future__ import annotations

from pathlib import Path

from ..model.config import Config, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
"""The repository's configs folder (the package is installed from the work tree)."""
DEFAULT = "baseline"
"""The scenario the page opens with."""
MODEL_DEFAULTS = "model defaults"
"""The one scenario offered when the configs folder is absent: every documented default."""


def shipped(folder: Path = CONFIGS) -> dict[str, Path]:
    """Scenario name → TOML path: the baseline first, then every payout scheme, by name."""
    paths = [folder / "baseline.toml", *sorted((folder / "schemes").glob("*.toml"))]
    return {path.stem: path for path in paths if path.is_file()}


def names(folder: Path = CONFIGS) -> list[str]:
    """The scenarios to offer, the default first."""
    found = list(shipped(folder)) or [MODEL_DEFAULTS]
    return sorted(found, key=lambda name: name != DEFAULT)


def load(name: str, folder: Path = CONFIGS) -> Config:
    """A shipped scenario's config (the model's defaults if the configs folder is absent)."""
    paths = shipped(folder)
    return load_config(paths[name]) if name in paths else Config()
