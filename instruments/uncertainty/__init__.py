"""Measurement uncertainty: the GUM law of propagation, coverage factors, GUM rounding and Monte Carlo (JCGM 101)."""

from instruments.uncertainty.expression import Model, parse_model
from instruments.uncertainty.gum import (
    DEFAULT_COVERAGE_PROBABILITY,
    BudgetRow,
    UncertaintyBudget,
    coverage_factor,
    evaluate_budget,
)
from instruments.uncertainty.inputs import Correlation, InputQuantity
from instruments.uncertainty.monte_carlo import MonteCarloResult, run_monte_carlo
from instruments.uncertainty.reporting import Reported, report_gum

__all__ = [
    "DEFAULT_COVERAGE_PROBABILITY",
    "BudgetRow",
    "Correlation",
    "InputQuantity",
    "Model",
    "MonteCarloResult",
    "Reported",
    "UncertaintyBudget",
    "coverage_factor",
    "evaluate_budget",
    "parse_model",
    "report_gum",
    "run_monte_carlo",
]
