"""``python -m cdiscflow`` is the ``cdiscflow`` command."""

from cdiscflow.launch import start

start()
