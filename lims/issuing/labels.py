"""The labels of the issuing codes (a certificate's status, a sticker's state, a batch's and a notice's progress).

The columns keep their text type here: their CHECK constraints belong with issuing's own constraints."""

from flask_babel import lazy_gettext as _l

from lims.core.words import Labelled


class CertificateStatus(Labelled):
    """Where a certificate stands: being issued, in force, replaced by an amendment, revoked, or void."""

    ISSUING = "issuing", _l("Đang cấp")
    ISSUED = "issued", _l("Đã cấp")
    SUPERSEDED = "superseded", _l("Đã được thay thế")
    REVOKED = "revoked", _l("Đã thu hồi")
    VOID = "void", _l("Không hiệu lực")


class CertificateKind(Labelled):
    """What a certificate attests: a verification (legal metrology) or a calibration."""

    VERIFICATION = "verification", _l("Kiểm định")
    CALIBRATION = "calibration", _l("Hiệu chuẩn")


class StickerState(Labelled):
    """Where a verification sticker is: in stock, handed to a technician, on an instrument, spoiled or voided."""

    IN_STOCK = "in_stock", _l("Trong kho")
    ISSUED = "issued", _l("Đã giao kỹ thuật viên")
    USED = "used", _l("Đã dán")
    SPOILED = "spoiled", _l("Hỏng khi dán")
    VOIDED = "voided", _l("Hủy (mất, thu hồi)")


class BatchStatus(Labelled):
    """How far a batch issue has come."""

    QUEUED = "queued", _l("Chờ xử lý")
    RUNNING = "running", _l("Đang xử lý")
    FINISHED = "finished", _l("Đã xong")


class NoticeStatus(Labelled):
    """Whether an impact notice has gone out."""

    QUEUED = "queued", _l("Chờ gửi")
    SENT = "sent", _l("Đã gửi")
