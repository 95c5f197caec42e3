"""Every certificate the demo issues, read back as text (pypdf), writes its numbers as Vietnamese does.

What is looked for, and why:
- a float artefact: a run of six or more 0s or 9s inside a number's decimals ("0,07500000000000001",
  "0,00019999999999242846"), or more than twelve significant digits ("k = 2,000904395836009");
- a number written digit.digit: a point is the Vietnamese thousands separator, so "500.0019 g" reads as five
  million grams. Allowed only inside URLs, standard references (R 111-1, ILAC-G8:09/2019, ĐLVN 16:2021, clause
  numbers such as 4.2.1) and the maker's designations of the instrument (model "213.53");
- every coverage factor "k = …" with at most three significant digits ("k = 2", "k = 2,28"; never
  "k = 2,000904395836009");
- a one-weight certificate printing a measuring range "(0 ÷ 0,5) kg";
- "Kết luận" more than once;
- on a calibration certificate, the verification wording "Đạt yêu cầu kỹ thuật đo lường".
"""

import io
import re

import pypdf
from sqlalchemy import select

from lims.core.files import read_bytes
from lims.demo import load_demo
from lims.issuing.models import Certificate

URL = re.compile(r"https?://\S+")
# Clause numbers and document references: "ILAC-G8:09/2019, 4.2.1", "R 111-1", "ĐLVN 16:2021", "17025 7.8.6",
# "(C.6.3-1)": a point in them is a separator of clause levels, not a decimal mark.
REFERENCE = re.compile(
    r"(ILAC-G8:\d{2}/\d{4}(, \d+(\.\d+)*)?|R \d+-\d+(:\d{4})?|ĐLVN \d+:\d{4}|ISO/IEC \d+(:\d{4})?( \d+(\.\d+)*)?"
    r"|\b[A-E]\.\d+(\.\d+)*(-\d+)?|\(\d+(\.\d+)+\))"
)
DIGIT_DOT_DIGIT = re.compile(r"\d\.\d")
NOISE = re.compile(r"\d[,.]\d*(0{6,}|9{6,})\d")
LONG_NUMBER = re.compile(r"\d[\d]*,(\d+)")
COVERAGE_FACTOR = re.compile(r"k = (\d+(?:,\d+)?)")


def _significant(number: str) -> int:
    return len(number.replace(",", "").lstrip("0"))


def problems(text: str) -> list[str]:
    """Return what a certificate's text gets wrong about its numbers (empty when it reads true)."""
    found = []
    plain = REFERENCE.sub(" ", URL.sub(" ", text))
    for match in DIGIT_DOT_DIGIT.finditer(plain):
        found.append(f"digit.digit: …{plain[max(0, match.start() - 25) : match.end() + 25]!r}…")
    for match in NOISE.finditer(text):
        found.append(f"float artefact: {match.group(0)!r}")
    for match in LONG_NUMBER.finditer(plain):
        if _significant(match.group(0)) > 12:
            found.append(f"too many digits: {match.group(0)!r}")
    for match in COVERAGE_FACTOR.finditer(text):
        if _significant(match.group(1)) > 3:
            found.append(f"k with more than three significant digits: {match.group(0)!r}")
    if text.count("Kết luận") > 1:
        found.append('"Kết luận" printed more than once')
    return found


def test_the_checker_finds_what_the_review_found():
    """The findings of the December review, as they were printed, are each caught; the fixed forms pass."""
    assert problems("k = 2,000904395836009")
    assert problems("0,07500000000000001 kg")
    assert problems("0,00019999999999242846")
    assert problems("500.0019 g")
    assert problems("Kết luận ... Kết luận")
    assert not problems("k = 2, 500,0019 g, U = 1,0 mg, 15,00 kg")
    assert not problems("ILAC-G8:09/2019, 4.2.1; OIML R 111-1; ĐLVN 16:2021; http://x.vn/v/a.b1.c2; (C.6.3-1)")


def test_every_certificate_the_demo_issues_reads_true(app, session):
    """``lims demo load`` issues verifications (R 76 scales) and calibrations (a 0,5 kg M1 weight): read each."""
    load_demo()
    certificates = list(session.scalars(select(Certificate)))
    assert {c.kind for c in certificates} == {"verification", "calibration"}
    failures = {}
    for certificate in certificates:
        reader = pypdf.PdfReader(io.BytesIO(read_bytes(certificate.pdf_sha256)))
        text = "\n".join(page.extract_text() for page in reader.pages)
        # The maker's designations (model "213.53", a serial) are names, not numbers: they are printed as marked.
        instrument = certificate.job.instrument
        named = text
        for designation in filter(None, (instrument.model, instrument.serial)):
            named = named.replace(designation, " ")
        found = problems(named)
        if certificate.kind == "calibration":
            if "Đạt yêu cầu kỹ thuật đo lường" in text:
                found.append("verification wording on a calibration certificate")
            if "Quả cân" in text and "÷" in text.split("4. Kết quả")[0]:
                found.append("a single weight printed with a measuring range")
        if found:
            failures[certificate.number] = found
    assert not failures, failures
