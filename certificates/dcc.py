"""Digital Calibration Certificates: PTB's DCC 3.3.0 with D-SI 2.2.1 quantities, built, validated, signed, read back.

A DCC is the machine-readable twin of a calibration certificate: the customer's software reads values, units and
uncertainties without retyping them. Issuing builds it from the same :class:`certificates.document.Certificate` the
PDF is rendered from, plus the results as numbers (:class:`Table`), validates it against the shipped schemas before
anything is stored, signs it (an enveloped XML signature) and attaches it to the PDF before the PDF's own signature.

Parsing is always safe: no network, no entity expansion, no DTD, a size limit.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from lxml import etree

from certificates import document as doc
from instruments.errors import InputError

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_VERSION = "3.3.0"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "dcc" / "v3.3.0" / "dcc.xsd"
MAX_DCC_BYTES = 5 * 1024 * 1024  # a calibration certificate's DCC is some kilobytes; refuse what cannot be one
FILE_NAME = "dcc.xml"
MIME_TYPE = "application/xml"

# Our unit symbols in D-SI notation (D-SI 2.2: SI units with prefixes, and the units accepted for use with the SI).
# One table: a unit that is not here stops the issue with its name, rather than writing a unit nobody can read.
DSI_UNITS = {
    "": r"\one",
    "1": r"\one",
    "kg": r"\kilogram",
    "g": r"\gram",
    "mg": r"\milli\gram",
    "µg": r"\micro\gram",
    "μg": r"\micro\gram",
    "t": r"\tonne",
    "°C": r"\degreecelsius",
    "K": r"\kelvin",
    "%": r"\percent",
    "%RH": r"\percent",
    "Pa": r"\pascal",
    "hPa": r"\hecto\pascal",
    "kPa": r"\kilo\pascal",
    "MPa": r"\mega\pascal",
    "bar": r"\bar",
    "mbar": r"\milli\bar",
    "mmHg": r"\mmhg",
    "mmHg/min": r"\mmhg\per\minute",
    "mmHg/s": r"\mmhg\per\second",
    "L": r"\litre",
    "mL": r"\milli\litre",
    "m3": r"\metre\tothe{3}",
    "m³": r"\metre\tothe{3}",
    "m3/h": r"\metre\tothe{3}\per\hour",
    "m³/h": r"\metre\tothe{3}\per\hour",
    "L/min": r"\litre\per\minute",
    "m": r"\metre",
    "mm": r"\milli\metre",
    "km": r"\kilo\metre",
    "s": r"\second",
    "min": r"\minute",
    "h": r"\hour",
    "kg/m3": r"\kilogram\per\metre\tothe{3}",
    "kg/m³": r"\kilogram\per\metre\tothe{3}",
    "V": r"\volt",
    "A": r"\ampere",
    "kWh": r"\kilo\watt\hour",
}
OUR_UNITS = {dsi: ours for ours, dsi in reversed(DSI_UNITS.items())}  # the first spelling of each D-SI unit wins


class DccInvalid(ValueError):
    """A DCC that does not validate against the schema, or cannot be parsed: the validator's own messages."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages[:5]))
        self.messages = messages


def dsi_unit(unit: str, where: str = "unit") -> str:
    """Return a unit symbol in D-SI notation: ``"mg"`` → ``"\\milli\\gram"``."""
    try:
        return DSI_UNITS[(unit or "").strip()]
    except KeyError:
        raise InputError(where, f"unit {unit!r} has no D-SI notation in certificates.dcc.DSI_UNITS") from None


def decimal_text(value) -> str:
    """Write a number as D-SI wants it: a decimal point, every digit kept, no exponent, no float noise."""
    if isinstance(value, bool):
        raise InputError("value", "a conformity is not a number")
    try:
        number = Decimal(value if isinstance(value, str) else repr(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise InputError("value", f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InputError("value", f"{value!r} is not a finite number")
    return format(number, "f")


@dataclass(frozen=True)
class Column:
    """One column of a results table, written as one DCC quantity.

    ``values`` are numbers (decimals or floats, as the science reported them) for a measured quantity, strings for
    a text column, booleans for a statement of conformity per row. ``uncertainties`` and ``coverage_factors`` give
    the expanded uncertainty of each value, in the column's unit.
    """

    name_vi: str
    name_en: str
    values: tuple
    unit: str = ""
    uncertainties: tuple | None = None
    coverage_factors: tuple | None = None
    coverage_probability: str = "0.95"

    @property
    def kind(self) -> str:
        if all(isinstance(v, bool) for v in self.values):
            return "conformity"
        if all(_is_number(v) for v in self.values):
            return "real"
        return "text"


@dataclass(frozen=True)
class Table:
    """A table of results, as numbers: what the certificate's results table prints, column by column."""

    name_vi: str
    name_en: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Condition:
    """An influence condition during the calibration, as a number with its unit (and uncertainty when stated)."""

    name_vi: str
    name_en: str
    value: object
    unit: str
    uncertainty: object = None


@dataclass(frozen=True)
class Replaced:
    """The certificate an amendment replaces: its number and the SHA-256 of its DCC (or of its PDF if it had none)."""

    number: str
    sha256: str


@dataclass(frozen=True)
class Dcc:
    """Everything a DCC states beyond the printed certificate: results and conditions as numbers, software."""

    certificate: doc.Certificate
    tables: tuple[Table, ...]
    conditions: tuple[Condition, ...] = ()
    replaces: Replaced | None = None
    software_name: str = "LIMS"
    software_release: str = "0"
    country_code: str = "VN"
    customer_identifications: tuple[tuple[str, str], ...] = field(default=())


def _is_number(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float | Decimal):
        return True
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return True


# -- building ---------------------------------------------------------------------------------------------------


def _el(parent, tag: str, text: str | None = None, ns: str = DCC_NS, **attributes):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attributes.items() if v})
    if text is not None:
        element.text = text
    return element


def _text(parent, tag: str, vi: str, en: str = ""):
    """A dcc:textType element: the Vietnamese text, then the English one, each with its language."""
    element = _el(parent, tag)
    _el(element, "content", vi, lang="vi")
    if en and en != vi:
        _el(element, "content", en, lang="en")
    return element


def _location(parent, tag: str, address: str, city: str, country: str):
    location = _el(parent, tag)
    if city:
        _el(location, "city", city)
    _el(location, "countryCode", country)
    if address:
        further = _el(location, "further")
        _el(further, "content", address)
    return location


def _contact(parent, tag: str, name: str, address: str, city: str, country: str):
    contact = _el(parent, tag)
    _text(contact, "name", name)
    _location(contact, "location", address, city, country)
    return contact


def _identification(parent, issuer: str, value: str, vi: str, en: str):
    identification = _el(parent, "identification")
    _el(identification, "issuer", issuer)
    _el(identification, "value", value)
    _text(identification, "name", vi, en)


def _administrative_data(root, dcc: Dcc) -> None:
    cert = dcc.certificate
    admin = _el(root, "administrativeData")
    software = _el(_el(admin, "dccSoftware"), "software")
    _text(software, "name", dcc.software_name)
    _el(software, "release", dcc.software_release)

    core = _el(admin, "coreData")
    _el(core, "countryCodeISO3166_1", dcc.country_code)
    _el(core, "usedLangCodeISO639_1", "vi")
    _el(core, "usedLangCodeISO639_1", "en")
    _el(core, "mandatoryLangCodeISO639_1", "vi")
    _el(core, "uniqueIdentifier", cert.number)
    identifications = _el(core, "identifications")
    _identification(
        identifications, "calibrationLaboratory", cert.verification_code, "Mã kiểm tra", "Verification code"
    )
    _el(core, "receiptDate", cert.received.isoformat())
    _el(core, "beginPerformanceDate", cert.measured.isoformat())
    _el(core, "endPerformanceDate", cert.measured.isoformat())
    _el(core, "performanceLocation", "customer" if cert.place.on_site else "laboratory")
    _el(core, "issueDate", cert.issued.isoformat())
    if dcc.replaces is not None:
        amended = _el(core, "reportAmendedSubstituted")
        _el(amended, "typeOfChange", "substituted")
        _el(amended, "replacedUniqueIdentifier", dcc.replaces.number)
        previous = _el(core, "previousReport")
        _text(previous, "referral", "Giấy chứng nhận được thay thế", "Certificate replaced")
        _el(previous, "referralID", dcc.replaces.number)
        _el(previous, "procedure", "SHA256")
        _el(previous, "value", dcc.replaces.sha256)

    item = _el(_el(admin, "items"), "item")
    instrument = cert.instrument
    _text(item, "name", instrument.name)
    description = [
        text
        for text in (
            instrument.measuring_range and f"Phạm vi đo / Measuring range: {instrument.measuring_range}",
            instrument.resolution and f"Độ phân giải / Resolution: {instrument.resolution}",
            instrument.accuracy_class and f"Cấp chính xác / Accuracy class: {instrument.accuracy_class}",
        )
        if text
    ]
    if description:
        rich = _el(item, "description")
        for text in description:
            _el(rich, "content", text)
    if instrument.maker:
        manufacturer = _el(item, "manufacturer")
        _text(manufacturer, "name", instrument.maker)
    if instrument.model:
        _el(item, "model", instrument.model)
    item_ids = _el(item, "identifications")
    _identification(item_ids, "manufacturer", instrument.serial or "—", "Số sản xuất", "Serial number")
    for value, label in dcc.customer_identifications:
        _identification(item_ids, "customer", value, label, label)

    lab = _el(admin, "calibrationLaboratory")
    if cert.lab.registration_number:
        _el(lab, "calibrationLaboratoryCode", cert.lab.registration_number)
    _contact(lab, "contact", cert.lab.name, cert.lab.address, cert.lab.province, dcc.country_code)

    persons = _el(admin, "respPersons")
    if cert.verifier.name:
        person = _el(persons, "respPerson")
        _text(_el(person, "person"), "name", cert.verifier.name)
        _el(person, "role", "Người thực hiện / Performed by")
    signer = _el(persons, "respPerson")
    _text(_el(signer, "person"), "name", cert.signatory.name)
    _el(signer, "role", f"{cert.signatory.title} / Authorised signatory")
    _el(signer, "mainSigner", "true")
    _el(signer, "cryptElectronicSignature", "true")

    _contact(admin, "customer", cert.customer.name, cert.customer.address, "", dcc.country_code)

    statements = _el(admin, "statements")
    statement = _el(statements, "statement")
    _el(statement, "norm", "ISO/IEC 17025:2017")
    _el(statement, "reference", "7.8.2.1")
    declaration = _el(statement, "declaration")
    _el(declaration, "content", "Kết quả chỉ có giá trị đối với đối tượng được hiệu chuẩn.", lang="vi")
    _el(declaration, "content", "The results refer only to the item calibrated.", lang="en")
    decision = cert.decision
    if decision is not None:
        conformity = _el(statements, "statement", refType="basic_conformity")
        declaration = _el(conformity, "declaration")
        _el(declaration, "content", decision.text_vi, lang="vi")
        _el(declaration, "content", decision.text_en, lang="en")
        if decision.rule_vi:
            _el(declaration, "content", decision.rule_vi, lang="vi")
        if decision.rule_en:
            _el(declaration, "content", decision.rule_en, lang="en")
        _el(conformity, "conformity", "pass" if decision.passed else "fail")


def _real(parent, value, unit: str, uncertainty=None, k=None, probability: str = "0.95", where: str = ""):
    real = _el(parent, "real", ns=SI_NS)
    _el(real, "value", decimal_text(value), ns=SI_NS)
    _el(real, "unit", dsi_unit(unit, where), ns=SI_NS)
    if uncertainty is not None:
        expanded = _el(_el(real, "measurementUncertaintyUnivariate", ns=SI_NS), "expandedMU", ns=SI_NS)
        _el(expanded, "valueExpandedMU", decimal_text(uncertainty), ns=SI_NS)
        _el(expanded, "coverageFactor", decimal_text(k if k is not None else 2), ns=SI_NS)
        _el(expanded, "coverageProbability", probability, ns=SI_NS)


def _column(parent, column: Column, where: str) -> None:
    quantity = _el(parent, "quantity")
    _text(quantity, "name", column.name_vi, column.name_en)
    kind = column.kind
    if kind == "text":
        rich = _el(quantity, "noQuantity")
        for value in column.values:
            _el(rich, "content", "" if value is None else str(value))
        return
    if kind == "conformity":
        rich = _el(quantity, "noQuantity")
        for value in column.values:
            _el(rich, "content", "pass" if value else "fail")
        return
    listing = _el(quantity, "realListXMLList", ns=SI_NS)
    _el(listing, "valueXMLList", " ".join(decimal_text(v) for v in column.values), ns=SI_NS)
    _el(listing, "unitXMLList", dsi_unit(column.unit, f"{where}.unit"), ns=SI_NS)
    if column.uncertainties is not None:
        if len(column.uncertainties) != len(column.values):
            raise InputError(f"{where}.uncertainties", "one expanded uncertainty per value")
        factors = column.coverage_factors or (2,) * len(column.values)
        mu = _el(listing, "measurementUncertaintyUnivariateXMLList", ns=SI_NS)
        expanded = _el(mu, "expandedMUXMLList", ns=SI_NS)
        _el(expanded, "valueExpandedMUXMLList", " ".join(decimal_text(u) for u in column.uncertainties), ns=SI_NS)
        _el(expanded, "coverageFactorXMLList", " ".join(decimal_text(k) for k in factors), ns=SI_NS)
        _el(expanded, "coverageProbabilityXMLList", column.coverage_probability, ns=SI_NS)


def _measurement_results(root, dcc: Dcc) -> None:
    cert = dcc.certificate
    result = _el(_el(root, "measurementResults"), "measurementResult")
    _text(result, "name", "Kết quả hiệu chuẩn", "Calibration results")
    methods = _el(result, "usedMethods")
    method = _el(methods, "usedMethod")
    _text(method, "name", cert.method.name or cert.method.code)
    _el(method, "norm", cert.method.code)
    gum = _el(methods, "usedMethod", refType="basic_uncertainty")
    _text(gum, "name", "Độ không đảm bảo đo mở rộng", "Expanded uncertainty")
    if cert.uncertainty is not None and (cert.uncertainty.note_vi or cert.uncertainty.note_en):
        note = _el(gum, "description")
        _el(note, "content", cert.uncertainty.note_vi, lang="vi")
        _el(note, "content", cert.uncertainty.note_en, lang="en")
    _el(gum, "norm", "JCGM 100:2008 (GUM)")
    if cert.standards:
        equipments = _el(result, "measuringEquipments")
        for standard in cert.standards:
            equipment = _el(equipments, "measuringEquipment", refType="basic_normalUsed")
            _text(equipment, "name", standard.name)
            about = _el(equipment, "description")
            if standard.certificate_number:
                _el(about, "content", f"Giấy chứng nhận / Certificate: {standard.certificate_number}")
            _el(about, "content", f"Hạn hiệu chuẩn / Calibration due: {standard.due_date.isoformat()}")
            if standard.traceability:
                _el(about, "content", f"Liên kết chuẩn / Traceability: {standard.traceability}")
            ids = _el(equipment, "identifications")
            _identification(ids, "calibrationLaboratory", standard.serial or "—", "Số hiệu", "Identification")
    if dcc.conditions:
        conditions = _el(result, "influenceConditions")
        for i, condition in enumerate(dcc.conditions):
            influence = _el(conditions, "influenceCondition")
            _text(influence, "name", condition.name_vi, condition.name_en)
            quantity = _el(_el(influence, "data"), "quantity")
            _text(quantity, "name", condition.name_vi, condition.name_en)
            _real(quantity, condition.value, condition.unit, condition.uncertainty, where=f"conditions[{i}]")
    results = _el(result, "results")
    if not dcc.tables:
        raise InputError("tables", "a calibration certificate states its results")
    for t, table in enumerate(dcc.tables):
        entry = _el(results, "result")
        _text(entry, "name", table.name_vi or "Kết quả", table.name_en or "Results")
        listing = _el(_el(entry, "data"), "list")
        for c, column in enumerate(table.columns):
            _column(listing, column, f"tables[{t}].columns[{c}]")


def build_dcc(dcc: Dcc) -> bytes:
    """Return the DCC of a calibration certificate as UTF-8 XML (unsigned; see :func:`sign_dcc`)."""
    if dcc.certificate.kind is not doc.Kind.CALIBRATION:
        raise InputError("kind", "a DCC is issued for calibration certificates")
    root = etree.Element(
        f"{{{DCC_NS}}}digitalCalibrationCertificate",
        {"schemaVersion": SCHEMA_VERSION},
        nsmap={"dcc": DCC_NS, "si": SI_NS},
    )
    _administrative_data(root, dcc)
    _measurement_results(root, dcc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- validating, signing, reading -------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # No DTD, no entity expansion, no network: an uploaded file is never a way into the server.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )


def parse(xml: bytes) -> etree._Element:
    """Parse a DCC safely, or raise :class:`DccInvalid` saying why."""
    if len(xml) > MAX_DCC_BYTES:
        raise DccInvalid([f"larger than {MAX_DCC_BYTES // (1024 * 1024)} MB"])
    if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
        raise DccInvalid(["a DCC carries no document type declaration or entities"])
    try:
        return etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise DccInvalid([f"not well-formed XML: {exc}"]) from None


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), _parser()))


def validate_dcc(xml: bytes) -> None:
    """Check a DCC against the shipped DCC 3.3.0 schema; raise :class:`DccInvalid` with the validator's messages."""
    root = parse(xml)
    schema = _schema()
    if not schema.validate(root):
        raise DccInvalid([f"line {e.line}: {e.message}" for e in schema.error_log])


def sign_dcc(xml: bytes, private_key, certificate_pem: bytes) -> bytes:
    """Return the DCC with an enveloped XML signature (RSA or ECDSA with SHA-256) by the key of ``certificate_pem``.

    The signature element goes last in the root, where the DCC schema allows ``ds:Signature``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from signxml import SignatureMethod, XMLSigner

    # the certificate says which kind of key signs (a key on a token is not a cryptography key object)
    public = x509.load_pem_x509_certificate(certificate_pem).public_key()
    elliptic = isinstance(public, ec.EllipticCurvePublicKey)
    signer = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256 if elliptic else SignatureMethod.RSA_SHA256)
    signed = signer.sign(parse(xml), key=private_key, cert=certificate_pem.decode())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class DccSignature:
    """Whether a DCC's XML signature holds, and by which certificate it was made."""

    valid: bool
    signer_certificate_der: bytes = b""
    problem: str = ""


def verify_dcc_signature(xml: bytes, trusted_certificate_pem: bytes | None = None) -> DccSignature:
    """Check a DCC's enveloped signature: against ``trusted_certificate_pem`` when given, else its own certificate.

    A changed byte anywhere in the signed document makes it invalid.
    """
    from signxml import InvalidInput, InvalidSignature, XMLVerifier

    try:
        root = parse(xml)
    except DccInvalid as exc:
        return DccSignature(False, problem=str(exc))
    signature = root.find(f"{{{DS_NS}}}Signature")
    if signature is None:
        return DccSignature(False, problem="the DCC carries no signature")
    embedded = signature.find(f".//{{{DS_NS}}}X509Certificate")
    der = base64.b64decode("".join(embedded.text.split())) if embedded is not None and embedded.text else b""
    try:
        kwargs = {"x509_cert": trusted_certificate_pem.decode()} if trusted_certificate_pem else {"x509_cert": None}
        if not trusted_certificate_pem:
            if not der:
                return DccSignature(False, problem="the signature names no certificate")
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import Encoding

            kwargs["x509_cert"] = x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()
        XMLVerifier().verify(root, expect_references=1, **kwargs)
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        return DccSignature(False, der, problem=str(exc))
    return DccSignature(True, der)


def _contents(element) -> dict[str, str]:
    return {c.get("lang") or "": c.text or "" for c in element.findall(f"{{{DCC_NS}}}content")}


@dataclass(frozen=True)
class ReadColumn:
    """A column as read back from a DCC: name, unit in our notation, values and uncertainties as decimals/text."""

    name: str
    unit: str
    values: tuple
    uncertainties: tuple[Decimal, ...] | None
    coverage_factors: tuple[Decimal, ...] | None


@dataclass(frozen=True)
class ReadDcc:
    """What :func:`read_dcc` found: the certificate's identity and its results tables."""

    number: str
    issued: str
    replaces: str | None
    tables: tuple[tuple[str, tuple[ReadColumn, ...]], ...]


def read_dcc(xml: bytes) -> ReadDcc:
    """Read a DCC's identity and results back as decimals and units (the customer's view of it)."""
    root = parse(xml)
    ns = {"dcc": DCC_NS, "si": SI_NS}
    number = root.findtext("dcc:administrativeData/dcc:coreData/dcc:uniqueIdentifier", namespaces=ns) or ""
    issued = root.findtext("dcc:administrativeData/dcc:coreData/dcc:issueDate", namespaces=ns) or ""
    replaces = root.findtext(
        "dcc:administrativeData/dcc:coreData/dcc:reportAmendedSubstituted/dcc:replacedUniqueIdentifier", namespaces=ns
    )
    tables = []
    for result in root.iterfind("dcc:measurementResults/dcc:measurementResult/dcc:results/dcc:result", ns):
        name = _contents(result.find("dcc:name", ns))
        columns = []
        for quantity in result.iterfind("dcc:data/dcc:list/dcc:quantity", ns):
            label = _contents(quantity.find("dcc:name", ns))
            title = label.get("en") or label.get("vi") or ""
            # our own DCCs write si:realListXMLList; others may write a single si:real or a si:hybrid of lists
            listing = quantity.find("si:realListXMLList", ns)
            if listing is None:
                listing = quantity.find("si:hybrid/si:realListXMLList", ns)
            single = quantity.find("si:real", ns)
            if listing is None and single is not None:
                unit = OUR_UNITS.get(single.findtext("si:unit", namespaces=ns) or "", "?")
                value = (Decimal(single.findtext("si:value", namespaces=ns) or "0"),)
                expanded = single.find("si:measurementUncertaintyUnivariate/si:expandedMU", ns)
                u = k = None
                if expanded is not None:
                    u = (Decimal(expanded.findtext("si:valueExpandedMU", namespaces=ns) or "0"),)
                    k = (Decimal(expanded.findtext("si:coverageFactor", namespaces=ns) or "0"),)
                columns.append(ReadColumn(title, unit, value, u, k))
                continue
            if listing is None:
                texts = quantity.find("dcc:noQuantity", ns)
                values = tuple(c.text or "" for c in texts.findall("dcc:content", ns)) if texts is not None else ()
                columns.append(ReadColumn(title, "", values, None, None))
                continue
            values = tuple(Decimal(v) for v in (listing.findtext("si:valueXMLList", namespaces=ns) or "").split())
            unit = OUR_UNITS.get(listing.findtext("si:unitXMLList", namespaces=ns) or "", "?")
            expanded = listing.find("si:measurementUncertaintyUnivariateXMLList/si:expandedMUXMLList", ns)
            value_tag = "si:valueExpandedMUXMLList"
            if expanded is None:  # D-SI before 2.2 (deprecated, still met in others' DCCs)
                expanded, value_tag = listing.find("si:expandedUncXMLList", ns), "si:uncertaintyXMLList"
            uncertainties = factors = None
            if expanded is not None:
                uncertainties = tuple(Decimal(v) for v in (expanded.findtext(value_tag, namespaces=ns) or "").split())
                factors = tuple(
                    Decimal(v) for v in (expanded.findtext("si:coverageFactorXMLList", namespaces=ns) or "").split()
                )
            # D-SI lets one uncertainty or factor stand for every value of the list
            if uncertainties and len(uncertainties) == 1:
                uncertainties = uncertainties * len(values)
            if factors and len(factors) == 1:
                factors = factors * len(values)
            columns.append(ReadColumn(title, unit, values, uncertainties, factors))
        tables.append((name.get("en") or name.get("vi") or "", tuple(columns)))
    return ReadDcc(number, issued, replaces, tuple(tables))
