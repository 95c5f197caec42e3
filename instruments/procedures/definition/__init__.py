"""Procedures as data: read a procedure definition (YAML or JSON text) into checked, frozen parts.

The format is described in docs/procedures.md. Reading never executes anything from the text: YAML is read by a
safe loader that also refuses aliases and tags, every expression goes through the safe model parser of
:mod:`instruments.uncertainty.expression` with tighter limits on length and depth, and every name an expression uses
must be declared where the expression stands. Each problem is reported with the path of the element at fault
(``tests[0].checks[1].mpe.percent_of_span``); reading goes on with the next section so that one report lists as many
problems as it can.
"""

from instruments.procedures.definition.parts import *  # noqa: F403
from instruments.procedures.definition.parts import __all__ as _parts
from instruments.procedures.definition.reader import read_definition
from instruments.procedures.definition.testplan import row_names
from instruments.procedures.definition.text import expression, read_text

__all__ = [*_parts, "expression", "read_definition", "read_text", "row_names"]
