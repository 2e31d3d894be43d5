"""A study's spec as an Excel workbook and back (``cdiscflow spec export`` / ``spec import``).

The workbook's layout is in :mod:`cdiscflow.specxlsx.workbook`; docs/spec-workbook.md
describes it for people.
"""
