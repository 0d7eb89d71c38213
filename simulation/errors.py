"""The errors a user can cause, and the exit codes the command line gives them.

Kept free of heavy imports so the command line can catch them (and Ctrl-C)
from its first line.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_ENVIRONMENT = 1
"""The machine failed the run: the output cannot be written, memory ran out, or a Dask
cluster lost every worker. What finished is kept."""
EXIT_USAGE = 2
"""Bad input: a config, sweep file, data file, override, argument or output folder."""
EXIT_RUNS_FAILED = 3
"""A sweep ended with runs failed or missing (recorded in runs.parquet; rerun to retry)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (SIGINT). A sweep keeps what finished: rerun the same command to resume."""
EXIT_TERMINATED = 143
"""SIGTERM, handled like Ctrl-C."""


class ConfigError(ValueError):
    """A user error in a config, a sweep file, data or an argument. The message says it all."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that every ``finally`` runs as for Ctrl-C."""


class WorkersLost(RuntimeError):
    """A Dask cluster has had no worker for longer than the worker timeout."""


def first_line(err: BaseException) -> str:
    """An exception's message in one line (its type's name when it has none)."""
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def check_input_file(path: Path, what: str, expected: str) -> None:
    """A ConfigError unless ``path`` is an existing file (a folder is named as one)."""
    if path.is_dir():
        raise ConfigError(f"{what} {str(path)!r} is a folder, not a file (expected {expected})")
    if not path.is_file():
        raise ConfigError(f"{what} {str(path)!r} not found (expected {expected})")
