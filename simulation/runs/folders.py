"""Output folders: one guard for every writer, atomic and durable replacement, and the lock.

Every folder the tool writes (a run, a report, a calibration, a sweep) holds
a marker file, ``.sparksim.json``, naming its kind and the files written.
:func:`check_output_folder` lets a command write into a folder only when it
is new, empty, or a folder of the same kind that the tool wrote and that holds
nothing else. It never lets a command replace the working folder, a folder
that holds the working folder, or a folder that holds one of the command's
inputs (the config, the data, the sweep being reported). Its path checks
(:func:`check_output_path`: an empty path, a symbolic-link loop, a parent that
is a file, a name too long, a folder that cannot be written) run before any
run starts, so a bad ``--out`` costs nothing.

:func:`staged_folder` writes into a new hidden folder beside the target and
moves it into place only when complete, keeping the old folder's permissions;
its files, the folder and the rename are fsynced, so a finished write survives
a power cut as well as a kill. Hidden temporary names (:func:`temporary_name`)
carry the writer's process id: the next write into the same place removes
those whose writer is gone (:func:`remove_stale_temporaries`).
:class:`FolderLock` is an operating-system lock on a sweep folder (``filelock``:
``flock`` on POSIX), released when its process ends however it ends, so a
second writer is refused while the first lives and never after.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import ConfigError

MARKER = ".sparksim.json"
"""The file that tells a folder the tool wrote from a user's folder."""
LOCK = ".lock"
OWNER = ".lock.owner"
TEMPORARY_SUFFIX = ".tmp"
NAME_MAX = 255
"""Bytes in one file name, when the file system does not say (POSIX ``NAME_MAX`` on
ext4, xfs, btrfs, APFS, NTFS)."""
PATH_MAX = 4096
"""Bytes in a whole path, when the file system does not say (Linux ``PATH_MAX``)."""
STEM_MAX = 200
"""Characters of the target's name kept in a temporary name. The rest of the name
(``.`` + process id up to 7 digits + 8 hex digits + ``.tmp``, 22 characters) then
fits in NAME_MAX, so any target name the file system accepts has a valid temporary
name; a longer name is cut and ends in a hash of the whole, to stay unique."""
PATH_ROOM = 64
"""Bytes kept free under PATH_MAX for what a command writes inside its folder
(``timeseries/run-000000.parquet`` and the temporary names beside it)."""
_TEMPORARY = re.compile(r"^\.(?P<stem>.+)\.(?P<pid>\d{1,10})\.[0-9a-f]{8}\.tmp$")


def _stem(name: str) -> str:
    """The part of a temporary name that names its target (see STEM_MAX)."""
    if len(name) <= STEM_MAX:
        return name
    return name[:STEM_MAX - 9] + "~" + hashlib.sha256(name.encode()).hexdigest()[:8]


def temporary_name(path: Path) -> Path:
    """A hidden name beside ``path`` that no other writer uses (process id and a random part)."""
    return path.with_name(f".{_stem(path.name)}.{os.getpid()}.{secrets.token_hex(4)}"
                          f"{TEMPORARY_SUFFIX}")


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary name this tool makes (not merely a hidden ``.tmp``)."""
    return _TEMPORARY.match(name) is not None


def _writer_gone(pid: int) -> bool:
    """Whether process ``pid`` no longer runs on this machine (its temporaries are stale)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False  # another user's live process, or a pid the OS cannot look up
    return False


def remove_stale_temporaries(folder: Path, target: str | None = None,
                             *, locked: bool = False) -> list[str]:
    """Remove temporary files and folders a killed writer left in ``folder``; their names.

    Args:
        folder: where to look (not recursive).
        target: only temporaries of this name (those beside a target folder).
        locked: the caller holds the folder's lock, so no other writer is live
            there and every temporary is stale; otherwise only those whose
            process is gone are.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = _TEMPORARY.match(entry.name)
        if found is None or (target is not None and found["stem"] != _stem(target)):
            continue
        if not locked and not _writer_gone(int(found["pid"])):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed


# --- durable writes ------------------------------------------------------------------


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk (``fsync``)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, each sub-folder, and ``folder`` itself (fsync)."""
    for root, folders, files in os.walk(folder):
        for name in files:
            fsync_path(Path(root) / name)
        for name in folders:
            fsync_path(Path(root) / name)
    fsync_path(folder)


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``path`` whole or not at all (a unique temporary name, then a rename).

    ``durable``: fsync the file before the rename and the folder after it, so the
    new content survives a power cut (a few milliseconds).
    """
    staging = temporary_name(path)
    try:
        with open(staging, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    if durable:
        fsync_path(path.parent)


def replace_durably(staging: Path, target: Path) -> None:
    """Rename a written file into place, with fsyncs of the file and of its folder."""
    fsync_path(staging)
    os.replace(staging, target)
    fsync_path(target.parent)


# --- markers ---------------------------------------------------------------------------


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


# --- the guard -------------------------------------------------------------------------


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def out_option(value: str | Path | None, default: Path, option: str = "--out") -> Path:
    """The folder an ``--out`` option names: ``default`` when not given; '' is refused."""
    if value is None:
        return default
    if not str(value).strip():
        raise ConfigError(f"{option} {str(value)!r}: empty; allowed: a folder path, "
                          "e.g. results/my-run (or leave the option out for the default)")
    return Path(value)


def _limit(folder: Path, name: str, fallback: int) -> int:
    try:
        return int(os.pathconf(folder, name))
    except (OSError, ValueError):
        return fallback


def check_output_path(out_dir: str | Path, option: str = "--out", *,
                      replaces: bool = True) -> Path:
    """The resolved output path, or a ConfigError if no folder can ever be written there.

    Checked before any run (nothing is created): an empty path, a NUL byte, a
    symbolic-link loop, a parent that is a file, a name or path longer than
    the file system allows, and a nearest existing parent that cannot be written
    (``replaces``: the folder is replaced whole, so its parent must be writable;
    otherwise, as for a sweep, an existing folder must be writable itself).
    """
    text = str(out_dir)
    shown = _shown(option, out_dir)
    if isinstance(out_dir, str) and not out_dir.strip():
        out_option(out_dir, Path(), option)
    if "\0" in text:
        raise ConfigError(f"{shown}: holds a NUL byte; allowed: a folder path")
    _check_lengths(Path(os.path.abspath(text)), shown)
    try:
        out = Path(out_dir).resolve()
    except (RuntimeError, OSError) as err:  # RuntimeError: a symlink loop (Python 3.11-3.12)
        loop = isinstance(err, RuntimeError) or getattr(err, "errno", None) == errno.ELOOP
        reason = "a symbolic link in it points back at itself (a loop)" if loop else str(err)
        raise ConfigError(f"{shown}: cannot be resolved: {reason}; allowed: a folder path "
                          "that leads to a folder") from None
    _check_lengths(out, shown)
    existing = next(p for p in (out, *out.parents) if _exists(p) or p == p.parent)
    if existing != out and not existing.is_dir():
        raise ConfigError(f"{shown}: {str(existing)!r} is a file, not a folder, so no folder "
                          "can be made inside it; allowed: a path whose parents are folders")
    writable = existing if existing != out or not replaces else out.parent
    if writable.is_dir() and not os.access(writable, os.W_OK | os.X_OK):
        raise ConfigError(f"{shown}: {str(writable)!r} cannot be written (permission denied "
                          "or a read-only file system); allowed: a folder you can write")
    return out


def _shown(option: str, value: str | Path) -> str:
    """``--out 'VALUE'`` for messages, a long value cut to its first 60 characters."""
    text = str(value)
    return f"{option} {text!r}" if len(text) <= 80 else f"{option} {text[:60]!r}... (cut)"


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _check_lengths(path: Path, shown: str) -> None:
    """A ConfigError if a name in ``path``, or the whole, is longer than the OS allows."""
    anchor = next((p for p in path.parents if _exists(p) and p.is_dir()), Path("/"))
    name_max = _limit(anchor, "PC_NAME_MAX", NAME_MAX)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            raise ConfigError(f"{shown}: the name {part[:24]!r}... is {size} bytes; allowed: "
                              f"at most {name_max} bytes per name (the file system's limit)")
    path_max = _limit(anchor, "PC_PATH_MAX", PATH_MAX)
    size = len(os.fsencode(str(path)))
    if size + PATH_ROOM > path_max:
        raise ConfigError(f"{shown}: the full path is {size} bytes; allowed: at most "
                          f"{path_max - PATH_ROOM} (the file system's limit of {path_max}, "
                          "less room for the files written inside)")


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
    out = check_output_path(out_dir, option, replaces=kind != "sweep")
    shown = _shown(option, out_dir)
    allowed = f"allowed: a new or empty folder, or a {kind} folder sparksim wrote"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{shown}: exists and is not a folder; {allowed}")
    cwd = Path.cwd().resolve()
    if _is_within(cwd, out):
        what = "is the working folder" if out == cwd else "holds the working folder"
        raise ConfigError(f"{shown}: it {what}, which is never replaced; {allowed}")
    for given in inputs:
        try:
            resolved = Path(given).resolve()
        except (RuntimeError, OSError):
            continue  # an input that cannot be resolved was refused when it was read
        if _is_within(resolved, out):
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
    others = [n for n in names if n not in known and not is_temporary(n)]
    if others:
        raise ConfigError(f"{shown}: it holds files sparksim did not write there "
                          f"({_listing(others)}), which a rewrite would delete; {allowed}")
    return out


def _listing(names: list[str]) -> str:
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


@contextmanager
def staged_folder(target: Path, kind: str) -> Iterator[Path]:
    """A new folder beside ``target`` to write into; it replaces ``target`` when the block ends.

    Temporary folders that killed writers left beside ``target`` are removed
    first. The new folder gets the marker (listing what the block wrote) and
    the permissions of the folder it replaces (or the umask's, for a new one);
    its files are fsynced before it moves into place and the parent after. If
    the block raises or is interrupted, the new folder is removed and
    ``target`` is left as it was: readers never see a half-written folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent, target.name)
    staging = temporary_name(target)
    os.mkdir(staging)  # mode 0o777 less the umask, unlike tempfile's 0o700
    try:
        yield staging
        write_marker(staging, kind, (p.name for p in staging.iterdir()))
        if target.is_dir():
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        fsync_tree(staging)
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing a previous folder there; fsync the parent."""
    if target.exists():
        old = temporary_name(target)
        os.replace(target, old)
        os.replace(new, target)
        fsync_path(target.parent)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
        fsync_path(target.parent)


class FolderLock:
    """An operating-system lock on a sweep folder, held while a sweep or its report writes.

    ``with FolderLock(folder):`` creates the folder if needed (unless
    ``create=False``) and takes the lock, or raises ConfigError naming the
    process that holds it. The lock dies with its process (``kill -9``
    included), so it is never stale.
    """

    def __init__(self, folder: Path, option: str = "--out", *, create: bool = True,
                 advice: str | None = None, what: str = "sweep"):
        from filelock import FileLock

        self.folder = folder
        self.option = option
        self.create = create
        self.what = what
        self.advice = advice or f"wait for it to finish, or choose another {option}"
        self._lock = FileLock(str(folder / LOCK), timeout=0)

    def __enter__(self) -> FolderLock:
        from filelock import Timeout

        if self.create:
            self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise ConfigError(
                f"{self.option} {str(self.folder)!r}: {self._holder()}; {self.advice}"
            ) from None
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "what": self.what,
                 "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        try:
            write_atomic(self.folder / OWNER, json.dumps(owner).encode(), durable=False)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        with suppress(OSError):
            (self.folder / OWNER).unlink(missing_ok=True)
        self._lock.release()

    def _holder(self) -> str:
        """Who holds the lock, for the message."""
        try:
            owner = json.loads((self.folder / OWNER).read_text())
            what = owner.get("what", "sweep")
            return (f"another {what} is writing there (process {owner['pid']} on "
                    f"{owner['host']}, since {owner['since']})")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return "another sweep is writing there (a process that is starting)"
