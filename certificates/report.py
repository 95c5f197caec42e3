"""Small bilingual PDF reports (quality self-assessment, yearly plan) on the same page furniture as certificates."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm

from certificates.document import Lab, ResultTable, _Normalised
from certificates.fonts import register_fonts
from certificates.layout import (
    CENTER,
    NAVY,
    PageFurniture,
    Spacer,
    Text,
    build_pdf,
    result_table,
    section_heading,
    table_title,
    vi,
    vn_date,
)


@dataclass(frozen=True)
class Section(_Normalised):
    """A report section: a bilingual heading, then paragraphs (plain text) and tables in the order given."""

    heading_vi: str
    heading_en: str
    blocks: tuple[str | ResultTable, ...] = ()


def render_report(
    title_vi: str,
    title_en: str,
    lab: Lab,
    sections: Sequence[Section],
    *,
    reference: str = "",
    issued: date | None = None,
    font_dir: str | os.PathLike | None = None,
) -> bytes:
    """Return a report as PDF bytes: the lab's header, a title, numbered sections, ``Trang x / y`` on every page."""
    register_fonts(font_dir)
    furniture = PageFurniture(lab=lab, number_vi="Số", number_en="Ref.", number=reference or "—")
    story: list = [
        Spacer(2 * mm),
        Text((vi(title_vi, 15, True, NAVY),), align=CENTER, leading=1.27),
        Text((vi(title_en, 10.5, colour=NAVY),), align=CENTER, leading=1.24),
    ]
    if issued:
        story.append(Text((vi(f"Ngày {vn_date(issued)} / Date {issued.isoformat()}", 8.5),), align=CENTER))
    story.append(Spacer(5 * mm))
    for n, section in enumerate(sections, start=1):
        story += [section_heading(f"{n}. ", section.heading_vi, section.heading_en), Spacer(2 * mm)]
        for block in section.blocks:
            if isinstance(block, ResultTable):
                if block.title_vi:
                    story.append(table_title(block.title_vi, block.title_en, size=9))
                story += [result_table(block), Spacer(3 * mm)]
            else:
                story += [Text((vi(block, 9),), leading=1.39), Spacer(4)]
        story.append(Spacer(3 * mm))
    story.append(Text((vi("--- Hết báo cáo / End of report ---", 8.5),), align=CENTER))
    return build_pdf(story, furniture, title=f"{title_vi} / {title_en}", font_dir=font_dir)
