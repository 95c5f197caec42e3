"""XLSX files built by hand for the import's limits: millions of empty rows in a few kilobytes (the probe's file)."""

import io
import zipfile

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>type_code</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>serial</t></is></c></row>'
)


def empty_rows_xlsx(rows: int, numbered: bool = False) -> bytes:
    """Return an XLSX file whose sheet claims to be A1:B2 and holds a header and ``rows`` empty rows.

    ``numbered`` writes each row's number (``<row r="7"/>``), which packs less tightly (megabytes, not kilobytes).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'.encode())
            sheet.write(b'<dimension ref="A1:B2"/><sheetData>' + _HEADER_ROW.encode())
            step = 100_000
            for start in range(2, rows + 2, step):
                stop = min(start + step, rows + 2)
                if numbered:
                    sheet.write("".join(f'<row r="{n}"/>' for n in range(start, stop)).encode())
                else:
                    sheet.write(b"<row/>" * (stop - start))
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()
