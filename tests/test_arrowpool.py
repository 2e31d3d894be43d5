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
