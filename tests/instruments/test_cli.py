"""`lims calc weight`, `lims calc mpe` and `lims procedures list` as a user runs them: exit codes and JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

LIMS = str(Path(sys.executable).with_name("lims"))

WEIGHT = {
    "weight": {"nominal": "1 kg", "class": "F2", "density": 8000},
    "reference": {
        "conventional_mass": "1000.002 g",
        "expanded_uncertainty": "2 mg",
        "coverage_factor": 2,
        "density": 8000,
    },
    "air": {"density": 1.2},
    "cycle": "ABBA",
    "readings": [[0, 5, 5, 0], [1, 7, 6, 1], [0, 4.5, 4.5, 0]],
    "reading_unit": "mg",
    "balance": {"resolution": "0.1 mg"},
}


def lims(*args, document=None):
    text = None if document is None else json.dumps(document)
    return subprocess.run([LIMS, *args], input=text, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("name", "document", "code", "field"),
    [
        ("mpe", {"class": "M1", "nominal": "500 g"}, 0, None),
        ("mpe", {"class": "M9", "nominal": "500 g"}, 2, "class"),
        ("mpe", {"class": "M1", "nominal": 500}, 2, "nominal"),
        ("weight", WEIGHT, 0, None),
        ("weight", {**WEIGHT, "readings": [[0, 5, 5]]}, 2, "readings[0]"),
        ("weight", {**WEIGHT, "reading_unit": None}, 2, "reading_unit"),
    ],
)
def test_calc_exit_codes(name, document, code, field):
    done = lims("calc", name, "-", document=document)
    assert done.returncode == code, done.stderr
    if code == 0:
        assert json.loads(done.stdout)
    else:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["field"] == field
        assert done.stdout == ""


def test_calc_mpe_output():
    done = lims("calc", "mpe", "-", document={"class": "M1–2", "nominal": "50 kg"})
    assert json.loads(done.stdout) == {"class": "M1-2", "nominal": "50 kg", "nominal_kg": 50.0, "mpe_mg": 5000.0}


def test_procedures_list_prints_every_key_and_json_schemas():
    plain = lims("procedures", "list")
    assert plain.returncode == 0
    assert all(
        key in plain.stdout for key in ("weight-comparison-r111", "scale-verification-r76", "scale-calibration-cg18")
    )
    described = json.loads(lims("procedures", "list", "--json").stdout)
    assert [item["key"] for item in described] == [
        "weight-comparison-r111",
        "scale-verification-r76",
        "scale-calibration-cg18",
        # the definitions shipped as files, by file name
        "fuel-dispenser-dlvn10",
        "pressure-gauge-dlvn08",
        "sphygmomanometer-electronic-dlvn343",
        "sphygmomanometer-mechanical-dlvn09",
        "water-meter-dlvn17",
    ]
    gauge = next(item for item in described if item["key"] == "pressure-gauge-dlvn08")
    assert gauge["version"] == "1" and gauge["file"] == "pressure-gauge-dlvn08.yaml"
    assert all(item["schema"]["fields"] for item in described)
