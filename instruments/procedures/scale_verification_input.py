"""Reading and working an R 76 verification record: the instrument, the loadings of each test, and their errors.

:func:`parse_input` reads the document (refusing what cannot be computed, with the field's path) and
:func:`compute_errors` works every error, E = I + ½e − ΔL − L by the change-point method (R 76-1 A.4.4.3) or
I − L, corrected for the error at zero. Judging them is :mod:`scale_verification_decision`'s part.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from instruments import oiml_r76, oiml_r111
from instruments.decision import SIMPLE_ACCEPTANCE, DecisionRule, rule_from_input
from instruments.errors import InputError
from instruments.procedures import weighing
from instruments.quantities import mapping, number, path, required

REQUIRED_LOAD_TOLERANCE = oiml_r76.test_plan_settings()["required_load_tolerance"]


def read_range_type(document: Mapping, field: str = "scale") -> str:
    """Read whether the instrument has a single interval (the default), several partial ranges or several ranges."""
    range_type = document.get("range_type", "single_interval")
    if range_type not in oiml_r76.RANGE_TYPES:
        raise InputError(path(field, "range_type"), f"must be one of {', '.join(oiml_r76.RANGE_TYPES)}")
    return range_type


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
    problem = oiml_r76.classification_problem(scale)
    if problem is not None:
        raise InputError(path(field, problem[0]), problem[1])
    scale.mpe(maximum, field=path(field, "max"))  # Max itself must be within the class's range of n = Max/e
    return scale


@dataclass(frozen=True)
class Loading:
    """One weighing: the test load L, the indication I and the additional small weights ΔL (change-point method)."""

    load: float
    indication: float
    additional_load: float | None = None
    direction: str = "increasing"
    field: str = ""  # where it was read, so that a missing ΔL is named at its place


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
    return Loading(load, indication, additional, direction, field)


def loading_error(loading: Loading, scale: oiml_r76.Scale) -> float:
    """Return the error of one loading: before rounding by the change-point method when ΔL is given, else I − L.

    Where d = e a loading without ΔL is named missing by :func:`decide_tests`; I − L is kept for the record only.
    """
    if loading.additional_load is None:
        return oiml_r76.exact_difference(loading.indication, loading.load)
    return oiml_r76.error_before_rounding(loading.indication, loading.additional_load, loading.load, scale.e)


@dataclass(frozen=True)
class DiscriminationLoading:
    """The discrimination test at one load: the indication I, then the indication after adding 1.4 d (A.4.8)."""

    load: float
    indication: float
    indication_with_extra: float


@dataclass(frozen=True)
class VerificationSettings:
    """What the lab sets for a verification: MPE basis, decision rule, the U used by a guarded rule."""

    in_service: bool = False
    rule: DecisionRule = SIMPLE_ACCEPTANCE
    expanded_uncertainty: float = 0.0


@dataclass(frozen=True)
class VerificationInput:
    """A verification record as read: the instrument, the settings and every loading of every test."""

    scale: oiml_r76.Scale
    settings: VerificationSettings
    zero: Loading | None
    weighing: tuple[Loading, ...]
    eccentricity_load: float
    eccentricity: tuple[Loading, ...]
    repeatability_load: float
    repeatability: tuple[Loading, ...]
    discrimination: tuple[DiscriminationLoading, ...] = ()
    weight_class: str | None = None


@dataclass
class VerificationErrors:
    """The errors worked from the loadings (E_c = E − E0), before any is judged."""

    zero_error: float
    weighing: list[float]
    eccentricity: list[float]
    repeatability: list[float]
    spread: float
    discrimination: list[float] = field(default_factory=list)  # the increase I' − I at each load


def read_settings(document: Mapping) -> VerificationSettings:
    """Read the MPE basis, the decision rule and the U a guarded rule uses."""
    in_service = weighing.read_in_service(document, "mpe_basis")
    rule = rule_from_input(document.get("decision_rule"))
    uncertainty = number(document.get("expanded_uncertainty", 0), "expanded_uncertainty", minimum=0)
    return VerificationSettings(in_service, rule, uncertainty)


def _read_discrimination(document: Any, scale: oiml_r76.Scale) -> tuple[DiscriminationLoading, ...]:
    if document is None:
        return ()
    if not isinstance(document, list):
        raise InputError("discrimination", "must be a list of loadings")
    loadings = []
    for i, item in enumerate(document):
        field = path("discrimination", i)
        item = mapping(item, field)
        load = number(required(item, "load", field), path(field, "load"), minimum=0)
        weighing.refuse_above_max(load, scale, path(field, "load"))
        loadings.append(
            DiscriminationLoading(
                load,
                number(required(item, "indication", field), path(field, "indication")),
                number(required(item, "indication_with_extra", field), path(field, "indication_with_extra")),
            )
        )
    return tuple(loadings)


def _read_weight_class(document: Any) -> str | None:
    if document is None:
        return None
    document = mapping(document, "standard_weights")
    if document.get("class") in (None, ""):
        return None
    return oiml_r111.normalize_class(document["class"], "standard_weights.class")


def parse_input(document: Mapping, eccentricity_positions: int, repeatability_loadings: Mapping[str, int]):
    """Read a single-interval verification record, refusing what cannot be computed with the field's path."""
    scale = parse_scale(required(document, "scale"))
    settings = read_settings(document)
    zero = None
    if document.get("zero") is not None:
        zero = parse_loading(document["zero"], "zero", scale, load=0.0)
    weighings = tuple(
        parse_loading(item, path("weighing", i), scale)
        for i, item in enumerate(weighing.reading_list(document, "weighing", "", 1, "loadings"))
    )
    ecc_doc, ecc_load = weighing.read_test_group(document, "eccentricity")
    scale.mpe(ecc_load, field="eccentricity.load")
    positions = weighing.reading_list(ecc_doc, "positions", "eccentricity", eccentricity_positions, "loadings")
    eccentricity = tuple(
        parse_loading(item, path("eccentricity.positions", i), scale, load=ecc_load) for i, item in enumerate(positions)
    )
    rep_doc, rep_load = weighing.read_test_group(document, "repeatability")
    scale.mpe(rep_load, field="repeatability.load")
    needed = repeatability_loadings[scale.accuracy_class]
    rep_items = weighing.reading_list(rep_doc, "loadings", "repeatability", needed, "loadings")
    repeatability = tuple(
        parse_loading(item, path("repeatability.loadings", i), scale, load=rep_load) for i, item in enumerate(rep_items)
    )
    return VerificationInput(
        scale,
        settings,
        zero,
        weighings,
        ecc_load,
        eccentricity,
        rep_load,
        repeatability,
        _read_discrimination(document.get("discrimination"), scale),
        _read_weight_class(document.get("standard_weights")),
    )


def compute_errors(record: VerificationInput) -> VerificationErrors:
    """Work every error: E_c = E − E0 for weighing and eccentricity; E for repeatability, where E0 cancels."""
    scale = record.scale
    zero_error = 0.0 if record.zero is None else loading_error(record.zero, scale)

    def corrected(loading: Loading) -> float:
        return oiml_r76.exact_difference(loading_error(loading, scale), zero_error)

    repeatability = [loading_error(loading, scale) for loading in record.repeatability]
    return VerificationErrors(
        zero_error=zero_error,
        weighing=[corrected(loading) for loading in record.weighing],
        eccentricity=[corrected(loading) for loading in record.eccentricity],
        repeatability=repeatability,
        spread=oiml_r76.exact_difference(max(repeatability), min(repeatability)),
        discrimination=[
            oiml_r76.exact_difference(item.indication_with_extra, item.indication) for item in record.discrimination
        ],
    )
