"""The shipped scenarios a strategist can start from: configs/baseline.toml and configs/schemes/.

Each scenario's description is its own file's opening comment (the lines
before the first key), so the file, ``sparksim run`` and the page say the
same thing.
"""

from __future__ import annotations

from pathlib import Path

from ..model.config import Config, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
"""The repository's configs folder (the package is installed from the work tree)."""
DEFAULT = "baseline"
"""The scenario the page opens with."""
MODEL_DEFAULTS = "model defaults"
"""The one scenario offered when the configs folder is absent: every documented default."""
DEFAULTS_DESCRIPTION = ("Every parameter at its documented default: one new platform, "
                        "no payouts, 100 000 people simulated for a market of 85 million.")
"""What :data:`MODEL_DEFAULTS` is, in words."""


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


def description(name: str, folder: Path = CONFIGS) -> str:
    """A shipped scenario's description: its file's opening comment, as one paragraph."""
    path = shipped(folder).get(name)
    return opening_comment(path.read_text(encoding="utf-8")) if path else DEFAULTS_DESCRIPTION


def opening_comment(text: str) -> str:
    """The comment lines a TOML text opens with, joined into one paragraph.

    Lines that point readers at the code (``simulation/…``) are left out.
    """
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        words = line.lstrip("#").strip()
        if words and "simulation/" not in words:
            lines.append(words)
    return " ".join(lines)
