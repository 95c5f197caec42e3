"""Verification of a non-automatic weighing instrument (OIML R 76-1:2006, Annex A tests): eccentricity,
repeatability, the weighing test at increasing and decreasing loads and discrimination, each against the MPE at its
load.

A verification is decided only when the record is complete (:class:`MissingItem`): every load R 76-1 A.4.4.1
requires was tested (Min, at or near each load where the MPE changes, Max), the test weights are good enough (their
error ≤ 1/3 of the MPE at the load, 3.7.1) and, where d = e, every error comes from the change-point method (an
indication rounded to the digit hides up to ±½e). Multi-interval and multiple-range instruments are not computed: the
record says so instead of judging them as single-interval.

The work is split as the record is read: :func:`parse_input` reads the document, :func:`compute_errors` works the
errors, :func:`decide_tests` judges them and lists what is missing, and the tables are made last.

Loads, indications and additional loads ΔL are numbers in the instrument's unit (``scale.unit``).
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from instruments import oiml_r76, oiml_r111
from instruments.decision import Decision
from instruments.procedures import weighing
from instruments.procedures.base import (
    Column,
    EnvironmentLimit,
    Field,
    MethodReference,
    MissingItem,
    Procedure,
    ProcedureResult,
    ResultTable,
    Stage,
)
from instruments.procedures.scale_verification_decision import (
    TestDecisions,
    decide_tests,
    missing_loads,
    standard_weights,
)
from instruments.procedures.scale_verification_input import (
    REQUIRED_LOAD_TOLERANCE,
    DiscriminationLoading,
    Loading,
    VerificationErrors,
    VerificationInput,
    VerificationSettings,
    compute_errors,
    loading_error,
    parse_input,
    parse_loading,
    parse_scale,
    read_range_type,
)
from instruments.quantities import mapping, required

__all__ = [
    "REQUIRED_LOAD_TOLERANCE",
    "DiscriminationLoading",
    "Loading",
    "ScaleVerificationR76",
    "VerificationSettings",
    "decide_tests",
    "loading_error",
    "missing_loads",
    "parse_input",
    "parse_loading",
    "parse_scale",
    "standard_weights",
]


# Indications to the digit d; errors found by the change-point method (ΔL in steps of e/10) one place finer; MPEs
# (0,5 e, 1 e, 1,5 e) one place finer than e.
_INDICATION_COLUMN = Column("indication", "Số chỉ I", "Indication I", "scale.unit", resolution="scale.d")
_ERROR_COLUMN = Column("error", "Sai số Ec", "Error Ec", "scale.unit", resolution="scale.d", finer=1)
_MPE_COLUMN = Column(
    "mpe", "Sai số lớn nhất cho phép", "Maximum permissible error", "scale.unit", resolution="scale.e", finer=1
)


def unsupported_result(procedure: "ScaleVerificationR76", document: Mapping, range_type: str, stage: Stage):
    """Return the record of an instrument the procedure does not compute: what it is, and why nothing was judged."""
    scale = mapping(required(document, "scale"), "scale")
    what_vi, what_en = {
        "multi_interval": ("cân nhiều khoảng chia", "multi-interval instruments"),
        "multiple_range": ("cân nhiều phạm vi cân", "multiple-range instruments"),
    }[range_type]
    item = MissingItem(
        "scale.range_type",
        f"Quy trình này chưa tính {what_vi} (R 76-1 3.2, 4.10): MPE của từng khoảng/phạm vi không được tính như cân "
        "một khoảng chia; cần đánh giá theo quy trình riêng",
        f"{what_en} are not supported by this procedure (R 76-1 3.2, 4.10): the MPEs of each partial range or range "
        "are not computed as for a single-interval instrument; assess them by a procedure that supports them",
    )
    values = {"scale": dict(scale), "range_type": range_type, "supported": False, "passed": None}
    return ProcedureResult(procedure.key, stage, values, (), None, None, procedure.method, (item,))


class ScaleVerificationR76(Procedure):
    """Verification of a non-automatic weighing instrument, classes I to IIII (OIML R 76-1)."""

    key = "scale-verification-r76"
    title_vi = "Kiểm định cân không tự động"
    title_en = "Verification of non-automatic weighing instruments"
    kind = "verification"
    standard = "OIML R 76-1:2006"
    verifier_field = "khối lượng"
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
        ResultTable(
            "discrimination",
            "Kiểm tra độ phân biệt",
            "Discrimination test",
            (
                weighing.LOAD_COLUMN,
                _INDICATION_COLUMN,
                Column(
                    "indication_with_extra",
                    "Số chỉ khi thêm 1,4 d",
                    "Indication with 1.4 d added",
                    "scale.unit",
                    resolution="scale.d",
                ),
                Column("increase", "Mức tăng", "Increase", "scale.unit", resolution="scale.d"),
                weighing.VERDICT_COLUMN,
            ),
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

    def initial_observations(self, instrument: Mapping[str, Any]) -> dict:
        scale = next(field for field in self.observation_fields() if field.name == "scale")
        return weighing.scale_prefill(scale, instrument)

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
                Field(
                    "range_type",
                    "Kiểu cân",
                    "Instrument type",
                    "choice",
                    required=False,
                    choices=oiml_r76.RANGE_TYPES,
                    default="single_interval",
                    help_en="multi-interval and multiple-range instruments are not computed by this procedure",
                ),
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
            Field(
                "discrimination",
                "Độ phân biệt",
                "Discrimination",
                "list",
                required=False,
                item=Field(
                    "loading",
                    "Lần thử",
                    "Loading",
                    "group",
                    fields=(
                        Field("load", "Tải trọng", "Load", unit="scale.unit", minimum=0),
                        Field("indication", "Số chỉ I", "Indication I", unit="scale.unit"),
                        Field(
                            "indication_with_extra",
                            "Số chỉ khi thêm 1,4 d",
                            "Indication with 1.4 d added",
                            unit="scale.unit",
                        ),
                    ),
                ),
                help_en="e.g. at Min, 1/2 Max and Max; adding 1.4 d must raise the indication by d",
            ),
        )

    def with_standards(self, observations: Mapping[str, Any], standards: list[Mapping[str, Any]]) -> dict:
        """Take the test weights' class from the standards used when the observations do not give it.

        Weights from several sets are only as good as the worst of them, so the least accurate class is taken.
        """
        document = dict(observations)
        given = document.get("standard_weights")
        if isinstance(given, Mapping) and given.get("class") not in (None, ""):
            return document
        classes = [item.get("accuracy_class") for item in standards]
        classes = [name for name in classes if name in oiml_r111.CLASSES]
        if classes:
            worst = max(classes, key=oiml_r111.CLASSES.index)
            document["standard_weights"] = {**(given if isinstance(given, Mapping) else {}), "class": worst}
        return document

    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        document = mapping(observations, "")
        range_type = read_range_type(mapping(required(document, "scale"), "scale"))
        if range_type != "single_interval":
            return unsupported_result(self, document, range_type, stage)
        record = parse_input(document, self.eccentricity_positions, self.repeatability_loadings)
        errors = compute_errors(record)
        decisions = decide_tests(record, errors)
        return ProcedureResult(
            self.key,
            stage,
            _values(record, errors, decisions),
            self._tables(record, errors, decisions),
            decisions.passed,
            record.settings.rule,
            self.method,
            decisions.missing,
        )

    def _table(self, key: str) -> ResultTable:
        return next(table for table in self.result_columns if table.key == key)

    def _tables(
        self, record: VerificationInput, errors: VerificationErrors, decisions: TestDecisions
    ) -> tuple[ResultTable, ...]:
        units = {"scale.unit": record.scale.unit}
        resolutions = {"scale.d": record.scale.d, "scale.e": record.scale.e}
        weighing_rows = _rows(record.weighing, errors.weighing, decisions.weighing)
        ecc_rows = _rows(record.eccentricity, errors.eccentricity, decisions.eccentricity)
        repeatability = decisions.repeatability
        tables = [
            self._table("weighing").filled(
                units=units, resolutions=resolutions, rows=tuple(_table_row(row) for row in weighing_rows)
            ),
            self._table("eccentricity").filled(
                units=units,
                resolutions=resolutions,
                rows=tuple({"position": i + 1, **_table_row(row)} for i, row in enumerate(ecc_rows)),
            ),
            self._table("repeatability").filled(
                units=units,
                resolutions=resolutions,
                rows=(
                    {
                        "load": record.repeatability_load,
                        "spread": errors.spread,
                        "mpe": repeatability.mpe,
                        "verdict": weighing.verdict(repeatability.passed),
                    },
                ),
            ),
        ]
        if record.discrimination:
            tables.append(
                self._table("discrimination").filled(
                    units=units,
                    resolutions=resolutions,
                    rows=tuple(
                        {
                            "load": item.load,
                            "indication": item.indication,
                            "indication_with_extra": item.indication_with_extra,
                            "increase": increase,
                            "verdict": weighing.verdict(passed),
                        }
                        for item, increase, passed in zip(
                            record.discrimination, errors.discrimination, decisions.discrimination, strict=True
                        )
                    ),
                )
            )
        tables.append(
            self._table("summary").filled(
                units=units,
                resolutions=resolutions,
                rows=tuple(
                    {"test": TEST_PRINTED[name], "verdict": weighing.verdict(passed)}
                    for name, passed in decisions.tests.items()
                ),
            )
        )
        return tuple(tables)


def _rows(loadings: tuple[Loading, ...], errors: list[float], decisions: tuple[Decision, ...]) -> list[dict]:
    return [
        _row(loading, error, decision) for loading, error, decision in zip(loadings, errors, decisions, strict=True)
    ]


def _values(record: VerificationInput, errors: VerificationErrors, decisions: TestDecisions) -> dict:
    scale = record.scale
    weighing_rows = _rows(record.weighing, errors.weighing, decisions.weighing)
    ecc_rows = [
        {"position": i + 1, **row}
        for i, row in enumerate(_rows(record.eccentricity, errors.eccentricity, decisions.eccentricity))
    ]
    values = {
        "scale": scale.__dict__,
        "range_type": "single_interval",
        "mpe_basis": "in_service" if record.settings.in_service else "verification",
        "zero_error": errors.zero_error,
        "weighing": {"rows": weighing_rows, "passed": decisions.tests["weighing"]},
        "eccentricity": {"load": record.eccentricity_load, "rows": ecc_rows, "passed": decisions.tests["eccentricity"]},
        "repeatability": {
            "load": record.repeatability_load,
            "errors": errors.repeatability,
            "spread": errors.spread,
            "mpe": decisions.repeatability.mpe,
            "passed": decisions.repeatability.passed,
        },
        "required_loads": list(
            oiml_r76.required_test_loads(scale.minimum, scale.maximum, scale.e, scale.accuracy_class)
        ),
        "required_load_tolerance": REQUIRED_LOAD_TOLERANCE,
        "missing_loads": missing_loads(record),
        "standard_weights": decisions.weights,
        "tests": decisions.tests,
        "passed": decisions.passed,
    }
    if record.discrimination:
        values["discrimination"] = {
            "rows": [
                {
                    "load": item.load,
                    "indication": item.indication,
                    "indication_with_extra": item.indication_with_extra,
                    "increase": increase,
                    "passed": passed,
                }
                for item, increase, passed in zip(
                    record.discrimination, errors.discrimination, decisions.discrimination, strict=True
                )
            ],
            "passed": decisions.tests["discrimination"],
        }
    return values


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
    "discrimination": "Độ phân biệt / Discrimination",
}


def _table_row(row: dict) -> dict:
    printed = {**row, "verdict": weighing.verdict(row["passed"])}
    if "direction" in row:
        printed["direction"] = DIRECTION_PRINTED[row["direction"]]
    return printed
