"""What a verification or calibration certificate carries (Thông tư 24/2013/TT-BKHCN Art. 41, Mẫu 18 / Mẫu 19).

Issuing fills these frozen dataclasses from the database (copying the lab's identity as it is on the day of issue)
and hands a :class:`Certificate` to :func:`certificates.render.render_certificate`. Every string is normalised to
Unicode NFC on construction: Vietnamese keyboards often produce decomposed text, which extracts and searches badly.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from instruments.errors import InputError

PASS_TEXT_VI = "Đạt yêu cầu kỹ thuật đo lường"
PASS_TEXT_EN = "Meets the metrological requirements"
FAIL_TEXT_VI = "Không đạt yêu cầu kỹ thuật đo lường"
FAIL_TEXT_EN = "Does not meet the metrological requirements"


def nfc(value):
    """Return ``value`` with every string inside it (tuples included) normalised to NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, tuple):
        return tuple(nfc(item) for item in value)
    return value


class _Normalised:
    """Mixin: normalise string fields to NFC and turn lists into tuples, so instances stay hashable and frozen."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            object.__setattr__(self, f.name, nfc(value))


class Kind(StrEnum):
    VERIFICATION = "verification"  # kiểm định
    CALIBRATION = "calibration"  # hiệu chuẩn


@dataclass(frozen=True)
class Lab(_Normalised):
    """The issuing organisation as it was on the day of issue."""

    name: str
    address: str
    registration_number: str
    province: str
    parent_body: str
    short_name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Customer(_Normalised):
    """The organisation that owns or uses the instrument (cơ sở sử dụng)."""

    name: str
    address: str


@dataclass(frozen=True)
class Instrument(_Normalised):
    """The item verified or calibrated, with its main metrological characteristics."""

    name: str
    type: str = ""
    maker: str = ""
    country: str = ""
    model: str = ""
    serial: str = ""
    measuring_range: str = ""
    nominal: str = ""  # a material measure (a weight) has a nominal value instead of a measuring range
    resolution: str = ""  # d, or the verification scale interval e for a weighing instrument
    accuracy_class: str = ""


@dataclass(frozen=True)
class Method(_Normalised):
    """The national procedure followed, e.g. ``ĐLVN 286:2015``."""

    code: str
    name: str


@dataclass(frozen=True)
class Place(_Normalised):
    """Where the measurement was made: in the lab, or on site at the customer's address."""

    on_site: bool
    address: str


@dataclass(frozen=True)
class Condition(_Normalised):
    """One environmental condition, the value already formatted (e.g. ``(22,4 ± 0,6) °C``)."""

    label_vi: str
    label_en: str
    value: str


@dataclass(frozen=True)
class StandardUsed(_Normalised):
    """A reference standard used, with its own calibration."""

    name: str
    serial: str
    certificate_number: str
    due_date: date
    traceability: str


@dataclass(frozen=True)
class Column(_Normalised):
    """A results column: bilingual heading and unit (empty when dimensionless)."""

    heading_vi: str
    heading_en: str
    unit: str = ""


@dataclass(frozen=True)
class ResultTable(_Normalised):
    """A table of results, every cell a string already rounded by the science."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    title_vi: str = ""
    title_en: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.columns:
            raise InputError("columns", "a results table needs at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise InputError(f"rows[{i}]", f"has {len(row)} cells; the table has {len(self.columns)} columns")


@dataclass(frozen=True)
class Uncertainty(_Normalised):
    """How the expanded uncertainty was stated: the coverage factor and coverage probability of the results printed.

    ``per_row``: the k differ between the rows of the results (few degrees of freedom); each row carries its own k
    and the statement names none.
    """

    coverage_factor: str = "2"
    coverage_probability_percent: str = "95"
    note_vi: str = ""
    note_en: str = ""
    per_row: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.per_row and not self.coverage_factor:
            raise InputError("uncertainty.coverage_factor", "state k, or say each row carries its own")


@dataclass(frozen=True)
class Decision(_Normalised):
    """A statement of conformity and the decision rule it applied."""

    passed: bool
    rule_vi: str = ""
    rule_en: str = ""
    # A calibration's conformity statement names what it conforms to ("Phù hợp cấp chính xác M1"); a verification
    # uses the legal wording, so these stay empty there.
    statement_vi: str = ""
    statement_en: str = ""

    @property
    def text_vi(self) -> str:
        return self.statement_vi or (PASS_TEXT_VI if self.passed else FAIL_TEXT_VI)

    @property
    def text_en(self) -> str:
        return self.statement_en or (PASS_TEXT_EN if self.passed else FAIL_TEXT_EN)


@dataclass(frozen=True)
class Verifier(_Normalised):
    """The person who measured: a verifier's card number for verification, empty for a calibration technician."""

    name: str
    card_number: str = ""


@dataclass(frozen=True)
class Signatory(_Normalised):
    """The person authorised to sign for the organisation."""

    name: str
    title: str


@dataclass(frozen=True)
class Certificate(_Normalised):
    """A verification (Mẫu 18) or calibration (Mẫu 19) certificate, ready to render."""

    kind: Kind
    number: str
    lab: Lab
    customer: Customer
    instrument: Instrument
    method: Method
    received: date
    measured: date
    issued: date
    place: Place
    verifier: Verifier
    signatory: Signatory
    verification_url: str
    verification_code: str
    revision: int = 0
    supersedes: str | None = None
    conditions: tuple[Condition, ...] = ()
    standards: tuple[StandardUsed, ...] = ()
    results: tuple[ResultTable, ...] = ()
    uncertainty: Uncertainty | None = None
    as_found: ResultTable | None = None
    as_left: ResultTable | None = None
    decision: Decision | None = None
    sticker_serial: str | None = None
    valid_until: date | None = None
    remarks: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "kind", Kind(self.kind))
        if not self.number.strip():
            raise InputError("number", "a certificate needs its number")
        if self.revision < 0:
            raise InputError("revision", "must be 0 or more")
        if self.revision > 0 and not self.supersedes:
            raise InputError("supersedes", "a revised certificate must name the certificate it replaces")
        if not self.received <= self.measured <= self.issued:
            raise InputError("issued", "dates must run received ≤ measured ≤ issued")
        if (self.as_found is None) != (self.as_left is None):
            raise InputError("as_left", "as-found and as-left results come together, when the item was adjusted")
        if self.kind is Kind.VERIFICATION:
            self._check_verification()
        elif self.valid_until is not None:
            raise InputError("valid_until", "a calibration certificate carries no legal validity date")
        elif self.decision is not None and not self.decision.statement_vi:
            # ISO/IEC 17025 7.8.6: conformity to a named specification, never the verification's legal wording.
            raise InputError("decision.statement_vi", "a calibration states conformity to a named specification")

    def _check_verification(self) -> None:
        if self.decision is None:
            raise InputError("decision", "a verification certificate states whether the instrument passed")
        if self.decision.statement_vi:
            raise InputError("decision.statement_vi", "a verification uses the legal wording of its result")
        if self.decision.passed:
            if self.valid_until is None:
                raise InputError("valid_until", "a passed verification states its validity date")
            if self.valid_until <= self.measured:
                raise InputError("valid_until", "must be after the date of verification")
            if not self.sticker_serial:
                raise InputError("sticker_serial", "a passed verification names the sticker it placed")
        elif self.valid_until is not None:
            raise InputError("valid_until", "a failed verification has no validity date")

    @property
    def is_revision(self) -> bool:
        return self.supersedes is not None


@dataclass(frozen=True)
class Sticker(_Normalised):
    """One verification sticker (tem kiểm định, Mẫu 16 style) to print."""

    lab_short_name: str
    serial: str
    certificate_number: str
    valid_until: date
    verification_url: str
