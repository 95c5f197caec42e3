"""The procedure registry and the schemas the web forms and the API are generated from."""

import json

import pytest

from instruments.errors import InputError
from instruments.procedures import (
    PROCEDURES,
    MethodReference,
    Procedure,
    all_procedures,
    get_procedure,
)

KEYS = ["weight-comparison-r111", "scale-verification-r76", "scale-calibration-cg18"]


def test_every_procedure_is_registered_under_its_key():
    assert [cls.key for cls in all_procedures()] == KEYS
    for key in KEYS:
        assert get_procedure(key).key == key
        assert issubclass(get_procedure(key), Procedure)


def test_an_unknown_key_names_the_procedure_field():
    with pytest.raises(InputError) as caught:
        get_procedure("scale-verification-r77")
    assert caught.value.field == "procedure"


def _walk(fields):
    for field in fields:
        yield field
        yield from _walk(field["fields"]) if "fields" in field else ()
        if "item" in field:
            yield from _walk([field["item"]])


@pytest.mark.parametrize("key", KEYS)
def test_schemas_are_json_with_bilingual_labels(key):
    described = json.loads(json.dumps(PROCEDURES[key].describe()))
    assert described["kind"] in ("verification", "calibration")
    fields = list(_walk(described["schema"]["fields"]))
    assert fields
    for field in fields:
        assert field["label_vi"] and field["label_en"]
        assert field["kind"] in ("number", "integer", "mass", "text", "choice", "boolean", "group", "list")
    for table in described["result_tables"]:
        assert all(column["heading_vi"] and column["heading_en"] for column in table["columns"])


def test_repeat_counts_and_environment_limits_are_in_the_schema():
    schema = get_procedure("scale-verification-r76")().schema().as_dict()
    eccentricity = next(field for field in schema["fields"] if field["name"] == "eccentricity")
    positions = next(field for field in eccentricity["fields"] if field["name"] == "positions")
    assert positions["min_items"] == 5
    assert schema["environment"][0]["name"] == "temperature"


def test_method_and_limits_come_in_as_arguments():
    method = MethodReference("ĐLVN 286:2015", "Quả cân cấp chính xác F1, F2, M1 - Quy trình hiệu chuẩn")
    procedure = get_procedure("scale-verification-r76")(method=method, eccentricity_positions=4)
    assert procedure.method.code == "ĐLVN 286:2015"
    schema = procedure.schema().as_dict()
    eccentricity = next(field for field in schema["fields"] if field["name"] == "eccentricity")
    assert eccentricity["fields"][1]["min_items"] == 4
    assert get_procedure("weight-comparison-r111").describe(method)["method"]["code"] == "ĐLVN 286:2015"
