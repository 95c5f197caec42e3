"""Reading the tests of a definition and its certificate tables, with the names each expression may use."""

from __future__ import annotations

from typing import Any

from instruments.decision import rule_from_input
from instruments.errors import InputError
from instruments.procedures.definition.parts import (
    MAX_ITEMS,
    PER,
    SHOWS,
    Check,
    Column,
    DefinitionError,
    Mpe,
    Point,
    Run,
    Table,
    Test,
    Text,
    UncertaintyInput,
    UncertaintyModel,
    Zone,
)
from instruments.procedures.definition.text import (
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
    text_of,
    unit_of,
)
from instruments.uncertainty.expression import parse_model


class TestsReader:
    """The reading of tests (points, runs, fields, derived quantities, checks, MPEs, uncertainty) and tables."""

    def _tests(self) -> tuple[Test, ...]:
        items = list_of(self.document.get("tests"), "tests", 1)
        tests = []
        for i, item in enumerate(items):
            test = self.problems.section(self._test, item, join_path("tests", i))
            if test is not None:
                tests.append(test)
        keys = [test.key for test in tests]
        if len(set(keys)) != len(keys):
            raise InputError("tests", "a test key is used twice")
        reserved = {"parameters", "standards", "mpe_basis", "decision_rule", "units"}
        for i, test in enumerate(tests):
            if test.key in reserved:
                raise InputError(join_path("tests", i, "key"), f"'{test.key}' is reserved")
        self.tests_read = tuple(tests)
        if len(tests) != len(items):
            # A table of a test that could not be read is not reported again: its problem is recorded already.
            unread = {item.get("key") for item in items if isinstance(item, dict) and isinstance(item.get("key"), str)}
            self.unread_tests = unread - set(keys)
            raise DefinitionError(())
        return tuple(tests)

    def _test(self, item: Any, where: str) -> Test:
        keys = ("key", "title", "points", "runs", "repetitions", "point_fields", "run_fields", "derived", "checks")
        document = mapping_of(item, where, keys, ("key", "title", "points", "checks"))
        key = key_of(document["key"], join_path(where, "key"))
        base = self.base_names()
        points = self._points(document["points"], join_path(where, "points"), base)
        runs = self._runs(document, where)
        run_keys = [run.key for run in runs]
        units = self.unit_parameters()
        point_fields = tuple(
            parameter_of(value, join_path(where, "point_fields", j), units, ("number",))
            for j, value in enumerate(list_of(document.get("point_fields", []), join_path(where, "point_fields")))
        )
        run_fields = tuple(
            parameter_of(value, join_path(where, "run_fields", j), units, ("number",))
            for j, value in enumerate(list_of(document.get("run_fields", []), join_path(where, "run_fields"), 1))
        )
        point_names = base + ["nominal", "point"] + [f.name for f in point_fields]
        self._unique(point_names + [f.name for f in run_fields], where)
        # Derived quantities: per run (over one run's fields, named without suffix) and per point (over every run's
        # fields and derived quantities, suffixed "_<run>"), each over those declared before it.
        derived = mapping_of(document.get("derived") or {}, join_path(where, "derived"), ("run", "point"))
        run_scope = point_names + [f.name for f in run_fields]
        run_derived = []
        for name, text in self._named(derived.get("run") or {}, join_path(where, "derived", "run")):
            if name in run_scope:
                raise InputError(join_path(where, "derived", "run", name), "the name is already declared")
            run_derived.append((name, expression(text, join_path(where, "derived", "run", name), run_scope)))
            run_scope = run_scope + [name]
        run_values = [f.name for f in run_fields] + [name for name, _ in run_derived]
        point_scope = point_names + [f"{name}_{run}" for run in run_keys for name in run_values]
        self._unique(point_scope, where)
        point_derived = []
        for name, text in self._named(derived.get("point") or {}, join_path(where, "derived", "point")):
            at = join_path(where, "derived", "point", name)
            if name in point_scope or name in run_scope:
                raise InputError(at, "the name is already declared")
            point_derived.append((name, expression(text, at, point_scope)))
            point_scope = point_scope + [name]
        checks = []
        for j, value in enumerate(list_of(document["checks"], join_path(where, "checks"), 1)):
            checks.append(self._check(value, join_path(where, "checks", j), run_scope, point_scope))
        check_keys = [check.key for check in checks]
        if len(set(check_keys)) != len(check_keys):
            raise InputError(join_path(where, "checks"), "a check key is used twice")
        return Test(
            key,
            bilingual(document["title"], join_path(where, "title"), 200),
            points,
            runs,
            point_fields,
            run_fields,
            tuple(run_derived),
            tuple(point_derived),
            tuple(checks),
            where,
            tuple(run_scope),
            tuple(point_scope),
        )

    @staticmethod
    def _unique(names: list[str], where: str) -> None:
        seen = set()
        for name in names:
            if name in seen:
                raise InputError(where, f"the name '{name}' is declared twice in this test's scope")
            seen.add(name)

    @staticmethod
    def _named(document: Any, where: str) -> list[tuple[str, Any]]:
        if not isinstance(document, dict):
            raise InputError(where, "must be a mapping of names to expressions")
        if len(document) > MAX_ITEMS:
            raise InputError(where, f"has more than {MAX_ITEMS} entries")
        return [(name_of(name, join_path(where, str(name))), text) for name, text in document.items()]

    def _points(self, value: Any, where: str, base: list[str]) -> tuple[Point, ...]:
        if isinstance(value, dict):
            document = mapping_of(value, where, ("fractions", "nominal", "unconfirmed"), ("fractions", "nominal"))
            note_unconfirmed(document, where, self.unconfirmed)
            fractions = [
                number_of(item, join_path(where, "fractions", i))
                for i, item in enumerate(list_of(document["fractions"], join_path(where, "fractions"), 1))
            ]
            nominal = expression(document["nominal"], join_path(where, "nominal"), base + ["fraction"])
            return tuple(Point(None, nominal, fraction) for fraction in fractions)
        out = []
        for i, item in enumerate(list_of(value, where, 1)):
            at = join_path(where, i)
            document = mapping_of(item, at, ("label", "nominal", "unconfirmed"), ("nominal",))
            note_unconfirmed(document, at, self.unconfirmed)
            label = None if document.get("label") is None else bilingual(document["label"], join_path(at, "label"), 100)
            out.append(Point(label, expression(document["nominal"], join_path(at, "nominal"), base)))
        return tuple(out)

    def _runs(self, document: dict, where: str) -> tuple[Run, ...]:
        if document.get("runs") is not None and document.get("repetitions") is not None:
            raise InputError(join_path(where, "runs"), "give runs or repetitions, not both")
        if document.get("repetitions") is not None:
            count = document["repetitions"]
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
                raise InputError(join_path(where, "repetitions"), "must be a whole number from 1 to 20")
            return tuple(Run(f"r{n}", Text(f"Lần {n}", f"Run {n}")) for n in range(1, count + 1))
        if document.get("runs") is None:
            return (Run("r1", Text("Lần 1", "Run 1")),)
        runs = []
        for i, item in enumerate(list_of(document["runs"], join_path(where, "runs"), 1)):
            at = join_path(where, "runs", i)
            run = mapping_of(item, at, ("key", "label"), ("key", "label"))
            key = name_of(run["key"], join_path(at, "key"))
            runs.append(Run(key, bilingual(run["label"], join_path(at, "label"), 60)))
        if len({run.key for run in runs}) != len(runs):
            raise InputError(join_path(where, "runs"), "a run key is used twice")
        return tuple(runs)

    def _check(self, value: Any, where: str, run_scope: list[str], point_scope: list[str]) -> Check:
        keys = ("key", "label", "per", "value", "mpe", "uncertainty", "acceptance")
        document = mapping_of(value, where, keys, ("key", "label", "value"))
        key = name_of(document["key"], join_path(where, "key"))
        per = document.get("per", "run")
        if per not in PER:
            raise InputError(join_path(where, "per"), f"must be one of {', '.join(PER)}")
        scope = run_scope if per == "run" else point_scope
        check_value = expression(document["value"], join_path(where, "value"), scope)
        mpe = None if document.get("mpe") is None else self._mpe(document["mpe"], join_path(where, "mpe"), scope)
        uncertainty = None
        if document.get("uncertainty") is not None:
            uncertainty = self._uncertainty(document["uncertainty"], join_path(where, "uncertainty"), scope)
        try:
            rule = rule_from_input(document.get("acceptance", "simple"), "acceptance")
        except InputError as exc:
            raise InputError(join_path(where, exc.field), exc.message) from None
        if rule.guard_factor and uncertainty is None:
            raise InputError(join_path(where, "acceptance"), "guarded acceptance needs an uncertainty model")
        if mpe is None and document.get("acceptance") is not None:
            raise InputError(join_path(where, "acceptance"), "an acceptance rule needs an mpe")
        label = bilingual(document["label"], join_path(where, "label"), 200)
        return Check(key, label, per, check_value, mpe, uncertainty, rule, where)

    MPE_FORMS = ("absolute", "percent_of_reading", "percent_of_span", "greatest", "zones")

    def _mpe(self, value: Any, where: str, scope: list[str]) -> Mpe:
        keys = (*self.MPE_FORMS, "reading", "span", "by", "in_service_factor", "unconfirmed")
        document = mapping_of(value, where, keys)
        note_unconfirmed(document, where, self.unconfirmed)
        forms = [form for form in self.MPE_FORMS if document.get(form) is not None]
        if len(forms) != 1:
            raise InputError(where, f"give exactly one of {', '.join(self.MPE_FORMS)}")
        form = forms[0]
        at = join_path(where, form)
        factor = 1.0
        if document.get("in_service_factor") is not None:
            factor = number_of(document["in_service_factor"], join_path(where, "in_service_factor"), positive=True)
        extra = {"reading": "percent_of_reading", "span": "percent_of_span", "by": "zones"}
        for key, owner in extra.items():
            if document.get(key) is not None and form != owner:
                raise InputError(join_path(where, key), f"belongs only with {owner}")
        if form == "absolute":
            return Mpe(form, where, amount=expression(document[form], at, scope), in_service_factor=factor)
        if form == "percent_of_reading":
            basis = expression(document.get("reading", "nominal"), join_path(where, "reading"), scope)
            return Mpe(form, where, expression(document[form], at, scope), basis, in_service_factor=factor)
        if form == "percent_of_span":
            if document.get("span") is None:
                raise InputError(join_path(where, "span"), "is required with percent_of_span")
            basis = expression(document["span"], join_path(where, "span"), scope)
            return Mpe(form, where, expression(document[form], at, scope), basis, in_service_factor=factor)
        if form == "greatest":
            parts = tuple(
                self._mpe(part, join_path(at, i), scope) for i, part in enumerate(list_of(document[form], at, 2))
            )
            return Mpe(form, where, parts=parts, in_service_factor=factor)
        zones = []
        for i, item in enumerate(list_of(document[form], at, 1)):
            zone_at = join_path(at, i)
            zone = mapping_of(item, zone_at, ("from", "below", "mpe"), ("mpe",))
            lower = None if zone.get("from") is None else expression(zone["from"], join_path(zone_at, "from"), scope)
            upper = None if zone.get("below") is None else expression(zone["below"], join_path(zone_at, "below"), scope)
            zones.append(Zone(lower, upper, self._mpe(zone["mpe"], join_path(zone_at, "mpe"), scope)))
        by = expression(document.get("by", "nominal"), join_path(where, "by"), scope)
        return Mpe(form, where, zones=tuple(zones), by=by, in_service_factor=factor)

    SOURCES = ("standard", "resolution", "normal", "rectangular", "expanded")

    def _uncertainty(self, value: Any, where: str, scope: list[str]) -> UncertaintyModel:
        document = mapping_of(value, where, ("model", "inputs", "coverage_probability"), ("model", "inputs"))
        inputs_at = join_path(where, "inputs")
        if not isinstance(document["inputs"], dict) or not document["inputs"]:
            raise InputError(inputs_at, "must be a mapping of input names to their sources")
        inputs = []
        for name, spec in document["inputs"].items():
            at = join_path(inputs_at, str(name))
            name = name_of(name, at)
            spec = mapping_of(spec, at, (*self.SOURCES, "value", "k"))
            sources = [source for source in self.SOURCES if spec.get(source) is not None]
            if len(sources) != 1:
                raise InputError(at, f"give exactly one of {', '.join(self.SOURCES)}")
            source = sources[0]
            if spec.get("value") is None and name not in scope:
                raise InputError(join_path(at, "value"), f"'{name}' is not declared here: give its value")
            input_value = expression(spec.get("value", name), join_path(at, "value"), scope)
            if source == "standard":
                role = next((r for r in self.standards if r.role == spec["standard"]), None)
                if role is None:
                    raise InputError(join_path(at, "standard"), f"unknown standard role '{spec['standard']}'")
                declared = {value.name for value in role.values}
                if not {"U", "k"} <= declared:
                    raise InputError(join_path(at, "standard"), f"the role '{role.role}' must declare values U and k")
                inputs.append(UncertaintyInput(name, input_value, source, role=role.role))
                continue
            if spec.get("k") is not None and source != "expanded":
                raise InputError(join_path(at, "k"), "k belongs only with expanded")
            amount = expression(spec[source], join_path(at, source), scope)
            k = None
            if source == "expanded":
                k = expression(spec.get("k", 2), join_path(at, "k"), scope)
            inputs.append(UncertaintyInput(name, input_value, source, amount, k))
        p = document.get("coverage_probability", 0.9545)
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.5 <= p < 1:
            raise InputError(join_path(where, "coverage_probability"), "must be a probability from 0.5 to below 1")
        names = [item.name for item in inputs]
        model = expression(document["model"], join_path(where, "model"), names)
        for item in inputs:
            if item.name not in model.model.used:
                raise InputError(join_path(inputs_at, item.name), "the input does not appear in the model")
        return UncertaintyModel(parse_model(model.text, names), tuple(inputs), float(p))

    def _adequacy_checks(self, tests: tuple[Test, ...]) -> None:
        checks = {check.key for test in tests for check in test.checks if check.mpe is not None}
        for role in self.standards:
            if role.adequacy is not None and role.adequacy.check not in checks:
                raise InputError(
                    join_path(role.adequacy.path, "check"), f"no check '{role.adequacy.check}' with an mpe"
                )

    def _tables(self, tests: tuple[Test, ...]) -> tuple[Table, ...]:
        by_key = {test.key: test for test in tests}
        out = []
        for i, item in enumerate(list_of(self.document.get("tables", []), "tables")):
            where = join_path("tables", i)
            document = mapping_of(item, where, ("key", "title", "test", "rows", "columns"), ("key", "title", "test"))
            test_key = text_of(document["test"], join_path(where, "test"), 80)
            test = by_key.get(test_key)
            if test is None and test_key in self.unread_tests:
                continue
            if test is None:
                raise InputError(join_path(where, "test"), f"unknown test '{document['test']}'")
            rows = document.get("rows", "point")
            if rows not in PER:
                raise InputError(join_path(where, "rows"), f"must be one of {', '.join(PER)}")
            scope = row_names(test, rows)
            self._unique(scope, where)
            columns = []
            for j, value in enumerate(list_of(document.get("columns"), join_path(where, "columns"), 1)):
                at = join_path(where, "columns", j)
                column = mapping_of(
                    value, at, ("key", "heading", "show", "value", "unit", "digits"), ("key", "heading")
                )
                show = column.get("show", "value")
                if show not in SHOWS:
                    raise InputError(join_path(at, "show"), f"must be one of {', '.join(SHOWS)}")
                if show == "run" and rows != "run":
                    raise InputError(join_path(at, "show"), "a run column needs rows: run")
                expr = None
                if show == "value":
                    expr = expression(column.get("value", column["key"]), join_path(at, "value"), scope)
                digits = self._digits(column.get("digits"), join_path(at, "digits"))
                unit = None
                if column.get("unit") is not None:
                    unit = unit_of(column["unit"], join_path(at, "unit"), self.unit_parameters())
                columns.append(
                    Column(
                        key_of(column["key"], join_path(at, "key")),
                        bilingual(column["heading"], join_path(at, "heading"), 120),
                        show,
                        expr,
                        unit,
                        digits,
                    )
                )
            out.append(
                Table(
                    key_of(document["key"], join_path(where, "key")),
                    bilingual(document["title"], join_path(where, "title"), 200),
                    test.key,
                    rows,
                    tuple(columns),
                )
            )
        return tuple(out)

    def _digits(self, value: Any, where: str) -> int | tuple[str, int] | None:
        """Decimals printed: a whole number, or {of: parameter, plus: n} for as many as the parameter has, plus n."""
        if value is None:
            return None
        if isinstance(value, dict):
            document = mapping_of(value, where, ("of", "plus"), ("of",))
            numbers = [p.name for p in self.parameters if p.kind in ("number", "choice")]
            if document["of"] not in numbers:
                raise InputError(join_path(where, "of"), f"unknown parameter '{document['of']}'")
            plus = document.get("plus", 0)
            if isinstance(plus, bool) or not isinstance(plus, int) or not 0 <= plus <= 6:
                raise InputError(join_path(where, "plus"), "must be a whole number from 0 to 6")
            return (document["of"], plus)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
            raise InputError(where, "must be a whole number from 0 to 12, or {of: parameter, plus: n}")
        return value


def row_names(test: Test, rows: str) -> list[str]:
    """Return the names a table row may show: the point's values (and the run's, for run rows) and each check's
    value, MPE and U as ``<check>_value``, ``<check>_mpe``, ``<check>_U`` (suffixed ``_<run>`` on point rows)."""
    names = list(test.point_scope)
    if rows == "run":
        names += [name for name in test.run_scope if name not in names]
    for check in test.checks:
        runs = [""] if check.per == "point" or rows == "run" else [f"_{run.key}" for run in test.runs]
        for suffix in runs:
            names += [f"{check.key}_{what}{suffix}" for what in ("value", "mpe", "U")]
    return names
