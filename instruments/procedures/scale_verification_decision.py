"""Judging an R 76 verification record: each error against the MPE at its load, and what the record lacks.

A verification is decided only when the record is complete: every load R 76-1 A.4.4.1 requires was tested (Min, at
or near each MPE change point, Max), the test weights are good enough (error ≤ 1/3 of the MPE at the load, 3.7.1),
and where d = e every error comes from the change-point method. What is lacking is a :class:`MissingItem`.
"""

from dataclasses import dataclass

from instruments import oiml_r76
from instruments.decision import Decision, decide
from instruments.procedures.base import MissingItem
from instruments.procedures.scale_verification_input import (
    REQUIRED_LOAD_TOLERANCE,
    VerificationErrors,
    VerificationInput,
)
from instruments.quantities import path


def _in_e(load: float, scale: oiml_r76.Scale) -> str:
    return f"{oiml_r76.decimal_of(load) / oiml_r76.decimal_of(scale.e):f} e"


def missing_loads(record: VerificationInput, tolerance: float = REQUIRED_LOAD_TOLERANCE) -> list[float]:
    """Return the loads R 76-1 A.4.4.1 requires (Min, MPE change points, Max) that no weighing-test loading is near."""
    scale = record.scale
    required_loads = oiml_r76.required_test_loads(scale.minimum, scale.maximum, scale.e, scale.accuracy_class)
    return oiml_r76.untested_loads(required_loads, [loading.load for loading in record.weighing], tolerance)


def _missing_change_points(record: VerificationInput) -> list[MissingItem]:
    # R 76-1 A.4.4.3: where d = e an indication is rounded to ±½e, so I − L is not the error; ΔL is needed.
    scale = record.scale
    if scale.d != scale.e:
        return []
    items = []
    if record.zero is None or record.zero.additional_load is None:
        items.append(
            MissingItem(
                "zero.additional_load",
                "Thiếu sai số tại điểm không E0 theo phương pháp điểm chuyển (d = e)",
                "the error at zero E0 by the change-point method is missing (d = e)",
            )
        )
    for loading in (*record.weighing, *record.eccentricity, *record.repeatability):
        if loading.additional_load is None:
            items.append(
                MissingItem(
                    path(loading.field, "additional_load"),
                    f"Thiếu tải bổ sung ΔL (d = e: sai số phải xác định bằng phương pháp điểm chuyển) tại "
                    f"{loading.field}",
                    f"the additional load ΔL is missing at {loading.field} (d = e: an error rounded to the digit "
                    "is not an error; use the change-point method)",
                )
            )
    return items


def standard_weights(record: VerificationInput) -> dict:
    """Say, per test load, which weight classes are good enough (error ≤ MPE/3) and whether the class used is."""
    scale, settings = record.scale, record.settings
    loads = sorted(
        {
            *(loading.load for loading in record.weighing),
            record.eccentricity_load,
            record.repeatability_load,
            *(item.load for item in record.discrimination),
        }
    )
    by_load = []
    for load in loads:
        if load <= 0:
            continue
        limit = scale.mpe(load, settings.in_service)
        classes = oiml_r76.sufficient_weight_classes(load, limit, scale.unit)
        by_load.append({"load": load, "mpe": limit, "sufficient_classes": list(classes)})
    used = record.weight_class
    inadequate = [] if used is None else [entry["load"] for entry in by_load if used not in entry["sufficient_classes"]]
    return {
        "class": used,
        "adequate": None if used is None else not inadequate,
        "inadequate_loads": inadequate,
        "by_load": by_load,
    }


def _missing_weights(record: VerificationInput, weights: dict) -> list[MissingItem]:
    unit = record.scale.unit
    if weights["class"] is None:
        return [
            MissingItem(
                "standard_weights.class",
                "Chưa ghi cấp chính xác của quả cân chuẩn: không chứng minh được quả cân đủ chính xác (≤ 1/3 MPE)",
                "the class of the standard weights is not recorded: their adequacy (error ≤ 1/3 MPE) is not shown",
            )
        ]
    if not weights["inadequate_loads"]:
        return []
    loads = ", ".join(f"{load:g} {unit}" for load in weights["inadequate_loads"])
    return [
        MissingItem(
            "standard_weights.class",
            f"Quả cân cấp {weights['class']} không đủ chính xác tại {loads}: sai số quả cân phải ≤ 1/3 sai số lớn "
            "nhất cho phép của cân (R 76-1 3.7.1)",
            f"class {weights['class']} weights are not adequate at {loads}: their error must not exceed 1/3 of the "
            "instrument's MPE at the load (R 76-1 3.7.1)",
        )
    ]


def _missing_load_items(record: VerificationInput) -> list[MissingItem]:
    scale = record.scale
    items = []
    for load in missing_loads(record):
        what_vi, what_en = (
            ("Min", "Min")
            if load == scale.minimum
            else ("Max", "Max")
            if load == scale.maximum
            else ("điểm chuyển MPE", "an MPE change point")
        )
        items.append(
            MissingItem(
                "weighing",
                f"Chưa thử tải tại {load:g} {scale.unit} ({what_vi}, {_in_e(load, scale)})",
                f"no weighing-test loading at or near {load:g} {scale.unit} ({what_en}, {_in_e(load, scale)})",
            )
        )
    return items


@dataclass(frozen=True)
class TestDecisions:
    """Each loading judged, each test's verdict, and what the record lacks for a decision."""

    weighing: tuple[Decision, ...]
    eccentricity: tuple[Decision, ...]
    repeatability: Decision
    discrimination: tuple[bool, ...]
    tests: dict
    weights: dict
    missing: tuple[MissingItem, ...]

    @property
    def passed(self) -> bool | None:
        """The verdict: None (no decision) while anything is missing, else whether every test passed."""
        return None if self.missing else all(self.tests.values())


def decide_tests(record: VerificationInput, errors: VerificationErrors) -> TestDecisions:
    """Judge each error against the MPE at its load and list what the record lacks."""
    scale, settings = record.scale, record.settings

    def judge(error: float, load: float, field: str) -> Decision:
        return decide(error, scale.mpe(load, settings.in_service, field), settings.expanded_uncertainty, settings.rule)

    weighing_decisions = tuple(
        judge(error, loading.load, path(loading.field, "load"))
        for loading, error in zip(record.weighing, errors.weighing, strict=True)
    )
    ecc_decisions = tuple(judge(error, record.eccentricity_load, "eccentricity.load") for error in errors.eccentricity)
    # Repeatability: the largest difference between results at one load within |MPE| (R 76-1 3.6.1).
    rep_decision = judge(errors.spread, record.repeatability_load, "repeatability.load")
    discrimination = tuple(
        oiml_r76.discrimination_passed(item.indication, item.indication_with_extra, scale.d)
        for item in record.discrimination
    )
    tests = {
        "weighing": all(decision.passed for decision in weighing_decisions),
        "eccentricity": all(decision.passed for decision in ecc_decisions),
        "repeatability": rep_decision.passed,
    }
    if discrimination:
        tests["discrimination"] = all(discrimination)
    weights = standard_weights(record)
    missing = (*_missing_load_items(record), *_missing_change_points(record), *_missing_weights(record, weights))
    return TestDecisions(weighing_decisions, ecc_decisions, rep_decision, discrimination, tests, weights, missing)
