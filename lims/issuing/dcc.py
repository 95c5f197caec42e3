"""The DCC of a calibration certificate, from the same job, record and document the PDF is made from.

The results are taken as numbers from the record's result tables (what the procedure reported, rounded by the
science), each column with its unit; a column that names the column holding its expanded uncertainty
(``uncertainty`` in the procedure's table) carries that uncertainty and the row's coverage factor.
"""

from decimal import Decimal, InvalidOperation
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask_babel import gettext as _

from certificates import dcc
from certificates import document as doc
from lims.core.errors import RuleViolation
from lims.issuing.document import CONDITION_LABELS
from lims.jobs.models import MeasurementRecord

# Conversions between the units a value and its uncertainty may be written in (a conventional mass in g beside
# its uncertainty in mg): exact decimal factors to the first unit of each group.
_SCALES = {
    "kg": Decimal(1000),
    "g": Decimal(1),
    "mg": Decimal("0.001"),
    "µg": Decimal("0.000001"),
    "Pa": Decimal(1),
    "hPa": Decimal(100),
    "kPa": Decimal(1000),
    "MPa": Decimal(1000000),
}
_GROUPS = ({"kg", "g", "mg", "µg"}, {"Pa", "hPa", "kPa", "MPa"})


def _convert(value: Any, from_unit: str, to_unit: str) -> Any:
    if from_unit == to_unit or value is None:
        return value
    if not any(from_unit in group and to_unit in group for group in _GROUPS):
        raise RuleViolation(
            _("DCC: không đổi được độ không đảm bảo đo từ %(a)s sang %(b)s.", a=from_unit, b=to_unit), field="job"
        )
    converted = Decimal(str(value)) * _SCALES[from_unit] / _SCALES[to_unit]
    return converted.normalize() if converted == converted.to_integral() else converted


def _number_or_text(value: Any) -> Any:
    """A cell as the science reported it: a number (float or decimal string) stays a number, the rest is text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    try:
        Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return str(value)


def tables_of(result: dict[str, Any], conformity: bool = True) -> tuple[dcc.Table, ...]:
    """Turn a record's result tables into DCC tables: numbers with units, uncertainties attached to their value.

    A conformity column is stated only where the certificate states conformity (the customer asked for a statement,
    ISO/IEC 17025 7.1.3): the DCC says what the PDF says, no more.
    """
    tables = []
    for table in result.get("tables") or []:
        columns = [c for c in table.get("columns") or [] if conformity or c.get("printed") != "conformity"]
        rows = table.get("rows") or []
        units = {c["key"]: c.get("unit") or "" for c in columns}
        attached = {c.get("uncertainty") for c in columns if c.get("uncertainty")}
        out = []
        for column in columns:
            key = column["key"]
            if key in attached or key == "coverage_factor":
                continue  # written with the value it belongs to
            values = tuple(_number_or_text(row.get(key)) for row in rows)
            if any(v is None for v in values):
                values = tuple("" if v is None else str(v) for v in values)
            uncertainties = factors = None
            if column.get("uncertainty"):
                u_key = column["uncertainty"]
                uncertainties = tuple(
                    _convert(row.get(u_key), units.get(u_key, ""), column.get("unit") or "") for row in rows
                )
                if "coverage_factor" in units:
                    factors = tuple(row.get("coverage_factor") for row in rows)
            out.append(
                dcc.Column(
                    column.get("heading_vi") or key,
                    column.get("heading_en") or key,
                    values,
                    unit=column.get("unit") or "",
                    uncertainties=uncertainties,
                    coverage_factors=factors,
                )
            )
        tables.append(dcc.Table(table.get("title_vi", ""), table.get("title_en", ""), tuple(out)))
    return tuple(tables)


def conditions_of(conditions: dict[str, Any] | None) -> tuple[dcc.Condition, ...]:
    """The environmental conditions recorded with the measurement, as numbers with their units."""
    out = []
    for key, value in (conditions or {}).items():
        vi, en, unit = CONDITION_LABELS.get(key, (key, key, ""))
        uncertainty = None
        if isinstance(value, dict):
            unit = value.get("unit", unit)
            value, uncertainty = value.get("value"), value.get("uncertainty")
        if value is None or isinstance(value, bool):
            continue
        try:
            dcc.decimal_text(value)
        except Exception:  # a condition typed as text is printed on the PDF, not stated as a quantity
            continue
        out.append(dcc.Condition(vi, en, value, unit, uncertainty))
    return tuple(out)


def _software_release() -> str:
    try:
        return version("lims")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0"


def build_signed_dcc(
    document: doc.Certificate, record: MeasurementRecord, signer, replaces: dcc.Replaced | None = None
) -> bytes:
    """Return the signed, schema-valid DCC of a calibration certificate, or refuse the issue with the reason."""
    content = dcc.Dcc(
        certificate=document,
        tables=tables_of(record.result or {}, conformity=document.decision is not None),
        conditions=conditions_of(record.conditions),
        replaces=replaces,
        software_release=_software_release(),
    )
    try:
        xml = dcc.build_dcc(content)
        dcc.validate_dcc(xml)
    except dcc.DccInvalid as exc:
        raise RuleViolation(_("DCC không hợp lệ theo lược đồ DCC 3.3.0: %(reason)s", reason=exc), field="job") from exc
    except ValueError as exc:  # InputError: a value or unit the DCC cannot state
        raise RuleViolation(_("Không lập được DCC: %(reason)s", reason=exc), field="job") from exc
    signed = signer.sign_xml(xml)
    dcc.validate_dcc(signed)
    return signed
