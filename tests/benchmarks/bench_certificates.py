"""Certificate rendering and signing speed, with WeasyPrint rendering the same content as a reference.

Times are CPU seconds of this process (median), so the comparison holds on a busy shared machine.

Run: .venv/bin/python tests/benchmarks/bench_certificates.py
"""

from __future__ import annotations

import html
import itertools
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from certificates.document import Certificate  # noqa: E402
from certificates.layout import vn_date  # noqa: E402
from certificates.render import ACT, END_MARK, TITLES, render_certificate  # noqa: E402
from certificates.samples import sample_verification  # noqa: E402
from certificates.signing import CertificateSigner, create_self_signed_key  # noqa: E402

RUNS = 15


def median_seconds(fn, runs: int = RUNS) -> tuple[float, float]:
    """Return the median wall time and median CPU time of ``fn`` (CPU time of this process, threads included)."""
    fn()  # warm caches: fonts, imports
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1000:.1f} ms wall, {pair[1] * 1000:.1f} ms CPU"


def qr_image(data: str) -> str:
    """Return the verification QR as an <img> of PNG data, made once (the reportlab side keeps its QR per URL)."""
    import base64
    import io

    import qrcode

    buffer = io.BytesIO()
    qrcode.make(data, border=2).save(buffer, format="PNG")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def certificate_html(doc: Certificate, qr: str) -> str:
    """Return the same content as the reportlab certificate, as an HTML page for WeasyPrint (a reference only).

    Every field the certificate prints is here, with the same bilingual labels, tables, QR and page furniture, so
    the two renderers do the same work.
    """
    e = html.escape
    title_vi, title_en = TITLES[doc.kind]
    _, _, date_vi, date_en = ACT[doc.kind]
    ins, lab = doc.instrument, doc.lab

    def label(vi, en):
        return f"<th>{e(vi)}<small>{e(en)}</small></th>"

    def row(vi, en, value, vi2=None, en2=None, value2=None):
        if vi2 is None:
            return f"<tr>{label(vi, en)}<td colspan=3>{e(value)}</td></tr>"
        return f"<tr>{label(vi, en)}<td>{e(value)}</td>{label(vi2, en2)}<td>{e(value2)}</td></tr>"

    def results(t, title_vi, title_en):
        head = "".join(
            f"<th>{e(c.heading_vi)}{f' ({e(c.unit)})' if c.unit else ''}<small>{e(c.heading_en)}"
            f"{f' ({e(c.unit)})' if c.unit else ''}</small></th>"
            for c in t.columns
        )
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in t.rows)
        return (
            f"<h3>{e(title_vi)} <span class=g>/ {e(title_en)}</span></h3><table class=r><thead><tr>{head}"
            f"</tr></thead><tbody>{body}</tbody></table>"
        )

    tables = []
    if doc.as_found is not None and doc.as_left is not None:
        tables.append(results(doc.as_found, "Trước khi hiệu chỉnh", "As found, before adjustment"))
        tables.append(results(doc.as_left, "Sau khi hiệu chỉnh", "As left, after adjustment"))
    tables += [results(t, t.title_vi, t.title_en) for t in doc.results]
    standards = "".join(
        f"<tr><td>{e(s.name)}</td><td>{e(s.serial)}</td><td>{e(s.certificate_number)}</td>"
        f"<td>{vn_date(s.due_date)}</td><td>{e(s.traceability)}</td></tr>"
        for s in doc.standards
    )
    place = ("Tại hiện trường / On site" if doc.place.on_site else "Tại phòng thí nghiệm / In the lab") + ": "
    conditions = "; ".join(f"{c.label_vi} / {c.label_en}: {c.value}" for c in doc.conditions)
    decision = doc.decision
    uncertainty = ""
    if doc.uncertainty is not None:
        u = doc.uncertainty
        uncertainty = (
            f"<p>Độ không đảm bảo đo mở rộng U được tính bằng độ không đảm bảo đo chuẩn tổng hợp nhân với hệ số phủ "
            f"k = {e(u.coverage_factor)}, ứng với xác suất phủ khoảng {e(u.coverage_probability_percent)} %."
            f"<small>The expanded uncertainty U is the combined standard uncertainty multiplied by the coverage "
            f"factor k = {e(u.coverage_factor)}, giving a coverage probability of about "
            f"{e(u.coverage_probability_percent)} %.</small></p>"
        )
    validity = ""
    if doc.sticker_serial:
        validity += f"Số tem kiểm định <span class=g>/ Sticker No.</span>: <b>{e(doc.sticker_serial)}</b> "
    if doc.valid_until:
        validity += f"Có giá trị đến <span class=g>/ Valid until</span>: <b>{vn_date(doc.valid_until)}</b>"
    remarks = "".join(f"<li>{e(r)}</li>" for r in doc.remarks)
    act_vi, act_en = ACT[doc.kind][:2]
    day = doc.issued
    return f"""<!doctype html><html lang=vi><head><meta charset=utf-8><style>
@page {{ size: A4; margin: 36mm 17mm 24mm;
  @top-left {{ content: element(header); }}
  @bottom-left {{ content: "Số GCN / Certificate No.: {e(doc.number)}"; font: 8pt 'DejaVu Sans'; }}
  @bottom-right {{ content: "Trang " counter(page) " / " counter(pages) "  Page " counter(page) " / " counter(pages);
    font: 8pt 'DejaVu Sans'; }}
  @bottom-center {{ content: "Không được sao chép một phần giấy chứng nhận này khi chưa có sự đồng ý bằng văn bản của \
đơn vị cấp. This certificate may be reproduced only in full, unless the issuing body agrees in writing.";
    font: 6.5pt 'DejaVu Sans'; color: #5b6470; vertical-align: bottom; }} }}
header {{ position: running(header); font-size: 7.5pt; color: #1f3a5f; border-bottom: 1.2pt solid #1f3a5f; }}
header b {{ font-size: 10pt; }} header img {{ float: right; width: 21mm; height: 21mm; }}
body {{ font: 8.5pt 'DejaVu Sans'; color: #1a1a1a; }} small {{ display: block; color: #5b6470; font-size: 6.8pt; }}
.g {{ color: #5b6470; font-size: 6.8pt; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 3mm; }}
th, td {{ border: .4pt solid #c3ccd6; padding: 2.5pt 4pt; vertical-align: top; }}
th {{ background: #f2f5f9; text-align: left; font-weight: normal; width: 38mm; }}
table.r th {{ text-align: center; font-weight: bold; width: auto; }} table.r td {{ text-align: center; }}
table.r thead {{ display: table-header-group; }} table.r tr:nth-child(even) td {{ background: #fafbfc; }}
h1 {{ text-align: center; color: #1f3a5f; font-size: 17pt; margin: 0; }} h1 small {{ font-size: 11pt; }}
h2 {{ background: #e7edf4; font-size: 9.5pt; color: #1f3a5f; border-bottom: .8pt solid #1f3a5f; padding: 3pt 4pt;
  page-break-after: avoid; }}
h3 {{ font-size: 8.5pt; margin: 1mm 0; page-break-after: avoid; }}
.box {{ border: 1.2pt solid #1f3a5f; text-align: center; page-break-inside: avoid; }}
.box big {{ font-size: 12pt; font-weight: bold; color: #1f3a5f; }}
.sign {{ display: flex; text-align: center; page-break-inside: avoid; }} .sign div {{ flex: 1; }}
</style></head><body>
<header>{qr}{e(lab.parent_body.upper())}<br><b>{e(lab.name.upper())}</b><br>{e(lab.address)}<br>
ĐT / Tel: {e(lab.phone)} · Email: {e(lab.email)}<br>Số đăng ký <span class=g>Registration No.</span>:
<b>{e(lab.registration_number)}</b><br><span class=g>Mã tra cứu / Code: {e(doc.verification_code)}</span></header>
<h1>{e(title_vi)}<small>{e(title_en)}</small></h1><p style="text-align:center">Số <span class=g>No.</span>:
<b>{e(doc.number)}</b></p>
<h2>1. Phương tiện đo <span class=g>Measuring instrument</span></h2><table>
{row("Tên phương tiện đo", "Measuring instrument", ins.name)}
{row("Loại", "Type", ins.type, "Kiểu", "Model", ins.model)}
{row("Số sản xuất", "Serial number", ins.serial, "Cơ sở sản xuất", "Manufacturer", f"{ins.maker} – {ins.country}")}
{
        row(
            "Phạm vi đo",
            "Measuring range",
            ins.measuring_range,
            "Giá trị độ chia",
            "Resolution / interval e",
            ins.resolution,
        )
    }
{row("Cấp chính xác", "Accuracy class", ins.accuracy_class)}
</table><h2>2. Thông tin thực hiện <span class=g>Particulars of the work</span></h2><table>
{row("Cơ sở sử dụng", "Customer", doc.customer.name)}{row("Địa chỉ", "Address", doc.customer.address)}
{row("Phương pháp thực hiện", "Method", doc.method.code + "  " + doc.method.name)}
{row("Địa điểm thực hiện", "Place", place + doc.place.address)}
{row("Ngày nhận", "Date received", vn_date(doc.received), date_vi, date_en, vn_date(doc.measured))}
{row("Điều kiện môi trường", "Environmental conditions", conditions)}
</table><h2>3. Chuẩn đo lường sử dụng <span class=g>Standards used</span></h2><table class=r><thead><tr>
<th>Chuẩn đo lường<small>Standard</small></th><th>Số hiệu<small>Serial No.</small></th>
<th>Số GCN hiệu chuẩn<small>Calibration cert. No.</small></th><th>Hạn hiệu chuẩn<small>Due date</small></th>
<th>Liên kết chuẩn<small>Traceability</small></th></tr></thead><tbody>{standards}</tbody></table>
<h2>4. Kết quả <span class=g>Results</span></h2>{"".join(tables)}{uncertainty}
<h2>5. Kết luận <span class=g>Conclusion</span></h2><div class=box>
<p><big>{e(decision.text_vi if decision else "")}</big><small>{e(decision.text_en if decision else "")}</small></p>
<p style="text-align:left">Quy tắc quyết định <span class=g>/ Decision rule</span>:
{e(decision.rule_vi if decision else "")}<small>{e(decision.rule_en if decision else "")}</small></p>
<p>{validity}</p></div>
<h2>6. Ghi chú <span class=g>Remarks</span></h2><ul>{remarks}
<li>Kết quả ghi trong giấy chứng nhận này chỉ có giá trị đối với phương tiện đo được {act_vi}.
<span class=g>The results relate only to the item {act_en}.</span></li>
<li>Tra cứu tính xác thực <span class=g>/ Check authenticity</span>: {e(doc.verification_url)} — mã
<span class=g>code</span> <b>{e(doc.verification_code)}</b></li></ul>
<div class=sign><div><b>Người thực hiện</b><small>Performed by</small><br><br><br><b>{e(doc.verifier.name)}</b><br>
Số thẻ kiểm định viên <span class=g>/ Verifier card No.</span>: {e(doc.verifier.card_number)}</div>
<div>{e(lab.province)}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}<small>Date of issue: {vn_date(day)}
</small><b>{e(doc.signatory.title.upper())}</b><small>Authorised signatory</small><br><br>
<b>{e(doc.signatory.name)}</b></div></div>
<p style="text-align:center">{e(END_MARK)}</p></body></html>"""


def main() -> None:
    doc = sample_verification()
    render_t = median_seconds(lambda: render_certificate(doc))
    print(f"render one verification certificate (reportlab): {ms(render_t)} (median of {RUNS})")
    # The QR code's modules are kept per URL; a certificate rendered for the first time pays for encoding its own.
    serial = itertools.count()
    fresh_t = median_seconds(
        lambda: render_certificate(replace(doc, verification_url=f"{doc.verification_url}-{next(serial)}"))
    )
    print(f"render with a verification URL not seen before: {ms(fresh_t)}")

    with tempfile.TemporaryDirectory() as folder:
        paths = create_self_signed_key(folder, "Bench Signer", "Bench Lab", "bench")
        signer = CertificateSigner(paths["pkcs12"], "bench")
        both_t = median_seconds(lambda: signer.sign(render_certificate(doc), "Cấp GCN", "Vĩnh Long", "Bench Signer"))
        pdf = render_certificate(doc)
        sign_t = median_seconds(lambda: signer.sign(pdf, "Cấp GCN", "Vĩnh Long", "Bench Signer"))
    print(f"render and sign: {ms(both_t)}")
    print(f"signing alone: {ms(sign_t)}; {sign_t[1] / render_t[1]:.2f} x the render CPU time (target <= 1)")

    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        print(f"WeasyPrint reference skipped: {exc} (Debian packages libpango-1.0-0 and libpangoft2-1.0-0 provide it)")
        return
    page = certificate_html(doc, qr_image(doc.verification_url))
    weasy_t = median_seconds(lambda: weasyprint.HTML(string=page).write_pdf(), runs=5)
    print(f"render the same content with WeasyPrint {weasyprint.__version__}: {ms(weasy_t)} (median of 5)")
    wall_ratio, cpu_ratio = weasy_t[0] / render_t[0], weasy_t[1] / render_t[1]
    print(f"reportlab faster than WeasyPrint: {wall_ratio:.1f} x wall, {cpu_ratio:.1f} x CPU (target >= 10)")
    # what issuing sees: every new certificate brings a URL, and so a QR code, of its own
    print(f"with its QR encoded afresh: {weasy_t[0] / fresh_t[0]:.1f} x wall, {weasy_t[1] / fresh_t[1]:.1f} x CPU")


if __name__ == "__main__":
    main()
