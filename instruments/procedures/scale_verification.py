"""Verification of a non-automatic weighing instrument (OIML R 76-1:2006, Annex A tests): eccentricity,
repeatability and the weighing test at increasing and decreasing loads, each against the MPE at its load.

Loads, indications and additional loads ΔL are numbers in the instrument's unit (``scale.unit``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from instruments import oiml_r76, oiml_r111
from instruments.decision import SIMPLE_ACCEPTANCE, Decision, DecisionRule, decide, rule_from_input
from instruments.errors import InputError
from instruments.procedures import weighing
from instruments.procedures.base import (
    Column,
    EnvironmentLimit,
    Field,
    MethodReference,
    Procedure,
    ProcedureResult,
    ResultTable,
    Stage,
)
from instruments.quantities import mapping, number, path, required

# A required load (Min, a change point, Max) counts as tested when a loading lies within this fraction of it.
REQUIRED_LOAD_TOLERANCE = 0.10


def parse_scale(document: Any, field: str = "scale") -> oiml_r76.Scale:
    """Read the instrument's class, Max, Min, e, d and unit."""
    document = mapping(document, field)
    unit, maximum = weighing.read_unit_and_max(document, field)
    e = number(required(document, "e", field), path(field, "e"), minimum=0)
    if e <= 0 or maximum <= 0:
        raise InputError(path(field, "e" if e <= 0 else "max"), "must be positive")
    d = number(document.get("d", e), path(field, "d"), minimum=0)
    if not 0 < d <= e:
        raise InputError(path(field, "d"), "must be positive and not larger than e")
    minimum = number(required(document, "min", field), path(field, "min"), minimum=0, maximum=maximum)
    cls = oiml_r76.normalize_accuracy_class(required(document, "accuracy_class", field), path(field, "accuracy_class"))
    scale = oiml_r76.Scale(cls, maximum, minimum, e, d, unit)
    scale.mpe(maximum, field=path(field, "max"))  # Max itself must be within the class's range of n = Max/e
    return scale


@dataclass(frozen=True)
class Loading:
    """One weighing: the test load L, the indication I and the additional small weights ΔL (change-point method)."""

    load: float
    indication: float
    additional_load: float | None = None
    direction: str = "increasing"


def parse_loading(document: Any, field: str, scale: oiml_r76.Scale, load: float | None = None) -> Loading:
    """Read one loading; the load may come from the test it belongs to."""
    document = mapping(document, field)
    if load is None:
        load = number(required(document, "load", field), path(field, "load"), minimum=0)
        weighing.refuse_above_max(load, scale, path(field, "load"))
    indication = number(required(document, "indication", field), path(field, "indication"))
    additional = document.get("additional_load")
    if additional is not None:
        additional = number(additional, path(field, "additional_load"), minimum=0)
        if scale.d != scale.e:
            raise InputError(path(field, "additional_load"), "the change-point method needs d = e")
    direction = document.get("direction", "increasing")
    if direction not in ("increasing", "decreasing"):
        raise InputError(path(field, "direction"), 'must be "increasing" or "decreasing"')
    return Loading(load, indication, additional, direction)


def loading_error(loading: Loading, scale: oiml_r76.Scale) -> float:
    """Return the error of one loading: before rounding by the change-point method when ΔL is given, else I − L."""
    if loading.additional_load is None:
        return oiml_r76.exact_difference(loading.indication, loading.load)
    return oiml_r76.error_before_rounding(loading.indication, loading.additional_load, loading.load, scale.e)


# Indications to the digit d; errors found by the change-point method (ΔL in steps of e/10) one place finer; MPEs
# (0,5 e, 1 e, 1,5 e) one place finer than e.
_INDICATION_COLUMN = Column("indication", "Số chỉ I", "Indication I", "scale.unit", resolution="scale.d")
_ERROR_COLUMN = Column("error", "Sai số Ec", "Error Ec", "scale.unit", resolution="scale.d", finer=1)
_MPE_COLUMN = Column(
    "mpe", "Sai số lớn nhất cho phép", "Maximum permissible error", "scale.unit", resolution="scale.e", finer=1
)


@dataclass(frozen=True)
class VerificationSettings:
    """What the lab sets for a verification: MPE basis, decision rule, the U used by a guarded rule."""

    in_service: bool = False
    rule: DecisionRule = SIMPLE_ACCEPTANCE
    expanded_uncertainty: float = 0.0


class ScaleVerificationR76(Procedure):
    """Verification of a non-automatic weighing instrument, classes I to IIII (OIML R 76-1)."""

    key = "scale-verification-r76"
    title_vi = "Kiểm định cân không tự động"
    title_en = "Verification of non-automatic weighing instruments"
    kind = "verification"
    standard = "OIML R 76-1:2006"
    seed_methods = (
        MethodReference(
            "ĐLVN 16:2021",
            "Cân phân tích và cân kỹ thuật - Quy trình kiểm định",
            "Analytical and technical balances - verification procedure",
        ),
        MethodReference("ĐLVN 13:2019", "Cân ô tô - Quy trình kiểm định", "Truck scales - verification procedure"),
        MethodReference(
            "ĐLVN 30:2019", "Cân đồng hồ lò xo - Quy trình kiểm định", "Spring dial scales - verification procedure"
        ),
    )
    result_columns = (
        ResultTable(
            "weighing",
            "Kiểm tra cân tải",
            "Weighing test",
            (
                Column("load", "Tải trọng L", "Load L", "scale.unit", resolution="scale.d"),
                Column("direction", "Chiều tải", "Loading"),
                _INDICATION_COLUMN,
                Column(
                    "additional_load",
                    "Tải bổ sung ΔL",
                    "Additional load ΔL",
                    "scale.unit",
                    resolution="scale.d",
                    finer=1,
                ),
                _ERROR_COLUMN,
                _MPE_COLUMN,
                weighing.VERDICT_COLUMN,
            ),
        ),
        ResultTable(
            "eccentricity",
            "Kiểm tra độ lệch tâm",
            "Eccentricity test",
            (weighing.POSITION_COLUMN, _INDICATION_COLUMN, _ERROR_COLUMN, _MPE_COLUMN, weighing.VERDICT_COLUMN),
        ),
        ResultTable(
            "repeatability",
            "Kiểm tra độ lặp lại",
            "Repeatability test",
            (
                weighing.LOAD_COLUMN,
                Column(
                    "spread", "Chênh lệch lớn nhất", "Largest difference", "scale.unit", resolution="scale.d", finer=1
                ),
                _MPE_COLUMN,
                weighing.VERDICT_COLUMN,
            ),
        ),
        # Not titled "Kết luận": the certificate's conclusion is its own section, printed once.
        ResultTable(
            "summary",
            "Tổng hợp các phép thử",
            "Summary of the tests",
            (Column("test", "Phép thử", "Test"), weighing.VERDICT_COLUMN),
        ),
    )

    def __init__(
        self,
        method=None,
        environment: tuple[EnvironmentLimit, ...] | None = None,
        eccentricity_positions: int = 5,
        repeatability_loadings: Mapping[str, int] | None = None,
    ):
        super().__init__(method, environment)
        self.eccentricity_positions = eccentricity_positions
        self.repeatability_loadings = dict(repeatability_loadings or oiml_r76.REPEATABILITY_LOADINGS)

    @classmethod
    def default_environment(cls) -> tuple[EnvironmentLimit, ...]:
        # R 76-1 3.9.2.1 default temperature range; stable conditions during the test matter more than the range.
        return (EnvironmentLimit("temperature", "Nhiệt độ", "Temperature", "°C", -10, 40),)

    def observation_fields(self) -> tuple[Field, ...]:
        loading = (
            Field("indication", "Số chỉ I", "Indication I", unit="scale.unit"),
            Field(
                "additional_load",
                "Tải bổ sung ΔL",
                "Additional load ΔL",
                unit="scale.unit",
                required=False,
                minimum=0,
                help_en="change-point method, only where d = e",
            ),
        )
        return (
            weighing.instrument_group(
                weighing.ACCURACY_CLASS,
                weighing.MAXIMUM_CAPACITY,
                Field("min", "Mức cân nhỏ nhất Min", "Minimum capacity Min", unit="scale.unit", minimum=0),
                weighing.VERIFICATION_INTERVAL,
                # The published schema gives d no minimum (parse_scale refuses d <= 0 all the same); kept as published.
                replace(weighing.SCALE_INTERVAL, required=False, minimum=None, help_en="defaults to e"),
                weighing.SCALE_UNIT,
            ),
            weighing.MPE_BASIS,
            weighing.DECISION_RULE,
            Field(
                "expanded_uncertainty",
                "Độ không đảm bảo mở rộng của phép thử",
                "Expanded uncertainty of the test",
                unit="scale.unit",
                required=False,
                minimum=0,
                default=0,
            ),
            Field(
                "standard_weights",
                "Quả cân chuẩn",
                "Standard weights",
                "group",
                required=False,
                fields=(Field("class", "Cấp chính xác", "Accuracy class", "choice", choices=oiml_r111.CLASSES),),
            ),
            Field("zero", "Sai số tại điểm không E0", "Error at zero E0", "group", required=False, fields=loading),
            weighing.eccentricity_group(
                Field(
                    "positions",
                    "Các vị trí",
                    "Positions",
                    "list",
                    min_items=self.eccentricity_positions,
                    item=Field("position", "Vị trí", "Position", "group", fields=loading),
                ),
                load=Field("load", "Tải trọng (≈ Max/3)", "Load (about Max/3)", unit="scale.unit", minimum=0),
            ),
            weighing.repeatability_group(
                Field(
                    "loadings",
                    "Các lần cân",
                    "Loadings",
                    "list",
                    min_items=min(self.repeatability_loadings.values()),
                    item=Field("loading", "Lần cân", "Loading", "group", fields=loading),
                    help_en="6 for classes I and II, 3 for III and IIII",
                ),
            ),
            Field(
                "weighing",
                "Cân tải tăng và giảm",
                "Weighing test, increasing and decreasing loads",
                "list",
                min_items=1,
                item=Field(
                    "loading",
                    "Lần cân",
                    "Loading",
                    "group",
                    fields=(
                        Field("load", "Tải trọng L", "Load L", unit="scale.unit", minimum=0),
                        *loading,
                        Field(
                            "direction",
                            "Chiều tải",
                            "Direction",
                            "choice",
                            required=False,
                            choices=("increasing", "decreasing"),
                            default="increasing",
                        ),
                    ),
                ),
                help_en="include Min, the loads where the MPE changes, and Max",
            ),
        )

    def _settings(self, document: Mapping) -> VerificationSettings:
        in_service = weighing.read_in_service(document, "mpe_basis")
        rule = rule_from_input(document.get("decision_rule"))
        uncertainty = number(document.get("expanded_uncertainty", 0), "expanded_uncertainty", minimum=0)
        return VerificationSettings(in_service, rule, uncertainty)

    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        document = mapping(observations, "")
        scale = parse_scale(required(document, "scale"))
        settings = self._settings(document)

        def judge(error: float, load: float, field: str) -> Decision:
            limit = scale.mpe(load, settings.in_service, field)
            return decide(error, limit, settings.expanded_uncertainty, settings.rule)

        zero_error = 0.0
        if document.get("zero") is not None:
            zero_error = loading_error(parse_loading(document["zero"], "zero", scale, load=0.0), scale)

        # Weighing test: each corrected error E_c = E − E0 within the MPE at its load.
        weighing_rows, weighing_loads = [], []
        for i, item in enumerate(weighing.reading_list(document, "weighing", "", 1, "loadings")):
            field = path("weighing", i)
            loading = parse_loading(item, field, scale)
            error = oiml_r76.exact_difference(loading_error(loading, scale), zero_error)
            decision = judge(error, loading.load, path(field, "load"))
            weighing_loads.append(loading.load)
            weighing_rows.append(_row(loading, error, decision))

        # Eccentricity: the same load at each position, each within the MPE at that load (R 76-1 3.6.2).
        ecc_doc, ecc_load = weighing.read_test_group(document, "eccentricity")
        scale.mpe(ecc_load, field="eccentricity.load")
        positions = weighing.reading_list(ecc_doc, "positions", "eccentricity", self.eccentricity_positions, "loadings")
        ecc_rows = []
        for i, item in enumerate(positions):
            field = path("eccentricity.positions", i)
            loading = parse_loading(item, field, scale, load=ecc_load)
            error = oiml_r76.exact_difference(loading_error(loading, scale), zero_error)
            ecc_rows.append({"position": i + 1, **_row(loading, error, judge(error, ecc_load, "eccentricity.load"))})

        # Repeatability: the largest difference between results at one load within |MPE| (R 76-1 3.6.1);
        # the error at zero cancels in a difference.
        rep_doc, rep_load = weighing.read_test_group(document, "repeatability")
        scale.mpe(rep_load, field="repeatability.load")
        needed = self.repeatability_loadings[scale.accuracy_class]
        rep_items = weighing.reading_list(rep_doc, "loadings", "repeatability", needed, "loadings")
        rep_errors = [
            loading_error(parse_loading(item, path("repeatability.loadings", i), scale, load=rep_load), scale)
            for i, item in enumerate(rep_items)
        ]
        spread = oiml_r76.exact_difference(max(rep_errors), min(rep_errors))
        rep_decision = judge(spread, rep_load, "repeatability.load")

        tests = {
            "weighing": all(row["passed"] for row in weighing_rows),
            "eccentricity": all(row["passed"] for row in ecc_rows),
            "repeatability": rep_decision.passed,
        }
        required_loads = oiml_r76.required_test_loads(scale.minimum, scale.maximum, scale.e, scale.accuracy_class)
        missing = [
            load
            for load in required_loads
            if not any(abs(tested - load) <= REQUIRED_LOAD_TOLERANCE * load for tested in weighing_loads)
        ]
        standards = self._standard_weights(
            document.get("standard_weights"), scale, settings, sorted({*weighing_loads, ecc_load, rep_load})
        )
        values = {
            "scale": scale.__dict__,
            "mpe_basis": "in_service" if settings.in_service else "verification",
            "zero_error": zero_error,
            "weighing": {"rows": weighing_rows, "passed": tests["weighing"]},
            "eccentricity": {"load": ecc_load, "rows": ecc_rows, "passed": tests["eccentricity"]},
            "repeatability": {
                "load": rep_load,
                "errors": rep_errors,
                "spread": spread,
                "mpe": rep_decision.mpe,
                "passed": rep_decision.passed,
            },
            "required_loads": list(required_loads),
            "missing_loads": missing,
            "standard_weights": standards,
            "tests": tests,
            "passed": all(tests.values()),
        }
        units = {"scale.unit": scale.unit}
        resolutions = {"scale.d": scale.d, "scale.e": scale.e}
        tables = (
            self.result_columns[0].filled(
                units=units, resolutions=resolutions, rows=tuple(_table_row(row) for row in weighing_rows)
            ),
            self.result_columns[1].filled(
                units=units, resolutions=resolutions, rows=tuple(_table_row(row) for row in ecc_rows)
            ),
            self.result_columns[2].filled(
                units=units,
                resolutions=resolutions,
                rows=(
                    {
                        "load": rep_load,
                        "spread": spread,
                        "mpe": rep_decision.mpe,
                        "verdict": weighing.verdict(rep_decision.passed),
                    },
                ),
            ),
            self.result_columns[3].filled(
                units=units,
                rows=tuple(
                    {"test": TEST_PRINTED[name], "verdict": weighing.verdict(passed)} for name, passed in tests.items()
                ),
            ),
        )
        return ProcedureResult(self.key, stage, values, tables, all(tests.values()), settings.rule, self.method)

    def _standard_weights(self, document: Any, scale: oiml_r76.Scale, settings: VerificationSettings, loads) -> dict:
        """Say, per test load, which weight classes are good enough (error ≤ MPE/3) and whether the set used is."""
        used = None
        if document is not None:
            document = mapping(document, "standard_weights")
            used = oiml_r111.normalize_class(required(document, "class", "standard_weights"), "standard_weights.class")
        by_load = []
        for load in loads:
            if load <= 0:
                continue
            limit = scale.mpe(load, settings.in_service)
            classes = oiml_r76.sufficient_weight_classes(load, limit, scale.unit)
            by_load.append({"load": load, "mpe": limit, "sufficient_classes": list(classes)})
        adequate = None if used is None else all(used in entry["sufficient_classes"] for entry in by_load)
        return {"class": used, "adequate": adequate, "by_load": by_load}


def _row(loading: Loading, error: float, decision: Decision) -> dict:
    return {
        "load": loading.load,
        "direction": loading.direction,
        "indication": loading.indication,
        "additional_load": loading.additional_load,
        "error": error,
        "mpe": decision.mpe,
        "acceptance_limit": decision.acceptance_limit,
        "passed": decision.passed,
    }


# What a certificate prints for the codes of the values: arrows need no translation; test names are bilingual.
DIRECTION_PRINTED = {"increasing": "↑ tăng", "decreasing": "↓ giảm"}
TEST_PRINTED = {
    "weighing": "Khả năng cân / Weighing",
    "eccentricity": "Độ lệch tâm / Eccentricity",
    "repeatability": "Độ lặp lại / Repeatability",
}


def _table_row(row: dict) -> dict:
    printed = {**row, "verdict": weighing.verdict(row["passed"])}
    if "direction" in row:
        printed["direction"] = DIRECTION_PRINTED[row["direction"]]
    return printed
