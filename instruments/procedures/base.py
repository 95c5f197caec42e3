"""The procedure interface: what a measurement procedure declares, computes and prints.

A procedure declares the observations it needs (:class:`ObservationSchema`, from which the web form and the API are
generated), computes a :class:`ProcedureResult` (values, errors, uncertainty budgets, decisions) and describes the
result tables a certificate prints (:class:`ResultTable`). The ĐLVN method code and name, decision rule and
environmental limits come in as arguments: the database is authoritative.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import resources
from typing import Any, ClassVar

from instruments.decision import DecisionRule
from instruments.errors import InputError


class Stage(StrEnum):
    """Which run of a procedure on one job: before adjustment (as found) or after it (as left)."""

    AS_FOUND = "as_found"
    AS_LEFT = "as_left"


def stage_from_input(value: Any, field: str = "stage") -> Stage:
    """Read a stage name; the default run is "as_found"."""
    if value is None:
        return Stage.AS_FOUND
    try:
        return Stage(value)
    except ValueError as exc:
        raise InputError(field, 'must be "as_found" or "as_left"') from exc


@dataclass(frozen=True)
class MethodReference:
    """The national method (ĐLVN) a procedure implements, as the database records it."""

    code: str
    name_vi: str
    name_en: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "name_vi": self.name_vi, "name_en": self.name_en}


@dataclass(frozen=True)
class Field:
    """One entry of an observation schema: a value, a group of fields, or a list of repeated items.

    ``kind`` is one of number, integer, mass (text with a mass unit), text, choice, boolean, group (``fields``
    inside), list (``item`` repeated ``min_items``..``max_items`` times; readings are a list of numbers).
    """

    name: str
    label_vi: str
    label_en: str
    kind: str = "number"
    unit: str | None = None
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    fields: tuple["Field", ...] = ()
    item: "Field | None" = None
    min_items: int | None = None
    max_items: int | None = None
    default: Any = None
    help_en: str = ""

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "name": self.name,
            "label_vi": self.label_vi,
            "label_en": self.label_en,
            "kind": self.kind,
            "required": self.required,
        }
        for key in ("unit", "minimum", "maximum", "min_items", "max_items", "default"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.help_en:
            out["help_en"] = self.help_en
        if self.choices:
            out["choices"] = list(self.choices)
        if self.fields:
            out["fields"] = [child.as_dict() for child in self.fields]
        if self.item is not None:
            out["item"] = self.item.as_dict()
        return out


@dataclass(frozen=True)
class EnvironmentLimit:
    """An environmental condition the procedure requires during measurement, with its permitted range."""

    name: str
    label_vi: str
    label_en: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "label_vi": self.label_vi,
            "label_en": self.label_en,
            "unit": self.unit,
            "minimum": self.minimum,
            "maximum": self.maximum,
        }


@dataclass(frozen=True)
class ObservationSchema:
    """The observations a procedure needs: the fields of its input document and its environmental limits."""

    fields: tuple[Field, ...]
    environment: tuple[EnvironmentLimit, ...] = ()

    def as_dict(self) -> dict:
        return {
            "fields": [item.as_dict() for item in self.fields],
            "environment": [limit.as_dict() for limit in self.environment],
        }


class Printed(StrEnum):
    """What kind of number a column holds, which says how it is written (instruments.formatting)."""

    COVERAGE_FACTOR = "coverage_factor"  # at most three significant digits
    UNCERTAINTY = "uncertainty"  # an expanded uncertainty or a standard deviation: two significant digits
    CONFORMITY = "conformity"  # a statement of conformity: printed only where the customer asked for one


@dataclass(frozen=True)
class Column:
    """A column of a certificate's result table: its key in each row, bilingual heading and unit, and how its numbers
    are written: to the decimal place of a ``resolution`` (plus ``finer`` places), to the place of the row's expanded
    uncertainty held in the column named by ``uncertainty`` (GUM 7.2.6), or as its ``printed`` kind says.

    A unit or resolution such as ``"scale.unit"``, ``"scale.d"`` names the input field holding it;
    :meth:`ResultTable.filled` resolves it. ``digits`` (decimals printed) is given by a procedure defined as data.
    """

    key: str
    heading_vi: str
    heading_en: str
    unit: str | None = None
    digits: int | None = None
    resolution: str | float | None = None
    finer: int = 0
    # The key of the column holding this value's expanded uncertainty: the value is written to its place (GUM
    # 7.2.6), and machine-readable certificates attach it.
    uncertainty: str | None = None
    printed: Printed | None = None

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "key": self.key,
            "heading_vi": self.heading_vi,
            "heading_en": self.heading_en,
            "unit": self.unit,
        }
        # Only what is set, so the tables of records stored before these keys existed read the same.
        if self.digits is not None:
            out["digits"] = self.digits
        if self.resolution is not None:
            out["resolution"] = self.resolution
        if self.finer:
            out["finer"] = self.finer
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty
        if self.printed is not None:
            out["printed"] = self.printed.value
        return out


@dataclass(frozen=True)
class ResultTable:
    """A table a certificate prints: bilingual title, columns, and rows (dicts keyed by column key)."""

    key: str
    title_vi: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...] = ()

    def filled(
        self,
        rows: tuple[Mapping[str, Any], ...],
        units: Mapping[str, str] | None = None,
        resolutions: Mapping[str, float] | None = None,
    ) -> "ResultTable":
        """Return this table with its rows, and column units and resolutions that name an input field
        (``scale.unit``, ``scale.d``) resolved."""
        units, resolutions = units or {}, resolutions or {}

        def resolved(column: Column) -> Column:
            resolution = column.resolution
            if isinstance(resolution, str):
                resolution = resolutions.get(resolution)
            return replace(column, unit=units.get(column.unit, column.unit), resolution=resolution)

        return replace(self, columns=tuple(resolved(column) for column in self.columns), rows=tuple(rows))

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title_vi": self.title_vi,
            "title_en": self.title_en,
            "columns": [column.as_dict() for column in self.columns],
            "rows": [dict(row) for row in self.rows],
        }


@dataclass(frozen=True)
class MissingItem:
    """What keeps a record from a decision: a required test, load or adequate standard it lacks, at a field path.

    A result with missing items is incomplete: the record names them and the job's review refuses until they are
    supplied (a verification that skipped a required load has not shown the instrument conforms).
    """

    field: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message_vi": self.message_vi, "message_en": self.message_en}


@dataclass(frozen=True)
class ProcedureResult:
    """What one run of a procedure computed, at one stage (as found or as left) of a job."""

    procedure: str
    stage: Stage
    values: Mapping[str, Any]
    tables: tuple[ResultTable, ...] = ()
    # Overall pass/fail (None for a calibration without a tolerance) and the rule every pass/fail used.
    passed: bool | None = None
    rule: DecisionRule | None = None
    method: MethodReference | None = None
    missing: tuple[MissingItem, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether the record holds everything the procedure requires before a decision."""
        return not self.missing

    def as_dict(self) -> dict:
        return {
            "procedure": self.procedure,
            "stage": self.stage.value,
            "method": None if self.method is None else self.method.as_dict(),
            "passed": self.passed,
            "decision_rule": None if self.rule is None else self.rule.as_dict(),
            "values": dict(self.values),
            "tables": [table.as_dict() for table in self.tables],
            "missing": [item.as_dict() for item in self.missing],
        }


# The parts of a record document `lims calc procedure KEY` reads (the shape a measurement record stores).
RECORD_KEYS = ("instrument", "observations", "conditions", "standards", "stage")


class Procedure(ABC):
    """A measurement procedure: declares its observations, computes results, describes its certificate tables."""

    key: ClassVar[str]
    title_vi: ClassVar[str]
    title_en: ClassVar[str]
    kind: ClassVar[str]  # "verification" (kiểm định) or "calibration" (hiệu chuẩn)
    standard: ClassVar[str]  # the international document followed, e.g. "OIML R 76-1:2006"
    result_columns: ClassVar[tuple[ResultTable, ...]] = ()  # the tables a certificate prints, without rows
    # ĐLVN methods this procedure implements, to seed the database; the lab manager confirms or corrects them.
    seed_methods: ClassVar[tuple[MethodReference, ...]] = ()
    # The field of measurement a verifier's card must cover to perform it (Thông tư 24/2013 lists cards by field).
    verifier_field: ClassVar[str | None] = None

    def __init__(self, method: MethodReference | None = None, environment: tuple[EnvironmentLimit, ...] | None = None):
        self.method = method
        self.environment = environment if environment is not None else self.default_environment()

    @classmethod
    def default_environment(cls) -> tuple[EnvironmentLimit, ...]:
        """Return the environmental limits used when the database gives none."""
        return ()

    @abstractmethod
    def observation_fields(self) -> tuple[Field, ...]:
        """Return the fields of the input document."""

    def initial_observations(self, instrument: Mapping[str, Any]) -> dict:
        """Return what a new record starts from, given the instrument as the register knows it.

        ``instrument`` holds ``accuracy_class``, ``range_min``, ``range_max``, ``unit``, ``resolution`` and
        ``verification_interval`` (None when unknown). Each procedure says which of its fields they fill.
        """
        return {}

    def schema(self) -> ObservationSchema:
        """Return the observations this procedure needs."""
        return ObservationSchema(self.observation_fields(), self.environment)

    @abstractmethod
    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        """Compute the result of one run; InputError naming the field for input that cannot be computed."""

    def environment_problems(self, conditions: Mapping[str, Any]) -> list[dict]:
        """Return the environmental conditions that are missing or outside this procedure's limits.

        A condition that is not a number cannot be judged: InputError naming ``conditions.<name>``.
        """
        problems = []
        for limit in self.environment:
            value = conditions.get(limit.name)
            field = f"conditions.{limit.name}"
            if value is None:
                problems.append({"field": field, "message": f"Cần ghi {limit.label_vi} / {limit.label_en} is required"})
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise InputError(field, "must be a number")
            if (limit.minimum is not None and value < limit.minimum) or (
                limit.maximum is not None and value > limit.maximum
            ):
                problems.append(
                    {
                        "field": field,
                        "message": (
                            f"{limit.label_vi} {value:g} {limit.unit} ngoài giới hạn {limit.minimum:g}…"
                            f"{limit.maximum:g} / {limit.label_en} {value:g} {limit.unit} is outside "
                            f"{limit.minimum:g}…{limit.maximum:g}"
                        ),
                    }
                )
        return problems

    def with_standards(self, observations: Mapping[str, Any], standards: list[Mapping[str, Any]]) -> dict:
        """Return the observations completed from the standards' values a record keeps (nothing to add by default).

        A procedure that reads something of its standards (e.g. the class of the test weights) takes it from here
        when the observations do not say it themselves.
        """
        return dict(observations)

    @classmethod
    def example_record(cls) -> dict:
        """Return a record document this procedure computes, for `lims procedures example KEY`.

        Built-in procedures keep theirs in instruments/data/example_<key>.json (worked in their tests); a procedure
        defined otherwise overrides this.
        """
        try:
            text = resources.files("instruments.data").joinpath(f"example_{cls.key}.json").read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError("procedure", f"{cls.key} has no example input") from exc
        return json.loads(text)

    def run_record(self, document: Mapping[str, Any]) -> dict:
        """Compute a record as the lab stores it (observations, conditions, standards' values, instrument).

        Returns the result, the decision and its rule, the certificate tables, what is missing for a decision and
        the environmental conditions out of limits; InputError with the field's path for what cannot be computed.
        """
        if not isinstance(document, Mapping):
            raise InputError("", "the record must be a JSON object")
        for key in document:
            if key not in RECORD_KEYS:
                raise InputError(str(key), f"unknown field '{key}' (allowed: {', '.join(RECORD_KEYS)})")
        observations = document.get("observations")
        if not isinstance(observations, Mapping):
            raise InputError("observations", "the record needs its observations as a JSON object")
        conditions = document.get("conditions") or {}
        if not isinstance(conditions, Mapping):
            raise InputError("conditions", "must be a JSON object")
        standards = document.get("standards") or []
        if not isinstance(standards, list) or not all(isinstance(item, Mapping) for item in standards):
            raise InputError("standards", "must be a list of JSON objects (the standards' values of the day)")
        instrument = document.get("instrument")
        if instrument is not None and not isinstance(instrument, Mapping):
            raise InputError("instrument", "must be a JSON object")
        stage = stage_from_input(document.get("stage"))
        try:
            result = self.calculate(self.with_standards(observations, standards), stage)
        except InputError as exc:
            raise exc.within("observations") from exc
        return {
            **result.as_dict(),
            "complete": result.complete,
            "environment": self.environment_problems(conditions),
            "instrument": None if instrument is None else dict(instrument),
        }

    def run_stages(self, runs: Mapping[str, Mapping[str, Any]]) -> dict[Stage, ProcedureResult]:
        """Compute the as-found and/or as-left runs of one job, keeping both results."""
        results = {}
        for name, observations in runs.items():
            stage = stage_from_input(name, "stage")
            try:
                results[stage] = self.calculate(observations, stage)
            except InputError as exc:
                raise exc.within(stage.value) from exc
        return results

    @classmethod
    def describe(cls, method: MethodReference | None = None) -> dict:
        """Describe the procedure for `lims procedures list --json` and the API."""
        procedure = cls(method=method)
        return {
            "key": cls.key,
            "title_vi": cls.title_vi,
            "title_en": cls.title_en,
            "kind": cls.kind,
            "standard": cls.standard,
            "method": None if method is None else method.as_dict(),
            "seed_methods": [seed.as_dict() for seed in cls.seed_methods],
            "schema": procedure.schema().as_dict(),
            "result_tables": [table.as_dict() for table in cls.result_columns],
        }
