"""Several units under test in one record: the shipped gauge definition made a bench of gauges sharing a range and
a reference, each gauge with its own class and readings, its own decision, missing points and table."""

import copy

import pytest
import yaml

from instruments.errors import InputError
from instruments.procedures.defined import load_procedure
from instruments.procedures.validation import validate_definition
from tests.instruments.test_procedure_definitions import GAUGE_TEXT

GOOD = yaml.safe_load(GAUGE_TEXT)["examples"][0]["observations"]  # 0-1.6 MPa, class 1.6: passes
FAILING_ROWS = copy.deepcopy(GOOD["pressure"])
FAILING_ROWS[2]["reading_down"] = 0.84  # E↓ = 0.04 MPa > MPE 0.0256 MPa


def bench_document(examples: list | None = None) -> dict:
    document = yaml.safe_load(GAUGE_TEXT)
    document["effective"] = str(document["effective"])
    document["units_under_test"] = {"several": True, "max_units": 3, "per_unit_parameters": ["accuracy_class"]}
    shared = {k: v for k, v in GOOD["parameters"].items() if k != "accuracy_class"}
    document["examples"] = examples or [
        {
            "name": "two gauges on the bench: the first passes, the second fails at 0.8 MPa decreasing",
            "observations": {
                "parameters": shared,
                "standards": GOOD["standards"],
                "units": [
                    {"parameters": {"accuracy_class": 1.6}, "pressure": GOOD["pressure"]},
                    {"parameters": {"accuracy_class": 1.6}, "pressure": FAILING_ROWS},
                ],
            },
            "expect": {
                "passed": False,
                "units[0].passed": True,
                "units[1].passed": False,
                "units[1].pressure[2].down.error": {"value": 0.04, "within": 1e-9},
                "units[1].pressure[2].down.error.passed": False,
                "units[0].pressure[1].up.error.U": {"value": 0.0061101, "within": 0.0000001},
            },
        }
    ]
    return document


def bench_text(document: dict | None = None) -> str:
    return yaml.safe_dump(document or bench_document(), allow_unicode=True, sort_keys=False)


def observations(*rows_per_unit, classes=None) -> dict:
    shared = {k: v for k, v in GOOD["parameters"].items() if k != "accuracy_class"}
    classes = classes or [1.6] * len(rows_per_unit)
    return {
        "parameters": shared,
        "standards": GOOD["standards"],
        "units": [
            {"parameters": {"accuracy_class": cls}, "pressure": copy.deepcopy(rows)}
            for cls, rows in zip(classes, rows_per_unit, strict=True)
        ],
    }


def test_a_bench_definition_validates_with_a_worked_example_per_unit():
    report = validate_definition(bench_text())
    assert report.valid, report.lines()
    assert report.examples[0].checked == 6


def test_each_unit_has_its_own_result_decision_and_table_and_the_record_sums_them_up():
    procedure = load_procedure(bench_text())
    result = procedure().calculate(observations(GOOD["pressure"], FAILING_ROWS))
    first, second = result.values["units"]
    assert first["passed"] is True and second["passed"] is False and result.passed is False
    assert second["failure_notice"]["vi"].startswith("Áp kế không đạt")  # each unit its own failure notice
    assert "failure_notice" not in first
    assert [table.key for table in result.tables] == ["units[0].pressure", "units[1].pressure"]
    assert result.tables[1].title_en.endswith("(unit 2)")
    assert result.values["parameters"] == {k: v for k, v in GOOD["parameters"].items() if k != "accuracy_class"}
    # A unit computes exactly as the same gauge alone in a one-unit record.
    alone = load_procedure(GAUGE_TEXT)().calculate(GOOD)
    assert first["tests"] == alone.values["tests"]


def test_each_unit_uses_its_own_class_for_its_mpe():
    procedure = load_procedure(bench_text())
    result = procedure().calculate(observations(FAILING_ROWS, FAILING_ROWS, classes=[1.6, 4]))
    mpes = [
        unit["tests"]["pressure"]["points"][2]["runs"]["down"]["checks"]["error"]["mpe"]
        for unit in result.values["units"]
    ]
    assert mpes == pytest.approx([0.0256, 0.064])
    assert [unit["passed"] for unit in result.values["units"]] == [False, True]


def test_a_unit_missing_points_is_named_and_the_bench_has_no_decision_while_the_others_do():
    procedure = load_procedure(bench_text())
    result = procedure().calculate(observations(GOOD["pressure"], GOOD["pressure"][:3]))
    assert [item.field for item in result.missing] == ["units[1].pressure[3]", "units[1].pressure[4]"]
    assert result.passed is None and result.values["units"][0]["passed"] is True
    assert result.values["units"][1]["passed"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("units"), "units"),
        (lambda d: d.update(units=[]), "units"),
        (lambda d: d["units"].extend([copy.deepcopy(d["units"][0])] * 3), "units[3]"),
        (lambda d: d["units"].__setitem__(1, "AK-2"), "units[1]"),
        (lambda d: d["units"][1].update(serial="AK-2"), "units[1].serial"),
        (lambda d: d["units"][1]["parameters"].update(p_max=2.5), "units[1].parameters.p_max"),
        (lambda d: d["parameters"].update(accuracy_class=1.6), "parameters.accuracy_class"),
        (lambda d: d["units"][1]["pressure"][2].update(reading_down="x"), "units[1].pressure[2].reading_down"),
        (lambda d: d["units"][1]["parameters"].update(accuracy_class=3), "units[1].parameters.accuracy_class"),
        (lambda d: d["standards"]["reference_gauge"].update(U=-1), "standards.reference_gauge.U"),
    ],
)
def test_a_refusal_names_the_unit_and_the_field(change, field):
    document = observations(GOOD["pressure"], GOOD["pressure"])
    change(document)
    with pytest.raises(InputError) as refused:
        load_procedure(bench_text())().calculate(document)
    assert refused.value.field == field


def test_the_form_has_the_shared_fields_once_and_each_units_own_fields_and_rows():
    fields = {field.name: field for field in load_procedure(bench_text())().observation_fields()}
    assert [f.name for f in fields["parameters"].fields] == ["pressure_unit", "p_min", "p_max", "resolution"]
    units = fields["units"]
    assert units.kind == "list" and units.max_items == 3
    assert [f.name for f in units.item.fields] == ["parameters", "pressure"]
    assert [f.name for f in units.item.fields[0].fields] == ["accuracy_class"]
    assert "pressure" not in fields


def test_a_new_bench_record_starts_with_the_register_instrument_as_its_first_unit():
    procedure = load_procedure(bench_text())()
    start = procedure.initial_observations({"unit": "MPa", "range_max": 1.6, "accuracy_class": 1.6})
    assert start == {
        "parameters": {"pressure_unit": "MPa", "p_max": 1.6},
        "units": [{"parameters": {"accuracy_class": 1.6}}],
    }
