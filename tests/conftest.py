"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulation

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHIPPED = sorted([CONFIGS / "baseline.toml", CONFIGS / "bass.toml",
                  *(CONFIGS / "schemes").glob("*.toml")])
SMALL = {"population.followers": 20_000, "population.influencers": 300, "horizon_days": 200}


def small(path, **overrides):
    """A shipped config at test size (overrides use dotted keys with '__' for '.')."""
    extra = {key.replace("__", "."): value for key, value in overrides.items()}
    return simulation.load_config(path, {**SMALL, **extra})


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT
