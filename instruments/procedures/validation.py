"""Validation of a procedure definition before use (ISO/IEC 17025 7.11.2): read it, then run its worked examples.

A definition is usable only when it reads without a problem and every worked example gives the expected results.
Each problem names the path of the element at fault: in the definition (``tests[0].checks[1].mpe``) or, for an
example, the result that differs (``examples[1].expect.pressure[2].up.error``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from instruments.errors import InputError
from instruments.procedures.defined import DefinedProcedure, procedure_class
from instruments.procedures.definition import Definition, DefinitionError, Unconfirmed, read_definition

# A hand-worked value agrees when within this relative difference (or an absolute 1e-12 near zero), unless the
# example gives its own tolerance as {value: x, within: d}.
RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ExampleOutcome:
    """One worked example run: whether every expected result was found, and the differences if not."""

    name: str
    path: str
    passed: bool
    checked: int
    problems: tuple[InputError, ...] = ()

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "path": self.path,
            "passed": self.passed,
            "checked": self.checked,
            "problems": [problem.as_dict() for problem in self.problems],
        }


@dataclass(frozen=True)
class ValidationReport:
    """What validating a definition found: the problems (each with its path), the examples run, unconfirmed values."""

    key: str | None
    version: str | None
    problems: tuple[InputError, ...]
    examples: tuple[ExampleOutcome, ...] = ()
    unconfirmed: tuple[Unconfirmed, ...] = ()
    procedure: type[DefinedProcedure] | None = None

    @property
    def valid(self) -> bool:
        return not self.problems and all(example.passed for example in self.examples)

    def all_problems(self) -> list[InputError]:
        return [*self.problems, *(problem for example in self.examples for problem in example.problems)]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "version": self.version,
            "valid": self.valid,
            "problems": [problem.as_dict() for problem in self.problems],
            "examples": [example.as_dict() for example in self.examples],
            "unconfirmed": [{"path": item.path, "note": item.note} for item in self.unconfirmed],
        }

    def lines(self) -> list[str]:
        """Return the report as lines of text, for the command line."""
        head = f"{self.key or '?'} version {self.version or '?'}: " + ("valid" if self.valid else "REFUSED")
        out = [head]
        out += [f"  problem  {problem.field}: {problem.message}" for problem in self.problems]
        for example in self.examples:
            state = "ok  " if example.passed else "FAIL"
            out.append(f"  example  {state} {example.path} {example.name} ({example.checked} results checked)")
            out += [f"           {problem.field}: {problem.message}" for problem in example.problems]
        out += [f"  unconfirmed {item.path}: {item.note}" for item in self.unconfirmed]
        return out


def facts(values: dict) -> dict[str, Any]:
    """Flatten a result's values to the paths a worked example names.

    ``passed``; ``<test>.passed``; ``<test>[i].nominal``; ``<test>[i].<value>`` (point fields and derived
    quantities, and ``<value>_<run>``); ``<test>[i].<run>.<value>``; a check as ``<test>[i].<check>`` (per point)
    or ``<test>[i].<run>.<check>`` (per run), with ``.U``, ``.mpe``, ``.passed`` beside its value;
    ``standards.<role>.adequate``; and, for an example, ``missing`` (the fields of the points not measured). A bench
    (several units under test) gives each unit's facts under ``units[i].``, beside the bench's ``passed``.
    """
    out: dict[str, Any] = {"passed": values.get("passed")}
    for index, unit in enumerate(values.get("units") or ()):
        # several units under test: each unit's facts under units[i]. (units[1].passed, units[0].flow[2].error)
        out.update({f"units[{index}].{name}": value for name, value in facts(unit).items()})
        out[f"units[{index}].missing"] = unit.get("missing", [])
    for key, test in values.get("tests", {}).items():
        out[f"{key}.passed"] = test["passed"]
        for index, point in enumerate(test["points"]):
            at = f"{key}[{index}]"
            out[f"{at}.nominal"] = point["nominal"]
            for name, value in point["values"].items():
                out[f"{at}.{name}"] = value
            for run, run_result in point["runs"].items():
                for name, value in run_result["values"].items():
                    out[f"{at}.{run}.{name}"] = value
                    out[f"{at}.{name}_{run}"] = value
                _check_facts(out, f"{at}.{run}", run_result["checks"])
            _check_facts(out, at, point["checks"])
    for role, entry in values.get("standards", {}).items():
        if "adequate" in entry:
            out[f"standards.{role}.adequate"] = entry["adequate"]
    return out


def _check_facts(out: dict, at: str, checks: dict) -> None:
    for name, check in checks.items():
        out[f"{at}.{name}"] = check["value"]
        for what in ("U", "mpe", "passed"):
            out[f"{at}.{name}.{what}"] = check[what]


def _agrees(expected: Any, got: Any, where: str) -> InputError | None:
    if isinstance(expected, dict):
        if set(expected) - {"value", "within"} or "value" not in expected:
            return InputError(where, "an expected number with a tolerance is written {value: x, within: d}")
        within = expected.get("within", 0)
        if isinstance(within, bool) or not isinstance(within, int | float) or within < 0:
            return InputError(f"{where}.within", "must be a number not below 0")
        target = expected["value"]
    else:
        target, within = expected, None
    if isinstance(target, bool) or target is None or isinstance(target, str | list):
        return None if got == target else InputError(where, f"expected {target!r}, the definition gives {got!r}")
    if not isinstance(target, int | float) or not math.isfinite(target):
        return InputError(where, "an expected value is a number, true, false, null or text")
    if isinstance(got, bool) or not isinstance(got, int | float):
        return InputError(where, f"expected {target!r}, the definition gives {got!r}")
    allowed = within if within is not None else max(RELATIVE_TOLERANCE * abs(target), 1e-12)
    if abs(got - target) <= allowed:
        return None
    return InputError(where, f"expected {target!r}, the definition gives {got!r} (difference {got - target:.3g})")


def run_example(procedure: type[DefinedProcedure], index: int) -> ExampleOutcome:
    """Run one worked example of the procedure's definition and compare every expected result."""
    example = procedure.definition.examples[index]
    expect = dict(example.expect)
    where = f"{example.path}.expect"
    refused = expect.pop("refused", None)
    try:
        result = procedure().calculate(example.observations)
    except InputError as exc:
        if refused is not None and exc.field == refused:
            return ExampleOutcome(example.name, example.path, True, 1)
        problem = InputError(
            f"{example.path}.observations.{exc.field}" if exc.field else f"{example.path}.observations",
            f"the calculation refused the example: {exc.message}",
        )
        return ExampleOutcome(example.name, example.path, False, 0, (problem,))
    if refused is not None:
        problem = InputError(f"{where}.refused", f"expected a refusal naming '{refused}'; the example computed")
        return ExampleOutcome(example.name, example.path, False, 0, (problem,))
    found = facts(dict(result.values))
    found["missing"] = [item.field for item in result.missing]
    problems = []
    for name, expected in expect.items():
        at = f"{where}.{name}"
        if name not in found:
            problems.append(InputError(at, "no such result; see docs/procedures.md, 'Worked examples'"))
            continue
        problem = _agrees(expected, found[name], at)
        if problem is not None:
            problems.append(problem)
    return ExampleOutcome(example.name, example.path, not problems, len(expect), tuple(problems))


def validate_definition(text: Any) -> ValidationReport:
    """Read a definition and run its worked examples; the report lists every problem with its path."""
    try:
        definition: Definition = read_definition(text)
    except DefinitionError as exc:
        key = version = None
        return ValidationReport(key, version, exc.problems)
    procedure = procedure_class(definition)
    outcomes = tuple(run_example(procedure, index) for index in range(len(definition.examples)))
    return ValidationReport(
        definition.key,
        definition.version,
        (),
        outcomes,
        definition.unconfirmed,
        procedure if all(outcome.passed for outcome in outcomes) else None,
    )
