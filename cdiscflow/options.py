"""Option values the command line offers, kept free of heavy imports so that ``cdiscflow
--help`` and shell completion answer at once (the modules that use them import them from here).
"""

from __future__ import annotations

LAYOUTS = ("m5", "flat")
FORMATS = ("xpt", "json")
# raw records (all subject forms together) per chunk when the caller does not say: about
# 1-1.5 GB of working memory when a lab form stacks to 8 SDTM records per raw record
DEFAULT_CHUNK_RECORDS = 250_000
