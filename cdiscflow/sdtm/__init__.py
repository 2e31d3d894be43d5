"""SDTM: the mapping engine and the SDTM derivations."""
