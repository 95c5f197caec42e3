"""What the two weighing-instrument procedures share: the instrument's Max, intervals and unit, the R 76 MPE
settings, the eccentricity and repeatability test groups, and the verdict a certificate prints.

R 76 verification judges each error against the MPE at its load; cg-18 calibration reports each error with its
uncertainty. How they judge stays in their own modules: only what means the same in both lives here.
"""

from collections.abc import Mapping
from typing import Protocol

from instruments import oiml_r76
from instruments.errors import InputError
from instruments.procedures.base import Column, Field, Printed
from instruments.quantities import mapping, mass_unit_factor, number, path, required

PASS_VI, FAIL_VI = "Đạt", "Không đạt"

# Fields of the "scale" group; every other field's unit "scale.unit" names the unit declared here.
MAXIMUM_CAPACITY = Field("max", "Mức cân lớn nhất Max", "Maximum capacity Max", unit="scale.unit", minimum=0)
VERIFICATION_INTERVAL = Field(
    "e", "Giá trị độ chia kiểm e", "Verification scale interval e", unit="scale.unit", minimum=0
)
SCALE_INTERVAL = Field("d", "Giá trị độ chia d", "Scale interval d", unit="scale.unit", minimum=0)
SCALE_UNIT = Field("unit", "Đơn vị", "Unit", "choice", choices=("kg", "g", "mg"))
ACCURACY_CLASS = Field("accuracy_class", "Cấp chính xác", "Accuracy class", "choice", choices=oiml_r76.ACCURACY_CLASSES)

# How an error is judged against the R 76 MPE: in a verification always, in a calibration when a tolerance is asked.
MPE_BASIS = Field(
    "mpe_basis",
    "Sai số cho phép áp dụng",
    "MPE applied",
    "choice",
    required=False,
    choices=oiml_r76.MPE_BASES,
    default="verification",
)
DECISION_RULE = Field(
    "decision_rule",
    "Quy tắc quyết định",
    "Decision rule",
    "choice",
    required=False,
    choices=("simple", "guarded"),
    default="simple",
)

TEST_LOAD = Field("load", "Tải trọng", "Load", unit="scale.unit", minimum=0)

LOAD_COLUMN = Column("load", "Tải trọng", "Load", "scale.unit", resolution="scale.d")
POSITION_COLUMN = Column("position", "Vị trí", "Position")
# A verdict is a statement of conformity: a calibration prints it only where the customer asked for one.
VERDICT_COLUMN = Column("verdict", "Kết quả", "Result", printed=Printed.CONFORMITY)


def scale_prefill(scale: Field, instrument: Mapping) -> dict:
    """Return the "scale" group a new record of either weighing procedure starts from, from the instrument register."""
    known = {
        "accuracy_class": instrument.get("accuracy_class"),
        "max": instrument.get("range_max"),
        "min": instrument.get("range_min"),
        "e": instrument.get("verification_interval"),
        "d": instrument.get("resolution"),
        "unit": instrument.get("unit"),
    }
    names = {child.name for child in scale.fields}
    return {"scale": {key: value for key, value in known.items() if key in names and value is not None}}


def instrument_group(*fields: Field) -> Field:
    """Return the "scale" group declaring the instrument with ``fields``."""
    return Field("scale", "Cân", "Instrument", "group", fields=fields)


def eccentricity_group(readings: Field, load: Field = TEST_LOAD) -> Field:
    """Return the eccentricity test group: one load, read at several positions on the load receptor."""
    return Field("eccentricity", "Độ lệch tâm", "Eccentricity", "group", fields=(load, readings))


def repeatability_group(readings: Field) -> Field:
    """Return the repeatability test group: one load, weighed several times."""
    return Field("repeatability", "Độ lặp lại", "Repeatability", "group", fields=(TEST_LOAD, readings))


class WeighingInstrument(Protocol):
    """An instrument as either procedure reads it: its Max, in its own unit."""

    maximum: float
    unit: str


def read_unit_and_max(document: Mapping, field: str) -> tuple[str, float]:
    """Read the instrument's unit (checked as a mass unit) and Max, which both procedures read first."""
    unit = required(document, "unit", field)
    mass_unit_factor(unit, path(field, "unit"))
    maximum = number(required(document, "max", field), path(field, "max"), minimum=0)
    return unit.strip(), maximum


def refuse_above_max(load: float, scale: WeighingInstrument, field: str) -> None:
    """Refuse a load above the instrument's Max."""
    # A relative margin, so that a load equal to Max is not refused for the last bit of a float.
    if load > scale.maximum * (1 + 1e-12):
        raise InputError(field, f"{load:g} {scale.unit} is above Max = {scale.maximum:g}")


def read_test_group(document: Mapping, test: str) -> tuple[dict, float]:
    """Return the group of one test ("eccentricity", "repeatability") and its load, not yet checked against Max."""
    group = mapping(required(document, test), test)
    return group, number(required(group, "load", test), path(test, "load"), minimum=0)


def reading_list(document: Mapping, key: str, prefix: str, minimum: int, what: str) -> list:
    """Return the repeated readings under ``key``, refusing fewer than ``minimum`` ``what`` (loadings, indications)."""
    items = required(document, key, prefix)
    if not isinstance(items, list) or len(items) < minimum:
        raise InputError(path(prefix, key), f"must be a list of at least {minimum} {what}")
    return items


def read_in_service(document: Mapping, field: str) -> bool:
    """Read which R 76 MPE applies from ``mpe_basis``: True for the in-service MPE, False for verification's."""
    basis = document.get("mpe_basis", "verification")
    if basis not in oiml_r76.MPE_BASES:
        raise InputError(field, f"must be one of {', '.join(oiml_r76.MPE_BASES)}")
    return basis == "in_service"


def verdict(passed: bool | None) -> str:
    """Return the verdict a certificate prints; empty where no tolerance was judged."""
    if passed is None:
        return ""
    return PASS_VI if passed else FAIL_VI
