"""Procedures as data: the definition format, its engine and its validation (docs/procedures.md).

The pressure-gauge definition shipped with the project is the main worked case; its examples are computed by hand
in the file itself and restated here. A small water-meter definition exercises zoned MPEs, the in-service factor and
points given one by one:

    Q3 = 2.5 m³/h, R = 160: Q1 = Q3/R = 0.015625, Q2 = 1.6·Q1 = 0.025 m³/h.
    E = (V_end − V_start − V_ref)/V_ref × 100 %: at Q1 (10.3 − 0 − 10)/10 = 3 %, at Q2 (10.25 − 0 − 10)/10 = 2.5 %,
    at Q3 (200.8 − 100 − 100)/100 = 0.8 %. MPE 5 % for Q1 ≤ Q < Q2, 2 % from Q2: Q2 fails (2.5 > 2), the meter fails.
    In service (factor 2): 10 % and 4 %, every point passes.
"""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments.errors import InputError
from instruments.procedures.defined import load_procedure
from instruments.procedures.definition import DefinitionError, read_definition
from instruments.procedures.validation import facts, validate_definition

GAUGE_FILE = Path(__file__).parents[2] / "instruments/procedures/definitions/pressure-gauge-dlvn08.yaml"
GAUGE_TEXT = GAUGE_FILE.read_text(encoding="utf-8")


def gauge_document() -> dict:
    document = yaml.safe_load(GAUGE_TEXT)
    document["effective"] = str(document["effective"])
    return document


WATER = {
    "format": 1,
    "key": "water-meter-demo",
    "version": "2",
    "effective": "2026-12-01",
    "title": {"vi": "Kiểm định đồng hồ nước", "en": "Water meter verification"},
    "kind": "verification",
    "instrument_types": ["water-meter-mechanical"],
    "methods": [{"code": "ĐLVN 17:2017", "name_vi": "Đồng hồ đo nước - Quy trình kiểm định"}],
    "parameters": [
        {"name": "Q3", "label": {"vi": "Lưu lượng danh định Q3", "en": "Permanent flow rate Q3"}, "unit": "m3/h"},
        {"name": "R", "label": "R = Q3/Q1", "minimum": 10},
    ],
    "tests": [
        {
            "key": "flows",
            "title": {"vi": "Sai số ở các lưu lượng", "en": "Errors at the flow rates"},
            "points": [
                {"label": "Q1", "nominal": "Q3/R"},
                {"label": "Q2", "nominal": "1.6*Q3/R"},
                {"label": "Q3", "nominal": "Q3"},
            ],
            "repetitions": 1,
            "run_fields": [
                {"name": "v_start", "label": "V đầu", "unit": "L"},
                {"name": "v_end", "label": "V cuối", "unit": "L"},
                {"name": "v_ref", "label": "V chuẩn", "unit": "L"},
            ],
            "derived": {"run": {"error": "(v_end - v_start - v_ref)/v_ref*100"}},
            "checks": [
                {
                    "key": "error",
                    "label": {"vi": "Sai số", "en": "Error"},
                    "value": "error",
                    "mpe": {
                        "zones": [
                            {"from": "Q3/R", "below": "1.6*Q3/R", "mpe": {"absolute": 5}},
                            {"from": "1.6*Q3/R", "mpe": {"absolute": 2}},
                        ],
                        "in_service_factor": 2,
                        "unconfirmed": "R 49 class 2 via the EU directive (C); ĐLVN 17:2017 clause not read",
                    },
                }
            ],
        }
    ],
    "tables": [
        {
            "key": "flows",
            "title": "Sai số",
            "test": "flows",
            "columns": [
                {"key": "q", "heading": "Q", "show": "point"},
                {
                    "key": "error",
                    "heading": {"vi": "Sai số", "en": "Error"},
                    "value": "error_value_r1",
                    "unit": "%",
                    "digits": 1,
                },
                {"key": "verdict", "heading": "Kết quả", "show": "verdict"},
            ],
        }
    ],
    "failure_notice": {"vi": "Đồng hồ không đạt.", "en": "The meter fails."},
    "examples": [
        {
            "name": "Q2 fails at verification",
            "observations": {
                "parameters": {"Q3": 2.5, "R": 160},
                "flows": [
                    {"v_start_r1": 0, "v_end_r1": 10.3, "v_ref_r1": 10},
                    {"v_start_r1": 0, "v_end_r1": 10.25, "v_ref_r1": 10},
                    {"v_start_r1": 100, "v_end_r1": 200.8, "v_ref_r1": 100},
                ],
            },
            "expect": {
                "passed": False,
                "flows[0].nominal": 0.015625,
                "flows[1].nominal": 0.025,
                "flows[0].r1.error": 3,
                "flows[0].r1.error.mpe": 5,
                "flows[1].r1.error": 2.5,
                "flows[1].r1.error.mpe": 2,
                "flows[1].r1.error.passed": False,
                "flows[2].r1.error": 0.8,
            },
        }
    ],
}


def as_text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False)


def problems_of(document_or_text) -> list[InputError]:
    text = document_or_text if isinstance(document_or_text, str) else as_text(document_or_text)
    return validate_definition(text).all_problems()


def fields_of(document_or_text) -> list[str]:
    return [problem.field for problem in problems_of(document_or_text)]


def changed(document: dict, *path, value):
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


# --- the shipped pressure-gauge definition ---------------------------------------------------------------------


def test_the_pressure_gauge_definition_is_valid_and_its_examples_pass():
    report = validate_definition(GAUGE_TEXT)
    assert report.valid, report.lines()
    assert [example.passed for example in report.examples] == [True, True, True]
    assert {item.path for item in report.unconfirmed} == {
        "standards[0].adequacy",
        "environment[0]",
        "tests[0].points",
        "tests[0].checks[1].mpe",
    }


def test_gauge_errors_hysteresis_and_uncertainty_worked_by_hand():
    """0-10 bar, class 1: MPE = 1 % × 10 bar = 0.1 bar. At 2.5 bar ↑ 2.46, ↓ 2.58: E↑ = −0.04, E↓ = +0.08,
    hysteresis 0.12 > 0.1 fails. U = 2·√((0.02/(2√3))² + (0.01/2)²) = 0.015275 bar (k = 2, ν = ∞)."""
    procedure = load_procedure(GAUGE_TEXT)
    observations = gauge_document()["examples"][1]["observations"]
    result = procedure().calculate(observations)
    found = facts(dict(result.values))
    assert found["pressure[1].up.error"] == -0.04
    assert found["pressure[1].down.error"] == 0.08
    assert found["pressure[1].hysteresis"] == 0.12
    assert found["pressure[1].hysteresis.passed"] is False
    assert found["pressure[3].hysteresis.passed"] is True  # 0.10 = MPE: limits are inclusive
    assert found["pressure[1].up.error.U"] == pytest.approx(0.015275, abs=1e-6)
    assert result.passed is False
    assert len(result.values["failures"]) == 2 and "0.12" in result.values["failures"][0]
    budget = result.values["tests"]["pressure"]["points"][1]["runs"]["up"]["checks"]["error"]["budget"]
    assert [row["name"] for row in budget["budget"]] == ["reading", "reference"]


def test_gauge_certificate_table_comes_from_the_definition():
    procedure = load_procedure(GAUGE_TEXT)
    result = procedure().calculate(gauge_document()["examples"][1]["observations"])
    (table,) = result.tables
    assert table.title_vi == "Kết quả kiểm tra sai số và độ trễ"
    assert [column.key for column in table.columns] == [
        "nominal", "reading_up", "reading_down", "error_up", "error_down", "hysteresis", "mpe", "uncertainty",
        "verdict",
    ]  # fmt: skip
    assert {column.unit for column in table.columns[:-1]} == {"bar"}  # the unit typed for the gauge
    assert [column.digits for column in table.columns[:3]] == [2, 2, 2]  # as many as the resolution 0.02
    assert table.columns[6].digits == 3
    assert [row["verdict"] for row in table.rows] == ["Đạt", "Không đạt", "Không đạt", "Đạt", "Đạt"]
    assert table.rows[1]["error_up"] == -0.04 and table.rows[1]["hysteresis"] == 0.12


def test_gauge_form_schema_has_a_row_per_point_and_a_column_per_run_field():
    procedure = load_procedure(GAUGE_TEXT)
    fields = {field.name: field for field in procedure().schema().fields}
    assert list(fields) == ["parameters", "decision_rule", "standards", "pressure"]
    pressure = fields["pressure"]
    assert (pressure.kind, pressure.min_items, pressure.max_items) == ("list", 5, 5)
    assert [f.name for f in pressure.item.fields] == ["reading_up", "reference_up", "reading_down", "reference_down"]
    assert pressure.item.fields[0].unit == "parameters.pressure_unit"
    assert procedure.key == "pressure-gauge-dlvn08" and procedure.version == "1"
    assert procedure.seed_methods[0].code == "ĐLVN 08:2011"
    assert procedure().environment[0].maximum == 25


def test_a_missing_point_is_named_with_its_nominal_and_no_decision_is_made():
    procedure = load_procedure(GAUGE_TEXT)
    observations = gauge_document()["examples"][0]["observations"]
    observations["pressure"] = observations["pressure"][:3]
    result = procedure().calculate(observations)
    assert [item.field for item in result.missing] == ["pressure[3]", "pressure[4]"]
    assert "(nominal 1.2)" in result.missing[0].message_en and "(1,2)" not in result.missing[0].message_vi
    assert result.passed is None and result.rule is None
    assert len(result.tables[0].rows) == 3  # the points measured


def test_a_missing_reading_is_named_by_its_field():
    procedure = load_procedure(GAUGE_TEXT)
    observations = gauge_document()["examples"][0]["observations"]
    del observations["pressure"][2]["reading_down"]
    result = procedure().calculate(observations)
    assert [item.field for item in result.missing] == ["pressure[2].reading_down"]
    assert result.passed is None


def test_an_example_may_expect_missing_points():
    document = gauge_document()
    example = document["examples"][0]
    example["observations"]["pressure"] = example["observations"]["pressure"][:4]
    example["expect"] = {"passed": None, "missing": ["pressure[4]"], "pressure[1].up.error": 0.01}
    report = validate_definition(json.dumps(document, ensure_ascii=False))
    assert report.valid, report.lines()


def test_guarded_acceptance_chosen_at_contract_review_uses_the_uncertainty():
    """0-1.6 MPa class 1.6: E↓ = 0.02 at 0.4 MPa passes simply (≤ 0.0256) but not guarded (0.0256 − 0.0061 = 0.0195)."""
    procedure = load_procedure(GAUGE_TEXT)
    observations = gauge_document()["examples"][0]["observations"]
    assert procedure().calculate(observations).passed is True
    guarded = procedure().calculate({**observations, "decision_rule": "guarded"})
    assert guarded.passed is False
    assert guarded.rule.code == "ILAC-G8:guarded-1U"


# --- MPE tables as data --------------------------------------------------------------------------------------------


def test_zoned_mpe_and_the_in_service_factor_worked_by_hand():
    report = validate_definition(as_text(WATER))
    assert report.valid, report.lines()
    procedure = report.procedure
    observations = WATER["examples"][0]["observations"]
    in_service = facts(dict(procedure().calculate({**observations, "mpe_basis": "in_service"}).values))
    assert (in_service["flows[0].r1.error.mpe"], in_service["flows[1].r1.error.mpe"]) == (10, 4)
    assert in_service["passed"] is True
    table = procedure().calculate(observations).tables[0]
    assert [row["q"] for row in table.rows] == ["Q1", "Q2", "Q3"]
    assert [row["verdict"] for row in table.rows] == ["Đạt", "Không đạt", "Đạt"]


@pytest.mark.parametrize(
    ("mpe", "expected"),
    [
        ({"absolute": 0.3}, 0.3),
        ({"percent_of_reading": 2}, 0.2),  # 2 % of the nominal 10
        ({"percent_of_reading": 2, "reading": "v_ref"}, 0.24),  # 2 % of 12
        ({"percent_of_span": 1, "span": "Q3*4"}, 0.1),  # 1 % of 10
        ({"greatest": [{"absolute": 0.15}, {"percent_of_reading": 1}]}, 0.15),  # max(0.15, 0.1)
        ({"greatest": [{"absolute": 0.05}, {"percent_of_reading": 1}]}, 0.1),  # max(0.05, 0.1)
    ],
)
def test_mpe_forms(mpe, expected):
    document = copy.deepcopy(WATER)
    test = document["tests"][0]
    test["points"] = [{"nominal": 10}]
    test["checks"][0]["mpe"] = mpe
    document["tables"] = []
    document["examples"][0]["observations"]["flows"] = [{"v_start_r1": 0, "v_end_r1": 12.0, "v_ref_r1": 12}]
    document["examples"][0]["expect"] = {"flows[0].r1.error.mpe": expected}
    report = validate_definition(as_text(document))
    assert report.valid, report.lines()


def test_a_quantity_outside_every_zone_is_refused_with_the_mpe_path():
    document = changed(WATER, "tests", 0, "points", 0, "nominal", value="Q3/R/2")  # below Q1
    (problem,) = problems_of(document)
    assert problem.field == "examples[0].observations.flows[0]"
    assert "tests[0].checks[0].mpe" in problem.message and "none of the zones" in problem.message


# --- refusals, each with the path of the element at fault ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (("tests", 0, "checks", 0, "value"), "eror", "tests[0].checks[0].value", "unknown name 'eror'"),
        (("tests", 0, "checks", 0, "value"), "error +", "tests[0].checks[0].value", "not a valid expression"),
        (("tests", 0, "checks", 0, "value"), "__import__('os').system('x')", "tests[0].checks[0].value", "not"),
        (("tests", 0, "checks", 0, "value"), "error.real", "tests[0].checks[0].value", "attribute access"),
        (("tests", 0, "checks", 0, "value"), "(lambda: 1)()", "tests[0].checks[0].value", "calling anything"),
        (("tests", 0, "checks", 0, "value"), "error if R else 0", "tests[0].checks[0].value", "conditional"),
        (("tests", 0, "checks", 0, "value"), "error" + " + error" * 80, "tests[0].checks[0].value", "at most 400"),
        (("tests", 0, "checks", 0, "value"), "-" * 30 + "error", "tests[0].checks[0].value", "nested at most"),
        (("tests", 0, "points", 1, "nominal"), "v_ref", "tests[0].points[1].nominal", "unknown name 'v_ref'"),
        (("tests", 0, "run_fields", 0, "unit"), "litre", "tests[0].run_fields[0].unit", "unknown unit 'litre'"),
        (("parameters", 0, "unit"), "@flow_unit", "parameters[0].unit", "not a parameter of kind unit"),
        (
            ("tests", 0, "checks", 0, "mpe"),
            {"absolute": 2, "percent_of_reading": 1},
            "tests[0].checks[0].mpe",
            "exactly one",
        ),
        (
            ("tests", 0, "checks", 0, "mpe", "zones", 1, "mpe"),
            {"percent_of_span": 1},
            "tests[0].checks[0].mpe.zones[1].mpe.span",
            "required",
        ),
        (("tests", 0, "checks", 0, "acceptance"), "guarded", "tests[0].checks[0].acceptance", "uncertainty model"),
        (("tests", 0, "checks", 0, "per"), "unit", "tests[0].checks[0].per", "one of run, point"),
        (("tests", 0, "checks", 0, "colour"), "red", "tests[0].checks[0].colour", "unknown entry"),
        (("tables", 0, "test"), "flow", "tables[0].test", "unknown test"),
        (("tables", 0, "columns", 1, "value"), "errror_value_r1", "tables[0].columns[1].value", "unknown name"),
        (("kind",), "inspection", "kind", "one of verification, calibration"),
        (("effective",), "3 Dec 2026", "effective", "YYYY-MM-DD"),
        (("format",), 2, "format", "must be 1"),
        (
            ("examples", 0, "expect", "flows[1].r1.error"),
            2.4,
            "examples[0].expect.flows[1].r1.error",
            "expected 2.4, the definition gives 2.5",
        ),
        (("examples", 0, "expect", "flows[9].r1.error"), 2.4, "examples[0].expect.flows[9].r1.error", "no such"),
        (
            ("examples", 0, "observations", "flows", 1, "v_ref_r1"),
            0,
            "examples[0].observations.flows[1]",
            "division by zero",
        ),
    ],
)
def test_a_bad_definition_is_refused_naming_the_element(path, value, field, words):
    found = problems_of(changed(WATER, *path, value=value))
    assert [problem.field for problem in found] == [field], found
    assert words in found[0].message


def test_an_unknown_standard_role_is_named():
    document = gauge_document()
    document["tests"][0]["checks"][0]["uncertainty"]["inputs"]["reference"] = {"standard": "piston_gauge"}
    (problem,) = problems_of(document)
    assert problem.field == "tests[0].checks[0].uncertainty.inputs.reference.standard"
    assert "unknown standard role 'piston_gauge'" in problem.message


def test_an_adequacy_rule_must_name_a_check_with_an_mpe():
    document = gauge_document()
    document["standards"][0]["adequacy"]["check"] = "leak"
    assert fields_of(document) == ["standards[0].adequacy.check"]


def test_several_problems_are_reported_together():
    document = changed(WATER, "kind", value="inspection")
    document = changed(document, "tables", 0, "test", value="nothing")
    document = changed(document, "parameters", 1, "unit", value="furlong")
    assert sorted(fields_of(document)) == ["kind", "parameters[1].unit", "tables[0].test"]


def test_an_example_expecting_a_refusal_that_does_not_come_fails():
    document = gauge_document()
    document["examples"][2]["observations"]["standards"]["reference_gauge"]["U"] = 0.02  # 0.02 ≤ 0.1/3: adequate
    assert fields_of(document) == ["examples[2].expect.refused"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x [1, 2]\nb: *x\n", "aliases"),
        ("key: !!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("- just\n- a list\n", "a mapping"),
        ("key: [unclosed\n", "line 2"),
        ("", "a mapping"),
    ],
)
def test_yaml_that_is_not_a_plain_definition_is_refused(text, words):
    (problem,) = problems_of(text)
    assert problem.field == "document" and words in problem.message


def test_a_definition_that_is_too_long_is_refused_before_it_is_read():
    (problem,) = problems_of("# " + "x" * 200_001)
    assert problem.field == "document" and "at most" in problem.message


def test_read_definition_raises_with_every_problem():
    with pytest.raises(DefinitionError) as caught:
        read_definition(as_text(changed(WATER, "kind", value="x")))
    assert [problem.field for problem in caught.value.problems] == ["kind"]


# --- malformed definitions thrown at the validator -------------------------------------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        ["", "x", "nominal", "1/0", "error + ", "__import__('os')", "a.b", "reading_up - reading_down", "@p_max",
         "MPa", "up", "point", "run", "fraction*2", "-" * 60 + "1", "((((1))))", "sqrt(-1)", "1e308*1e308"]
    ),
    st.lists(st.integers(-3, 3), max_size=4),
    st.just({}),
    st.just([]),
    st.dictionaries(st.sampled_from(["absolute", "from", "mpe", "name", "label", "key"]), st.integers(0, 3)),
)  # fmt: skip


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutated(document, where, value, delete):
    document = copy.deepcopy(document)
    if not where:
        return value
    target = document
    for key in where[:-1]:
        target = target[key]
    if delete:
        del target[where[-1]]
    else:
        target[where[-1]] = value
    return document


def _assert_refused_or_valid_with_paths(text):
    report = validate_definition(text)  # must never raise
    for problem in report.all_problems():
        assert isinstance(problem, InputError)
        assert isinstance(problem.field, str) and problem.field, problem
        assert problem.message
    return report


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GAUGE = gauge_document()
GAUGE_PROCEDURE = load_procedure(GAUGE_TEXT)
GAUGE_PATHS = [path for path in _paths(GAUGE) if path]
WATER_PATHS = [path for path in _paths(WATER) if path]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(GAUGE_PATHS), VALUES, st.booleans()), min_size=1, max_size=3))
def test_mutated_gauge_definitions_never_crash_the_validator(changes):
    document = GAUGE
    for where, value, delete in changes:
        try:
            document = _mutated(document, where, value, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    _assert_refused_or_valid_with_paths(json.dumps(document, ensure_ascii=False))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(WATER_PATHS), VALUES, st.booleans()), min_size=1, max_size=3))
def test_mutated_water_definitions_never_crash_the_validator(changes):
    document = WATER
    for where, value, delete in changes:
        try:
            document = _mutated(document, where, value, delete)
        except (KeyError, IndexError, TypeError):
            continue
    _assert_refused_or_valid_with_paths(json.dumps(document, ensure_ascii=False))


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_validator(text):
    report = _assert_refused_or_valid_with_paths(text)
    assert not report.valid


@FUZZ
@given(st.data())
def test_mutated_observations_never_crash_the_engine(data):
    procedure = GAUGE_PROCEDURE
    observations = GAUGE["examples"][0]["observations"]
    where = data.draw(st.sampled_from([path for path in _paths(observations) if path]))
    value = data.draw(VALUES)
    document = _mutated(observations, where, value, data.draw(st.booleans()))
    try:
        procedure().calculate(document)
    except InputError as exc:
        assert isinstance(exc.field, str) and exc.message


# --- the reference page and the command line -------------------------------------------------------------------

DOCS = Path(__file__).parents[2] / "docs/procedures.md"


def test_the_complete_example_of_the_reference_page_is_valid():
    """docs/procedures.md works the example by hand: U = 2·√(2·(10·0.0028868)² + (10.3·0.01)²) = 0.2216 %."""
    block = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)
    report = validate_definition(block)
    assert report.valid, report.lines()
    assert report.examples[0].checked == 9


def test_a_several_unit_definition_refuses_an_example_written_for_one_unit():
    document = changed(WATER, "units_under_test", value={"several": True, "max_units": 20})
    (problem,) = problems_of(document)
    assert problem.field == "examples[0].observations.units"


LIMS = str(Path(sys.executable).with_name("lims"))


def test_validate_command_exit_codes_and_report(tmp_path):
    good = subprocess.run([LIMS, "procedures", "validate", str(GAUGE_FILE)], capture_output=True, text=True)
    assert good.returncode == 0 and "pressure-gauge-dlvn08 version 1: valid" in good.stdout
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(GAUGE_TEXT.replace("value: error\n", "value: eror\n"), encoding="utf-8")
    bad = subprocess.run([LIMS, "procedures", "validate", "--json", str(bad_file)], capture_output=True, text=True)
    assert bad.returncode == 2
    report = json.loads(bad.stdout)
    assert report["valid"] is False
    assert (
        report["problems"] == [{"field": "tests[0].checks[0].value", "error": report["problems"][0]["error"]}]
        and "eror" in report["problems"][0]["error"]
    )


def test_list_shows_the_shipped_definition():
    listed = subprocess.run([LIMS, "procedures", "list"], capture_output=True, text=True)
    assert listed.returncode == 0
    assert "pressure-gauge-dlvn08" in listed.stdout and "version 1" in listed.stdout


def test_a_reading_far_larger_than_its_uncertainty_is_reported():
    """Found by the fuzzing above: 1e24 ± 0.006 has more digits than a default decimal context holds."""
    observations = copy.deepcopy(GAUGE["examples"][0]["observations"])
    observations["pressure"][0]["reading_up"] = 1e24
    result = GAUGE_PROCEDURE().calculate(observations)
    assert result.values["tests"]["pressure"]["points"][0]["runs"]["up"]["checks"]["error"]["passed"] is False


def test_a_new_gauge_record_starts_from_the_instrument_register():
    register = {"accuracy_class": "1.6", "range_min": 0, "range_max": 16, "unit": "bar", "resolution": None}
    assert GAUGE_PROCEDURE().initial_observations(register) == {
        "parameters": {"pressure_unit": "bar", "p_min": 0, "p_max": 16, "accuracy_class": "1.6"}
    }
    assert (
        GAUGE_PROCEDURE().initial_observations({**register, "unit": "psi"})["parameters"].get("pressure_unit") is None
    )
    assert fields_of(changed(WATER, "parameters", 0, "from_instrument", value="flow")) == [
        "parameters[0].from_instrument"
    ]
