"""Proficiency testing and interlaboratory comparisons (ISO/IEC 17025 7.7.2): the En number.

En = (x_lab - x_ref) / sqrt(U_lab² + U_ref²), with both expanded uncertainties at the same coverage (k = 2 as a
rule); the result is satisfactory when |En| <= 1 (ISO 13528:2022 9.7, ISO/IEC 17043 B.3).
"""

import math
from dataclasses import dataclass

from instruments.errors import InputError

SATISFACTORY_LIMIT = 1.0


@dataclass(frozen=True)
class ComparisonResult:
    """One reported value of a round: the lab's value and the reference value, each with its expanded uncertainty."""

    lab_value: float
    lab_uncertainty: float
    reference_value: float
    reference_uncertainty: float


@dataclass(frozen=True)
class EnAssessment:
    """The En number of one result and whether it is satisfactory."""

    en: float
    satisfactory: bool

    def as_dict(self) -> dict:
        return {"en": self.en, "satisfactory": self.satisfactory}


def _finite(value: float, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(field, "must be a number") from None
    if not math.isfinite(number):
        raise InputError(field, "must be a finite number")
    return number


def en_number(result: ComparisonResult) -> EnAssessment:
    """Compute the En number of a result and judge it against |En| <= 1."""
    x_lab = _finite(result.lab_value, "lab_value")
    x_ref = _finite(result.reference_value, "reference_value")
    u_lab = _finite(result.lab_uncertainty, "lab_uncertainty")
    u_ref = _finite(result.reference_uncertainty, "reference_uncertainty")
    if u_lab < 0:
        raise InputError("lab_uncertainty", "an expanded uncertainty cannot be negative")
    if u_ref < 0:
        raise InputError("reference_uncertainty", "an expanded uncertainty cannot be negative")
    # hypot avoids overflow and underflow of the squares for very large or very small uncertainties.
    denominator = math.hypot(u_lab, u_ref)
    if denominator == 0:
        raise InputError("lab_uncertainty", "both uncertainties are zero: En is undefined")
    en = (x_lab - x_ref) / denominator
    if not math.isfinite(en):
        raise InputError("lab_value", "the difference is too large for the uncertainties given")
    return EnAssessment(en=en, satisfactory=abs(en) <= SATISFACTORY_LIMIT)
