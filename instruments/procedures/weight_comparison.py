"""Calibration of weights by comparison with a reference weight (OIML R 111-1:2004 Annex C): `lims calc weight`.

Quantities are carried in milligrams (densities in kg/m³) and converted to the output unit at the end, so the
conformity decision uses the unrounded U in the same unit as the MPE table.
"""

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from instruments import oiml_r111
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
from instruments.procedures.weight_comparison_input import (
    ComparisonInput,
    ReferenceWeight,
    WeightUnderTest,
    parse_input,
)
from instruments.quantities import mass_unit_factor
from instruments.uncertainty import InputQuantity, UncertaintyBudget, evaluate_budget, report_gum


@dataclass(frozen=True)
class WeightCalibration:
    """The result for one weight under test, in milligrams."""

    weight: WeightUnderTest
    differences_mg: tuple[float, ...]
    mean_difference_mg: float
    buoyancy_correction: float  # relative, C of C.4.2
    conventional_mass_mg: float
    correction_mg: float
    budget: UncertaintyBudget
    mpe_mg: float
    conformity: oiml_r111.WeightConformity

    @property
    def expanded_uncertainty_mg(self) -> float:
        return self.budget.expanded_uncertainty


# --- the calculation -----------------------------------------------------------------------------------------


def indication_differences(cycle: str, readings: tuple[tuple[float, ...], ...], position: int = 0) -> list[float]:
    """Return ΔI per cycle for the test weight at ``position`` (R 111-1 C.4.3)."""
    if cycle == "ABBA":
        return [(row[1] - row[0] - row[3] + row[2]) / 2.0 for row in readings]
    # ABA is AB1...BnA with n = 1: the test reading minus the mean of the two reference readings.
    return [row[1 + position] - (row[0] + row[-1]) / 2.0 for row in readings]


def buoyancy_uncertainty_mg(
    reference_mass_mg: float, air: oiml_r111.AirDensity, test: WeightUnderTest, reference: ReferenceWeight
) -> float:
    """Return u_b of R 111-1 C.6.3 (C.6.3-1), in mg."""
    rho_a, rho_t, rho_r = air.value, test.density, reference.density
    rho_0, rho_a1 = oiml_r111.REFERENCE_AIR_DENSITY, reference.air_density_at_calibration
    m = reference_mass_mg
    variance = (
        (m * (rho_r - rho_t) / (rho_r * rho_t)) ** 2 * air.standard_uncertainty**2
        + m**2 * (rho_a - rho_0) ** 2 * test.density_uncertainty**2 / rho_t**4
        + m**2
        * (rho_a - rho_0)
        * ((rho_a - rho_0) - 2 * (rho_a1 - rho_0))
        * reference.density_uncertainty**2
        / rho_r**4
    )
    # The last term is negative when the reference was calibrated in air further from rho_0 than today's; the
    # sum of the three stays a variance only while it is not negative.
    return math.sqrt(max(variance, 0.0))


def calibrate_weight(
    data: ComparisonInput, position: int = 0, mpe_table: oiml_r111.MpeTable | None = None
) -> WeightCalibration:
    """Compute the conventional mass, its uncertainty budget and class conformity of one weight under test."""
    weight = data.weights[position]
    reference = data.reference
    differences = indication_differences(data.cycle, data.readings_mg, position)
    n = len(differences)
    mean = statistics.fmean(differences)
    if data.pooled is not None:
        # C.6.1: a pooled s_p from earlier measurements replaces this series' own scatter.
        u_w, dof_w = data.pooled.standard_deviation_mg / math.sqrt(n), data.pooled.dof
    else:
        u_w, dof_w = statistics.stdev(differences) / math.sqrt(n), n - 1

    m_cr = reference.conventional_mass_mg
    correction = oiml_r111.buoyancy_correction(data.air.value, weight.density, reference.density)
    display = data.balance.resolution_mg / (2.0 * math.sqrt(3.0)) * math.sqrt(2.0)  # C.6.4.2: two roundings
    inputs = [
        InputQuantity.normal("weighing_process", mean, u_w, dof_w),
        InputQuantity.normal("reference", m_cr, reference.expanded_uncertainty_mg / reference.coverage_factor),
        InputQuantity.rectangular("reference_instability", 0.0, reference.instability_mg),
        InputQuantity.normal(
            "air_buoyancy", m_cr * correction, buoyancy_uncertainty_mg(m_cr, data.air, weight, reference)
        ),
        InputQuantity.normal("balance_sensitivity", 0.0, data.balance.sensitivity_uncertainty_mg),
        InputQuantity.normal("balance_display", 0.0, display),
        InputQuantity.normal("balance_eccentricity", 0.0, data.balance.eccentricity_uncertainty_mg),
        InputQuantity.normal("balance_magnetism", 0.0, data.balance.magnetism_uncertainty_mg),
    ]
    # m_ct = m_cr + mean(ΔI) + m_cr·C (C.4.2), u_c² the sum of the C.6 components: a sum model with c_i = 1.
    budget = evaluate_budget(inputs)
    mpe = oiml_r111.mpe_mg(weight.weight_class, weight.nominal_text, mpe_table)
    conventional = budget.value
    nominal = float(weight.nominal_mg)
    # R 111-1 clauses 5 and 10: U ≤ δm/3, |m_c − m0| ≤ δm − U, and a measured density within Table 5.
    conformity = oiml_r111.conformity_from_mpe(
        mpe,
        conventional - nominal,
        budget.expanded_uncertainty,
        density=weight.density if weight.density_measured else None,
        density_limits=oiml_r111.density_limits(weight.weight_class, weight.nominal_text),
    )
    return WeightCalibration(
        weight, tuple(differences), mean, correction, conventional, conventional - nominal, budget, mpe, conformity
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _result_dict(result: WeightCalibration, unit: str, air: oiml_r111.AirDensity) -> dict:
    scale = 1.0 / float(mass_unit_factor(unit, "output_unit"))
    budget = result.budget

    def quantity(value_mg: float) -> dict:
        return {"value": value_mg * scale, "unit": unit}

    reported = report_gum(result.conventional_mass_mg * scale, budget.expanded_uncertainty * scale)
    reported_correction = report_gum(result.correction_mg * scale, budget.expanded_uncertainty * scale)
    return {
        "nominal": result.weight.nominal_text,
        "class": result.weight.weight_class,
        "conventional_mass": quantity(result.conventional_mass_mg),
        "correction": quantity(result.correction_mg),
        "mpe": quantity(result.mpe_mg),
        "expanded_uncertainty": quantity(budget.expanded_uncertainty),
        "standard_uncertainty": quantity(budget.standard_uncertainty),
        "coverage_factor": budget.coverage_factor,
        "coverage_probability": budget.coverage_probability,
        "dof_effective": _finite(budget.dof_effective),
        "uncertainty_ok": result.conformity.uncertainty_ok,
        "within_mpe": result.conformity.within_mpe,
        "density_ok": result.conformity.density_ok,
        "density_assumed": result.conformity.density_assumed,
        "conforms": result.conformity.conforms,
        "failed": list(result.conformity.failed),
        "decision_rule": result.conformity.decision.rule.as_dict(),
        "cycles": len(result.differences_mg),
        "mean_difference": quantity(result.mean_difference_mg),
        "air_density": {"value": air.value, "standard_uncertainty": air.standard_uncertainty, "unit": "kg/m3"},
        "buoyancy_correction": {
            "relative": result.buoyancy_correction,
            **quantity(budget_value(budget, "air_buoyancy")),
        },
        "budget": [
            {
                "name": row.name,
                "value": row.value * scale,
                "standard_uncertainty": row.standard_uncertainty * scale,
                "dof": _finite(row.dof),
                "sensitivity": row.sensitivity,
                "contribution": row.contribution * scale,
                "variance_share": row.variance_share,
            }
            for row in budget.rows
        ],
        "reported": {
            "value": reported.value,
            "expanded_uncertainty": reported.expanded_uncertainty,
            "correction": reported_correction.value,
            "unit": unit,
        },
    }


def budget_value(budget: UncertaintyBudget, name: str) -> float:
    """Return the estimate of the named input of a budget."""
    return next(row.value for row in budget.rows if row.name == name)


def calibrate(
    document: Mapping[str, Any],
    cycle_table: oiml_r111.CycleTable | None = None,
    mpe_table: oiml_r111.MpeTable | None = None,
) -> tuple[ComparisonInput, list[WeightCalibration]]:
    """Check a `calc weight` document and calibrate every weight under test in it."""
    data = parse_input(document, cycle_table)
    return data, [calibrate_weight(data, position, mpe_table) for position in range(len(data.weights))]


def calculate_contract(document: dict) -> dict:
    """Serve `lims calc weight` (shared/spec/weight-calibration.md)."""
    return _contract_output(*calibrate(document))


def _contract_output(data: ComparisonInput, results: list[WeightCalibration]) -> dict:
    if data.cycle != "AB1...BnA":
        return _result_dict(results[0], data.output_unit, data.air)
    return {"cycle": data.cycle, "weights": [_result_dict(result, data.output_unit, data.air) for result in results]}


# --- the procedure -------------------------------------------------------------------------------------------

_MASS_HELP = 'text with a mass unit, e.g. "10 kg", "45 mg"'
_WEIGHT_FIELDS = (
    Field("nominal", "Giá trị danh định", "Nominal value", "mass", help_en=_MASS_HELP),
    Field("class", "Cấp chính xác", "Accuracy class", "choice", choices=oiml_r111.CLASSES),
    Field("density", "Khối lượng riêng", "Density", unit="kg/m3", required=False, minimum=0),
    Field(
        "density_uncertainty",
        "Độ không đảm bảo của khối lượng riêng",
        "Density standard uncertainty",
        unit="kg/m3",
        required=False,
        minimum=0,
        default=0,
    ),
    Field(
        "assumed_density",
        "Khối lượng riêng giả định của vật liệu",
        "Assumed density of the material",
        unit="kg/m3",
        required=False,
        minimum=0,
        help_en="when the density is unknown (R 111-1 Table 5 limits)",
    ),
)


class WeightComparisonR111(Procedure):
    """Calibration of a weight, classes E1 to M3, by comparison with a reference weight (R 111-1 Annex C)."""

    key = "weight-comparison-r111"
    title_vi = "Hiệu chuẩn quả cân bằng phương pháp so sánh"
    title_en = "Calibration of weights by comparison"
    kind = "calibration"
    standard = "OIML R 111-1:2004 Annex C"
    verifier_field = "khối lượng"
    seed_methods = (
        MethodReference(
            "ĐLVN 286:2015",
            "Quả cân cấp chính xác F1, F2, M1 - Quy trình hiệu chuẩn",
            "Weights of classes F1, F2, M1 - calibration procedure",
        ),
        MethodReference(
            "ĐLVN 285",
            "Quả cân cấp chính xác E1, E2 - Quy trình hiệu chuẩn",
            "Weights of classes E1, E2 - calibration procedure",
        ),
    )
    result_columns = (
        ResultTable(
            "weights",
            "Kết quả hiệu chuẩn quả cân",
            "Calibration results of weights",
            (
                Column("nominal", "Giá trị danh định", "Nominal value"),
                Column("class", "Cấp chính xác", "Accuracy class"),
                Column(
                    "conventional_mass",
                    "Khối lượng quy ước",
                    "Conventional mass",
                    "g",
                    uncertainty="expanded_uncertainty",
                ),
                Column("correction", "Số hiệu chính", "Correction", "mg", uncertainty="expanded_uncertainty"),
                Column("expanded_uncertainty", "Độ không đảm bảo đo mở rộng", "Expanded uncertainty", "mg"),
                Column("coverage_factor", "Hệ số phủ k", "Coverage factor k", printed=Printed.COVERAGE_FACTOR),
                Column("mpe", "Sai số lớn nhất cho phép", "Maximum permissible error", "mg"),
                Column("conforms", "Phù hợp cấp chính xác", "Conforms to class", printed=Printed.CONFORMITY),
            ),
        ),
    )

    @classmethod
    def default_environment(cls) -> tuple[EnvironmentLimit, ...]:
        # The range where the air-density formula E.3 is valid; a lab sets tighter limits per class.
        return (
            EnvironmentLimit("temperature", "Nhiệt độ", "Temperature", "°C", 10, 30),
            EnvironmentLimit("pressure", "Áp suất không khí", "Air pressure", "hPa", 900, 1100),
            EnvironmentLimit("humidity", "Độ ẩm tương đối", "Relative humidity", "%RH", 0, 80),
        )

    def initial_observations(self, instrument: Mapping[str, Any]) -> dict:
        if not instrument.get("range_max"):
            return {}
        weight = {"nominal": f"{instrument['range_max']:g} {instrument.get('unit') or 'g'}"}
        if instrument.get("accuracy_class"):
            weight["class"] = instrument["accuracy_class"]
        return {"weight": weight}

    def observation_fields(self) -> tuple[Field, ...]:
        reading = Field("reading", "Số chỉ", "Indication", unit="reading_unit")
        return (
            Field("cycle", "Chu trình cân", "Weighing cycle", "choice", choices=oiml_r111.CYCLES),
            Field(
                "weight",
                "Quả cân cần hiệu chuẩn",
                "Weight under test",
                "group",
                fields=_WEIGHT_FIELDS,
                required=False,
                help_en="ABBA and ABA",
            ),
            Field(
                "weights",
                "Các quả cân cần hiệu chuẩn",
                "Weights under test",
                "list",
                required=False,
                item=Field("weight", "Quả cân", "Weight", "group", fields=_WEIGHT_FIELDS),
                min_items=1,
                help_en="AB1...BnA",
            ),
            Field(
                "reference",
                "Quả cân chuẩn",
                "Reference weight",
                "group",
                fields=(
                    Field("conventional_mass", "Khối lượng quy ước", "Conventional mass", "mass", help_en=_MASS_HELP),
                    Field("expanded_uncertainty", "Độ không đảm bảo mở rộng U", "Expanded uncertainty U", "mass"),
                    Field("coverage_factor", "Hệ số phủ k", "Coverage factor k", minimum=0),
                    Field("density", "Khối lượng riêng", "Density", unit="kg/m3", minimum=0),
                    Field(
                        "density_uncertainty",
                        "Độ không đảm bảo của khối lượng riêng",
                        "Density standard uncertainty",
                        unit="kg/m3",
                        required=False,
                        default=0,
                    ),
                    Field(
                        "instability",
                        "Độ trôi (nửa khoảng D)",
                        "Instability (half-width D)",
                        "mass",
                        required=False,
                        default="0 mg",
                    ),
                    Field(
                        "air_density_at_calibration",
                        "Khối lượng riêng không khí khi hiệu chuẩn chuẩn",
                        "Air density when the reference was calibrated",
                        unit="kg/m3",
                        required=False,
                        default=1.2,
                    ),
                ),
            ),
            Field(
                "air",
                "Điều kiện môi trường",
                "Air",
                "group",
                fields=(
                    Field("temperature", "Nhiệt độ", "Temperature", unit="°C", minimum=10, maximum=30),
                    Field("pressure", "Áp suất", "Pressure", unit="hPa", minimum=900, maximum=1100),
                    Field("humidity", "Độ ẩm", "Relative humidity", unit="%RH", minimum=0, maximum=80),
                    Field("temperature_uncertainty", "u(t)", "u(t)", unit="°C", required=False, default=0),
                    Field("pressure_uncertainty", "u(p)", "u(p)", unit="hPa", required=False, default=0),
                    Field("humidity_uncertainty", "u(hr)", "u(hr)", unit="%RH", required=False, default=0),
                ),
                help_en='or {"density", "density_uncertainty"} in kg/m3',
            ),
            Field(
                "readings",
                "Số chỉ theo chu trình",
                "Readings per cycle",
                "list",
                min_items=1,
                item=Field("cycle", "Chu trình", "Cycle", "list", item=reading, min_items=3),
                help_en="ABBA: I_r1 I_t1 I_t2 I_r2; ABA: I_r1 I_t I_r2; AB1...BnA: I_r1 I_t1..I_tn I_r2",
            ),
            Field("reading_unit", "Đơn vị số chỉ", "Unit of the readings", "choice", choices=("µg", "mg", "g", "kg")),
            Field(
                "balance",
                "Cân so sánh",
                "Comparator balance",
                "group",
                fields=(
                    Field("resolution", "Giá trị độ chia d", "Scale interval d", "mass"),
                    Field(
                        "sensitivity_uncertainty", "u độ nhạy", "u sensitivity", "mass", required=False, default="0 mg"
                    ),
                    Field(
                        "eccentricity_uncertainty",
                        "u lệch tâm",
                        "u eccentricity",
                        "mass",
                        required=False,
                        default="0 mg",
                    ),
                    Field("magnetism_uncertainty", "u từ tính", "u magnetism", "mass", required=False, default="0 mg"),
                ),
            ),
            Field(
                "weighing_process",
                "Độ lệch chuẩn gộp",
                "Pooled weighing process",
                "group",
                required=False,
                fields=(
                    Field(
                        "pooled_standard_deviation", "Độ lệch chuẩn gộp s_p", "Pooled standard deviation s_p", "mass"
                    ),
                    Field("dof", "Bậc tự do", "Degrees of freedom", "integer", minimum=1),
                ),
            ),
            Field(
                "output_unit",
                "Đơn vị kết quả",
                "Unit of the result",
                "choice",
                required=False,
                choices=("µg", "mg", "g", "kg"),
                default="mg",
            ),
        )

    def __init__(
        self,
        method: MethodReference | None = None,
        environment: tuple[EnvironmentLimit, ...] | None = None,
        cycle_table: oiml_r111.CycleTable | None = None,
        mpe_table: oiml_r111.MpeTable | None = None,
    ):
        super().__init__(method, environment)
        self.cycle_table = cycle_table
        self.mpe_table = mpe_table

    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        data, results = calibrate(observations, self.cycle_table, self.mpe_table)
        rows = []
        for result in results:
            out = _result_dict(result, "mg", data.air)
            rows.append(
                {
                    "nominal": out["nominal"],
                    "class": out["class"],
                    "conventional_mass": report_gum(
                        result.conventional_mass_mg / 1000.0, result.expanded_uncertainty_mg / 1000.0
                    ).value,
                    "correction": out["reported"]["correction"],
                    "expanded_uncertainty": out["reported"]["expanded_uncertainty"],
                    "coverage_factor": result.budget.coverage_factor,
                    "mpe": result.mpe_mg,
                    "conforms": oiml_r111.conformity_text(result.conformity),
                }
            )
        values = _contract_output(data, results)
        return ProcedureResult(
            procedure=self.key,
            stage=stage,
            values=values,
            tables=(replace(self.result_columns[0], rows=tuple(rows)),),
            passed=all(result.conformity.conforms for result in results),
            rule=results[0].conformity.decision.rule,
            method=self.method,
        )
