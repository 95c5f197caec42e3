"""Decision rules for statements of conformity (ILAC-G8:09/2019): simple and guarded acceptance.

Every pass/fail carries the rule that produced it (a code and a Vietnamese and English sentence), so a certificate
can state the rule as ISO/IEC 17025 7.8.6 requires.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from instruments.errors import InputError
from instruments.formatting import exact, without_noise


@dataclass(frozen=True)
class DecisionRule:
    """A rule turning a measured error, its tolerance and its expanded uncertainty into pass or fail."""

    code: str
    text_vi: str
    text_en: str
    # Guard band w = guard_factor * U; 0 is simple acceptance (ILAC-G8 4.2.1), 1 the usual guarded acceptance.
    guard_factor: float = 0.0

    def as_dict(self) -> dict:
        return {"code": self.code, "text_vi": self.text_vi, "text_en": self.text_en, "guard_factor": self.guard_factor}


SIMPLE_ACCEPTANCE = DecisionRule(
    code="ILAC-G8:simple",
    text_vi="Quy tắc chấp nhận đơn giản (ILAC-G8:09/2019, 4.2.1): đạt khi |sai số| ≤ sai số lớn nhất cho phép.",
    text_en="Simple acceptance (ILAC-G8:09/2019, 4.2.1): pass when |error| ≤ maximum permissible error.",
)


def guarded_acceptance(multiple: float = 1.0) -> DecisionRule:
    """Return the guarded-acceptance rule with guard band w = ``multiple`` × U (ILAC-G8 4.2.2)."""
    if isinstance(multiple, bool) or not isinstance(multiple, int | float) or not math.isfinite(multiple):
        raise InputError("decision_rule.guard_factor", "must be a finite number")
    if multiple <= 0:
        raise InputError("decision_rule.guard_factor", "must be positive (0 is simple acceptance)")
    shown = f"{multiple:g}"
    return DecisionRule(
        code=f"ILAC-G8:guarded-{shown}U",
        text_vi=(
            f"Quy tắc chấp nhận có dải bảo vệ (ILAC-G8:09/2019, 4.2.2), w = {shown}·U: "
            "đạt khi |sai số| ≤ sai số lớn nhất cho phép − w."
        ),
        text_en=(
            f"Guarded acceptance (ILAC-G8:09/2019, 4.2.2), guard band w = {shown}·U: "
            "pass when |error| ≤ maximum permissible error − w."
        ),
        guard_factor=float(multiple),
    )


def rule_from_input(value, field: str = "decision_rule") -> DecisionRule:
    """Read a rule from JSON: "simple", "guarded" (w = U) or {"rule": "guarded", "guard_factor": 2}."""
    if value is None or value == "simple":
        return SIMPLE_ACCEPTANCE
    if value == "guarded":
        return guarded_acceptance(1.0)
    if isinstance(value, dict) and value.get("rule") in ("simple", "guarded"):
        if value["rule"] == "simple":
            return SIMPLE_ACCEPTANCE
        try:
            return guarded_acceptance(value.get("guard_factor", 1.0))
        except InputError as exc:
            raise InputError(f"{field}.guard_factor", exc.message) from exc
    raise InputError(field, 'must be "simple", "guarded" or {"rule": "guarded", "guard_factor": number}')


@dataclass(frozen=True)
class Decision:
    """The outcome of one conformity decision and the rule that made it."""

    passed: bool
    error: float
    mpe: float
    expanded_uncertainty: float
    acceptance_limit: float
    rule: DecisionRule

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "error": self.error,
            "mpe": self.mpe,
            "expanded_uncertainty": self.expanded_uncertainty,
            "acceptance_limit": self.acceptance_limit,
            "rule": self.rule.as_dict(),
        }


def at_most(value: float | Decimal, limit: float | Decimal) -> bool:
    """Return whether ``value`` ≤ ``limit``: the one comparison of a quantity with its limit (limits inclusive).

    Both sides are compared as the decimals they stand for, cut to 12 significant digits (a relative tolerance of
    about 10⁻¹², far under any instrument's resolution): 0,1 ≤ 0,3/3 holds, although ``0.1 <= 0.3 / 3`` is False in
    binary floating point, and an error 20,1 − 20 computed as 0.10000000000000142 equals an MPE of 0,1.
    """
    return without_noise(exact(value)) <= without_noise(exact(limit, "limit"))


def decide(
    error: float, mpe: float, expanded_uncertainty: float = 0.0, rule: DecisionRule = SIMPLE_ACCEPTANCE
) -> Decision:
    """Decide whether ``error`` conforms to ±``mpe`` under ``rule`` (limits inclusive)."""
    for name, value in (("error", error), ("mpe", mpe), ("expanded_uncertainty", expanded_uncertainty)):
        if not math.isfinite(value):
            raise InputError(name, "must be a finite number")
    if mpe < 0:
        raise InputError("mpe", "must not be negative")
    if expanded_uncertainty < 0:
        raise InputError("expanded_uncertainty", "must not be negative")
    # The acceptance limit is worked on the decimals the MPE and U stand for (0,3 − 0,1 is 0,2, not
    # 0.19999999999999998), and compared with the error by at_most.
    limit = without_noise(exact(mpe)) - exact(rule.guard_factor) * without_noise(exact(expanded_uncertainty))
    # A guard band wider than the tolerance leaves no acceptance zone: nothing can pass.
    passed = limit >= 0 and at_most(abs(error), limit)
    return Decision(passed, error, mpe, expanded_uncertainty, float(limit), rule)
