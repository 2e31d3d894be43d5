"""The ``cdiscflow`` command's entry point: no Python traceback ever reaches the user.

Heavy libraries load when ``cdiscflow.cli`` is imported, before any click code runs, so a
Ctrl-C then (a ``KeyboardInterrupt``, or the ``RuntimeError`` Python wraps it in when it lands
inside a class body) is caught here; everything after the import is turned into one message by
the command group in ``cdiscflow.cli``. Exit code 2, as for any input that cannot be used.
"""

from __future__ import annotations

import signal
import sys
import threading

EXIT_BAD_INPUT = 2


# Ctrl-C seen by this process: an extension module being imported may turn the interruption
# into its own error with no trace of it (pandas: "PyCapsule_Import could not import module")
_SIGNALLED: list[int] = []


def _on_sigint(signum: int, frame: object) -> None:
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt


def interrupted_during_import(exc: BaseException) -> bool:
    """Whether ``exc`` is, or comes from, an interruption (Ctrl-C, SIGTERM)."""
    if _SIGNALLED:
        return True
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        from cdiscflow.cli import main
    except BaseException as exc:  # noqa: BLE001 - the one place an import failure is worded
        if interrupted_during_import(exc):
            print("error: interrupted while starting; nothing was written", file=sys.stderr)
        else:
            print(f"error: cdiscflow could not start: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    main()
