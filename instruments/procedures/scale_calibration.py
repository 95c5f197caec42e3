"""Calibration of a non-automatic weighing instrument (EURAMET cg-18 v4.0): repeatability, errors of indication
with their uncertainty, eccentricity, and optionally a least-squares error curve over the range.

Indications and nominal loads are numbers in the instrument's unit (``scale.unit``); weights' certificate values are
text with a mass unit. Every uncertainty goes through the uncertainty engine.
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from instruments import oiml_r76, oiml_r111
from instruments.decision import decide
from instruments.errors import InputError
from instruments.procedures import weighing
from instruments.procedures.base import (
    Column,
    EnvironmentLimit,
    Field,
    MethodReference,
    Printed,
    Procedure,
    ProcedureResult,
    ResultTable,
    Stage,
)
from instruments.procedures.scale_calibration_parts import (
    CURVES,
    Eccentricity,
    ErrorResult,
    LoadPoint,
    Repeatability,
    budget_rows,
    budget_summary,
    error_budget,
    fit_error_curve,
    read_indications,
    read_reference,
    read_scale,
    read_tolerance,
)
from instruments.quantities import mapping, number, path, required


class ScaleCalibrationCg18(Procedure):
    """Calibration of a non-automatic weighing instrument (EURAMET cg-18)."""

    key = "scale-calibration-cg18"
    title_vi = "Hiệu chuẩn cân không tự động"
    title_en = "Calibration of non-automatic weighing instruments"
    kind = "calibration"
    standard = "EURAMET cg-18 v4.0 (11/2015)"
    verifier_field = "khối lượng"
    seed_methods = (
        MethodReference(
            "ĐLVN 284", "Cân phân tích - Quy trình hiệu chuẩn", "Analytical balances - calibration procedure"
        ),
    )
    result_columns = (
        ResultTable(
            "errors",
            "Sai số chỉ thị",
            "Errors of indication",
            (
                Column("load", "Tải trọng chuẩn", "Reference load", "scale.unit", resolution="scale.d"),
                Column("indication", "Số chỉ", "Indication", "scale.unit", resolution="scale.d"),
                Column("error", "Sai số E", "Error E", "scale.unit", uncertainty="expanded_uncertainty"),
                Column(
                    "expanded_uncertainty",
                    "Độ không đảm bảo mở rộng U",
                    "Expanded uncertainty U",
                    "scale.unit",
                    printed=Printed.UNCERTAINTY,
                ),
                Column("coverage_factor", "Hệ số phủ k", "Coverage factor k", printed=Printed.COVERAGE_FACTOR),
                weighing.VERDICT_COLUMN,
            ),
        ),
        ResultTable(
            "repeatability",
            "Độ lặp lại",
            "Repeatability",
            (
                weighing.LOAD_COLUMN,
                Column("n", "Số lần cân", "Number of loadings"),
                Column(
                    "standard_deviation",
                    "Độ lệch chuẩn s",
                    "Standard deviation s",
                    "scale.unit",
                    printed=Printed.UNCERTAINTY,
                ),
            ),
        ),
        ResultTable(
            "eccentricity",
            "Độ lệch tâm",
            "Eccentricity",
            (
                weighing.POSITION_COLUMN,
                Column("indication", "Số chỉ", "Indication", "scale.unit", resolution="scale.d"),
                Column(
                    "deviation", "Chênh lệch so với tâm", "Deviation from centre", "scale.unit", resolution="scale.d"
                ),
            ),
        ),
    )

    @classmethod
    def default_environment(cls) -> tuple[EnvironmentLimit, ...]:
        return (
            EnvironmentLimit("temperature", "Nhiệt độ", "Temperature", "°C", 15, 30),
            EnvironmentLimit("humidity", "Độ ẩm tương đối", "Relative humidity", "%RH", 20, 80),
        )

    def initial_observations(self, instrument: Mapping[str, Any]) -> dict:
        scale = next(field for field in self.observation_fields() if field.name == "scale")
        return weighing.scale_prefill(scale, instrument)

    def observation_fields(self) -> tuple[Field, ...]:
        indication_list = Field("indication", "Số chỉ", "Indication", unit="scale.unit")
        return (
            weighing.instrument_group(
                weighing.MAXIMUM_CAPACITY,
                weighing.SCALE_INTERVAL,
                Field(
                    "d0",
                    "Độ chia tại điểm không d0",
                    "Scale interval at zero d0",
                    unit="scale.unit",
                    required=False,
                    help_en="defaults to d",
                ),
                weighing.SCALE_UNIT,
            ),
            weighing.repeatability_group(
                Field("indications", "Các số chỉ", "Indications", "list", item=indication_list, min_items=2)
            ),
            weighing.eccentricity_group(
                Field(
                    "indications",
                    "Số chỉ, vị trí tâm trước",
                    "Indications, centre first",
                    "list",
                    item=indication_list,
                    min_items=2,
                )
            ),
            Field(
                "loads",
                "Sai số chỉ thị",
                "Errors of indication",
                "list",
                min_items=1,
                item=Field(
                    "load",
                    "Điểm tải",
                    "Load point",
                    "group",
                    fields=(
                        Field("indication", "Số chỉ", "Indication", unit="scale.unit"),
                        Field(
                            "zero_indication",
                            "Số chỉ tại không",
                            "Indication at zero",
                            unit="scale.unit",
                            required=False,
                            default=0,
                        ),
                        Field(
                            "readings",
                            "Số lần đọc lấy trung bình",
                            "Readings averaged",
                            "integer",
                            required=False,
                            minimum=1,
                            default=1,
                        ),
                        Field(
                            "reference",
                            "Tải chuẩn",
                            "Reference load",
                            "group",
                            fields=(
                                Field("nominal", "Giá trị danh định", "Nominal value", unit="scale.unit", minimum=0),
                                Field(
                                    "conventional_mass",
                                    "Khối lượng quy ước",
                                    "Conventional mass",
                                    "mass",
                                    required=False,
                                ),
                                Field("expanded_uncertainty", "U", "U", "mass", required=False),
                                Field("coverage_factor", "k", "k", required=False),
                                Field(
                                    "class",
                                    "Cấp quả cân (dùng giá trị danh định)",
                                    "Weight class (used at nominal value)",
                                    "choice",
                                    choices=oiml_r111.CLASSES,
                                    required=False,
                                ),
                                Field("drift", "Độ trôi D", "Drift D", "mass", required=False, default="0 mg"),
                                Field(
                                    "buoyancy_uncertainty",
                                    "u lực đẩy không khí",
                                    "u air buoyancy",
                                    "mass",
                                    required=False,
                                    help_en="left empty: 0.1·ρ0/(√3·ρc) of the load (cg-18 7.1.2, balance not "
                                    "adjusted just before calibration)",
                                ),
                                Field(
                                    "convection",
                                    "Đối lưu (nửa khoảng)",
                                    "Convection (half-width)",
                                    "mass",
                                    required=False,
                                    default="0 mg",
                                    help_en="weights not at the balance's temperature (cg-18 7.1.2)",
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            Field(
                "coverage_probability",
                "Xác suất phủ",
                "Coverage probability",
                required=False,
                minimum=0.5,
                maximum=0.999,
                default=0.9545,
            ),
            Field(
                "balance_adjusted",
                "Cân được hiệu chỉnh ngay trước khi hiệu chuẩn",
                "Balance adjusted just before calibration",
                "boolean",
                required=False,
                default=False,
            ),
            Field("error_curve", "Đường sai số", "Error curve", "choice", choices=CURVES, required=False),
            Field(
                "tolerance",
                "Đánh giá theo R 76",
                "Conformity to R 76",
                "group",
                required=False,
                fields=(
                    weighing.ACCURACY_CLASS,
                    # The published schema gives e no minimum and mpe_basis a shorter label here; kept as published.
                    replace(weighing.VERIFICATION_INTERVAL, minimum=None),
                    replace(weighing.MPE_BASIS, label_vi="Sai số cho phép"),
                    weighing.DECISION_RULE,
                ),
            ),
        )

    def error_results(self, observations: Mapping[str, Any]) -> list[ErrorResult]:
        """Read the record and return the error of indication at each load with its budget (cg-18 7.1 to 7.3)."""
        return self._read(mapping(observations, ""))[3]

    def _read(self, document: Mapping) -> tuple:
        scale = read_scale(required(document, "scale"))
        p = number(document.get("coverage_probability", 0.9545), "coverage_probability", minimum=0.5, maximum=0.999)

        rep_doc, rep_load = weighing.read_test_group(document, "repeatability")
        repeatability = Repeatability(rep_load, tuple(read_indications(rep_doc, "indications", "repeatability", 2)))
        ecc_doc, ecc_load = weighing.read_test_group(document, "eccentricity")
        if ecc_load <= 0:
            raise InputError("eccentricity.load", "must be positive")
        eccentricity = Eccentricity(ecc_load, tuple(read_indications(ecc_doc, "indications", "eccentricity", 2)))
        weighing.refuse_above_max(repeatability.load, scale, "repeatability.load")
        weighing.refuse_above_max(ecc_load, scale, "eccentricity.load")

        adjusted = document.get("balance_adjusted", False)
        if not isinstance(adjusted, bool):
            raise InputError("balance_adjusted", "must be true or false")
        items = required(document, "loads")
        if not isinstance(items, list) or not items:
            raise InputError("loads", "must be a list of at least one load point")
        results = []
        for i, item in enumerate(items):
            field = path("loads", i)
            item = mapping(item, field)
            readings = item.get("readings", 1)
            if isinstance(readings, bool) or not isinstance(readings, int) or readings < 1:
                raise InputError(path(field, "readings"), "must be a whole number of at least 1")
            d_point = item.get("d")
            point = LoadPoint(
                read_reference(required(item, "reference", field), path(field, "reference"), scale, adjusted),
                number(required(item, "indication", field), path(field, "indication")),
                number(item.get("zero_indication", 0), path(field, "zero_indication")),
                readings,
                None if d_point is None else number(d_point, path(field, "d"), minimum=1e-300),
            )
            results.append(ErrorResult(point, error_budget(point, scale, repeatability, eccentricity, p)))
        return scale, repeatability, eccentricity, results, p

    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        document = mapping(observations, "")
        scale, repeatability, eccentricity, results, p = self._read(document)

        tolerance = read_tolerance(document.get("tolerance"))
        rows = []
        for i, result in enumerate(results):
            budget = result.budget
            row = {
                "load": result.point.reference.nominal,
                "indication": result.point.indication,
                "error": result.error,
                "expanded_uncertainty": budget.expanded_uncertainty,
                "coverage_factor": budget.coverage_factor,
                "reported": {
                    "error": budget.reported.value,
                    "expanded_uncertainty": budget.reported.expanded_uncertainty,
                },
                "buoyancy_basis": result.point.reference.buoyancy_basis,
                "budget": budget_rows(budget),
                "uncertainty": budget_summary(budget),
            }
            if tolerance is not None:
                limit = oiml_r76.mpe(
                    result.point.reference.nominal,
                    tolerance.e,
                    tolerance.accuracy_class,
                    tolerance.in_service,
                    path(path("loads", i), "reference.nominal"),
                )
                decision = decide(result.error, limit, budget.expanded_uncertainty, tolerance.rule)
                row.update(mpe=limit, acceptance_limit=decision.acceptance_limit, passed=decision.passed)
            rows.append(row)

        values: dict[str, Any] = {
            "scale": scale.__dict__,
            "repeatability": {
                "load": repeatability.load,
                "n": len(repeatability.indications),
                "standard_deviation": repeatability.standard_deviation,
                "dof": repeatability.dof,
            },
            "eccentricity": {
                "load": eccentricity.load,
                "deviations": list(eccentricity.deviations),
                "largest_deviation": eccentricity.largest_deviation,
            },
            "errors": rows,
        }
        curve_form = document.get("error_curve")
        if curve_form is not None:
            curve = fit_error_curve(results, curve_form, p)
            at = sorted({*curve.loads, scale.maximum})
            values["error_curve"] = {
                "form": curve.form,
                "coefficients": list(curve.coefficients),
                "chi_squared": curve.chi_squared,
                "dof": curve.dof,
                "consistent": curve.consistent,
                "points": [{"load": load, **budget_summary(curve.evaluate(load))} for load in at],
            }
        passed = None if tolerance is None else all(row["passed"] for row in rows)
        values["passed"] = passed
        values["coverage_probability"] = p  # the coverage statement of a certificate states it
        units = {"scale.unit": scale.unit}
        resolutions = {"scale.d": scale.d}
        tables = (
            self.result_columns[0].filled(
                units=units,
                resolutions=resolutions,
                rows=tuple(
                    {
                        "load": row["load"],
                        "indication": row["indication"],
                        "error": row["reported"]["error"],
                        "expanded_uncertainty": row["reported"]["expanded_uncertainty"],
                        "coverage_factor": round(row["coverage_factor"], 2),
                        "verdict": weighing.verdict(row.get("passed")),
                    }
                    for row in rows
                ),
            ),
            self.result_columns[1].filled(
                units=units,
                resolutions=resolutions,
                rows=(
                    {
                        "load": repeatability.load,
                        "n": len(repeatability.indications),
                        "standard_deviation": repeatability.standard_deviation,
                    },
                ),
            ),
            self.result_columns[2].filled(
                units=units,
                resolutions=resolutions,
                rows=tuple(
                    {"position": i + 1, "indication": value, "deviation": deviation}
                    for i, (value, deviation) in enumerate(
                        zip(eccentricity.indications, eccentricity.deviations, strict=True)
                    )
                ),
            ),
        )
        return ProcedureResult(
            self.key, stage, values, tables, passed, None if tolerance is None else tolerance.rule, self.method
        )
