"""The safe model-expression language: text parsed to a whitelisted tree, evaluated over arrays or for gradients.

A model is read with :func:`ast.parse` only to obtain a syntax tree; every node is then checked against the short
list of allowed constructs and copied into our own node types. Nothing is ever handed to ``eval`` or ``exec``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from instruments.errors import InputError

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "abs": np.abs,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS)

MAX_LENGTH = 10_000
MAX_DEPTH = 200

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN_OPERATORS = {
    ast.BitXor: "'^' (write powers as **)",
    ast.Mod: "'%'",
    ast.FloorDiv: "'//'",
    ast.MatMult: "'@'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
}
_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator",
    ast.IfExp: "a conditional expression",
    ast.Lambda: "a lambda",
    ast.NamedExpr: "an assignment",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dictionary",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator",
    ast.JoinedStr: "a text constant",
    ast.Starred: "unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Symbol:
    name: str
    index: int


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node


Node = Number | Symbol | Negate | Binary | Call


@dataclass(frozen=True)
class Model:
    """A parsed measurement model y = f(x_1..x_N) over the named inputs, in the order the names were given."""

    text: str
    names: tuple[str, ...]
    root: Node
    used: frozenset[str]

    def evaluate(self, values: Sequence[Any]) -> Any:
        """Evaluate the model with one value (a float or an array) per input, in the order of ``names``."""
        with np.errstate(all="ignore"):
            return _evaluate(self.root, values)

    def value_and_gradient(self, estimates: Sequence[float]) -> tuple[float, np.ndarray]:
        """Return f and its exact partial derivatives at the estimates (forward-mode automatic differentiation)."""
        point = np.asarray(estimates, dtype=float)
        with np.errstate(all="ignore"):
            value, gradient = _dual(self.root, point)
        return float(value), np.asarray(gradient, dtype=float)


def linear_model(names: Sequence[str], sensitivities: Sequence[float]) -> Model:
    """Return the model Σ c_i·x_i, used when a budget gives sensitivities instead of a model."""
    root: Node | None = None
    for index, (name, coefficient) in enumerate(zip(names, sensitivities, strict=True)):
        term: Node = Binary("*", Number(float(coefficient)), Symbol(name, index))
        root = term if root is None else Binary("+", root, term)
    if root is None:
        raise InputError("inputs", "a budget needs at least one input")
    text = " + ".join(f"{c!r}*{n}" for n, c in zip(names, sensitivities, strict=True))
    return Model(text, tuple(names), root, frozenset(names))


def parse_model(text: str, names: Collection[str]) -> Model:
    """Parse a model expression over the given input names into a whitelisted tree; refuse anything else."""
    if not isinstance(text, str):
        raise InputError("model", "the model must be text")
    if not text.strip():
        raise InputError("model", "the model is empty")
    if len(text) > MAX_LENGTH:
        raise InputError("model", f"the model is longer than {MAX_LENGTH} characters")
    ordered = tuple(names)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise InputError("model", f"the model is not a valid expression{where}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise InputError(
            "model", "the model cannot be parsed (nested too deeply or contains a null character)"
        ) from None
    builder = _Builder(text.strip(), {name: index for index, name in enumerate(ordered)})
    root = builder.build(tree.body, 0)
    return Model(text, ordered, root, frozenset(builder.used))


class _Builder:
    def __init__(self, source: str, indices: dict[str, int]):
        self.source = source
        self.indices = indices
        self.used: set[str] = set()

    def _quote(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        return segment if len(segment) <= 60 else segment[:57] + "..."

    def _refuse(self, node: ast.AST, what: str) -> InputError:
        return InputError("model", f"{what} is not allowed in a model: '{self._quote(node)}'")

    def build(self, node: ast.AST, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise InputError("model", f"the model is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise self._refuse(node, "a unary operator other than minus")
            return Negate(self.build(node.operand, depth + 1))
        if isinstance(node, ast.BinOp):
            operator = _OPERATORS.get(type(node.op))
            if operator is None:
                label = _FORBIDDEN_OPERATORS.get(type(node.op), "this operator")
                raise self._refuse(node, f"the operator {label}")
            return Binary(operator, self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise self._refuse(node, _DESCRIPTIONS.get(type(node), f"the construct {type(node).__name__}"))

    def _number(self, node: ast.Constant) -> Number:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._refuse(node, "a constant that is not a real number")
        try:
            number = float(value)
        except OverflowError:
            raise self._refuse(node, "a number this large") from None
        if not math.isfinite(number):
            raise self._refuse(node, "a number this large")
        return Number(number)

    def _name(self, node: ast.Name) -> Node:
        if node.id in self.indices:
            self.used.add(node.id)
            return Symbol(node.id, self.indices[node.id])
        if node.id in CONSTANTS:
            return Number(CONSTANTS[node.id])
        if node.id in FUNCTIONS:
            raise InputError("model", f"the function '{node.id}' must be called with one argument, as {node.id}(x)")
        raise InputError("model", f"unknown name '{node.id}': it is neither an input nor one of the constants pi, e")

    def _call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self._refuse(node, "calling anything but a listed function by name")
        name = node.func.id
        if name not in FUNCTIONS:
            allowed = ", ".join(FUNCTIONS)
            raise InputError("model", f"'{name}' in '{self._quote(node)}' is not an allowed function ({allowed})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise self._refuse(node, f"calling {name} with anything but one argument")
        return Call(name, self.build(node.args[0], depth + 1))


def _evaluate(node: Node, values: Sequence[Any]) -> Any:
    if isinstance(node, Symbol):
        return values[node.index]
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Binary):
        left = _evaluate(node.left, values)
        right = _evaluate(node.right, values)
        if node.operator == "+":
            return left + right
        if node.operator == "-":
            return left - right
        if node.operator == "*":
            return left * right
        if node.operator == "/":
            return np.divide(left, right)
        return np.power(left, right)
    if isinstance(node, Negate):
        return -_evaluate(node.operand, values)
    return FUNCTIONS[node.function](_evaluate(node.argument, values))


def _dual(node: Node, point: np.ndarray) -> tuple[np.float64, np.ndarray]:
    # Each node yields (value, gradient with respect to every input): exact derivatives, no step size to choose.
    if isinstance(node, Symbol):
        gradient = np.zeros(point.size)
        gradient[node.index] = 1.0
        return point[node.index], gradient
    if isinstance(node, Number):
        return np.float64(node.value), np.zeros(point.size)
    if isinstance(node, Negate):
        value, gradient = _dual(node.operand, point)
        return -value, -gradient
    if isinstance(node, Binary):
        a, ga = _dual(node.left, point)
        b, gb = _dual(node.right, point)
        if node.operator == "+":
            return a + b, ga + gb
        if node.operator == "-":
            return a - b, ga - gb
        if node.operator == "*":
            return a * b, a * gb + b * ga
        if node.operator == "/":
            quotient = np.float64(a) / np.float64(b)
            return quotient, (ga - quotient * gb) / b
        power = np.power(np.float64(a), np.float64(b))
        if not gb.any():
            # A constant exponent: valid for negative bases, where the general formula's log(a) is not.
            return power, _scale(b * np.power(np.float64(a), np.float64(b) - 1), ga)
        return power, _scale(power * np.log(a), gb) + _scale(power * b / a, ga)
    a, ga = _dual(node.argument, point)
    a = np.float64(a)
    derivative = {
        "sqrt": lambda: 0.5 / np.sqrt(a),
        "exp": lambda: np.exp(a),
        "log": lambda: 1.0 / a,
        "log10": lambda: 1.0 / (a * math.log(10.0)),
        "sin": lambda: np.cos(a),
        "cos": lambda: -np.sin(a),
        "tan": lambda: 1.0 / np.cos(a) ** 2,
        "asin": lambda: 1.0 / np.sqrt(1.0 - a * a),
        "acos": lambda: -1.0 / np.sqrt(1.0 - a * a),
        "atan": lambda: 1.0 / (1.0 + a * a),
        "abs": lambda: np.sign(a),
    }[node.function]()
    return FUNCTIONS[node.function](a), _scale(derivative, ga)


def _scale(factor: np.float64, gradient: np.ndarray) -> np.ndarray:
    # An input the argument does not depend on keeps a zero derivative even where the factor is infinite.
    return np.where(gradient != 0, factor * gradient, 0.0)
