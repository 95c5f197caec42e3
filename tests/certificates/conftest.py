from dataclasses import replace

import pytest

from certificates.render import render_certificate
from certificates.samples import sample_calibration, sample_verification
from certificates.signing import create_self_signed_key


@pytest.fixture(scope="session")
def verification():
    return sample_verification()


@pytest.fixture(scope="session")
def calibration():
    return sample_calibration()


@pytest.fixture(scope="session")
def verification_pdf(verification):
    return render_certificate(verification)


@pytest.fixture(scope="session")
def calibration_pdf(calibration):
    return render_certificate(calibration)


@pytest.fixture(scope="session")
def long_verification():
    """A verification whose weighing table runs over several pages."""
    return replace(sample_verification(weighing_rows=150), number="4000-26")


@pytest.fixture(scope="session")
def long_verification_pdf(long_verification):
    return render_certificate(long_verification)


@pytest.fixture(scope="session")
def demo_key(tmp_path_factory):
    return create_self_signed_key(tmp_path_factory.mktemp("keys"), "Trần Thị Mỹ Hạnh", "TT KT TĐC Vĩnh Long", "pw-1")
