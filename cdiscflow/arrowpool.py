"""Which allocator Arrow's buffers come from: the C library's, unless the user chose one.

pyarrow's default (mimalloc in its wheels) hands freed memory back to the kernel eagerly; a
build of a million records allocates and frees some hundred million-row columns, and the kernel
time that costs was measured on the 1M-record benchmark study (`Engine.run`, fresh process,
three runs each, 2-core machine): mimalloc 2.0-2.1 s user + 1.4-1.6 s system CPU, jemalloc
2.0 s + 0.6 s, the system allocator 2.0-2.1 s + 0.4 s (benchmarks/RESULTS.md). Values and
outputs do not depend on the allocator.

``ARROW_DEFAULT_MEMORY_POOL`` (Arrow's own setting: ``system``, ``jemalloc``, ``mimalloc``)
still decides when it is set. The choice is made once, when cdiscflow's data modules are first
imported, and holds for the whole process (Arrow has one default pool).
"""

from __future__ import annotations

import os

import pyarrow as pa

POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def choose_pool() -> str:
    """Make the system allocator Arrow's default unless ``ARROW_DEFAULT_MEMORY_POOL`` names
    one; the backend in use."""
    if not os.environ.get(POOL_ENV, "").strip():
        pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name


choose_pool()
