"""Builders shared by the issuing tests: a reviewed job with its record, standard, sticker stock and signing key.

Imported by the issuing tests (integration and browser); it holds no tests itself.
"""

from datetime import date

from lims.customers.models import Instrument, InstrumentType, Organisation, VerificationCycle
from lims.jobs.models import Job, JobStandard, MeasurementRecord, ServiceRequest, VerifierCard
from lims.standards.models import Standard, StandardCalibration

MEASURED_ON = date(2026, 11, 18)

# A scale verification's result as instruments.procedures stores it (ProcedureResult.as_dict()).
SCALE_RESULT = {
    "procedure": "scale-verification-r76",
    "stage": "as_left",
    "method": {"code": "ĐLVN 14:2009", "name_vi": "Cân bàn – Quy trình kiểm định", "name_en": "Platform scales"},
    "passed": True,
    "decision_rule": {
        "code": "ILAC-G8:simple",
        "text_vi": "Quy tắc chấp nhận đơn giản: đạt khi |sai số| ≤ sai số lớn nhất cho phép.",
        "text_en": "Simple acceptance: pass when |error| ≤ maximum permissible error.",
        "guard_factor": 0.0,
    },
    "values": {},
    "tables": [
        {
            "key": "weighing",
            "title_vi": "Kiểm tra khả năng cân",
            "title_en": "Weighing test",
            "columns": [
                {"key": "load", "heading_vi": "Tải thử", "heading_en": "Test load", "unit": "kg"},
                {"key": "error", "heading_vi": "Sai số", "heading_en": "Error", "unit": "g"},
                {"key": "mpe", "heading_vi": "Sai số cho phép", "heading_en": "MPE", "unit": "g"},
            ],
            "rows": [{"load": 10.0, "error": 5.0, "mpe": "± 10"}, {"load": 30.0, "error": -5.0, "mpe": "± 15"}],
        }
    ],
}

WEIGHT_RESULT = {
    "procedure": "weight-comparison-r111",
    "stage": "as_left",
    "method": {"code": "ĐLVN 286:2015", "name_vi": "Quả cân cấp chính xác F1, F2, M1 – Quy trình hiệu chuẩn"},
    "passed": None,
    "decision_rule": None,
    "values": {"coverage_factor": 2.0, "coverage_probability_percent": 95},
    "tables": [
        {
            "key": "weights",
            "title_vi": "Kết quả hiệu chuẩn",
            "title_en": "Calibration results",
            "columns": [
                {"key": "nominal", "heading_vi": "Giá trị danh định", "heading_en": "Nominal value"},
                {"key": "correction", "heading_vi": "Số hiệu chính", "heading_en": "Correction", "unit": "mg"},
                {
                    "key": "U",
                    "heading_vi": "Độ không đảm bảo đo mở rộng",
                    "heading_en": "Expanded uncertainty",
                    "unit": "mg",
                },
            ],
            "rows": [{"nominal": "1 kg", "correction": 9.0, "U": 5.4}],
        }
    ],
}


class World:
    """The records around one lab: a customer, a standard, a technician; makes reviewed jobs on demand."""

    def __init__(self, session, make_user, make_organisation):
        self.session = session
        self.customer = make_organisation("Công ty TNHH Thủy sản Cửu Long", address="KCN Long Đức, Vĩnh Long")
        self.technician = make_user("technician", full_name="Lê Văn An")
        self.signatory = make_user("signatory", full_name="Trần Thị Mai")
        self.scale_type = InstrumentType(code="can-ban", name_vi="Cân bàn", name_en="Platform scale")
        self.weight_type = InstrumentType(code="qua-can-m1", name_vi="Quả cân M1", name_en="Weight, class M1")
        session.add_all([self.scale_type, self.weight_type])
        session.flush()
        session.add(
            VerificationCycle(
                instrument_type_id=self.scale_type.id,
                months=12,
                effective_from=date(2019, 7, 1),
                legal_source="Thông tư 07/2019/TT-BKHCN",
            )
        )
        session.add(
            VerifierCard(
                user_id=self.technician.id, card_number="KĐV 0123", field="khối lượng", valid_from=date(2024, 1, 1)
            )
        )
        self.standard = Standard(
            code="QC-M1-03",
            name="Bộ quả cân chuẩn M1",
            kind="weight_set",
            serial="M1-2020-03",
            due_on=date(2027, 3, 31),
        )
        session.add(self.standard)
        session.flush()
        self.calibration = StandardCalibration(
            standard_id=self.standard.id,
            certificate_number="V09.HC.1234-26",
            calibrating_lab="Viện Đo lường Việt Nam",
            calibrated_on=date(2026, 3, 20),
            due_on=date(2027, 3, 31),
            traceability="Chuẩn quốc gia về khối lượng",
        )
        session.add(self.calibration)
        self.request = ServiceRequest(
            number="YC-26-0001", organisation_id=self.customer.id, requested_on=date(2026, 11, 10), status="accepted"
        )
        session.add(self.request)
        session.flush()
        self.count = 0
        session.commit()

    def job(
        self,
        kind: str = "verification",
        passed: bool = True,
        organisation: Organisation | None = None,
        used_on: date = MEASURED_ON,
    ) -> Job:
        """Return a new reviewed job of a platform scale (verification) or a weight (calibration)."""
        self.count += 1
        session = self.session
        request = self.request
        if organisation is not None:
            request = ServiceRequest(
                number=f"YC-{organisation.id}-{self.count}",
                organisation_id=organisation.id,
                requested_on=date(2026, 11, 10),
                status="accepted",
            )
            session.add(request)
            session.flush()
        instrument = Instrument(
            organisation_id=request.organisation_id,
            instrument_type_id=(self.scale_type if kind == "verification" else self.weight_type).id,
            maker="Nhơn Hòa",
            country="Việt Nam",
            model="NHB-30",
            serial=f"NH-{self.count:04d}",
            range_min=0.2,
            range_max=30.0,
            unit="kg",
            verification_interval=0.01,
            accuracy_class="III",
        )
        session.add(instrument)
        session.flush()
        result = dict(SCALE_RESULT if kind == "verification" else WEIGHT_RESULT)
        if kind == "verification":
            result["passed"] = passed
        job = Job(
            number=f"CV-26-{self.count:04d}",
            request_id=request.id,
            instrument_id=instrument.id,
            service="periodic_verification" if kind == "verification" else "calibration",
            procedure_key=result["procedure"],
            method_code=result["method"]["code"],
            method_name=result["method"]["name_vi"],
            status="reviewed",
            technician_id=self.technician.id,
            received_on=min(date(2026, 11, 17), used_on),
            measured_on=used_on,
            measured_by_id=self.technician.id,
            passed=passed if kind == "verification" else None,
        )
        session.add(job)
        session.flush()
        session.add(
            MeasurementRecord(
                job_id=job.id,
                stage="as_left",
                observations={},
                conditions={"temperature": 24.5, "humidity": 68},
                standards_snapshot=[],
                result=result,
                passed=result["passed"],
                measured_on=used_on,
                recorded_by_id=self.technician.id,
            )
        )
        session.add(
            JobStandard(
                job_id=job.id, standard_id=self.standard.id, calibration_id=self.calibration.id, used_on=used_on
            )
        )
        session.commit()
        session.refresh(job)
        return job

    def stickers(self, first: int = 1, last: int = 10, prefix: str = "VL "):
        from lims.auth.permissions import SYSTEM
        from lims.issuing.stickers import receive_stickers

        batch = receive_stickers(
            self.session, SYSTEM, prefix=prefix, first=first, last=last, received_on=date(2026, 11, 1)
        )
        self.session.commit()
        return batch


def make_world(session, make_user, make_organisation, app) -> World:
    """Return a World with a signing key in place (made once per app)."""
    from pathlib import Path

    from lims.issuing.keys import create_lab_key

    if not Path(app.config["SIGNING_KEY_PATH"]).exists():
        create_lab_key("Phòng thí nghiệm thử", "TTKT TĐC", None)
    return World(session, make_user, make_organisation)
