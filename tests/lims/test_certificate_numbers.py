"""What a certificate states of its numbers: the coverage statement of the results it describes."""

from lims.issuing.document import coverage_statement


def _errors_table(ks):
    return {
        "columns": [{"key": "error"}, {"key": "coverage_factor", "printed": "coverage_factor"}],
        "rows": [{"error": 0.1, "coverage_factor": k} for k in ks],
    }


def test_the_coverage_statement_states_the_k_of_the_rows_and_their_probability():
    """A weight result with k = 2,000904395836009 (ν_eff large) at p = 0,9545: "k = 2", "95 %"."""
    result = {
        "values": {"coverage_factor": 2.000904395836009, "coverage_probability": 0.9545},
        "tables": [_errors_table([2.000904395836009])],
    }
    statement = coverage_statement(result)
    assert (statement.coverage_factor, statement.coverage_probability_percent, statement.per_row) == ("2", "95", False)


def test_k_differing_between_rows_is_said_to_be_on_each_row():
    """cg-18 with three readings at p = 0,99: k = 3,71; 5,84; 4,03 on the rows. No "k = 2" over them."""
    result = {"values": {"coverage_probability": 0.99}, "tables": [_errors_table([3.7108, 5.8406, 4.0321])]}
    statement = coverage_statement(result)
    assert statement.per_row and statement.coverage_factor == ""
    assert statement.coverage_probability_percent == "99"


def test_rows_whose_k_print_alike_share_one_statement():
    """2,0009 and 2,0031 both print as "2" (three significant digits): one k for the table."""
    statement = coverage_statement({"values": {}, "tables": [_errors_table([2.0009, 2.0031])]})
    assert not statement.per_row and statement.coverage_factor == "2"


def test_multi_weight_results_take_the_probability_of_their_weights():
    """AB1...BnA: no top-level k or probability; the weights carry them."""
    result = {
        "values": {"cycle": "AB1...BnA", "weights": [{"coverage_probability": 0.9545, "coverage_factor": 2.28}]},
        "tables": [_errors_table([2.2837, 2.2801])],
    }
    statement = coverage_statement(result)
    assert (statement.coverage_factor, statement.coverage_probability_percent) == ("2,28", "95")


def test_no_k_anywhere_states_nothing_rather_than_a_default():
    assert coverage_statement({"values": {}, "tables": []}) is None
