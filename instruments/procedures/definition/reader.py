"""Reading a whole definition section by section, collecting every problem with its path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from instruments.errors import InputError
from instruments.procedures.base import EnvironmentLimit, MethodReference
from instruments.procedures.definition.parts import (
    FORMAT,
    KINDS,
    PLACES,
    Adequacy,
    Definition,
    DefinitionError,
    Example,
    Parameter,
    StandardRole,
    Test,
    Text,
    Unconfirmed,
    UnitsUnderTest,
)
from instruments.procedures.definition.testplan import TestsReader
from instruments.procedures.definition.text import (
    TOP_LEVEL,
    _Problems,
    bilingual,
    expression,
    join_path,
    key_of,
    list_of,
    mapping_of,
    name_of,
    note_unconfirmed,
    number_of,
    parameter_of,
    read_text,
    text_of,
    unit_of,
)


class _Reader(TestsReader):
    """Reads one definition document section by section, collecting problems and the names each scope declares."""

    def __init__(self, document: dict):
        self.document = document
        self.problems = _Problems()
        self.unconfirmed: list[Unconfirmed] = []
        self.parameters: tuple[Parameter, ...] = ()
        self.constants: dict[str, float] = {}
        self.standards: tuple[StandardRole, ...] = ()
        self.tests_read: tuple[Test, ...] = ()
        self.unread_tests: set = set()

    # names seen by every expression of a test
    def base_names(self) -> list[str]:
        names = [p.name for p in self.parameters if p.kind in ("number", "choice")]
        names += list(self.constants)
        for role in self.standards:
            names += [f"{role.role}_{value.name}" for value in role.values if value.kind in ("number", "choice")]
        return names

    def unit_parameters(self) -> list[str]:
        return [p.name for p in self.parameters if p.kind == "unit"]

    def read(self) -> Definition:
        doc = self.document
        section = self.problems.section
        unknown = [key for key in doc if key not in TOP_LEVEL]
        for key in unknown:
            self.problems.items.append(InputError(str(key), f"unknown entry; expected one of {', '.join(TOP_LEVEL)}"))
        header = section(self._header, default=None)
        self.parameters = section(self._parameters, default=())
        self.constants = section(self._constants, default={})
        names = self.base_names() + ["nominal"]
        if len(set(names)) != len(names):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            self.problems.items.append(InputError("parameters", f"names declared twice: {', '.join(duplicates)}"))
        self.standards = section(self._standards_roles, default=())
        environment = section(self._environment, default=())
        tests = section(self._tests, default=())
        if tests:
            section(self._adequacy_checks, tests)
        tables = section(self._tables, tests or self.tests_read, default=())
        notice = section(self._failure_notice, default=Text("", ""))
        units = section(self._units_under_test, default=UnitsUnderTest())
        examples = section(self._examples, default=())
        if self.problems.items or header is None:
            raise DefinitionError(self.problems.items)
        return Definition(
            **header,
            parameters=self.parameters,
            constants=self.constants,
            standards=self.standards,
            environment=environment,
            tests=tests,
            tables=tables,
            failure_notice=notice,
            examples=examples,
            unconfirmed=tuple(self.unconfirmed),
            units_under_test=units,
        )

    def _header(self) -> dict:
        doc = self.document
        for key in ("format", "key", "version", "effective", "title", "kind", "tests"):
            if doc.get(key) is None:
                raise InputError(key, "is required")
        if doc["format"] != FORMAT:
            raise InputError("format", f"must be {FORMAT} (the format this system reads)")
        effective = doc["effective"]
        if isinstance(effective, str):
            try:
                effective = dt.date.fromisoformat(effective)
            except ValueError:
                raise InputError("effective", "must be a date written YYYY-MM-DD") from None
        if isinstance(effective, dt.datetime) or not isinstance(effective, dt.date):
            raise InputError("effective", "must be a date written YYYY-MM-DD")
        kind = doc["kind"]
        if kind not in KINDS:
            raise InputError("kind", f"must be one of {', '.join(KINDS)}")
        places = doc.get("place", ["lab"])
        places = [places] if isinstance(places, str) else list_of(places, "place", 1)
        for i, place in enumerate(places):
            if place not in PLACES:
                raise InputError(join_path("place", i), f"must be one of {', '.join(PLACES)}")
        types = list_of(doc.get("instrument_types", []), "instrument_types")
        methods = []
        for i, item in enumerate(list_of(doc.get("methods", []), "methods")):
            where = join_path("methods", i)
            method = mapping_of(item, where, ("code", "name_vi", "name_en", "unconfirmed"), ("code", "name_vi"))
            note_unconfirmed(method, where, self.unconfirmed)
            methods.append(
                MethodReference(
                    text_of(method["code"], join_path(where, "code"), 60),
                    text_of(method["name_vi"], join_path(where, "name_vi"), 300),
                    text_of(method["name_en"], join_path(where, "name_en"), 300) if method.get("name_en") else "",
                )
            )
        return {
            "key": key_of(doc["key"], "key"),
            "version": text_of(doc["version"], "version", 20),
            "effective": effective,
            "title": bilingual(doc["title"], "title", 300),
            "kind": kind,
            "places": tuple(places),
            "instrument_types": tuple(key_of(t, join_path("instrument_types", i)) for i, t in enumerate(types)),
            "methods": tuple(methods),
            "reference_document": text_of(doc.get("reference_document") or "—", "reference_document", 200),
            "verifier_field": None
            if doc.get("verifier_field") is None
            else text_of(doc["verifier_field"], "verifier_field", 100),
        }

    def _parameters(self) -> tuple[Parameter, ...]:
        items = list_of(self.document.get("parameters", []), "parameters")
        # Unit parameters first, so that any parameter may give its unit as "@name" whatever the order.
        units = [item.get("name") for item in items if isinstance(item, dict) and item.get("kind") == "unit"]
        out = []
        for i, item in enumerate(items):
            where = join_path("parameters", i)
            parameter = self.problems.section(parameter_of, item, where, [u for u in units if isinstance(u, str)])
            if parameter is None:
                # Keep the name declared, so that expressions using it are not reported as well.
                name = item.get("name") if isinstance(item, dict) else None
                if isinstance(name, str) and name.isidentifier():
                    out.append(Parameter(name, Text(name, name)))
                continue
            out.append(parameter)
            self.problems.section(note_unconfirmed, item, where, self.unconfirmed)
        return tuple(out)

    def _constants(self) -> dict[str, float]:
        document = self.document.get("constants") or {}
        if not isinstance(document, dict):
            raise InputError("constants", "must be a mapping of names to numbers")
        out = {}
        for key, value in document.items():
            where = join_path("constants", str(key))
            if isinstance(value, dict):
                mapping_of(value, where, ("value", "unconfirmed"), ("value",))
                note_unconfirmed(value, where, self.unconfirmed)
                value = value["value"]
            out[name_of(key, where)] = number_of(value, where)
        return out

    def _standards_roles(self) -> tuple[StandardRole, ...]:
        out = []
        for i, item in enumerate(list_of(self.document.get("standards", []), "standards")):
            where = join_path("standards", i)
            document = mapping_of(item, where, ("role", "label", "values", "adequacy"), ("role", "label"))
            role = name_of(document["role"], join_path(where, "role"))
            values = tuple(
                parameter_of(value, join_path(where, "values", j), self.unit_parameters(), ("number",))
                for j, value in enumerate(list_of(document.get("values", []), join_path(where, "values")))
            )
            out.append(StandardRole(role, bilingual(document["label"], join_path(where, "label"), 200), values))
        roles = [role.role for role in out]
        if len(set(roles)) != len(roles):
            raise InputError("standards", "a role is declared twice")
        # Adequacy rules name a check and use the role's values: read once the roles (and their names) are known.
        self.standards = tuple(out)
        with_rules = []
        for i, (item, role) in enumerate(zip(self.document.get("standards", []), out, strict=True)):
            rule = item.get("adequacy")
            if rule is not None:
                where = join_path("standards", i, "adequacy")
                role = StandardRole(role.role, role.label, role.values, self._adequacy(rule, where, role))
            with_rules.append(role)
        return tuple(with_rules)

    def _adequacy(self, value: Any, where: str, role: StandardRole) -> Adequacy:
        document = mapping_of(value, where, ("check", "value", "fraction_of_mpe", "tur", "unconfirmed"), ("check",))
        note_unconfirmed(document, where, self.unconfirmed)
        if (document.get("fraction_of_mpe") is None) == (document.get("tur") is None):
            raise InputError(where, "give either fraction_of_mpe (e.g. 0.333) or tur (e.g. 4), not both")
        if document.get("tur") is not None:
            fraction = 1.0 / number_of(document["tur"], join_path(where, "tur"), positive=True)
        else:
            fraction = number_of(document["fraction_of_mpe"], join_path(where, "fraction_of_mpe"), positive=True)
        default = f"{role.role}_U" if any(value.name == "U" for value in role.values) else None
        if document.get("value") is None and default is None:
            raise InputError(join_path(where, "value"), "is required when the role has no value named U")
        value_expr = expression(document.get("value") or default, join_path(where, "value"), self.base_names())
        return Adequacy(text_of(document["check"], join_path(where, "check"), 80), value_expr, fraction, where)

    def _environment(self) -> tuple[EnvironmentLimit, ...]:
        out = []
        for i, item in enumerate(list_of(self.document.get("environment", []), "environment")):
            where = join_path("environment", i)
            document = mapping_of(item, where, ("name", "label", "unit", "minimum", "maximum", "unconfirmed"))
            for key in ("name", "label", "unit"):
                if document.get(key) is None:
                    raise InputError(join_path(where, key), "is required")
            note_unconfirmed(document, where, self.unconfirmed)
            bounds = {
                bound: number_of(document[bound], join_path(where, bound))
                for bound in ("minimum", "maximum")
                if document.get(bound) is not None
            }
            if not bounds:
                raise InputError(where, "give a minimum, a maximum or both")
            label = bilingual(document["label"], join_path(where, "label"), 200)
            out.append(
                EnvironmentLimit(
                    name_of(document["name"], join_path(where, "name")),
                    label.vi,
                    label.en,
                    unit_of(document["unit"], join_path(where, "unit"), ()),
                    bounds.get("minimum"),
                    bounds.get("maximum"),
                )
            )
        return tuple(out)

    def _failure_notice(self) -> Text:
        if self.document.get("failure_notice") is None:
            if self.document.get("kind") == "verification":
                raise InputError("failure_notice", "a verification needs the wording of its failure notice")
            return Text("", "")
        return bilingual(self.document["failure_notice"], "failure_notice", 2000)

    def _units_under_test(self) -> UnitsUnderTest:
        value = self.document.get("units_under_test")
        if value is None or value == "one":
            return UnitsUnderTest()
        document = mapping_of(value, "units_under_test", ("several", "max_units", "per_unit_parameters"))
        several = document.get("several", False)
        if not isinstance(several, bool):
            raise InputError("units_under_test.several", "must be true or false")
        limit = document.get("max_units", 50 if several else 1)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
            raise InputError("units_under_test.max_units", "must be a whole number from 1 to 500")
        names = [p.name for p in self.parameters]  # a list: a malformed entry (a mapping) is compared, not hashed
        own = []
        for i, name in enumerate(
            list_of(document.get("per_unit_parameters", []), "units_under_test.per_unit_parameters")
        ):
            if name not in names:
                raise InputError(join_path("units_under_test.per_unit_parameters", i), f"unknown parameter '{name}'")
            own.append(name)
        return UnitsUnderTest(several, limit, tuple(own))

    def _examples(self) -> tuple[Example, ...]:
        items = list_of(self.document.get("examples"), "examples", 1)
        out = []
        for i, item in enumerate(items):
            where = join_path("examples", i)
            document = mapping_of(
                item, where, ("name", "observations", "conditions", "expect"), ("name", "observations", "expect")
            )
            if not isinstance(document["observations"], dict):
                raise InputError(join_path(where, "observations"), "must be a mapping: a record's observations")
            if not isinstance(document["expect"], dict) or not document["expect"]:
                raise InputError(join_path(where, "expect"), "must be a mapping of result paths to expected values")
            out.append(
                Example(
                    text_of(document["name"], join_path(where, "name"), 200),
                    document["observations"],
                    document["expect"],
                    where,
                )
            )
        return tuple(out)


def read_definition(text: Any) -> Definition:
    """Read and check a definition; DefinitionError listing every problem found, each with its path."""
    try:
        document = read_text(text)
    except InputError as exc:
        raise DefinitionError([exc]) from None
    return _Reader(document).read()
