"""The errors a user can cause, and the exit codes the command line gives them.

Kept free of heavy imports so the command line can catch them (and Ctrl-C)
from its first line.
"""

from __future__ import annotations

import errno
import os
import stat
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


def check_input_file(path: Path, what: str, expected: str, max_bytes: int | None = None) -> None:
    """A ConfigError unless ``path`` is a readable regular file of at most ``max_bytes``.

    Checked before anything is read, each refusal with its real reason: not
    found, a folder, a symlink loop, a named pipe, a device or a socket (a
    FIFO or ``/dev/stdin`` could block, or be read only once), not readable,
    or too large (``max_bytes``: the caller's bound, stated where it is defined).
    """
    name = repr(str(path))
    try:
        info = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            reason = "is a symlink loop (too many levels of symbolic links)"
        elif err.errno == errno.ENOENT and os.path.islink(path):
            reason = f"is a symbolic link to {os.readlink(path)!r}, which does not exist"
        elif err.errno in (errno.ENOENT, errno.ENOTDIR):
            reason = "not found"
        else:
            reason = f"cannot be opened: {err.strerror}"
        raise ConfigError(f"{what} {name} {reason} (expected {expected})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{what} {name} is a folder, not a file (expected {expected})")
    if not stat.S_ISREG(info.st_mode):
        kind = next((words for test, words in _SPECIAL_FILES if test(info.st_mode)),
                    "a special file")
        raise ConfigError(f"{what} {name} is {kind}, not a regular file (expected {expected}; "
                          "save it to a file first)")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"{what} {name} cannot be read: permission denied (expected "
                          f"{expected})")
    if max_bytes is not None and info.st_size > max_bytes:
        raise ConfigError(f"{what} {name} is {_size(info.st_size)}; allowed: at most "
                          f"{_size(max_bytes)} (expected {expected})")


_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _size(n_bytes: int) -> str:
    """A file size in words: ``1.0 GB``, ``800 bytes``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= size:
            return f"{n_bytes / size:,.1f} {unit} ({n_bytes:,} bytes)"
    return f"{n_bytes:,} bytes"
