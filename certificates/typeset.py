"""A small typesetter for the lab's forms: styled text, ruled tables and page flow, drawn on a reportlab canvas.

A certificate is a fixed form: short bilingual texts in ruled tables, a few pages at most, issued by the thousand.
reportlab's general flowables (platypus) parse every text through an HTML parser and wrap a table cell three
times or more while sizing rows and trying page breaks; here a text is given as styled runs, is broken into lines
once per width (a label's lines are kept from one certificate to the next), and pages are planned before anything
is drawn, so "page x / y" is known when each page is drawn.

The flow knows four things: text (a long paragraph runs on between lines, two at least on each page), spacers
(dropped at the top of a page), tables (split between rows, heading rows and title repeated), and "keep with next"
(a heading never ends a page, a table starts with its heading row and two body rows, a signature block stays whole).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from certificates.fonts import BOLD, REGULAR

LEFT, CENTER, RIGHT = "left", "center", "right"
INK = colors.HexColor("#1a1a1a")

# DejaVu Sans: ascender 0.928 em, descender 0.236 em. The glyph box sits in the middle of its line.
_GLYPH_MIDDLE = (0.928 - 0.236) / 2


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text in one face: size in points, regular or bold, one colour. A newline breaks the line."""

    text: str
    size: float
    bold: bool = False
    colour: colors.Color = INK

    @property
    def font(self) -> str:
        return BOLD if self.bold else REGULAR


@lru_cache(maxsize=1 << 16)
def _em_width(text: str, font: str) -> float:
    """Return the width of ``text`` at 1 pt (words recur on every certificate: labels, units, month names)."""
    return stringWidth(text, font, 1.0)


def text_width(text: str, run: Run) -> float:
    return _em_width(text, run.font) * run.size


def baseline_offset(size: float, leading: float = 1.2) -> float:
    """Return how far below a line's top its baseline lies, for text of ``size`` points."""
    return size * leading / 2 + size * _GLYPH_MIDDLE


class _Line(NamedTuple):
    width: float
    advance: float  # distance from this line's top to the next line's top
    baseline: float  # distance from the line's top down to its baseline
    fragments: tuple[tuple[str, Run], ...]


class _Lines(NamedTuple):
    height: float
    lines: tuple[_Line, ...]


_SPACES = re.compile(r"( +)")
_BREAKABLE_AFTER = "/-?&=_.,;:"


class Text:
    """A paragraph of runs, broken into lines to a width (once per width) and aligned."""

    __slots__ = ("runs", "align", "leading", "indent", "hang", "keep_with_next", "_layouts")

    def __init__(
        self,
        runs: Sequence[Run],
        *,
        align: str = LEFT,
        leading: float = 1.2,
        indent: float = 0.0,
        hang: float = 0.0,
        keep_with_next: bool = False,
    ) -> None:
        """``leading`` is a line's advance as a multiple of its largest size; ``hang`` indents lines after the first
        (a bulleted remark), ``indent`` all of them."""
        self.runs = tuple(r for r in runs if r.text)
        self.align = align
        self.leading = leading
        self.indent = indent
        self.hang = hang
        self.keep_with_next = keep_with_next
        self._layouts: dict[float, _Lines] = {}

    def __repr__(self) -> str:
        return f"Text({''.join(r.text for r in self.runs)[:40]!r})"

    @property
    def plain(self) -> str:
        return "".join(r.text for r in self.runs)

    def lines(self, width: float) -> _Lines:
        """Return the lines at ``width`` (points) and their total height."""
        layout = self._layouts.get(width)
        if layout is None:
            layout = self._layouts[width] = self._break(width)
        return layout

    def height(self, width: float) -> float:
        return self.lines(width).height

    def draw(self, pen: Pen, x: float, top: float, width: float) -> None:
        for i in range(len(self.lines(width).lines)):
            top -= self.draw_line(pen, x, top, width, i)

    def draw_line(self, pen: Pen, x: float, top: float, width: float, index: int) -> float:
        """Draw line ``index`` with its top at ``top``; return its advance."""
        line = self.lines(width).lines[index]
        left = x + self.indent + (self.hang if index else 0.0)
        room = width - self.indent - (self.hang if index else 0.0)
        if self.align == CENTER:
            left += (room - line.width) / 2
        elif self.align == RIGHT:
            left += room - line.width
        pen.write(left, top - line.baseline, line.fragments)
        return line.advance

    # Greedy line breaking on spaces: a "word" may be made of pieces in several faces ("<b>No.</b>:"), a word
    # wider than the line is cut where a URL or code allows, else between characters.
    def _break(self, width: float) -> _Lines:
        # Most texts of a form are one short line: no breaking needed.
        room = width - self.indent
        if all("\n" not in r.text for r in self.runs):
            total = sum(text_width(r.text, r) for r in self.runs)
            if total <= room + 1e-6:
                line = self._line([(r.text, r, 0.0) for r in self.runs], total)
                return _Lines(line.advance, (line,))
        return self._break_lines(width)

    def _break_lines(self, width: float) -> _Lines:
        paragraphs: list[list[list[tuple[str, Run, float]]]] = [[]]  # paragraphs -> words (space-led) -> pieces
        pending_space: list[tuple[str, Run, float]] = []
        glued = False  # the next piece continues the current word
        for run in self.runs:
            for n, segment in enumerate(run.text.split("\n")):
                if n:
                    paragraphs.append([])
                    pending_space, glued = [], False
                for piece in _SPACES.split(segment):
                    if not piece:
                        continue
                    if piece[0] == " ":
                        pending_space = [(piece, run, text_width(piece, run))]
                        glued = False
                        continue
                    words = paragraphs[-1]
                    entry = (piece, run, text_width(piece, run))
                    if glued and words:
                        words[-1].append(entry)
                    else:
                        words.append([*pending_space, entry])
                    pending_space, glued = [], True
        lines: list[_Line] = []
        for i, words in enumerate(paragraphs):
            first_room = width - self.indent - (self.hang if lines or i else 0.0)
            room = width - self.indent - self.hang
            lines += self._fill(words, first_room, room, runs_hint=self.runs)
        height = sum(line.advance for line in lines)
        return _Lines(height, tuple(lines))

    def _fill(self, words, first_room: float, room: float, runs_hint) -> list[_Line]:
        lines: list[_Line] = []
        current: list[tuple[str, Run, float]] = []
        used = 0.0
        limit = first_room
        queue = list(words)
        while queue:
            word = queue.pop(0)
            lead = [p for p in word if p[0][0] == " "]
            body = [p for p in word if p[0][0] != " "]
            body_width = sum(p[2] for p in body)
            lead_width = sum(p[2] for p in lead) if current else 0.0
            if used + lead_width + body_width <= limit + 1e-6:
                current += (lead if current else []) + body
                used += lead_width + body_width
                continue
            if current:
                lines.append(self._line(current, used))
                current, used, limit = [], 0.0, room
                queue.insert(0, body)
                continue
            head, tail = _cut(body, limit)
            lines.append(self._line(head, sum(p[2] for p in head)))
            limit = room
            if tail:
                queue.insert(0, tail)
        if current or not lines:
            lines.append(self._line(current, used, fallback=runs_hint))
        return lines

    def _line(self, pieces, width: float, fallback=()) -> _Line:
        fragments: list[tuple[str, Run]] = []
        for text, run, _ in pieces:
            if fragments and fragments[-1][1] == run:
                fragments[-1] = (fragments[-1][0] + text, run)
            else:
                fragments.append((text, run))
        size = max((run.size for _, run in fragments), default=fallback[0].size if fallback else 0.0)
        advance = size * self.leading
        return _Line(width, advance, baseline_offset(size, self.leading), tuple(fragments))


def _cut(pieces: list[tuple[str, Run, float]], room: float):
    """Split a word too wide for a line: after a URL's punctuation where one fits, else between characters."""
    text = "".join(p[0] for p in pieces)
    faces = [p[1] for p in pieces for _ in p[0]]
    fit = 0
    width = 0.0
    for i, ch in enumerate(text):
        width += text_width(ch, faces[i])
        if width > room and fit:
            break
        fit = i + 1
    cut = fit
    for i in range(fit - 1, 0, -1):
        if text[i] in _BREAKABLE_AFTER:
            cut = i + 1
            break
    return _regroup(text[:cut], faces[:cut]), _regroup(text[cut:], faces[cut:])


def _regroup(text: str, faces: list[Run]) -> list[tuple[str, Run, float]]:
    pieces: list[tuple[str, Run, float]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or faces[i] != faces[start]:
            chunk = text[start:i]
            pieces.append((chunk, faces[start], text_width(chunk, faces[start])))
            start = i
    return pieces


@dataclass(frozen=True, slots=True)
class Spacer:
    """Vertical space between blocks; dropped where a page begins."""

    height: float
    keep_with_next: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell: its blocks stacked top to bottom, spanning ``span`` columns, optionally filled."""

    blocks: tuple[Text | Spacer, ...]
    span: int = 1
    fill: colors.Color | None = None

    def height(self, width: float) -> float:
        return sum(b.height if isinstance(b, Spacer) else b.height(width) for b in self.blocks)


def cell(*blocks: Text | Spacer, span: int = 1, fill: colors.Color | None = None) -> Cell:
    return Cell(tuple(blocks), span, fill)


@dataclass(frozen=True, slots=True)
class Rule:
    """A stroked line: width in points and colour."""

    width: float
    colour: colors.Color


class Table:
    """Rows of cells on fixed column widths; splits between rows, repeating its heading rows on each page."""

    def __init__(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        heading_rows: int = 0,
        padding: tuple[float, float, float, float] = (2.5, 4, 2.5, 4),  # top, right, bottom, left
        valign: str = "top",
        grid: Rule | None = None,
        box: Rule | None = None,
        row_rules: Rule | None = None,
        heading_rule: Rule | None = None,
        banded: colors.Color | None = None,  # fill of every second body row
        keep_together: bool = False,
        keep_with_next: bool = False,
        continued: Text | None = None,  # a caption above the repeated heading rows on a continuation page
    ) -> None:
        self.rows = [tuple(r) for r in rows]
        self.widths = tuple(widths)
        for i, row in enumerate(self.rows):
            if sum(c.span for c in row) != len(self.widths):
                raise ValueError(f"row {i} spans {sum(c.span for c in row)} columns; the table has {len(widths)}")
        self.heading_rows = heading_rows
        self.padding = padding
        self.valign = valign
        self.grid, self.box, self.row_rules, self.heading_rule = grid, box, row_rules, heading_rule
        self.banded = banded
        self.keep_together = keep_together
        self.keep_with_next = keep_with_next
        self.continued = continued
        self.width = sum(self.widths)
        self._edges = [0.0]
        for w in self.widths:
            self._edges.append(self._edges[-1] + w)
        self._heights: list[float] | None = None

    def row_heights(self) -> list[float]:
        if self._heights is None:
            top, right, bottom, left = self.padding
            heights = []
            for row in self.rows:
                tallest, col = 0.0, 0
                for c in row:
                    inner = self._edges[col + c.span] - self._edges[col] - left - right
                    tallest = max(tallest, c.height(inner))
                    col += c.span
                heights.append(tallest + top + bottom)
            self._heights = heights
        return self._heights

    def items(self) -> list[_Item]:
        """Return one flow item per row, with the keeps that hold a table's start, end and heading together."""
        heights = self.row_heights()
        n, h = len(self.rows), self.heading_rows
        items = []
        for r in range(n):
            if self.keep_together:
                keep = r < n - 1
            else:
                # heading rows with the first two body rows; the last two body rows together
                keep = r < h + 1 if n - h >= 3 else r < n - 1
                keep = keep or (n - h >= 4 and r == n - 2)
            if r == n - 1:
                keep = self.keep_with_next
            items.append(_Item(heights[r], keep, self, r))
        return items

    def draw_rows(self, canvas: Canvas, pen: Pen, x: float, top: float, rows: Sequence[int]) -> float:
        """Draw ``rows`` (consecutive on this page) from ``top`` down; return the height drawn."""
        heights = self.row_heights()
        pad_top, pad_right, pad_bottom, pad_left = self.padding
        y = top
        fills: dict[colors.Color, list[tuple[float, float, float, float]]] = {}
        for r in rows:
            row_h = heights[r]
            band = (
                self.banded
                if (self.banded is not None and r >= self.heading_rows and (r - self.heading_rows) % 2 == 1)
                else None
            )
            if band is not None:
                fills.setdefault(band, []).append((x, y - row_h, self.width, row_h))
            col = 0
            for c in self.rows[r]:
                left, right = x + self._edges[col], x + self._edges[col + c.span]
                if c.fill is not None:
                    fills.setdefault(c.fill, []).append((left, y - row_h, right - left, row_h))
                inner = right - left - pad_left - pad_right
                offset = pad_top
                if self.valign != "top":
                    spare = row_h - pad_top - pad_bottom - c.height(inner)
                    offset += spare if self.valign == "bottom" else spare / 2
                block_top = y - offset
                for block in c.blocks:
                    if isinstance(block, Spacer):
                        block_top -= block.height
                    else:
                        block.draw(pen, left + pad_left, block_top, inner)
                        block_top -= block.height(inner)
                col += c.span
            y -= row_h
        for colour, rects in fills.items():
            canvas.setFillColor(colour)
            for rect in rects:
                canvas.rect(*rect, stroke=0, fill=1)
        self._draw_rules(canvas, x, top, rows)
        return top - y

    def _draw_rules(self, canvas: Canvas, x: float, top: float, rows: Sequence[int]) -> None:
        heights = self.row_heights()
        strokes: dict[Rule, list[tuple[float, float, float, float]]] = {}

        def add(rule: Rule | None, *segment: float) -> None:
            if rule is not None:
                strokes.setdefault(rule, []).append(segment)

        right = x + self.width
        y = top
        last = self.heading_rows - 1
        for i, r in enumerate(rows):
            bottom = y - heights[r]
            add(self.grid, x, y, right, y)
            if i == len(rows) - 1:
                add(self.grid, x, bottom, right, bottom)
            col = 0
            add(self.grid, x, y, x, bottom)
            for c in self.rows[r]:
                col += c.span
                add(self.grid, x + self._edges[col], y, x + self._edges[col], bottom)
            if r == last:
                add(self.heading_rule, x, bottom, right, bottom)
            if self.row_rules is not None and r < len(self.rows) - 1 and i < len(rows) - 1:
                add(self.row_rules, x, bottom, right, bottom)
            y = bottom
        if self.box is not None:
            canvas.setStrokeColor(self.box.colour)
            canvas.setLineWidth(self.box.width)
            canvas.rect(x, y, self.width, top - y, stroke=1, fill=0)
        for rule, segments in strokes.items():
            canvas.setStrokeColor(rule.colour)
            canvas.setLineWidth(rule.width)
            canvas.lines(segments)


class KeepTogether:
    """Blocks that go on one page together (unless they are taller than a page)."""

    def __init__(self, blocks: Iterable[Block], keep_with_next: bool = False) -> None:
        self.blocks = list(blocks)
        self.keep_with_next = keep_with_next


Block = Text | Spacer | Table | KeepTogether


class _Item(NamedTuple):
    """One unit of page flow: a text, a spacer, one row of a table, or one line of a long text."""

    height: float
    keep_with_next: bool
    block: Text | Spacer | Table
    row: int = -1  # the table row, or the line of a text split into lines


def flatten(story: Iterable[Block]) -> list[_Item]:
    items: list[_Item] = []
    for block in story:
        if isinstance(block, KeepTogether):
            inner = flatten(block.blocks)
            items += [it._replace(keep_with_next=True) for it in inner[:-1]]
            if inner:
                items.append(inner[-1]._replace(keep_with_next=block.keep_with_next or inner[-1].keep_with_next))
        elif isinstance(block, Table):
            items += block.items()
        elif isinstance(block, Spacer):
            items.append(_Item(block.height, block.keep_with_next, block))
        else:
            items.append(_Item(0.0, block.keep_with_next, block))
    return items


class Placement(NamedTuple):
    item: _Item
    top: float  # distance from the frame's top to the item's top


def paginate(story: Iterable[Block], width: float, frame_height: float) -> list[list[Placement]]:
    """Return the pages, each the items placed on it from the top of the frame."""
    items: list[_Item] = []
    for item in flatten(story):
        items += _text_lines(item, width) if isinstance(item.block, Text) else [item]
    pages: list[list[Placement]] = [[]]
    used = 0.0
    i = 0
    while i < len(items):
        item = items[i]
        page = pages[-1]
        if isinstance(item.block, Spacer) and not page:
            i += 1
            continue
        prefix = _continued_heading(item, page, width)
        needed = sum(p.height for p in prefix) + _chain_height(items, i)
        if used + needed > frame_height + 1e-6 and page:
            pages.append([])
            used = 0.0
            continue
        for repeated in prefix:
            page.append(Placement(repeated, used))
            used += repeated.height
        page.append(Placement(item, used))
        used += item.height
        i += 1
    if len(pages) > 1 and not pages[-1]:
        pages.pop()
    return pages


LINES_KEPT = 2  # a paragraph split over pages leaves at least two lines at the foot of one and the head of the next


def _text_lines(item: _Item, width: float) -> list[_Item]:
    """A short text is one item; a long one is an item a line, so it can run on over a page break."""
    lines = item.block.lines(width).lines
    if len(lines) < 2 * LINES_KEPT:
        return [item._replace(height=item.block.height(width))]
    result = []
    for i, line in enumerate(lines):
        keep = item.keep_with_next or i < LINES_KEPT - 1 or len(lines) - LINES_KEPT <= i < len(lines) - 1
        result.append(_Item(line.advance, keep, item.block, i))
    return result


def _continued_heading(item: _Item, page: list[Placement], width: float) -> list[_Item]:
    """What a table repeats when one of its body rows opens a page: its caption, then its heading rows."""
    table = item.block
    if not isinstance(table, Table) or item.row < table.heading_rows or page:
        return []
    repeated = [_Item(table.row_heights()[r], True, table, r) for r in range(table.heading_rows)]
    if table.continued is not None:
        repeated.insert(0, _Item(table.continued.height(width), True, table.continued))
    return repeated


def _chain_height(items: list[_Item], start: int) -> float:
    height = 0.0
    for item in items[start:]:
        height += item.height
        # a spacer binds what it separates: a heading, its spacer and its table go to a page together
        if not item.keep_with_next and not isinstance(item.block, Spacer):
            break
    return height


class Pen:
    """Writes a page's text as one text object, laid over the page's fills and rules when the page is done."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._text = canvas.beginText()
        self._face: tuple[str, float] | None = None
        self._colour: colors.Color | None = None

    def write(self, x: float, y: float, fragments: Iterable[tuple[str, Run]]) -> None:
        text = self._text
        text.setTextOrigin(x, y)
        for chunk, run in fragments:
            face = (run.font, run.size)
            if face != self._face:
                text.setFont(run.font, run.size)
                self._face = face
            if run.colour != self._colour:
                text.setFillColor(run.colour)
                self._colour = run.colour
            text.textOut(chunk)

    def finish(self) -> None:
        self.canvas.drawText(self._text)


def draw_page(
    canvas: Canvas, pen: Pen, placements: Sequence[Placement], x: float, frame_top: float, width: float
) -> None:
    """Draw one page's placements; consecutive rows of a table are drawn (and ruled) as one piece."""
    i = 0
    while i < len(placements):
        item, top = placements[i]
        block = item.block
        if isinstance(block, Table):
            rows = [item.row]
            while (
                i + 1 < len(placements)
                and placements[i + 1].item.block is block
                and placements[i + 1].item.row == rows[-1] + 1
            ):
                i += 1
                rows.append(placements[i].item.row)
            block.draw_rows(canvas, pen, x, frame_top - top, rows)
        elif isinstance(block, Text) and item.row >= 0:
            block.draw_line(pen, x, frame_top - top, width, item.row)
        elif isinstance(block, Text):
            block.draw(pen, x, frame_top - top, width)
        i += 1
