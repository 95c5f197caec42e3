"""The calculation API gives what `lims calc` gives, to lab staff only."""

import json
import subprocess
import sys

import pytest

BUDGET = {
    "measurand": {"name": "m_X", "unit": "g"},
    "inputs": [
        {"name": "m_S", "value": 10000.005, "expanded_uncertainty": 0.045, "coverage_factor": 2},
        {"name": "dm", "value": 0.020, "standard_uncertainty": 0.025 / 3**0.5, "dof": 2},
    ],
}


def _cli(name: str, document: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lims.cli", "calc", name, "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_api_and_the_cli_give_the_same_result(client, login):
    login("technician")
    response = client.post("/api/v1/calc/uncertainty", json=BUDGET)
    assert response.status_code == 200, response.text
    cli = _cli("uncertainty", BUDGET)
    assert cli.returncode == 0, cli.stderr
    assert response.get_json() == json.loads(cli.stdout)


def test_bad_input_is_a_422_naming_the_field(client, login):
    login("technician")
    bad = {"inputs": [{"name": "x", "value": 1, "standard_uncertainty": -1}]}
    response = client.post("/api/v1/calc/uncertainty", json=bad)
    assert response.status_code == 422
    assert response.get_json()["field"].startswith("inputs[0]")


@pytest.mark.parametrize("role", ["enterprise", "inspector"])
def test_only_lab_staff_may_calculate(client, login, role):
    login(role)
    assert client.post("/api/v1/calc/uncertainty", json=BUDGET).status_code == 403


def test_an_unknown_calculation_is_404(client, login):
    login("technician")
    assert client.post("/api/v1/calc/nothing", json={}).status_code == 404
