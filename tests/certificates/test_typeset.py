"""The typesetter on its own: line breaking, tables and the page flow that certificates are laid out with."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certificates.fonts import register_fonts
from certificates.typeset import (
    CENTER,
    KeepTogether,
    Run,
    Spacer,
    Table,
    Text,
    cell,
    paginate,
    text_width,
)


@pytest.fixture(autouse=True, scope="module")
def fonts():
    register_fonts()


def line_texts(text: Text, width: float) -> list[str]:
    return ["".join(chunk for chunk, _ in line.fragments) for line in text.lines(width).lines]


WORDS = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠ0123456789/-.:", min_size=1, max_size=14)


@settings(deadline=None, max_examples=150)
@given(words=st.lists(WORDS, min_size=1, max_size=40), width=st.floats(min_value=30, max_value=400))
def test_no_line_is_wider_than_its_width_and_no_word_is_lost(words, width):
    run = Run(" ".join(words), 8.5)
    text = Text((run,))
    lines = text.lines(width).lines
    for line in lines:
        assert sum(text_width(chunk, r) for chunk, r in line.fragments) <= width + 1e-6
    # breaking drops only the spaces where lines end (and cuts over-long words without losing a letter)
    assert "".join(line_texts(text, width)).replace(" ", "") == "".join(words)


def test_a_paragraph_breaks_at_spaces_and_keeps_mixed_faces_in_one_word():
    number = Run("3681-26", 10, True)
    text = Text((Run("Số ", 10), Run("No.", 8), Run(": ", 10), number))
    assert line_texts(text, 500) == ["Số No.: 3681-26"]
    narrow = line_texts(text, max(text_width("Số No.:", Run("x", 10)), text_width(number.text, number)) + 1)
    assert narrow == ["Số No.:", "3681-26"]


def test_a_newline_starts_a_line_and_each_line_takes_the_height_of_its_largest_text():
    text = Text((Run("Tên phương tiện đo", 8.5), Run("\n", 8.5), Run("Measuring instrument", 6.8)))
    lines = text.lines(200).lines
    assert [len(lines), lines[0].advance, lines[1].advance] == [2, pytest.approx(8.5 * 1.2), pytest.approx(6.8 * 1.2)]
    assert text.height(200) == pytest.approx((8.5 + 6.8) * 1.2)


def test_a_url_too_long_for_the_line_is_cut_after_its_punctuation():
    url = "https://lims.example.vn/verify/3681-26?c=K7QX-2M9P"
    lines = line_texts(Text((Run(url, 8.5),)), 120)
    assert "".join(lines) == url and len(lines) >= 2
    assert all(line[-1] in "/-?&=_.,;:" for line in lines[:-1])


def test_a_hanging_indent_moves_every_line_but_the_first():
    text = Text((Run("• " + "kết quả chỉ có giá trị đối với phương tiện đo " * 4, 8.5),), hang=8)
    lines = text.lines(150).lines
    assert len(lines) > 2
    assert all(line.width <= 150 - 8 + 1e-6 for line in lines[1:])


def test_lines_are_broken_once_per_width():
    text = Text((Run("Cơ sở sử dụng", 8.5),))
    assert text.lines(100) is text.lines(100)
    assert text.lines(100) is not text.lines(30)


def row(label: str, height_lines: int = 1) -> list:
    return [cell(Text((Run("\n".join([label] * height_lines), 10),)))]


def table(rows: int, heading_rows: int = 1, **kw) -> Table:
    return Table([row("STT"), *[row(f"row {i}") for i in range(rows)]], [100], heading_rows=heading_rows, **kw)


def placed(pages) -> list[list[str]]:
    names = []
    for page in pages:
        names.append([_name(p.item) for p in page])
    return names


def _name(item) -> str:
    block = item.block
    if isinstance(block, Table):
        first = block.rows[item.row][0].blocks[0]
        return first.plain.split("\n")[0]
    if isinstance(block, Spacer):
        return "spacer"
    return block.plain


ROW_HEIGHT = 10 * 1.2 + 5  # one 10 pt line and the default padding


def test_a_table_split_over_pages_repeats_its_heading_row():
    pages = placed(paginate([table(10)], 200, ROW_HEIGHT * 4 + 1))
    assert len(pages) == 4
    assert all(page[0] == "STT" for page in pages)
    body = [name for page in pages for name in page if name != "STT"]
    assert body == [f"row {i}" for i in range(10)]


def test_a_heading_never_ends_a_page_and_a_table_starts_with_two_body_rows():
    heading = Text((Run("4. Kết quả", 10),), keep_with_next=True)
    filler = Text((Run("\n".join(["x"] * 3), 10),))  # 36 pt
    # under the filler and its spacer there is room for the heading, the heading row and one body row only
    frame = 36 + 4 + 12 + ROW_HEIGHT * 2 + 10
    pages = placed(paginate([filler, Spacer(4), heading, table(6)], 200, frame))
    assert pages[0] == ["x\nx\nx"]  # the spacer went with what it separates, and vanished at the page top
    assert pages[1][:4] == ["4. Kết quả", "STT", "row 0", "row 1"]


def test_a_spacer_at_the_top_of_a_page_is_dropped():
    pages = paginate([table(3), Spacer(50), Text((Run("end", 10),))], 200, ROW_HEIGHT * 4 + 10)
    assert [_name(p.item) for p in pages[1]] == ["end"]
    assert pages[1][0].top == 0


def test_keep_together_moves_a_signature_block_whole_to_the_next_page():
    names = [Text((Run(f"line {i}", 10),)) for i in range(3)]
    frame = 12 * 5
    pages = placed(paginate([Text((Run("a\nb\nc", 10),)), KeepTogether(names)], 200, frame))
    assert pages == [["a\nb\nc"], ["line 0", "line 1", "line 2"]]


def test_a_row_taller_than_a_page_is_placed_rather_than_looping():
    tall = Table([row("y", height_lines=40)], [100])
    pages = paginate([Text((Run("first", 10),)), tall, Text((Run("last", 10),))], 200, 100)
    assert [[_name(p.item) for p in page] for page in pages] == [["first"], ["y"], ["last"]]


def test_table_rows_are_as_tall_as_their_tallest_cell():
    t = Table([[cell(Text((Run("a", 10),))), cell(Text((Run("b\nc\nd", 10),)))]], [50, 50])
    assert t.row_heights() == [pytest.approx(3 * 12 + 5)]


def test_a_row_that_does_not_fill_the_columns_is_refused():
    with pytest.raises(ValueError, match="row 0 spans 1 columns; the table has 2"):
        Table([[cell(Text((Run("a", 10),)))]], [50, 50])


def test_centred_text_is_drawn_in_the_middle_of_its_width():
    class RecordingPen:
        def __init__(self):
            self.written = []

        def write(self, x, y, fragments):
            self.written.append((x, y, tuple(chunk for chunk, _ in fragments)))

    text = Text((Run("Đạt", 12),), align=CENTER)
    width = text.lines(100).lines[0].width
    pen = RecordingPen()
    text.draw(pen, 10, 500, 100)
    ((x, _y, chunks),) = pen.written
    assert chunks == ("Đạt",)
    assert x == pytest.approx(10 + (100 - width) / 2)


def test_a_long_paragraph_runs_on_over_the_page_break_leaving_two_lines_each_side():
    lines = 12
    paragraph = Text((Run("\n".join(f"line {i}" for i in range(lines)), 10),))
    opening = Table([row("x", height_lines=6)], [100])  # 72 pt and 5 of padding
    # room for the opening and one line more: one line would be an orphan, so the paragraph starts on page 2
    pages = paginate([opening, paragraph], 200, 77 + 12 * 1.5)
    assert [p.item.row for p in pages[0]] == [0]
    assert [p.item.row for p in pages[1]][:2] == [0, 1]
    # room for two lines more: they stay, and the rest runs on
    pages = paginate([opening, paragraph], 200, 77 + 12 * 2.5)
    assert [p.item.row for p in pages[0]] == [0, 0, 1]
    rows = [p.item.row for page in pages[1:] for p in page]
    assert rows == list(range(2, lines))
    # a page never takes all but the last line: the last two go together
    for page in pages[1:-1]:
        assert page[-1].item.row != lines - 2


def test_a_paragraph_taller_than_a_page_fills_page_after_page_inside_the_frame():
    paragraph = Text((Run("kết quả chỉ có giá trị đối với phương tiện đo " * 400, 8.5),))
    frame = 500
    pages = paginate([paragraph], 480, frame)
    assert len(pages) > 3
    for page in pages:
        assert all(p.top + p.item.height <= frame + 1e-6 for p in page)
    assert sum(len(page) for page in pages) == len(paragraph.lines(480).lines)
