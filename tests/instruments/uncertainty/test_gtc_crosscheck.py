"""Cross-check against GTC, the GUM Tree Calculator, on randomly generated nonlinear models."""

import math

import GTC
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments.uncertainty import Correlation, InputQuantity, evaluate_budget

NAMES = ("a", "b", "c", "d")
# Functions used only where their argument stays in their domain for any positive leaves.
UNARY = {"sin": GTC.sin, "cos": GTC.cos, "atan": GTC.atan, "exp": GTC.exp}
POSITIVE = {"sqrt": GTC.sqrt, "log": GTC.log, "log10": GTC.log10}

leaves = st.sampled_from(NAMES) | st.floats(min_value=0.5, max_value=3.0).map(lambda v: round(v, 3))


def _extend(children):
    return (
        st.tuples(st.sampled_from(["+", "-", "*"]), children, children)
        | st.tuples(st.just("/"), children, children)
        | st.tuples(st.sampled_from(sorted(UNARY)), children)
        | st.tuples(st.sampled_from(sorted(POSITIVE)), children)
        | st.tuples(st.just("**"), children, st.sampled_from([2, 3, -1]))
        | st.tuples(st.just("neg"), children)
    )


trees = st.recursive(leaves, _extend, max_leaves=8)


def _text(tree) -> str:
    # /, sqrt and log act on 1 + t² so that every generated model is defined wherever it is evaluated.
    if isinstance(tree, str):
        return tree
    if isinstance(tree, float):
        return repr(tree)
    operator = tree[0]
    if operator == "neg":
        return f"-({_text(tree[1])})"
    if operator == "/":
        return f"({_text(tree[1])})/(1 + ({_text(tree[2])})**2)"
    if operator == "**":
        return f"({_text(tree[1])})**{tree[2]}" if tree[2] > 0 else f"(1 + ({_text(tree[1])})**2)**{tree[2]}"
    if operator in POSITIVE:
        return f"{operator}(1 + ({_text(tree[1])})**2)"
    if operator == "exp":
        return f"exp(atan({_text(tree[1])}))"
    if operator in UNARY:
        return f"{operator}({_text(tree[1])})"
    return f"({_text(tree[1])}) {operator} ({_text(tree[2])})"


def _gtc(tree, x):
    if isinstance(tree, str):
        return x[tree]
    if isinstance(tree, float):
        return tree
    operator = tree[0]
    if operator == "neg":
        return -_gtc(tree[1], x)
    if operator == "/":
        return _gtc(tree[1], x) / (1 + _gtc(tree[2], x) ** 2)
    if operator == "**":
        base = _gtc(tree[1], x)
        return base ** tree[2] if tree[2] > 0 else (1 + base**2) ** tree[2]
    if operator in POSITIVE:
        return POSITIVE[operator](1 + _gtc(tree[1], x) ** 2)
    if operator == "exp":
        return GTC.exp(GTC.atan(_gtc(tree[1], x)))
    if operator in UNARY:
        return UNARY[operator](_gtc(tree[1], x))
    left, right = _gtc(tree[1], x), _gtc(tree[2], x)
    return {"+": left + right, "-": left - right, "*": left * right}[operator]


@settings(deadline=None, max_examples=80)
@given(
    tree=trees,
    values=st.lists(st.floats(min_value=0.5, max_value=3.0), min_size=4, max_size=4),
    us=st.lists(st.floats(min_value=1e-3, max_value=0.2), min_size=4, max_size=4),
    dofs=st.lists(st.sampled_from([math.inf, 3, 7.5, 30]), min_size=4, max_size=4),
    r=st.floats(min_value=-0.95, max_value=0.95),
)
def test_budget_matches_gtc_on_random_models(tree, values, us, dofs, r):
    text = " + ".join(f"0*{name}" for name in NAMES) + " + " + _text(tree)
    # Correlate a and b only when both have infinite dof, as the contract allows.
    correlated = math.isinf(dofs[0]) and math.isinf(dofs[1])
    inputs = [InputQuantity.normal(n, v, u, dof) for n, v, u, dof in zip(NAMES, values, us, dofs, strict=True)]
    correlations = [Correlation("a", "b", r)] if correlated else []
    budget = evaluate_budget(inputs, text, correlations)

    x = {
        n: GTC.ureal(v, u, dof, label=n, independent=not (correlated and n in "ab"))
        for n, v, u, dof in zip(NAMES, values, us, dofs, strict=True)
    }
    if correlated:
        GTC.set_correlation(r, x["a"], x["b"])
    y = _gtc(tree, x) + 0 * x["a"]
    if not isinstance(y, GTC.lib.UncertainReal):
        y = GTC.constant(float(y))

    assert budget.value == pytest.approx(GTC.value(y), rel=1e-12, abs=1e-12)
    assert budget.standard_uncertainty == pytest.approx(GTC.uncertainty(y), rel=1e-9, abs=1e-15)
    for row in budget.rows:
        assert row.sensitivity == pytest.approx(GTC.rp.sensitivity(y, x[row.name]), rel=1e-9, abs=1e-12)
    if budget.standard_uncertainty > 1e-12:
        gtc_dof = GTC.dof(y)
        if math.isinf(budget.dof_effective) or math.isinf(gtc_dof):
            assert budget.dof_effective > 1e12 or math.isinf(budget.dof_effective)
            assert gtc_dof > 1e12 or math.isinf(gtc_dof)
        else:
            assert budget.dof_effective == pytest.approx(gtc_dof, rel=1e-6)
