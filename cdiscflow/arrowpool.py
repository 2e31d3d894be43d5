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


# glibc's mallopt parameters (malloc.h) and the values set: large blocks (numpy's and the
# system pool's million-row columns, 4-8 MB each) come from the heap up to 32 MB, the most glibc
# allows, and up to 256 MB of freed heap is kept for the next column rather than returned
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
HEAP_SETTINGS = ((M_MMAP_THRESHOLD, 32 * 2**20), (M_TRIM_THRESHOLD, 256 * 2**20))


def keep_freed_memory() -> bool:
    """Have the C library reuse freed column memory instead of mapping fresh pages for each
    new column; True when set. A 1M-record build allocates and frees some hundreds of
    million-row arrays; glibc's adaptive threshold still maps many of them afresh and returns
    them on free, and the kernel time is page faults (``Engine.run`` on the benchmark study:
    about 200,000-240,000 minor faults and 0.35-0.7 s system CPU by default, about 160,000 and
    0.23-0.36 s with these settings, peak memory within 15 MB). Only on glibc, and not when
    the user tunes malloc through its own ``MALLOC_*_`` variables or ``GLIBC_TUNABLES``."""
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "GLIBC_TUNABLES" in os.environ or any(k.startswith("MALLOC_") for k in os.environ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return all(libc.mallopt(param, value) == 1 for param, value in HEAP_SETTINGS)


choose_pool()
keep_freed_memory()
