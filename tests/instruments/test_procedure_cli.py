"""`lims calc procedure KEY -` and `lims procedures example KEY`: every registered procedure run on a record as the
lab stores it (observations, conditions, standards' values, instrument), outside the app.

The R 76 example is tests/instruments/test_scale_verification.py's CASE (class III, Max 15 kg, e = d = 5 g) with the
test weights' class taken from the standards used: M1. With an M3 set instead, the weights are not adequate at
15 kg: the MPE there is 1.5 e = 7.5 g, so the weights may err by 2.5 g, and M3 10 kg + 5 kg may err by
5 g + 2.5 g = 7.5 g (R 111-1 Table 1).
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from instruments.errors import InputError
from instruments.procedures import all_procedures, get_procedure

LIMS = str(Path(sys.executable).with_name("lims"))
# The built-in procedures, and the procedures defined as data (shipped as definition files).
DEFINITIONS = Path(__file__).parents[2] / "instruments/procedures/definitions"
KEYS = [cls.key for cls in all_procedures()] + sorted(path.stem for path in DEFINITIONS.glob("*.yaml"))


def lims(*args, document=None):
    text = None if document is None else json.dumps(document)
    return subprocess.run([LIMS, *args], input=text, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("key", KEYS)
def test_every_procedure_prints_an_example_that_it_computes(key):
    example = lims("procedures", "example", key)
    assert example.returncode == 0, example.stderr
    document = json.loads(example.stdout)
    assert set(document) <= {"instrument", "observations", "conditions", "standards", "stage"}
    ran = lims("calc", "procedure", key, "-", document=document)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["procedure"] == key
    assert result["complete"] is True and result["missing"] == [] and result["environment"] == []
    assert result["tables"] and all(table["rows"] for table in result["tables"])
    assert "passed" in result and "decision_rule" in result


def r76_example():
    return get_procedure("scale-verification-r76").example_record()


def test_the_r76_example_takes_the_weights_class_from_the_standards_used():
    procedure = get_procedure("scale-verification-r76")()
    result = procedure.run_record(r76_example())
    assert result["values"]["standard_weights"]["class"] == "M1" and result["passed"] is True
    document = r76_example()
    document["standards"][0]["accuracy_class"] = "M3"
    result = procedure.run_record(document)
    assert result["passed"] is None and result["complete"] is False
    assert 15 in result["values"]["standard_weights"]["inadequate_loads"]
    assert [item["field"] for item in result["missing"]] == ["standard_weights.class"]
    document["observations"]["standard_weights"] = {"class": "F1"}  # typed in the record: the record says it
    assert procedure.run_record(document)["values"]["standard_weights"]["class"] == "F1"


def test_conditions_out_of_limits_are_listed_not_refused():
    document = r76_example()
    document["conditions"] = {"temperature": 45.0}
    result = get_procedure("scale-verification-r76")().run_record(document)
    assert [problem["field"] for problem in result["environment"]] == ["conditions.temperature"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["observations"]["scale"].update(e=0), "observations.scale.e"),
        (lambda d: d["observations"]["weighing"][1].pop("indication"), "observations.weighing[1].indication"),
        (lambda d: d.update(stage="later"), "stage"),
        (lambda d: d.update(conditions={"temperature": "warm"}), "conditions.temperature"),
        (lambda d: d.update(standards={"class": "M1"}), "standards"),
        (lambda d: d.pop("observations"), "observations"),
        (lambda d: d.update(result={}), "result"),
    ],
)
def test_bad_input_names_the_field(mutate, field):
    document = r76_example()
    mutate(document)
    with pytest.raises(InputError) as caught:
        get_procedure("scale-verification-r76")().run_record(copy.deepcopy(document))
    assert caught.value.field == field


def test_the_command_refuses_with_exit_2_and_one_json_error():
    document = r76_example()
    document["observations"]["scale"]["e"] = 0
    refused = lims("calc", "procedure", "scale-verification-r76", "-", document=document)
    assert refused.returncode == 2 and refused.stdout == ""
    assert json.loads(refused.stderr) == {"error": "must be positive", "field": "observations.scale.e"}
    unknown = lims("calc", "procedure", "no-such-procedure", "-", document=document)
    assert unknown.returncode == 2 and json.loads(unknown.stderr)["field"] == "procedure"
    assert lims("procedures", "example", "no-such-procedure").returncode == 2
