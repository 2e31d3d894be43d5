"""Work done in a forked child process while this one goes on, handed back as a pickle file.

A forked child shares this process's memory (the raw forms, the loaded standards) without
copying it; its result comes back through a file, which for a few hundred MB is far faster
than a multiprocessing pipe. Where fork does not exist, or the child fails, the work is done
in this process when its result is asked for, so an error is raised as itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from cdiscflow.outswap import FORK_PREFIX

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    return hasattr(os, "fork")


def _die_with(parent: int) -> None:
    """A child outliving a killed parent would hold the output lock and write into a folder
    nobody reads: on Linux the kernel kills it when the parent dies."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class Forked(Generic[T]):
    """``func()`` running in a child process from now on; ``result()`` waits for it."""

    def __init__(self, func: Callable[[], T]) -> None:
        self._func = func
        # the folder names this process, so a later run can remove it if this one is killed
        self._dir = Path(tempfile.mkdtemp(prefix=f"{FORK_PREFIX}{os.getpid()}-"))
        self._path = self._dir / "result.pickle"
        parent = os.getpid()
        self.pid = os.fork() if can_fork() else 0
        if can_fork() and self.pid == 0:  # the child: work, hand back, exit without cleanup
            code = 1
            try:
                _die_with(parent)
                result = func()
                with self._path.open("wb") as f:
                    pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        self._done = False

    def result(self) -> T:
        """The child's result; when the child failed (or could not be forked) ``func`` runs
        here and raises its own error."""
        try:
            if self.pid:
                _, status = os.waitpid(self.pid, 0)
                self._done = True
                if status == 0:
                    with self._path.open("rb") as f:
                        return pickle.load(f)
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
        return self._func()

    def cancel(self) -> None:
        """Stop the child (this process gave up on the work)."""
        if self.pid and not self._done:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self._done = True
        shutil.rmtree(self._dir, ignore_errors=True)
