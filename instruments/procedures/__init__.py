"""Measurement procedures and their registry: a procedure key maps to the class that implements it.

The registry follows the challenge-type pattern: one dict from a key to a class. A new procedure is a module here
with a :class:`~instruments.procedures.base.Procedure` subclass, added to ``PROCEDURES``.
"""

from instruments.errors import InputError
from instruments.procedures.base import (
    Column,
    EnvironmentLimit,
    Field,
    MethodReference,
    ObservationSchema,
    Procedure,
    ProcedureResult,
    ResultTable,
    Stage,
)
from instruments.procedures.scale_calibration import ScaleCalibrationCg18
from instruments.procedures.scale_verification import ScaleVerificationR76
from instruments.procedures.weight_comparison import WeightComparisonR111

PROCEDURES: dict[str, type[Procedure]] = {
    cls.key: cls for cls in (WeightComparisonR111, ScaleVerificationR76, ScaleCalibrationCg18)
}


def get_procedure(key: str) -> type[Procedure]:
    """Return the procedure class registered under ``key``; InputError naming "procedure" if there is none."""
    try:
        return PROCEDURES[key]
    except (KeyError, TypeError) as exc:
        raise InputError("procedure", f"unknown procedure {key!r}; known: {', '.join(PROCEDURES)}") from exc


def all_procedures() -> list[type[Procedure]]:
    """Return every registered procedure class, in registration order."""
    return list(PROCEDURES.values())


__all__ = [
    "PROCEDURES",
    "Column",
    "EnvironmentLimit",
    "Field",
    "MethodReference",
    "ObservationSchema",
    "Procedure",
    "ProcedureResult",
    "ResultTable",
    "Stage",
    "all_procedures",
    "get_procedure",
]
