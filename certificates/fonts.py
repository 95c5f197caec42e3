"""The embedded fonts: DejaVu Sans, which carries every precomposed Vietnamese letter."""

import os
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

_registered_from: Path | None = None


class FontNotFoundError(RuntimeError):
    """The DejaVu Sans font files are not where we looked."""


def font_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the font folder: the argument, else ``LIMS_FONT_DIR``, else Debian's fonts-dejavu-core folder."""
    if override:
        return Path(override)
    env = os.environ.get("LIMS_FONT_DIR")
    return Path(env) if env else DEFAULT_FONT_DIR


def register_fonts(override: str | os.PathLike | None = None) -> None:
    """Register DejaVu Sans regular and bold with reportlab (once per process), or raise FontNotFoundError."""
    global _registered_from
    folder = font_dir(override)
    if _registered_from == folder:
        return
    missing = [name for name in _FILES.values() if not (folder / name).is_file()]
    if missing:
        raise FontNotFoundError(
            f"Font files {', '.join(missing)} not found in {folder}. Install Debian's fonts-dejavu-core "
            "(apt-get install fonts-dejavu-core) or set LIMS_FONT_DIR to a folder holding DejaVuSans.ttf and "
            "DejaVuSans-Bold.ttf."
        )
    for face, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(face, str(folder / filename)))
    # Map <b> in paragraph markup to the bold face; there is no italic face, so italics fall back to upright.
    # The upright faces go last: addMapping also records the reverse mapping, and the last call wins.
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    _registered_from = folder
