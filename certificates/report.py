"""Small bilingual PDF reports (quality self-assessment, yearly plan) on the same page furniture as certificates."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from certificates.document import Lab, ResultTable, _Normalised
from certificates.fonts import register_fonts
from certificates.layout import (
    NAVY,
    PageFurniture,
    Paragraph,
    build_pdf,
    result_table,
    section_heading,
    style,
    text,
    vn_date,
)

TITLE_VI = style("report-title-vi", 15, bold=True, align=TA_CENTER, color=NAVY, leading=19)
TITLE_EN = style("report-title-en", 10.5, align=TA_CENTER, color=NAVY, leading=13)
PARA = style("report-para", 9, leading=12.5, spaceAfter=4)
END = style("report-end", 8.5, align=TA_CENTER, leading=11)


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
    story: list = [Spacer(1, 2 * mm), Paragraph(text(title_vi), TITLE_VI), Paragraph(text(title_en), TITLE_EN)]
    if issued:
        story.append(
            Paragraph(f"Ngày {vn_date(issued)} / Date {issued.isoformat()}", style("report-date", 8.5, align=TA_CENTER))
        )
    story.append(Spacer(1, 5 * mm))
    for n, section in enumerate(sections, start=1):
        story += [section_heading(f"{n}. ", section.heading_vi, section.heading_en), Spacer(1, 2 * mm)]
        for block in section.blocks:
            if isinstance(block, ResultTable):
                if block.title_vi:
                    story.append(Paragraph(f"<b>{text(block.title_vi)}</b> / {text(block.title_en)}", PARA))
                story += [result_table(block), Spacer(1, 3 * mm)]
            else:
                story.append(Paragraph(text(block), PARA))
        story.append(Spacer(1, 3 * mm))
    story.append(Paragraph("--- Hết báo cáo / End of report ---", END))
    return build_pdf(story, furniture, title=f"{title_vi} / {title_en}", font_dir=font_dir)
