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
from certificates.render import TITLES, render_certificate  # noqa: E402
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


def certificate_html(doc: Certificate) -> str:
    """Return the same content as an HTML page for WeasyPrint (a reference, not a product)."""
    e = html.escape
    title_vi, title_en = TITLES[doc.kind]
    ins = doc.instrument

    def row(vi, en, value):
        return f"<tr><th>{e(vi)}<small>{e(en)}</small></th><td>{e(value)}</td></tr>"

    tables = []
    for t in doc.results:
        head = "".join(f"<th>{e(c.heading_vi)}<small>{e(c.heading_en)} {e(c.unit)}</small></th>" for c in t.columns)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in t.rows)
        tables.append(
            f"<h3>{e(t.title_vi)} <small>{e(t.title_en)}</small></h3><table class=r><thead><tr>{head}"
            f"</tr></thead><tbody>{body}</tbody></table>"
        )
    standards = "".join(
        f"<tr><td>{e(s.name)}</td><td>{e(s.serial)}</td><td>{e(s.certificate_number)}</td><td>{s.due_date}</td>"
        f"<td>{e(s.traceability)}</td></tr>"
        for s in doc.standards
    )
    return f"""<!doctype html><html lang=vi><head><meta charset=utf-8><style>
@page {{ size: A4; margin: 40mm 17mm 25mm;
  @top-left {{ content: "{e(doc.lab.name)}"; font: bold 10pt 'DejaVu Sans'; }}
  @bottom-right {{ content: "Trang " counter(page) " / " counter(pages) "  Page " counter(page) " / " counter(pages); }}
  @bottom-left {{ content: "Số GCN / Certificate No.: {e(doc.number)}"; }} }}
body {{ font: 8.5pt 'DejaVu Sans'; }} small {{ display: block; color: #5b6470; font-size: 7pt; }}
table {{ width: 100%; border-collapse: collapse; }} th, td {{ border: .4pt solid #c3ccd6; padding: 2pt 4pt; }}
th {{ background: #f2f5f9; text-align: left; }} table.r td {{ text-align: center; }}
h1 {{ text-align: center; color: #1f3a5f; }} h2 {{ background: #e7edf4; font-size: 9.5pt; }}
</style></head><body>
<h1>{e(title_vi)}<small>{e(title_en)}</small></h1><p>Số / No.: <b>{e(doc.number)}</b></p>
<h2>1. Phương tiện đo / Measuring instrument</h2><table>
{row("Tên phương tiện đo", "Measuring instrument", ins.name)}{row("Kiểu", "Model", ins.model)}
{row("Số sản xuất", "Serial number", ins.serial)}{row("Cơ sở sản xuất", "Manufacturer", ins.maker)}
{row("Phạm vi đo", "Measuring range", ins.measuring_range)}{row("Cấp chính xác", "Accuracy class", ins.accuracy_class)}
</table><h2>2. Thông tin thực hiện / Particulars</h2><table>
{row("Cơ sở sử dụng", "Customer", doc.customer.name)}{row("Địa chỉ", "Address", doc.customer.address)}
{row("Phương pháp", "Method", doc.method.code + " " + doc.method.name)}
</table><h2>3. Chuẩn / Standards</h2><table>{standards}</table>
<h2>4. Kết quả / Results</h2>{"".join(tables)}
<h2>5. Kết luận / Conclusion</h2><p><b>{e(doc.decision.text_vi if doc.decision else "")}</b></p>
<p>Có giá trị đến / Valid until: {doc.valid_until}</p>
<p style="text-align:center">--- Hết giấy chứng nhận / End of certificate ---</p></body></html>"""


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
    page = certificate_html(doc)
    weasy_t = median_seconds(lambda: weasyprint.HTML(string=page).write_pdf(), runs=5)
    print(f"render the same content with WeasyPrint {weasyprint.__version__}: {ms(weasy_t)} (median of 5)")
    wall_ratio, cpu_ratio = weasy_t[0] / render_t[0], weasy_t[1] / render_t[1]
    print(f"reportlab faster than WeasyPrint: {wall_ratio:.1f} x wall, {cpu_ratio:.1f} x CPU (target >= 10)")


if __name__ == "__main__":
    main()
