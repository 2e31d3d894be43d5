"""``python -m cdiscflow`` is the ``cdiscflow`` command."""

from cdiscflow.cli import main

main()
