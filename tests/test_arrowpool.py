"""Arrow's allocator (cdiscflow/arrowpool.py): the system one by default, the user's when
ARROW_DEFAULT_MEMORY_POOL names one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = ("import pyarrow as pa, cdiscflow.textops; "
         "print(pa.default_memory_pool().backend_name)")


@pytest.mark.parametrize("chosen, expected", [(None, "system"), ("", "system"),
                                              ("jemalloc", "jemalloc"),
                                              ("system", "system")])
def test_the_pool_a_data_module_leaves_in_place(chosen: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == expected


HEAP_PROBE = "import cdiscflow.arrowpool as a; print(a.keep_freed_memory())"


@pytest.mark.parametrize("variable, expected", [(None, "True"), ("MALLOC_ARENA_MAX", "False"),
                                                ("GLIBC_TUNABLES", "False")])
def test_heap_settings_left_to_a_user_who_tunes_malloc(variable: str | None,
                                                       expected: str) -> None:
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc's mallopt only")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    if variable is not None:
        env[variable] = "2" if variable.startswith("MALLOC_") else "glibc.malloc.arena_max=2"
    out = subprocess.run([sys.executable, "-c", HEAP_PROBE], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == expected
