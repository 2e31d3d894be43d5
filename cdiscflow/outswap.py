"""Replacing a whole output folder in one step, one run at a time, and clearing what dead runs
left behind.

OUT stays a plain folder. A run writes the complete package (datasets, report, manifest) into a
staging folder beside OUT (``.OUT.staging-<pid>``) and then swaps the two folders with a single
``renameat2(RENAME_EXCHANGE)`` system call: at every instant, and so after a crash at any
instant, OUT is the previous package or the new one, whole. The previous package, now at the
staging path, is removed afterwards. Where the system cannot exchange two folders (not Linux, or
a file system without it) OUT is renamed aside to ``.OUT.old-<pid>`` and the staging folder to
OUT; a crash between those two renames leaves no OUT, and the next run puts the previous package
back before doing anything else.

One run at a time writes OUT: a lock file beside it (``.OUT.lock``, ``flock``) that the kernel
releases when its process ends, however it ends, so a lock is never stale. A run holding the lock
knows that every staging or old folder of OUT belongs to a run that is gone, and removes it, as
it removes fork folders in the system temp folder whose process no longer exists.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from cdiscflow.errors import CdiscflowError

FORK_PREFIX = "cdiscflow-fork-"  # + "<pid>-": the process that made the folder
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# for tests: "<point>=<file>" makes the run create <file> at that point and wait there (up to a
# minute) so a test can send a real signal to a real process exactly between two steps
PAUSE_ENV = "CDISCFLOW_PAUSE_AT"


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def staging_path(out: Path) -> Path:
    return out.parent / f".{out.name}.staging-{os.getpid()}"


class OutputLock:
    """Exclusive right to write ``out`` for as long as it is held (a context manager)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl  # POSIX only; cdiscflow runs on Linux and macOS

        path = lock_path(self.out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CdiscflowError(f"{self.out}: cannot create the lock file {path} beside the "
                                 f"output folder ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise CdiscflowError(f"{self.out}: another cdiscflow run (process {holder}) is "
                                 f"writing this output folder; wait for it to finish or choose "
                                 f"another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # the file stays: removing it would let a run that opened it just before lock a file
        # no longer in the folder while a third run locks a new one
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def clear_debris(out: Path) -> list[Path]:
    """What runs that died left of ``out`` (call with the lock held): an OUT renamed aside and
    not replaced is put back, staging and old folders are removed, as are fork folders in the
    system temp folder of processes that no longer exist. Returns what was removed."""
    out = Path(out)
    parent = out.parent
    if not parent.is_dir():
        return []
    staged = re.compile(rf"^\.{re.escape(out.name)}\.(staging|old)-(\d+)$")
    found = sorted((p for p in parent.iterdir() if staged.match(p.name)),
                   key=lambda p: p.stat().st_mtime if p.exists() else 0)
    olds = [p for p in found if ".old-" in p.name]
    if olds and not out.exists() and not out.is_symlink():
        # the fallback swap died between its two renames: the previous package comes back
        os.rename(olds[-1], out)
        found.remove(olds[-1])
    removed = [p for p in found if _remove(p)]
    return removed + clear_fork_folders()


def clear_fork_folders(tmp: Path | None = None) -> list[Path]:
    """Fork folders (``cdiscflow-fork-<pid>-*``) of this user whose process is gone."""
    tmp = Path(tmp or tempfile.gettempdir())
    pattern = re.compile(rf"^{re.escape(FORK_PREFIX)}(\d+)-")
    removed = []
    try:
        entries = list(tmp.iterdir())
    except OSError:
        return []
    for p in entries:
        m = pattern.match(p.name)
        try:
            mine = p.is_dir() and not p.is_symlink() and p.stat().st_uid == os.getuid()
        except OSError:
            continue
        if m and mine and not _alive(int(m.group(1))) and _remove(p):
            removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CdiscflowError(f"{path}: left by an earlier run that did not finish and cannot be "
                             f"removed ({exc.strerror}); remove it by hand") from None
    return True


def swap_in(staging: Path, out: Path) -> None:
    """Make ``staging`` the folder ``out`` in one step and remove the previous ``out``."""
    pause("staged")
    try:
        # the files on disk before the rename that publishes them: after a power cut the new
        # package is there whole or not at all
        _sync_tree(staging)
        if not out.exists():
            os.rename(staging, out)
            _sync(out.parent)
            return
        if _exchange(staging, out):
            old = staging  # the previous package is now where the staging folder was
            _sync(out.parent)
        else:
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, old)
            os.rename(staging, out)
            _sync(out.parent)
    except OSError as exc:
        raise CdiscflowError(f"{out}: cannot replace the output folder with the new package "
                             f"({exc.strerror}); the previous output is unchanged") from None
    pause("swapped")
    # the new package is in place; the old one is debris the next run removes if this fails
    shutil.rmtree(old, ignore_errors=True)


_libc: ctypes.CDLL | None | bool = False


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    global _libc
    if _libc is False:
        try:
            _libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
            if _libc is not None:
                _libc.renameat2  # noqa: B018 - glibc >= 2.28
        except (OSError, AttributeError):
            _libc = None
    if _libc is None:
        return False
    assert isinstance(_libc, ctypes.CDLL)
    rc = _libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # e.g. a file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def _sync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync(Path(root))


def _sync(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a crash after this keeps it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def pause(point: str) -> None:
    """The test hook (PAUSE_ENV): announce reaching ``point`` and wait to be signalled."""
    wanted = os.environ.get(PAUSE_ENV, "")
    name, _, marker = wanted.partition("=")
    if name != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="ascii")
    deadline = time.monotonic() + 60
    while Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
