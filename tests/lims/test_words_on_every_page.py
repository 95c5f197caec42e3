"""Every page of the demo, as every role, in both languages: no raw code, no missing catalogue entry, and English
pages without Vietnamese outside what people typed (walkthrough finding 7)."""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from flask_babel import refresh
from sqlalchemy import String, Text, select

from lims.core.words import Labelled
from lims.demo import DEMO_PASSWORD, load_demo
from tests.lims.test_demo_pages import DEMO_USERS, strict_pages
from tests.lims.test_no_bilingual_literals import ROOT, VIETNAMESE

pytestmark = pytest.mark.slow

# An example row for each URL argument, by the model it names; the enterprise's own row where the model has one.
EXAMPLES = {
    "audit_id": "InternalAudit",
    "batch_id": "IssueBatch",
    "calibration_id": "StandardCalibration",
    "certificate_id": "Certificate",
    "document_id": "ControlledDocument",
    "event_id": "TrainingEvent",
    "instrument_id": "Instrument",
    "job_id": "Job",
    "message_id": "OutboxMessage",
    "nonconformity_id": "Nonconformity",
    "organisation_id": "Organisation",
    "record_id": "MeasurementRecord",
    "request_id": "ServiceRequest",
    "requirement_id": "Requirement",
    "risk_id": "Risk",
    "round_id": "ProficiencyRound",
    "standard_id": "Standard",
    "type_id": "InstrumentType",
    "user_id": "User",
    "version_id": "DocumentVersion",
}
# Arguments that name no demo row: a language code, a one-time token, a static file.
NOT_PAGES = {"code", "token", "filename"}
# Words that are the same in both languages or are names: the language switch, units, standards' names.
BOTH_LANGUAGES = ("Tiếng Việt", "ĐLVN", "QĐ-BKHCN")
# The lab's names and address are names.
LAB_NAMES = ("LAB_SHORT_NAME", "LAB_ADDRESS", "LAB_PROVINCE", "LAB_PARENT_BODY", "LAB_REGISTRATION_NUMBER")
RAW_WORDS = {"True", "False", "None"}


class VisibleText(HTMLParser):
    """The text a person reads: text nodes outside scripts and styles, and the titles, placeholders and labels.

    Text inside <code> is an identifier shown as such (an API's field and enum values, a record's field path): it is
    the same in every language, so it is neither translated nor a raw code shown by mistake."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    return parser.parts


def _model(name: str):
    from lims.extensions import db

    return next(mapper.class_ for mapper in db.Model.registry.mappers if mapper.class_.__name__ == name)


def example_urls(app, session, organisation_id: int) -> list[str]:
    """Return the GET pages: every route without arguments, and one example of each route with arguments."""
    ids = {}
    for argument, name in EXAMPLES.items():
        model = _model(name)
        query = select(model.id).order_by(model.id).limit(1)
        own = getattr(model, "organisation_id", None)
        found = session.scalar(query.where(own == organisation_id)) if own is not None else None
        if name == "Organisation":
            found = organisation_id
        ids[argument] = found if found is not None else session.scalar(query)
    if ids["calibration_id"] is not None:
        # A calibration is reached through its own standard.
        ids["standard_id"] = session.get(_model("StandardCalibration"), ids["calibration_id"]).standard_id
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or NOT_PAGES & set(rule.arguments):
            continue
        values = {argument: ids.get(argument) for argument in rule.arguments}
        if None in values.values():
            continue
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


def user_data(session) -> list[str]:
    """Return the Vietnamese text stored in the database (names, addresses, notes): what people typed."""
    from lims.extensions import db

    found = set()
    for table in db.metadata.sorted_tables:
        columns = [
            column for column in table.columns if isinstance(getattr(column.type, "impl", column.type), String | Text)
        ]
        if not columns:
            continue
        for row in session.execute(select(*columns)).all():
            for value in row:
                if isinstance(value, str) and VIETNAMESE.search(value):
                    found.add(value.strip())
                    found.update(line.strip() for line in value.splitlines() if line.strip())
    return sorted(found, key=len, reverse=True)


def catalogue_ids() -> set[str]:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    methods = [("lims/**.py", "python"), ("templates/**.html", "jinja2")]
    return {
        message[0] if isinstance(message, tuple) else message
        for _f, _l, message, _c, _x in extract_from_dir(str(ROOT), method_map=methods, keywords=keywords)
    }


def raw_codes() -> set[str]:
    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return {member.value for cls in walk(Labelled) for member in cls}


def _typed(piece: str, stored: list[str]) -> bool:
    """Say whether a piece of page text is no Vietnamese of the program's own: none at all, a name both languages
    use, or what people typed (stored text, whole or cut short on the page)."""
    piece = piece.strip(" .…,")
    if not VIETNAMESE.search(piece) or any(piece in value for value in stored):
        return True
    for value in [*stored, *BOTH_LANGUAGES]:
        if value in piece:
            piece = piece.replace(value, " ")
    return not VIETNAMESE.search(piece)


def problems_of(page: str, language: str, stored: list[str], msgids: set[str], codes: set[str]) -> list[str]:
    found = []
    for text in visible_text(page):
        if text in codes or text in RAW_WORDS or any(re.search(rf"\b{code}\b", text) for code in codes if "_" in code):
            found.append(f"raw code {text!r}")
        if language != "en" or not VIETNAMESE.search(text):
            continue
        # A line of a diff (an uploaded definition against the last) is its file's text after the +/- mark.
        lines = [line.lstrip("+- ") for line in text.splitlines()]
        if all(_typed(piece, stored) for line in lines for piece in re.split(r"[·:;()\[\]]| — ", line)):
            continue
        found.append(f"missing catalogue entry {text!r}" if text in msgids else f"Vietnamese {text[:100]!r}")
    return found


def test_the_page_checks_recognise_raw_codes_and_vietnamese():
    page = '<p title="Trạng thái">in_progress</p><script>var x = "Đã đo";</script><td>Hưng Thịnh</td><b>True</b>'
    found = problems_of(page, "en", ["Hưng Thịnh"], {"Trạng thái"}, {"in_progress"})
    assert found == ["missing catalogue entry 'Trạng thái'", "raw code 'in_progress'", "raw code 'True'"]


def test_every_demo_page_in_both_languages_as_every_role_says_its_words(app, client, session):
    load_demo()
    from lims.auth.models import User

    enterprise = session.scalar(select(User).where(User.username == "dn.cuulong"))
    urls = example_urls(app, session, enterprise.organisation_id)
    stored = user_data(session) + [app.config[name] for name in LAB_NAMES]
    msgids, codes = catalogue_ids(), raw_codes()
    assert len(urls) > 60, urls
    pages, failures = 0, {}
    for username in DEMO_USERS:
        client.post("/logout")
        assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
        for language in ("vi", "en"):
            with client.session_transaction() as cookie:
                cookie["lang"] = language
            # The requests share the test's application context, where Flask-Babel keeps the locale it chose.
            refresh()
            for url in urls:
                with strict_pages(app):
                    response = client.get(url)
                if response.status_code >= 500:
                    failures.setdefault(f"status {response.status_code}", set()).add(f"{url} ({username}, {language})")
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                pages += 1
                for problem in problems_of(response.get_data(as_text=True), language, stored, msgids, codes):
                    failures.setdefault(problem, set()).add(f"{url} ({username}, {language})")
    assert pages > 300
    report = [f"{problem}: {len(where)} pages, e.g. {sorted(where)[0]}" for problem, where in sorted(failures.items())]
    assert report == [], f"{len(report)} problems on {pages} pages:\n" + "\n".join(report)
