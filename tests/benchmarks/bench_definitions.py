"""Benchmark: how long validating a procedure definition takes (reading it, then running its worked examples).

Run as ``.venv/bin/python tests/benchmarks/bench_definitions.py``. Prints the median of the shipped pressure-gauge
definition's validation and of its parts. Target: under 250 ms, so that the upload page answers at once.
"""

import statistics
import time
from pathlib import Path

from instruments.procedures.defined import procedure_class
from instruments.procedures.definition import read_definition
from instruments.procedures.validation import run_example, validate_definition

TARGET_MS = 250.0
FILE = Path(__file__).parents[2] / "instruments/procedures/definitions/pressure-gauge-dlvn08.yaml"


def median_ms(action, repeats: int = 30) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        action()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    text = FILE.read_text(encoding="utf-8")
    definition = read_definition(text)
    procedure = procedure_class(definition)
    validate_definition(text)  # warm the imports
    whole = median_ms(lambda: validate_definition(text))
    reading = median_ms(lambda: read_definition(text))
    examples = median_ms(lambda: [run_example(procedure, i) for i in range(len(definition.examples))])
    print(f"validate {FILE.name}: {whole:.1f} ms CPU (median of 30; target <= {TARGET_MS:.0f} ms)")
    print(
        f"  read and check the text: {reading:.1f} ms; run its {len(definition.examples)} examples: {examples:.1f} ms"
    )


if __name__ == "__main__":
    main()
