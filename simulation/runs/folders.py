"""Output folders: one guard for every writer, atomic replacement, and the sweep lock.

Every folder the tool writes (a run, a report, a calibration, a sweep) holds
a marker file, ``.sparksim.json``, naming its kind and the files written.
:func:`check_output_folder` lets a command write into a folder only when it
is new, empty, or a folder of the same kind that the tool wrote and that holds
nothing else. It never lets a command replace the working folder, a folder
that holds the working folder, or a folder that holds one of the command's
inputs (the config, the data, the sweep being reported).

:func:`staged_folder` writes into a new hidden folder beside the target and
moves it into place only when complete, keeping the old folder's permissions.
:class:`FolderLock` is an operating-system lock on a sweep folder (``filelock``:
``flock`` on POSIX), released when its process ends however it ends, so a
second writer is refused while the first lives and never after.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError

MARKER = ".sparksim.json"
"""The file that tells a folder the tool wrote from a user's folder."""
LOCK = ".lock"
OWNER = ".lock.owner"
TEMPORARY_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """A name beside ``path`` that no other writer uses (process id and a random part)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a unique temporary name, then a rename)."""
    staging = temporary_name(path)
    try:
        staging.write_bytes(data)
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a folder the tool wrote, or None."""
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("written_by") != "sparksim":
        return None
    return marker


def write_marker(folder: Path, kind: str, files: Iterable[str]) -> None:
    """Mark ``folder`` as a ``kind`` folder of the tool holding ``files``."""
    marker = {"written_by": "sparksim", "kind": kind, "files": sorted(files)}
    write_atomic(folder / MARKER, (json.dumps(marker, indent=2) + "\n").encode())


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(
    out_dir: str | Path, kind: str, *, inputs: Iterable[str | Path] = (),
    allowed_extra: Iterable[str] = (), option: str = "--out",
) -> Path:
    """The resolved folder to write, if it is safe to; else a ConfigError naming the reason.

    Args:
        out_dir: the folder asked for.
        kind: ``run``, ``report``, ``calibration`` or ``sweep``.
        inputs: files or folders the command reads; the output may not hold them.
        allowed_extra: further names a folder of this kind may hold (a sweep's
            files, which the marker cannot list in advance).
        option: the option named in messages.
    """
    out = Path(out_dir).resolve()
    shown = f"{option} {str(out_dir)!r}"
    allowed = f"allowed: a new or empty folder, or a {kind} folder sparksim wrote"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{shown}: exists and is not a folder; {allowed}")
    cwd = Path.cwd().resolve()
    if _is_within(cwd, out):
        what = "is the working folder" if out == cwd else "holds the working folder"
        raise ConfigError(f"{shown}: it {what}, which is never replaced; {allowed}")
    for given in inputs:
        if _is_within(Path(given).resolve(), out):
            raise ConfigError(f"{shown}: it holds this command's input {str(given)!r}, "
                              f"which is never replaced; {allowed}")
    if not out.is_dir():
        return out
    names = sorted(p.name for p in out.iterdir())
    if not names:
        return out
    marker = read_marker(out)
    if marker is None:
        raise ConfigError(f"{shown}: it holds files sparksim did not write "
                          f"({_listing(names)}); {allowed}")
    if marker.get("kind") != kind:
        raise ConfigError(f"{shown}: it holds a sparksim {marker.get('kind')!r} folder, "
                          f"not a {kind}; {allowed}")
    known = {MARKER, *marker.get("files", []), *allowed_extra}
    others = [n for n in names if n not in known and not _is_temporary(n)]
    if others:
        raise ConfigError(f"{shown}: it holds files sparksim did not write there "
                          f"({_listing(others)}); {allowed}")
    return out


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)


def _listing(names: list[str]) -> str:
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


@contextmanager
def staged_folder(target: Path, kind: str) -> Iterator[Path]:
    """A new folder beside ``target`` to write into; it replaces ``target`` when the block ends.

    The new folder gets the marker (listing what the block wrote) and the
    permissions of the folder it replaces (or the umask's, for a new one).
    If the block raises or is interrupted, the new folder is removed and
    ``target`` is left as it was: readers never see a half-written folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_name(target)
    os.mkdir(staging)  # mode 0o777 less the umask, unlike tempfile's 0o700
    try:
        yield staging
        write_marker(staging, kind, (p.name for p in staging.iterdir()))
        if target.is_dir():
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing a previous folder there."""
    if target.exists():
        old = temporary_name(target)
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


class FolderLock:
    """An operating-system lock on a folder, held while a sweep writes there.

    ``with FolderLock(folder):`` creates the folder if needed and takes the
    lock, or raises ConfigError naming the process that holds it. The lock
    dies with its process (``kill -9`` included), so it is never stale.
    """

    def __init__(self, folder: Path, option: str = "--out"):
        from filelock import FileLock

        self.folder = folder
        self.option = option
        self._lock = FileLock(str(folder / LOCK), timeout=0)

    def __enter__(self) -> FolderLock:
        from filelock import Timeout

        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise ConfigError(
                f"{self.option} {str(self.folder)!r}: another sweep is writing there "
                f"({self._holder()}); wait for it to finish, or choose another {self.option}"
            ) from None
        owner = {"pid": os.getpid(), "host": socket.gethostname(),
                 "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        write_atomic(self.folder / OWNER, json.dumps(owner).encode())
        return self

    def __exit__(self, *exc: object) -> None:
        (self.folder / OWNER).unlink(missing_ok=True)
        self._lock.release()

    def _holder(self) -> str:
        try:
            owner = json.loads((self.folder / OWNER).read_text())
            return f"process {owner['pid']} on {owner['host']}, since {owner['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "a process that is starting"
