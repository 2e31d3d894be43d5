"""The CDISC CT package's table read once per installation rather than once per process.

Unzipping and parsing the SDTM CT release (13 MB of text, 45,000 rows) costs a run about
0.2 s before any data is read, every time. The parsed columns are kept in the user's cache
folder as an Arrow IPC file named after the SHA-256 of the shipped release, so a run reads
them back in milliseconds, and a different release (an upgrade, a file edited by hand) can
never be served a stale copy: its hash names another file.

The cache is only ever a shortcut. A file that cannot be read, is truncated or altered, was
made from other content, or has other columns is ignored and rebuilt; a folder that cannot be
written (read-only home, no home at all) means parsing each time, as before. Written
atomically, so two runs starting together never read half a file.

Where: ``$CDISCFLOW_CACHE_DIR`` when set (empty: no cache), else ``$XDG_CACHE_HOME/cdiscflow``,
else ``~/.cache/cdiscflow``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from cdiscflow.atomic import write_bytes_atomic

CACHE_ENV = "CDISCFLOW_CACHE_DIR"
_LAYOUT = "1"  # raised whenever what is kept changes: an older file is then never read
_HASH_KEY = b"cdiscflow.source_sha256"


def cache_dir() -> Path | None:
    """The folder cached tables live in, or None when caching is switched off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found (a service account without one)
        return None
    return root / "cdiscflow"


def cached_table(source: bytes, columns: Sequence[str], parse: Callable[[bytes], pa.Table],
                 name: str = "ct") -> pa.Table:
    """``parse(source)`` (a table of text ``columns``), from the cache when it holds the
    table parsed from exactly these bytes, else parsed and kept there for the next run."""
    digest = hashlib.sha256(source).hexdigest()
    folder = cache_dir()
    path = None if folder is None else folder / f"{name}-{digest[:40]}-v{_LAYOUT}.arrow"
    if path is not None:
        table = _read(path, digest, columns)
        if table is not None:
            return table
    table = parse(source).select(list(columns)).combine_chunks()
    if path is not None:
        _write(path, table, digest)
    return table


def _read(path: Path, digest: str, columns: Sequence[str]) -> pa.Table | None:
    try:
        data = path.read_bytes()
    except OSError:  # absent (the first run) or unreadable: parse instead
        return None
    try:
        table = ipc.open_file(pa.BufferReader(data)).read_all()
        # offsets and UTF-8 checked: a damaged file must not reach the CT lookups
        table.validate(full=True)
    except (pa.ArrowException, ValueError, OSError):
        return None
    meta = table.schema.metadata or {}
    if (meta.get(_HASH_KEY) != digest.encode() or table.column_names != list(columns)
            or any(not pa.types.is_string(t) for t in table.schema.types)):
        return None
    return table.replace_schema_metadata(None)


def _write(path: Path, table: pa.Table, digest: str) -> None:
    sink = pa.BufferOutputStream()
    stamped = table.replace_schema_metadata({_HASH_KEY: digest.encode()})
    with ipc.new_file(sink, stamped.schema) as writer:
        writer.write_table(stamped)
    # nowhere to keep it: the next run parses again, which is only slower
    with contextlib.suppress(OSError):
        write_bytes_atomic(path, sink.getvalue().to_pybytes())
