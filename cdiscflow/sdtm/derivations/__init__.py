"""Named derivations for mapping files; importing this package registers them all."""

from cdiscflow.sdtm.derivations import findings, identifiers, other, timing  # noqa: F401
from cdiscflow.sdtm.derivations.registry import REGISTRY, Derivation, Param, qualified

__all__ = ["REGISTRY", "Derivation", "Param", "qualified"]
