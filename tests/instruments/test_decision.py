"""Decision rules (ILAC-G8): simple acceptance and guarded acceptance, each stating the rule used."""

import pytest

from instruments.decision import SIMPLE_ACCEPTANCE, decide, guarded_acceptance, rule_from_input
from instruments.errors import InputError


def test_simple_acceptance_passes_up_to_the_mpe_inclusive():
    assert decide(1.0, 1.0).passed
    assert decide(-1.0, 1.0).passed
    assert not decide(1.0001, 1.0).passed


def test_simple_acceptance_ignores_the_uncertainty():
    assert decide(0.9, 1.0, 0.5, SIMPLE_ACCEPTANCE).passed


def test_guarded_acceptance_shrinks_the_limit_by_the_guard_band():
    # w = U = 0.3: acceptance limit 1.0 − 0.3 = 0.7.
    rule = guarded_acceptance()
    assert decide(0.7, 1.0, 0.3, rule).passed
    assert not decide(0.8, 1.0, 0.3, rule).passed
    assert decide(0.8, 1.0, 0.3, rule).acceptance_limit == pytest.approx(0.7)


def test_guarded_acceptance_with_a_multiple_of_u():
    # w = 2U = 0.4: limit 0.6.
    rule = guarded_acceptance(2)
    assert rule.code == "ILAC-G8:guarded-2U"
    assert decide(0.6, 1.0, 0.2, rule).passed
    assert not decide(0.61, 1.0, 0.2, rule).passed


def test_a_guard_band_wider_than_the_mpe_lets_nothing_pass():
    assert not decide(0.0, 1.0, 1.5, guarded_acceptance()).passed


def test_every_decision_states_its_rule_in_both_languages():
    decision = decide(0.1, 1.0, 0.2, guarded_acceptance())
    stated = decision.as_dict()["rule"]
    assert "ILAC-G8" in stated["text_vi"] and "ILAC-G8" in stated["text_en"]
    assert "đạt" in stated["text_vi"]


def test_rules_are_read_from_json():
    assert rule_from_input(None) is SIMPLE_ACCEPTANCE
    assert rule_from_input("guarded").guard_factor == 1.0
    assert rule_from_input({"rule": "guarded", "guard_factor": 1.5}).guard_factor == 1.5


@pytest.mark.parametrize(
    ("value", "field"),
    [("strict", "decision_rule"), ({"rule": "guarded", "guard_factor": -1}, "decision_rule.guard_factor")],
)
def test_unknown_rules_are_refused(value, field):
    with pytest.raises(InputError) as caught:
        rule_from_input(value)
    assert caught.value.field == field


def test_negative_uncertainty_is_refused():
    with pytest.raises(InputError):
        decide(0.0, 1.0, -0.1)


def test_an_error_at_the_limit_but_for_floating_point_noise_conforms_and_a_real_excess_does_not():
    from instruments.decision import decide

    assert decide(20.1 - 20, 0.1).passed  # 0.10000000000000142
    assert decide(-(20.1 - 20), 0.1).passed
    assert not decide(0.1000001, 0.1).passed  # one part in 10⁶ over is over
    assert decide(0.0, 0.0).passed and not decide(1e-12, 0.0).passed
