"""A procedure defined as data: the Procedure a :class:`~instruments.procedures.definition.Definition` becomes.

It has the interface of the built-in procedures (an observation schema for the form, ``calculate`` returning values,
decisions and certificate tables), so the registry, the CLI and the jobs serve both alike.

The record's document: ``parameters`` (the instrument's), ``standards`` (each role's certificate values),
optionally ``mpe_basis`` and ``decision_rule``, and one list per test, a row per point, holding the point fields and
each run's fields as ``<field>_<run>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from instruments.decision import Decision, DecisionRule, decide, rule_from_input
from instruments.errors import InputError
from instruments.procedures import weighing
from instruments.procedures.base import Column, Field, MissingItem, Procedure, ProcedureResult, ResultTable, Stage
from instruments.procedures.definition import (
    Check,
    Definition,
    Parameter,
    Test,
    UncertaintyModel,
    read_definition,
)
from instruments.procedures.units_under_test import calculate_units, unit_fields
from instruments.uncertainty.gum import evaluate_budget
from instruments.uncertainty.inputs import InputQuantity

MPE_BASES = ("verification", "in_service")


def _unit_ref(unit: str | None) -> str | None:
    # "@name" (the unit typed in a unit parameter) becomes the path the form and ResultTable.filled resolve.
    return f"parameters.{unit[1:]}" if unit and unit.startswith("@") else unit


def _field(parameter: Parameter, name: str | None = None, label_suffix: tuple[str, str] = ("", "")) -> Field:
    kind = {"number": "number", "choice": "choice", "unit": "choice", "text": "text"}[parameter.kind]
    choices = tuple(f"{choice:g}" if isinstance(choice, float) else str(choice) for choice in parameter.choices)
    return Field(
        name or parameter.name,
        parameter.label.vi + label_suffix[0],
        parameter.label.en + label_suffix[1],
        kind,
        unit=_unit_ref(parameter.unit),
        required=parameter.required,
        minimum=parameter.minimum,
        maximum=parameter.maximum,
        choices=choices,
    )


def _read_value(parameter: Parameter, document: Mapping, where: str) -> Any:
    value = document.get(parameter.name) if isinstance(document, Mapping) else None
    at = f"{where}.{parameter.name}" if where else parameter.name
    if value is None or value == "":
        if parameter.required:
            raise InputError(at, "is required")
        return None
    if parameter.kind == "text":
        if not isinstance(value, str):
            raise InputError(at, "must be text")
        return value
    if parameter.kind == "unit":
        if value not in parameter.choices:
            raise InputError(at, f"must be one of {', '.join(parameter.choices)}")
        return value
    if parameter.kind == "choice" and isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            raise InputError(at, f"must be one of {', '.join(f'{c:g}' for c in parameter.choices)}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(at, "must be a finite number")
    value = float(value)
    if parameter.kind == "choice" and not any(
        math.isclose(value, choice, rel_tol=1e-12) for choice in parameter.choices
    ):
        raise InputError(at, f"must be one of {', '.join(f'{c:g}' for c in parameter.choices)}")
    if parameter.minimum is not None and value < parameter.minimum:
        raise InputError(at, f"must be at least {parameter.minimum:g}")
    if parameter.maximum is not None and value > parameter.maximum:
        raise InputError(at, f"must be at most {parameter.maximum:g}")
    return value


def _group(document: Mapping, key: str) -> Mapping:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(key, "must be an object")
    return value


class DefinedProcedure(Procedure):
    """The behaviour every definition shares; :func:`procedure_class` makes a subclass per definition."""

    definition: ClassVar[Definition]
    version: ClassVar[str]
    defined: ClassVar[bool] = True

    @classmethod
    def default_environment(cls):
        return cls.definition.environment

    # --- the form ---------------------------------------------------------------------------------------------

    def observation_fields(self) -> tuple[Field, ...]:
        fields = self._one_unit_fields()
        return unit_fields(self.definition, fields) if self.definition.units_under_test.several else fields

    def _one_unit_fields(self) -> tuple[Field, ...]:
        definition = self.definition
        fields: list[Field] = (
            [
                Field(
                    "parameters",
                    "Thông số phương tiện đo",
                    "Instrument",
                    "group",
                    fields=tuple(_field(parameter) for parameter in definition.parameters),
                )
            ]
            if definition.parameters
            else []
        )
        if definition.has_in_service:
            fields.append(
                Field(
                    "mpe_basis", "Sai số cho phép áp dụng", "MPE applied", "choice",
                    required=False, choices=MPE_BASES, default="verification",
                )
            )  # fmt: skip
        if any(c.mpe is not None and c.uncertainty is not None for t in definition.tests for c in t.checks):
            fields.append(
                Field(
                    "decision_rule", "Quy tắc quyết định", "Decision rule", "choice",
                    required=False, choices=("simple", "guarded"), default="simple",
                )
            )  # fmt: skip
        roles = [role for role in definition.standards if role.values]
        if roles:
            fields.append(
                Field("standards", "Giá trị của chuẩn", "Standards' values", "group", fields=tuple(
                    Field(role.role, role.label.vi, role.label.en, "group", fields=tuple(
                        _field(value) for value in role.values
                    ))
                    for role in roles
                ))
            )  # fmt: skip
        for test in definition.tests:
            columns = [_field(f) for f in test.point_fields]
            for run in test.runs:
                suffix = (f" ({run.label.vi})", f" ({run.label.en})") if len(test.runs) > 1 else ("", "")
                columns += [_field(f, f"{f.name}_{run.key}", suffix) for f in test.run_fields]
            count = len(test.points)
            fields.append(
                Field(
                    test.key, test.title.vi, test.title.en, "list",
                    min_items=count, max_items=count,
                    item=Field("point", "Điểm đo", "Point", "group", fields=tuple(columns)),
                    help_en=f"{count} points, in the order of the definition",
                )
            )  # fmt: skip
        return tuple(fields)

    @classmethod
    def example_record(cls) -> dict:
        """Return the definition's first worked example as a record, for `lims procedures example KEY`."""
        example = cls.definition.examples[0]
        # The examples give observations only: conditions are taken in the middle of the definition's limits.
        conditions = {
            limit.name: (limit.minimum + limit.maximum) / 2
            for limit in cls().environment
            if limit.minimum is not None and limit.maximum is not None
        }
        return {"stage": Stage.AS_FOUND.value, "observations": dict(example.observations), "conditions": conditions}

    def initial_observations(self, instrument: Mapping[str, Any]) -> dict:
        """Fill the parameters that say ``from_instrument`` with what the register knows of the instrument."""
        known = {}
        for parameter in self.definition.parameters:
            value = instrument.get(parameter.from_instrument) if parameter.from_instrument else None
            if value is None or value == "":
                continue
            if parameter.kind == "unit" and value not in parameter.choices:
                continue  # a unit the definition does not offer: the technician chooses
            known[parameter.name] = value
        if self.definition.units_under_test.several:
            # The register describes one instrument: the first unit on the bench (the others are added there).
            own = set(self.definition.units_under_test.per_unit_parameters)
            shared = {name: value for name, value in known.items() if name not in own}
            first = {name: value for name, value in known.items() if name in own}
            return {"parameters": shared, "units": [{"parameters": first}]}
        return {"parameters": known} if known else {}

    # --- the calculation --------------------------------------------------------------------------------------

    def calculate(self, observations: Mapping[str, Any], stage: Stage = Stage.AS_FOUND) -> ProcedureResult:
        if not isinstance(observations, Mapping):
            raise InputError("", "the observations must be an object")
        if self.definition.units_under_test.several:
            # A bench: each unit computed alone, as a one-unit record, with the shared values.
            return calculate_units(self.definition, observations, stage, self._calculate_one)
        return self._calculate_one(observations, stage)

    def _calculate_one(self, document: Mapping[str, Any], stage: Stage) -> ProcedureResult:
        definition = self.definition
        parameters_doc = _group(document, "parameters")
        parameters = {p.name: _read_value(p, parameters_doc, "parameters") for p in definition.parameters}
        basis = document.get("mpe_basis") or "verification"
        if basis not in MPE_BASES:
            raise InputError("mpe_basis", f"must be one of {', '.join(MPE_BASES)}")
        override = None
        if document.get("decision_rule") is not None:
            override = rule_from_input(document["decision_rule"], "decision_rule")
        scope: dict[str, float] = {
            p.name: parameters[p.name]
            for p in definition.parameters
            if p.kind in ("number", "choice") and parameters[p.name] is not None
        }
        scope.update(definition.constants)
        standards_doc = _group(document, "standards")
        standards: dict[str, dict] = {}
        for role in definition.standards:
            values_doc = standards_doc.get(role.role) or {}
            if not isinstance(values_doc, Mapping):
                raise InputError(f"standards.{role.role}", "must be an object")
            values = {v.name: _read_value(v, values_doc, f"standards.{role.role}") for v in role.values}
            standards[role.role] = values
            scope.update({f"{role.role}_{name}": value for name, value in values.items() if value is not None})
        context = _Context(in_service=basis == "in_service", override=override, standards=standards)
        tests = {test.key: self._test(test, document, scope, context) for test in definition.tests}
        adequacy = self._adequacy(scope, context)
        decided = [d.passed for d in context.decisions]
        passed = all(decided) if decided and not context.missing else None
        units = {f"parameters.{p.name}": parameters[p.name] for p in definition.parameters if p.kind == "unit"}
        tables = tuple(self._table(table, tests[table.test], units, parameters) for table in definition.tables)
        for test in tests.values():
            for point in test["points"]:
                point.pop("scope", None)  # the names the tables needed; the values keep what the record means
        rule = override or next((c.rule for t in definition.tests for c in t.checks if c.mpe is not None), None)
        values = {
            "definition": {"key": definition.key, "version": definition.version},
            "parameters": parameters,
            "standards": {role: {"values": vals, **adequacy.get(role, {})} for role, vals in standards.items()},
            "mpe_basis": basis,
            "tests": tests,
            "failures": context.failures,
            "passed": passed,
        }
        if passed is False and definition.failure_notice.vi:
            values["failure_notice"] = {"vi": definition.failure_notice.vi, "en": definition.failure_notice.en}
        return ProcedureResult(
            self.key,
            stage,
            values,
            tables,
            passed,
            rule if passed is not None else None,
            self.method,
            tuple(context.missing),
        )

    def _test(self, test: Test, document: Mapping, base: dict[str, float], context: _Context) -> dict:
        rows = document.get(test.key)
        count = len(test.points)
        if rows is None:
            rows = []  # none measured yet: every point is missing
        if not isinstance(rows, list):
            raise InputError(test.key, "must be a list, one row per point")
        if len(rows) > count:
            raise InputError(f"{test.key}[{count}]", f"the test has {count} points; this row is one too many")
        points = []
        for index, point in enumerate(test.points):
            where = f"{test.key}[{index}]"
            scope = dict(base)
            if point.fraction is not None:
                scope["fraction"] = point.fraction
            nominal = point.nominal.value(scope)
            scope.pop("fraction", None)
            row = rows[index] if index < len(rows) else None
            if row is not None and not isinstance(row, Mapping):
                raise InputError(where, "must be an object")
            lacking = self._lacking(test, row or {})
            if row is None or lacking == "all":
                # Not measured yet: the record is incomplete and its review waits (no decision on a partial test).
                context.missing.append(
                    MissingItem(
                        where,
                        f"Thiếu điểm đo {index + 1} ({nominal:g}) của phép thử {test.title.vi}",
                        f"point {index + 1} (nominal {nominal:g}) of the {test.title.en} is missing",
                    )
                )
                points.append({"nominal": nominal, "missing": True, "values": {}, "runs": {}, "checks": {}})
                continue
            if lacking:
                context.missing += [
                    MissingItem(
                        f"{where}.{name}",
                        f"Điểm đo {index + 1} ({nominal:g}): chưa ghi {name}",
                        f"point {index + 1} (nominal {nominal:g}): {name} is not recorded",
                    )
                    for name in lacking
                ]
                points.append({"nominal": nominal, "missing": True, "values": {}, "runs": {}, "checks": {}})
                continue
            scope.update(nominal=nominal, point=float(index + 1))
            for f in test.point_fields:
                value = _read_value(f, row, where)
                if value is not None:
                    scope[f.name] = value
            runs: dict[str, dict] = {}
            for run in test.runs:
                run_scope = dict(scope)
                for f in test.run_fields:
                    value = _read_value(replace(f, name=f"{f.name}_{run.key}"), row, where)
                    if value is not None:
                        run_scope[f.name] = value
                try:
                    for name, expr in test.run_derived:
                        run_scope[name] = expr.value(run_scope)
                except KeyError as exc:
                    raise InputError(f"{where}.{exc.args[0]}_{run.key}", "is required for this calculation") from None
                except InputError as exc:
                    raise InputError(where, f"run {run.key}: {exc.message} ({exc.field})") from None
                run_values = {f.name: run_scope.get(f.name) for f in test.run_fields}
                run_values.update({name: run_scope[name] for name, _ in test.run_derived})
                checks = {
                    check.key: self._check(
                        check, run_scope, f"{where}", f"{test.key} {index + 1} {run.label.vi}", context
                    )
                    for check in test.checks
                    if check.per == "run"
                }
                runs[run.key] = {"values": run_values, "checks": checks}
                for name, value in run_values.items():
                    if value is not None:
                        scope[f"{name}_{run.key}"] = value
            try:
                for name, expr in test.point_derived:
                    scope[name] = expr.value(scope)
            except KeyError as exc:
                raise InputError(f"{where}.{exc.args[0]}", "is required for this calculation") from None
            except InputError as exc:
                raise InputError(where, f"{exc.message} ({exc.field})") from None
            checks = {
                check.key: self._check(check, scope, where, f"{test.key} {index + 1}", context)
                for check in test.checks
                if check.per == "point"
            }
            values = {f.name: scope.get(f.name) for f in test.point_fields}
            values.update({name: scope[name] for name, _ in test.point_derived})
            points.append({"nominal": nominal, "values": values, "runs": runs, "checks": checks, "scope": scope})
        all_checks = [c for p in points for c in p["checks"].values()] + [
            c for p in points for r in p["runs"].values() for c in r["checks"].values()
        ]
        judged = [c["passed"] for c in all_checks if c["passed"] is not None]
        complete = not any(point.get("missing") for point in points)
        return {"points": points, "passed": all(judged) if judged and complete else None}

    @staticmethod
    def _lacking(test: Test, row: Mapping) -> list[str] | str:
        """Return the required fields a point's row lacks ("all" when it holds none of them)."""
        names = [f.name for f in test.point_fields if f.required]
        names += [f"{f.name}_{run.key}" for run in test.runs for f in test.run_fields if f.required]
        lacking = [name for name in names if row.get(name) is None or row.get(name) == ""]
        return "all" if names and len(lacking) == len(names) else lacking

    def _check(self, check: Check, scope: Mapping[str, float], where: str, label: str, context: _Context) -> dict:
        try:
            value = check.value.value(scope)
            budget = None if check.uncertainty is None else _budget(check.uncertainty, scope, context.standards)
            mpe = None if check.mpe is None else check.mpe.limit(scope, context.in_service)
        except KeyError as exc:
            raise InputError(f"{where}.{exc.args[0]}", "is required for this calculation") from None
        except InputError as exc:
            if exc.field.startswith(("tests[", "standards")):
                raise InputError(where, f"{check.key}: {exc.message} ({exc.field})") from None
            raise
        expanded = 0.0 if budget is None else budget.expanded_uncertainty
        out: dict[str, Any] = {
            "value": value,
            "U": None if budget is None else expanded,
            "k": None if budget is None else budget.coverage_factor,
            "mpe": mpe,
            "passed": None,
            "budget": None if budget is None else budget.as_dict(),
        }
        if mpe is not None:
            rule: DecisionRule = check.rule
            if context.override is not None and budget is not None:
                rule = context.override
            decision: Decision = decide(value, mpe, expanded, rule)
            out.update(passed=decision.passed, acceptance_limit=decision.acceptance_limit, rule=rule.code)
            context.decisions.append(decision)
            context.evaluated.setdefault(check.key, []).append((label, mpe))
            if not decision.passed:
                context.failures.append(
                    f"{label}: {check.label.vi} {value:.6g}, |{value:.6g}| > {decision.acceptance_limit:.6g}"
                    f" / {check.label.en} {value:.6g} beyond {decision.acceptance_limit:.6g}"
                )
        return out

    def _adequacy(self, scope: Mapping[str, float], context: _Context) -> dict[str, dict]:
        """Refuse a standard whose U (or the value the rule names) exceeds its fraction of the MPE at any point."""
        out = {}
        for role in self.definition.standards:
            rule = role.adequacy
            if rule is None:
                continue
            try:
                value = rule.value.value(scope)
            except KeyError as exc:
                raise InputError(f"standards.{role.role}", f"{exc.args[0]} is required") from None
            worst = None
            for label, mpe in context.evaluated.get(rule.check, []):
                limit = mpe * rule.fraction
                if value > limit * (1 + 1e-9):
                    raise InputError(
                        f"standards.{role.role}",
                        f"not adequate: {value:g} exceeds {rule.fraction:.4g} × MPE = {limit:.4g} at {label}",
                    )
                worst = limit if worst is None else min(worst, limit)
            out[role.role] = {"adequate": True, "value": value, "limit": worst}
        return out

    def _table(self, table, test: dict, units: Mapping[str, Any], parameters: Mapping[str, Any]) -> ResultTable:  # noqa: ANN001
        spec = next(t for t in self.definition.tests if t.key == table.test)
        columns = tuple(
            Column(c.key, c.heading.vi, c.heading.en, _unit_ref(c.unit), _decimals(c.digits, parameters))
            for c in table.columns
        )
        rows = []
        for index, point in enumerate(test["points"]):
            if point.get("missing"):
                continue  # a point not measured has no row
            runs = spec.runs if table.rows == "run" else (None,)
            for run in runs:
                scope = dict(point["scope"])
                checks = dict(point["checks"])
                if run is not None:
                    scope.update({k: v for k, v in point["runs"][run.key]["values"].items() if v is not None})
                    checks.update(point["runs"][run.key]["checks"])
                    run_checks = [point["runs"][run.key]["checks"]]
                else:
                    run_checks = [r["checks"] for r in point["runs"].values()]
                    for run_key, r in point["runs"].items():
                        for key, result in r["checks"].items():
                            self._check_names(scope, key, result, f"_{run_key}")
                for key, result in checks.items():
                    self._check_names(scope, key, result, "")
                verdicts = [c["passed"] for c in point["checks"].values()]
                verdicts += [c["passed"] for group in run_checks for c in group.values()]
                verdicts = [v for v in verdicts if v is not None]
                row: dict[str, Any] = {}
                for column in table.columns:
                    if column.show == "point":
                        label = spec.points[index].label
                        row[column.key] = label.both() if label else str(index + 1)
                    elif column.show == "run":
                        row[column.key] = run.label.both()
                    elif column.show == "verdict":
                        row[column.key] = weighing.verdict(all(verdicts) if verdicts else None)
                    else:
                        try:
                            row[column.key] = column.value.value(scope)
                        except KeyError:
                            row[column.key] = None  # a value the row does not have (an optional field left blank)
                rows.append(row)
        return ResultTable(table.key, table.title.vi, table.title.en, columns).filled(tuple(rows), units)

    @staticmethod
    def _check_names(scope: dict, key: str, result: Mapping, suffix: str) -> None:
        for what, name in (("value", "value"), ("mpe", "mpe"), ("U", "U")):
            if result.get(what) is not None:
                scope[f"{key}_{name}{suffix}"] = result[what]


class _Context:
    """What one calculation gathers while it walks the tests: decisions, failures, MPEs per check."""

    def __init__(self, in_service: bool, override: DecisionRule | None, standards: Mapping[str, Mapping]):
        self.in_service = in_service
        self.override = override
        self.standards = standards
        self.decisions: list[Decision] = []
        self.failures: list[str] = []
        self.evaluated: dict[str, list[tuple[str, float]]] = {}
        self.missing: list[MissingItem] = []


def _budget(model: UncertaintyModel, scope: Mapping[str, float], standards: Mapping[str, Mapping]):  # noqa: ANN202
    inputs = []
    for item in model.inputs:
        value = item.value.value(scope)
        if item.source == "standard":
            values = standards[item.role]
            if values.get("U") is None or values.get("k") is None:
                raise InputError(f"standards.{item.role}", "U and k are required")
            if values["k"] <= 0:
                raise InputError(f"standards.{item.role}.k", "must be positive")
            inputs.append(InputQuantity.from_expanded(item.name, value, abs(values["U"]), values["k"]))
        elif item.source == "resolution":
            inputs.append(InputQuantity.rectangular(item.name, value, abs(item.amount.value(scope)) / 2.0))
        elif item.source == "rectangular":
            inputs.append(InputQuantity.rectangular(item.name, value, abs(item.amount.value(scope))))
        elif item.source == "normal":
            inputs.append(InputQuantity.normal(item.name, value, abs(item.amount.value(scope))))
        else:
            k = item.k.value(scope)
            if k <= 0:
                raise InputError(item.k.path, "k must be positive")
            inputs.append(InputQuantity.from_expanded(item.name, value, abs(item.amount.value(scope)), k))
    return evaluate_budget(inputs, model.model, coverage_probability=model.coverage_probability)


def _decimals(digits: int | tuple[str, int] | None, parameters: Mapping[str, Any]) -> int | None:
    """Return the decimals a column prints: fixed, or as many as a parameter's value has (0.02 -> 2), plus n."""
    if digits is None or isinstance(digits, int):
        return digits
    name, plus = digits
    value = parameters.get(name)
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exponent)) + plus


def procedure_class(definition: Definition) -> type[DefinedProcedure]:
    """Return the Procedure class of a definition, registered like the built-in ones under its key."""
    attributes = {
        "key": definition.key,
        "version": definition.version,
        "title_vi": definition.title.vi,
        "title_en": definition.title.en,
        "kind": definition.kind,
        "standard": definition.reference_document,
        "seed_methods": definition.methods,
        "verifier_field": definition.verifier_field,
        "definition": definition,
        "result_columns": tuple(
            ResultTable(
                t.key, t.title.vi, t.title.en,
                tuple(Column(c.key, c.heading.vi, c.heading.en, _unit_ref(c.unit)) for c in t.columns),
            )
            for t in definition.tables
        ),
        "__doc__": f"{definition.title.en} (a procedure defined as data, version {definition.version}).",
    }  # fmt: skip
    name = "Defined_" + "".join(ch if ch.isalnum() else "_" for ch in definition.key)
    return type(name, (DefinedProcedure,), attributes)


def load_procedure(text: Any) -> type[DefinedProcedure]:
    """Read a definition's text and return its Procedure class (DefinitionError listing what is wrong)."""
    return procedure_class(read_definition(text))
