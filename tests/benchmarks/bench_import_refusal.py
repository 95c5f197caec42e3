"""How long the instrument import takes to refuse an XLSX "zip bomb" of 3 million empty rows (target: < 1 s each).

Before the archive check a 28 KB file of 3,000,000 empty rows held a worker for ~14 s of CPU. The refusal now
comes from the archive's directory (unpacked size, packing ratio) before any row is parsed, or, for a file within
those limits, from the row count while reading.
Run: .venv/bin/python tests/benchmarks/bench_import_refusal.py
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lims.customers.importing import MAX_SHEET_ROWS, UnreadableFile, read_sheet  # noqa: E402
from tests.lims.zip_bombs import empty_rows_xlsx  # noqa: E402

TARGET_SECONDS = 1.0


def refusal_seconds(content: bytes) -> tuple[float, str]:
    start = time.process_time()
    try:
        _keys, rows = read_sheet(content, "bomb.xlsx")
        for _row in rows:
            pass
    except UnreadableFile as refused:
        return time.process_time() - start, str(refused).split(" / ")[-1]
    raise SystemExit("the file was read to its end: not refused")


def main() -> None:
    import openpyxl  # noqa: F401 - imported before the timing, as in a running server

    cases = [
        ("3,000,000 empty rows, packed tight (the probe)", empty_rows_xlsx(3_000_000)),
        ("3,000,000 numbered empty rows", empty_rows_xlsx(3_000_000, numbered=True)),
        (f"{MAX_SHEET_ROWS + 50_000:,} numbered empty rows", empty_rows_xlsx(MAX_SHEET_ROWS + 50_000, numbered=True)),
    ]
    for label, content in cases:
        seconds, why = refusal_seconds(content)
        verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
        print(
            f"{label} ({len(content) / 1024:,.0f} KB): refused in {seconds:.3f} s CPU (target < {TARGET_SECONDS} s) "
            f"{verdict} - {why}"
        )


if __name__ == "__main__":
    main()
