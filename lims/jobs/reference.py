"""The reference weight's values taken from its standard's certificate, and the check of what a record says.

The register keeps, per weight of a set, what the certificate prints: its conventional-mass *correction*
(``quantity == "correction"``: m_c − m_0, in mg, g or µg; the standards calibration form stores nothing else for a
weight), U and k; the density comes from the weight itself (StandardItem). The record form's ``reference`` group
wants the conventional mass m_c = m_0 + correction, as a mass with its unit. Everything here reads the standards'
snapshot that the record keeps (:func:`lims.jobs.services.snapshot_standard`), so what the form is filled from and
what a save is checked against are the same values. Pure functions: no session, no Flask.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from instruments.errors import InputError
from instruments.quantities import MASS_UNITS_MG, parse_mass_mg

# Which certificate quantity gives the conventional mass, and how: a correction is added to the nominal value; a
# "value" is the conventional mass itself. An "error" is left alone: its sign convention is not ours to guess.
CORRECTION = "correction"
CONVENTIONAL_VALUE = "value"
K_TOLERANCE = 0.005  # k is printed to at most two decimals


@dataclass(frozen=True)
class Candidate:
    """One weight of a chosen standard whose nominal value equals the test weight's, with its certificate value."""

    standard: dict  # the standard's snapshot entry
    value: dict  # its calibration value for the weight

    @property
    def label(self) -> str:
        return f"{self.value.get('item') or ''}{(' ' + self.value['marking']) if self.value.get('marking') else ''}"


@dataclass(frozen=True)
class Prefill:
    """What the form's reference group can be filled with, where it came from, or why it cannot be filled."""

    values: dict = field(default_factory=dict)
    source: dict | None = None  # standard code, certificate number, lab, date, item, marking
    problem: str | None = None  # no_nominal | several_nominals | no_standard | no_item | quantity
    nominal: str | None = None
    others: tuple[str, ...] = ()  # other weights of the same nominal that were not used, e.g. "2 kg 2*"
    missing: tuple[str, ...] = ()  # fields of the group the register cannot give (density)

    def apply(self, observations: dict) -> dict:
        """Return the observations with the reference group filled (fields already typed are kept)."""
        if not self.values:
            return observations
        filled = dict(observations)
        filled["reference"] = {**self.values, **(observations.get("reference") or {})}
        return filled


def _decimal(value: float | int | str) -> Decimal:
    # str() of a float is its shortest repr, so 5.0 stays 5.0 and not 5.0000000000000001
    return Decimal(str(value))


def _plain(number: Decimal) -> str:
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def conventional_mass_mg(nominal: str, quantity: str, value: float, unit: str) -> Decimal:
    """Return a weight's conventional mass in exact milligrams from what its certificate gives.

    :param nominal: the weight's nominal value as printed ("10 kg").
    :param quantity: ``correction`` (m_c − m_0) or ``value`` (m_c itself); anything else is a ValueError.
    :raises ValueError: for another quantity or a unit that is not a mass.
    """
    unit = unit.strip()
    if unit not in MASS_UNITS_MG:
        raise ValueError(f"{unit!r} is not a mass unit")
    amount = _decimal(value) * MASS_UNITS_MG[unit]
    if quantity == CORRECTION:
        return parse_mass_mg(nominal, "nominal") + amount
    if quantity == CONVENTIONAL_VALUE:
        return amount
    raise ValueError(f"a {quantity!r} is not a conventional mass or its correction")


def mass_text(milligrams: Decimal) -> str:
    """Write a mass in grams (in milligrams below 1 g), with every digit it has and no float noise."""
    if abs(milligrams) >= 1000:
        return f"{_plain(milligrams / 1000)} g"
    return f"{_plain(milligrams)} mg"


def quantity_text(value: float, unit: str) -> str:
    """Write a stored value with its unit, e.g. 45.0, "mg" -> "45 mg"."""
    return f"{_plain(_decimal(value))} {unit.strip()}"


def _kg(text: Any) -> float | None:
    try:
        return float(parse_mass_mg(text, "nominal")) / 1e6
    except InputError:
        return None


def nominals_under_test(observations: dict) -> list[str]:
    """Return the nominal values of the weights under test, as typed (one for ABBA/ABA, n for AB1...BnA)."""
    if observations.get("cycle") == "AB1...BnA" or not (observations.get("weight") or {}).get("nominal"):
        weights = observations.get("weights") or []
        listed = [w.get("nominal") for w in weights if isinstance(w, dict) and w.get("nominal")]
        if listed:
            return listed
    nominal = (observations.get("weight") or {}).get("nominal")
    return [nominal] if nominal else []


def candidates(snapshot: list[dict], nominal_kg: float) -> list[Candidate]:
    """Return the weights of the snapshot's standards of that nominal mass, the unmarked one first."""
    found = []
    for order, entry in enumerate(snapshot):
        for value in (entry.get("calibration") or {}).get("values") or []:
            if not value.get("item"):
                continue
            kg = value.get("nominal_kg")
            kg = _kg(value["item"]) if kg is None else kg
            if kg is not None and math.isclose(kg, nominal_kg, rel_tol=1e-9, abs_tol=1e-15):
                found.append((bool(value.get("marking")), order, value.get("marking") or "", Candidate(entry, value)))
    return [candidate for *_, candidate in sorted(found, key=lambda row: row[:3])]


def _source(candidate: Candidate) -> dict:
    calibration = candidate.standard["calibration"]
    return {
        "standard_id": candidate.standard.get("standard_id"),
        "code": candidate.standard.get("code"),
        "certificate_number": calibration.get("certificate_number"),
        "calibrating_lab": calibration.get("calibrating_lab"),
        "calibrated_on": calibration.get("calibrated_on"),
        "item_id": candidate.value.get("item_id"),
        "item": candidate.value.get("item"),
        "marking": candidate.value.get("marking"),
    }


def certificate_values(candidate: Candidate) -> dict:
    """Return the reference group as the certificate and the register give it for one weight.

    :raises ValueError: when the certificate's quantity is not a correction or a conventional mass.
    """
    value = candidate.value
    mass = conventional_mass_mg(value["item"], value.get("quantity") or CORRECTION, value["value"], value["unit"])
    values: dict[str, Any] = {
        "conventional_mass": mass_text(mass),
        "expanded_uncertainty": quantity_text(value["expanded_uncertainty"], value["unit"]),
        "coverage_factor": value["coverage_factor"],
    }
    if value.get("density") is not None:
        values["density"] = value["density"]
    if value.get("density_uncertainty") is not None:
        values["density_uncertainty"] = value["density_uncertainty"]
    return values


def _nominal(nominals: list[str]) -> tuple[float | None, str | None]:
    masses = {_kg(text) for text in nominals}
    if not nominals or None in masses:
        return None, "no_nominal"
    if len(masses) > 1:
        return None, "several_nominals"
    return masses.pop(), None


def prefill(snapshot: list[dict], nominals: list[str]) -> Prefill:
    """Return the reference values for weights under test of these nominal values from the standards' snapshot."""
    nominal_kg, problem = _nominal(nominals)
    if problem:
        return Prefill(problem=problem, nominal=nominals[0] if nominals else None)
    nominal = nominals[0]
    if not snapshot:
        return Prefill(problem="no_standard", nominal=nominal)
    found = candidates(snapshot, nominal_kg)
    if not found:
        return Prefill(problem="no_item", nominal=nominal)
    chosen, others = found[0], tuple(candidate.label for candidate in found[1:])
    try:
        values = certificate_values(chosen)
    except ValueError:
        return Prefill(problem="quantity", nominal=nominal, source=_source(chosen), others=others)
    missing = tuple(name for name in ("density",) if name not in values)
    return Prefill(values=values, source=_source(chosen), nominal=nominal, others=others, missing=missing)


# --- the check at save ------------------------------------------------------------------------------------------


def _rounding(uncertainty: float) -> float:
    # GUM 7.2.6: U has at most two significant digits and the value is given to the same place, so a value that
    # differs by less than half a unit of U's second digit differs only by rounding.
    if not uncertainty or not math.isfinite(uncertainty) or uncertainty <= 0:
        return 0.0
    return 0.5 * 10 ** (math.floor(math.log10(uncertainty)) - 1) * (1 + 1e-9)


def _mass(text: Any) -> float | None:
    try:
        return float(parse_mass_mg(text, "reference"))
    except InputError:
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def differences(recorded: dict, certificate: dict) -> list[dict]:
    """Return the fields of the recorded reference group that differ from the certificate's beyond rounding."""
    found = []
    u_mg = _mass(certificate["expanded_uncertainty"]) or 0.0
    u_density = _number(certificate.get("density_uncertainty")) or 0.0
    checks = [
        ("conventional_mass", _mass, _rounding(u_mg)),
        ("expanded_uncertainty", _mass, _rounding(u_mg)),
        ("coverage_factor", _number, K_TOLERANCE),
        ("density", _number, _rounding(u_density) or 0.5),
        ("density_uncertainty", _number, _rounding(u_density)),
    ]
    for name, read, tolerance in checks:
        if name not in certificate:
            continue
        expected = read(certificate[name])
        typed = recorded.get(name)
        if typed is None and name == "density_uncertainty":
            typed = 0  # what the calculation takes when it is left blank
        got = read(typed)
        if expected is None or got is None or abs(got - expected) > tolerance:
            found.append({"field": name, "recorded": typed, "certificate": certificate[name]})
    return found


def check(snapshot: list[dict], observations: dict) -> dict | None:
    """Compare a record's reference group with the certificate values of its standards; None if nothing to compare.

    A weight of the test weight's nominal value whose values the record carries passes (the technician may have
    used the marked one); otherwise the differences are those from the weight the form would have been filled with.
    """
    recorded = observations.get("reference")
    nominal_kg, problem = _nominal(nominals_under_test(observations))
    if not isinstance(recorded, dict) or problem:
        return None
    compared = []
    for candidate in candidates(snapshot, nominal_kg):
        try:
            certificate = certificate_values(candidate)
        except ValueError:
            continue
        found = differences(recorded, certificate)
        if not found:
            return {"status": "matches", "source": _source(candidate), "differences": []}
        compared.append((candidate, found))
    if not compared:
        return None
    candidate, found = compared[0]
    return {"status": "differs", "source": _source(candidate), "differences": found}
