"""Several units under test in one record (a bench of water meters, a multi-position meter bench).

A definition that says ``units_under_test: {several: true, ...}`` reads a record's document as the shared part once
(``parameters`` less the per-unit ones, ``standards``, ``mpe_basis``, ``decision_rule``) and ``units``: one entry
per instrument on the bench, ``{parameters: {<per-unit ones>}, <test>: [rows...]}``. Each unit is computed alone,
with the shared values, exactly as a one-unit record would be; it has its own result, decision, missing points and
certificate tables (its own certificate or failure notice, and sticker, in the lab). The record's own ``passed`` is
the bench's summary: true only when every unit passed, None while any unit is undecided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from instruments.errors import InputError
from instruments.procedures.base import Field, MissingItem, ProcedureResult, Stage
from instruments.procedures.definition import Definition

UNITS = "units"


def unit_fields(definition: Definition, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """Return a several-unit record's schema: the shared fields once, then ``units``, each with its own parameters
    and its own rows of every test (from a one-unit schema ``fields``)."""
    own = set(definition.units_under_test.per_unit_parameters)
    tests = {test.key for test in definition.tests}
    shared: list[Field] = []
    per_unit: list[Field] = []
    for field in fields:
        if field.name == "parameters":
            mine = tuple(f for f in field.fields if f.name in own)
            theirs = tuple(f for f in field.fields if f.name not in own)
            if theirs:
                shared.append(replace(field, fields=theirs))
            if mine:
                per_unit.append(replace(field, fields=mine))
        elif field.name in tests:
            per_unit.append(field)
        else:
            shared.append(field)
    limit = definition.units_under_test.max_units
    unit = Field("unit", "Phương tiện đo", "Unit under test", "group", fields=tuple(per_unit))
    shared.append(
        Field(
            UNITS, "Các phương tiện đo cùng đo", "Units under test", "list",
            min_items=1, max_items=limit, item=unit,
            help_en=f"one entry per instrument measured together (at most {limit})",
        )
    )  # fmt: skip
    return tuple(shared)


def unit_documents(definition: Definition, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Split a several-unit document into one one-unit document per unit (shared values copied into each).

    :raises InputError: ``units`` missing, not a list, too long, or a unit giving a shared value of its own.
    """
    units = document.get(UNITS)
    limit = definition.units_under_test.max_units
    if not isinstance(units, list) or not units:
        raise InputError(UNITS, "list the units under test, one object per instrument (at least one)")
    if len(units) > limit:
        raise InputError(f"{UNITS}[{limit}]", f"this procedure measures at most {limit} units together")
    own = set(definition.units_under_test.per_unit_parameters)
    tests = {test.key for test in definition.tests}
    shared_parameters = document.get("parameters") or {}
    if not isinstance(shared_parameters, Mapping):
        raise InputError("parameters", "must be an object")
    for name in shared_parameters:
        if name in own:
            raise InputError(f"parameters.{name}", f"each unit has its own {name}: write it in units[i].parameters")
    shared = {key: value for key, value in document.items() if key not in tests and key not in (UNITS, "parameters")}
    out = []
    for index, unit in enumerate(units):
        where = f"{UNITS}[{index}]"
        if not isinstance(unit, Mapping):
            raise InputError(where, "must be an object: the unit's parameters and its rows of each test")
        for key in unit:
            if key != "parameters" and key not in tests:
                raise InputError(f"{where}.{key}", "a unit holds its parameters and its rows of each test only")
        parameters = unit.get("parameters") or {}
        if not isinstance(parameters, Mapping):
            raise InputError(f"{where}.parameters", "must be an object")
        for name in parameters:
            if name not in own:
                raise InputError(f"{where}.parameters.{name}", f"{name} is shared by the units: write it once")
        single = dict(shared)
        single["parameters"] = {**shared_parameters, **parameters}
        single.update({key: unit[key] for key in tests if key in unit})
        out.append(single)
    return out


def _unit_path(definition: Definition, index: int, field: str) -> str:
    """Say where in the several-unit document a one-unit path lies (a unit's rows and own parameters are in it)."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    own = definition.units_under_test.per_unit_parameters
    mine = head in {test.key for test in definition.tests} or any(
        field == f"parameters.{name}" or field.startswith(f"parameters.{name}.") for name in own
    )
    return f"{UNITS}[{index}].{field}" if mine else field


def calculate_units(
    definition: Definition,
    document: Mapping[str, Any],
    stage: Stage,
    compute_one: Callable[[Mapping[str, Any], Stage], ProcedureResult],
) -> ProcedureResult:
    """Compute every unit alone with ``compute_one`` and return the bench's result: each unit's values, decision,
    missing points and tables, and the summary decision."""
    results = []
    for index, single in enumerate(unit_documents(definition, document)):
        try:
            results.append(compute_one(single, stage))
        except InputError as exc:
            raise InputError(_unit_path(definition, index, exc.field), exc.message) from exc
    units = []
    tables = []
    missing: list[MissingItem] = []
    for index, result in enumerate(results):
        own_missing = [replace(item, field=f"{UNITS}[{index}].{item.field}") for item in result.missing]
        missing += own_missing
        units.append({**result.values, "passed": result.passed, "missing": [item.field for item in own_missing]})
        tables += [
            replace(
                table,
                key=f"{UNITS}[{index}].{table.key}",
                title_vi=f"{table.title_vi} (phương tiện {index + 1})",
                title_en=f"{table.title_en} (unit {index + 1})",
            )
            for table in result.tables
        ]
    decided = [result.passed for result in results]
    passed = None if missing or None in decided else all(decided)
    first = results[0]
    values = {
        "definition": first.values["definition"],
        "parameters": {k: v for k, v in first.values["parameters"].items() if k not in own_names(definition)},
        "standards": first.values["standards"],
        "mpe_basis": first.values["mpe_basis"],
        UNITS: units,
        "passed": passed,
    }
    rule = next((result.rule for result in results if result.rule is not None), None)
    return ProcedureResult(
        first.procedure,
        stage,
        values,
        tuple(tables),
        passed,
        rule if passed is not None else None,
        first.method,
        tuple(missing),
    )


def own_names(definition: Definition) -> frozenset[str]:
    """The parameters each unit has of its own."""
    return frozenset(definition.units_under_test.per_unit_parameters)
