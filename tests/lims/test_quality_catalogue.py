"""National criteria sets imported from CSV: bad rows reported, nothing half-imported, revisions keep evidence."""

import io

import pytest
from sqlalchemy import func, select

from lims.auth.permissions import SYSTEM
from lims.quality.catalogue import CatalogueImportError, import_catalogue, sample_national_csv, seed_iso17025
from lims.quality.models import Requirement, RequirementCatalogue

GOOD = "code,title,parent,field\nA,Tổ chức,,\nA.1,Nhân sự đủ năng lực,A,khối lượng\nA.2,Chuẩn còn hạn,A,khối lượng\n"
BAD = (
    "code,title,parent,field,clause\n"
    "A,Tổ chức,,,\n"
    ",Không có mã,A,,\n"  # line 3: no code
    "A.1,,A,,\n"  # line 4: no title
    "A.1,Trùng mã,A,,\n"  # line 5: duplicate
    "B.1,Mục cha không có,Z,,\n"  # line 6: unknown parent
    "C.1,Điều khoản sai,A,,9.9\n"  # line 7: not a 17025 clause
)


def _catalogues(session) -> int:
    return session.scalar(select(func.count(RequirementCatalogue.id)))


def test_the_iso_17025_clauses_are_seeded_once_with_both_titles(session):
    first = seed_iso17025(session, SYSTEM)
    again = seed_iso17025(session, SYSTEM)
    assert first.id == again.id
    codes = [r.code for r in first.requirements]
    assert codes[0] == "4" and "7.7.2" in codes and codes[-1] == "8.9"
    clause = next(r for r in first.requirements if r.code == "6.5")
    assert clause.title_vi and clause.title_en and clause.parent.code == "6"


def test_the_sample_set_imports_with_parents_fields_and_clauses(session):
    report = import_catalogue(session, SYSTEM, code="MAU", name="Bộ mẫu", data=sample_national_csv())
    by_code = {r.code: r for r in report.catalogue.requirements}
    assert report.added == len(by_code) == 10
    assert by_code["B.1"].parent.code == "B"
    assert by_code["B.1"].field == "khối lượng"
    assert by_code["B.1"].related_clause == "6.5"


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(session):
    with pytest.raises(CatalogueImportError) as error:
        import_catalogue(session, SYSTEM, code="SAI", name="Bộ lỗi", data=BAD.encode())
    problems = {(p.line, p.column) for p in error.value.problems}
    assert {(3, "code"), (4, "title"), (5, "code"), (6, "parent"), (7, "clause")} <= problems
    assert _catalogues(session) == 0
    assert session.scalar(select(func.count(Requirement.id))) == 0


def test_a_file_without_the_required_columns_is_refused(session):
    with pytest.raises(CatalogueImportError):
        import_catalogue(session, SYSTEM, code="X", name="X", data=b"ma,ten\nA,B\n")


def test_parents_forming_a_loop_are_refused(session):
    with pytest.raises(CatalogueImportError) as error:
        import_catalogue(session, SYSTEM, code="LOOP", name="Vòng", data="code,title,parent\nA,a,B\nB,b,A\n")
    assert {p.column for p in error.value.problems} == {"parent"}


def test_a_revised_set_updates_in_place_and_drops_removed_rows(session):
    import_catalogue(session, SYSTEM, code="TC", name="Bộ v1", data=GOOD, version="1")
    revised = "code;title;parent;field\nA;Tổ chức (sửa);;\nA.1;Nhân sự;A;khối lượng\nA.3;Mới;A;\n"
    report = import_catalogue(session, SYSTEM, code="TC", name="Bộ v2", data=revised.encode("utf-8-sig"), version="2")
    assert (report.added, report.updated, report.removed) == (1, 2, 1)
    assert _catalogues(session) == 1
    assert [r.code for r in report.catalogue.requirements] == ["A", "A.1", "A.3"]
    assert report.catalogue.requirements[0].title_vi == "Tổ chức (sửa)"


def test_a_manager_uploads_a_bad_file_and_sees_the_errors_with_nothing_saved(client, login, session):
    login("manager")
    response = client.post(
        "/quality/catalogues/import",
        data={"code": "SAI", "name": "Bộ lỗi", "file": (io.BytesIO(BAD.encode()), "bad.csv")},
        content_type="multipart/form-data",
        headers={"Referer": "/quality/catalogues"},
    )
    assert response.status_code == 302
    page = client.get("/quality/catalogues").get_data(as_text=True)
    assert "dòng/line 3" in page
    assert _catalogues(session) == 0
    response = client.post(
        "/quality/catalogues/import",
        data={"code": "MAU", "name": "Bộ mẫu", "file": (io.BytesIO(sample_national_csv()), "sample.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _catalogues(session) == 1


def test_the_sample_criteria_file_downloads_as_utf8_csv_with_one_charset(client, login):
    login("manager")
    response = client.get("/quality/catalogues/sample.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
