"""`lims calc uncertainty` run as a real process: JSON out and exit 0, or one JSON error line and exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

LIMS = Path(sys.executable).parent / "lims"

EA_4_02_S2 = {
    "measurand": {"name": "m_X", "unit": "g"},
    "model": "m_S + dm_D + dm + dm_C + dB",
    "inputs": [
        {"name": "m_S", "value": 10000.005, "expanded_uncertainty": 0.045, "coverage_factor": 2},
        {"name": "dm_D", "value": 0, "distribution": "rectangular", "half_width": 0.015},
        {"name": "dm", "value": 0.020, "standard_uncertainty": 0.014433756729740645},  # 25 mg/√3
        {"name": "dm_C", "value": 0, "distribution": "rectangular", "half_width": 0.010},
        {"name": "dB", "value": 0, "distribution": "rectangular", "half_width": 0.010},
    ],
    "monte_carlo": {"trials": 20000, "seed": 1},
}

pytestmark = pytest.mark.skipif(not LIMS.exists(), reason="the lims console script is not installed in this venv")


def _run(text: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LIMS), "calc", "uncertainty", *(args or ("-",))], input=text, capture_output=True, text=True, timeout=120
    )


def test_a_good_budget_prints_the_json_result():
    done = _run(json.dumps(EA_4_02_S2))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["reported"] == {"value": "10000.025", "expanded_uncertainty": "0.059"}
    assert result["dof_effective"] is None
    assert [row["name"] for row in result["budget"]] == ["m_S", "dm_D", "dm", "dm_C", "dB"]
    assert result["monte_carlo"]["trials"] == 20000
    assert result["monte_carlo"]["warnings"]  # 20000 < 10^4/(1 - p)


def _assert_one_error_line(done: subprocess.CompletedProcess, field: str) -> None:
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    error = json.loads(lines[0])
    assert set(error) == {"error", "field"}
    assert error["field"] == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (json.dumps({**EA_4_02_S2, "model": "m_S + dm_D + dm + dm_C + dB + q"}), "model"),
        (json.dumps({**EA_4_02_S2, "model": "__import__('os').getcwd()"}), "model"),
        (json.dumps({**EA_4_02_S2, "coverage_probability": 2}), "coverage_probability"),
        (json.dumps(EA_4_02_S2).replace("0.045", "NaN"), ""),
        ("{not json", ""),
        ("[1, 2]", ""),
    ],
)
def test_bad_input_exits_2_with_one_json_error_line(text, field):
    _assert_one_error_line(_run(text), field)


def test_a_missing_file_exits_2_with_one_json_error_line(tmp_path):
    _assert_one_error_line(_run("", str(tmp_path / "absent.json")), "FILE")
