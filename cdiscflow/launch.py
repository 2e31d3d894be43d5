"""The ``cdiscflow`` command's entry point: no Python traceback ever reaches the user.

Heavy libraries load when ``cdiscflow.cli`` is imported, before any click code runs, so a
Ctrl-C then (a ``KeyboardInterrupt``, or the ``RuntimeError`` Python wraps it in when it lands
inside a class body) is caught here; everything after the import is turned into one message by
the command group in ``cdiscflow.cli``. Exit code 2, as for any input that cannot be used.
"""

from __future__ import annotations

import sys

EXIT_BAD_INPUT = 2


def interrupted_during_import(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start() -> None:
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
