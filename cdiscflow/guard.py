"""No traceback ever: every failure a command did not word itself ends as one message on stderr
and exit code 2, and SIGTERM cleans up as Ctrl-C does (staging folders, forked children).

Imported by the command line before any command runs, so it stays light: rich is imported only
when there is a message to print.
"""

from __future__ import annotations

import errno
import signal
import sys
import threading

import click

from cdiscflow.errors import CdiscflowError
from cdiscflow.launch import interrupted_during_import

EXIT_BAD_INPUT = 2


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that staging folders and forked children are
    cleaned up on the way out, as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def failure_message(exc: BaseException) -> str:
    """One line for any failure a command did not word itself (never a traceback)."""
    if interrupted_during_import(exc):  # Ctrl-C inside a lazy import: a RuntimeError
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        return (f"{what}; the output folder holds the last package a run completed, whole, "
                f"and the unfinished one was removed")
    if isinstance(exc, CdiscflowError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason += " (the disk is full: free space and run again)"
        return f"{where}{reason}; nothing was published"
    if isinstance(exc, RecursionError):
        return "an input is nested too deeply to read (recursion limit reached)"
    if isinstance(exc, MemoryError):
        return "out of memory; nothing was published"
    return f"internal error ({type(exc).__name__}: {exc}); nothing was published"


class GuardedGroup(click.Group):
    """Every command's failures end as one message on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        previous = signal.getsignal(signal.SIGTERM)
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True, width=140).print(
                f"[bold red]error:[/] {escape(failure_message(exc))}", highlight=False)
            sys.exit(EXIT_BAD_INPUT)
        finally:
            if in_main:
                signal.signal(signal.SIGTERM, previous)
