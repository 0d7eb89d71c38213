"""Running a config and writing its outputs.

``run(config, seed=...)`` returns a :class:`RunResult`; ``write_outputs``
writes ``timeseries.csv``, ``summary.json``, the resolved ``config.toml`` and
``adoption.png`` into a temporary folder beside the destination and moves it
into place only when all four are complete, so an interrupted or failed run
never leaves a half-written folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Config, ConfigError, load_config
from .model import SparkModel


@dataclass
class RunResult:
    """What one run produced."""

    timeseries: pd.DataFrame
    summary: dict[str, dict[str, Any]]
    config: Config
    seed: int

    def write(self, out_dir: str | Path) -> Path:
        """Write the four output files into ``out_dir`` atomically; returns the folder."""
        return write_outputs(self, out_dir)


def run(
    config: Config | str | Path | Mapping[str, Any],
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run one simulation to its horizon.

    Args:
        config: a Config, a TOML path or a mapping (validated by ``load_config``).
        seed: the run seed; defaults to the config's ``seed``.
        overrides: dotted key → value, applied before validation.
    """
    if not isinstance(config, Config) or overrides:
        config = load_config(config, overrides)
    if seed is not None:
        config = config.model_copy(update={"seed": int(seed)})
    model = SparkModel(config)
    try:
        model.run()
        table = model.timeseries
        return RunResult(table, model.summarise(table), config, model.seed)
    finally:
        model.release()


OUTPUT_FILES = ("timeseries.csv", "summary.json", "config.toml", "adoption.png")


def check_output_dir(out_dir: str | Path) -> Path:
    """The folder to write to, if it is safe to replace; else a ConfigError.

    A folder may be replaced only when it is new, empty, or holds nothing but
    the files of an earlier run: never a folder with anything else in it.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out_dir)!r}: exists and is not a folder")
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
        if others or out == Path.cwd().resolve():
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            what = f"it holds other files: {shown}" if others else "it is the working folder"
            raise ConfigError(
                f"--out {str(out_dir)!r}: {what}; allowed: a new or empty folder, "
                "or one an earlier run wrote"
            )
    return out


def write_outputs(result: RunResult, out_dir: str | Path) -> Path:
    """Write the run's files to a temporary folder, then move it into place."""
    import matplotlib.pyplot as plt  # matplotlib only when writing

    from .plots import adoption_figure

    out = check_output_dir(out_dir)
    with staged_folder(out) as staging:
        result.timeseries.to_csv(staging / "timeseries.csv", index=False)
        (staging / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
        (staging / "config.toml").write_text(result.config.to_toml())
        figure = adoption_figure(result.timeseries, title=result.config.name,
                                 n_people=result.config.population.followers)
        figure.savefig(staging / "adoption.png", dpi=110)
        plt.close(figure)
    return out


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A new folder beside ``target`` to write into; it replaces ``target`` when the block ends.

    If the block raises (or is interrupted) the new folder is removed and
    ``target`` is left as it was: readers never see a half-written folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing a previous folder there."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / "previous")
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
