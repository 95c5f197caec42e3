"""`python -m lims.cli` is the `lims` command (for environments without the console script on PATH)."""

from lims.cli import main

main()
