"""Pages, previews and exports write numbers with the one formatter, in the page's language."""

from flask_babel import force_locale

from lims.core.dates import lab_today
from lims.core.display import cells, coverage_factor, measured, number, printed_result
from lims.standards import queries, services
from lims.standards.services import ItemInput, ValueInput
from tests.lims.test_standards_rules import make_standard, manager  # noqa: F401  (fixtures)


def test_the_filters_write_the_page_language(app_context):
    """Vietnamese pages use the decimal comma, English pages the point; never a float's noise."""
    with force_locale("vi"):
        assert number(0.07500000000000001) == "0,075"
        assert number(500.0019, "g") == "500,0019 g"
        assert measured(15, 0.01, "kg") == "15,00 kg"
        assert coverage_factor(2.000904395836009) == "2"
    with force_locale("en"):
        assert number(0.07500000000000001) == "0.075"
        assert measured(15, 0.01, "kg") == "15.00 kg"
        assert cells({"columns": [{"key": "e", "resolution": 0.1}], "rows": [{"e": 0.30000000000000004}]}) == [["0.3"]]


def test_a_preview_carries_its_numbers_written(app_context):
    """The JSON preview's tables and budgets: cg-18 row E = 0,00123 g with U = 0,00312 g and k = 2,0009."""
    result = {
        "tables": [
            {
                "columns": [
                    {"key": "error", "uncertainty": "expanded_uncertainty"},
                    {"key": "expanded_uncertainty", "printed": "uncertainty"},
                    {"key": "coverage_factor", "printed": "coverage_factor"},
                ],
                "rows": [{"error": 0.00123, "expanded_uncertainty": 0.00312, "coverage_factor": 2.0009}],
            }
        ],
        "values": {
            "errors": [
                {
                    "expanded_uncertainty": 0.00312,
                    "coverage_factor": 2.0009,
                    "budget": [
                        {
                            "name": "repeatability",
                            "value": 0.0,
                            "standard_uncertainty": 0.00015275252316251288,
                            "sensitivity": 1.0,
                            "contribution": 0.00015275252316251288,
                            "dof": None,
                        }
                    ],
                }
            ]
        },
    }
    printed = printed_result(result, "vi")
    assert printed["tables"] == [[["0,0012", "0,0031", "2"]]]  # one table, one row
    (budget,) = printed["budgets"]
    assert budget["path"] == "errors[0]"
    assert budget["rows"] == [["repeatability", "0", "0,00015", "1", "0,00015", "∞"]]
    assert (budget["expanded_uncertainty"], budget["coverage_factor"]) == ("0,0031", "2")


def test_a_weight_whose_u_is_exactly_a_third_of_its_mpe_meets_its_class_on_the_standards_page(
    client,
    login,
    session,
    manager,  # noqa: F811
    make_standard,  # noqa: F811
):
    """F1 50 g: δm = 0,3 mg; U = 0,1 mg = δm/3 exactly passes (0.1 <= 0.3 / 3 is False in floats); correction
    0,2 mg = δm − U, on the limit. The page writes 0,2 mg and 0,1 mg with the decimal comma."""
    standard = make_standard(accuracy_class="F1", items=[ItemInput("50 g", None, "F1")])
    item = standard.items[0]
    calibration = services.record_calibration(
        session,
        manager,
        standard,
        certificate_number="KL3-2",
        calibrating_lab="QUATEST 3",
        calibrated_on=lab_today(),
        today=lab_today(),
        values=[ValueInput(0.2, 0.1, "mg", 2.0, item.id)],
    )
    session.commit()
    (row,) = queries.calibration_conformity(calibration)
    assert row.uncertainty_ok and row.conforms and row.meets_class
    login("manager")
    page = client.get(f"/standards/{standard.id}/calibrations/{calibration.id}").get_data(as_text=True)
    assert 'data-conforms="yes"' in page
    assert "0,2 mg" in page and "0,1 mg" in page and "0,3" in page
