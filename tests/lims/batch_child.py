"""A batch issue run in a child process that kills itself (SIGKILL, as kill -9) at a chosen moment.

Run by tests/lims/test_issuing_recovery.py: ``python -m tests.lims.batch_child SETTINGS BATCH_ID MOMENT N`` where
SETTINGS is the JSON of the test app's configuration and MOMENT one of:
  reserved  - after the Nth job's number is committed, before its PDF is rendered;
  rendered  - after the Nth PDF is rendered, signed and stored, before it is recorded;
  recorded  - after the Nth certificate is recorded, before the next job starts.
It holds no tests itself.
"""

import json
import os
import signal
import sys
from pathlib import Path


def main() -> None:
    settings, batch_id, moment, nth = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    from lims.app import create_app
    from lims.issuing import batch, services
    from tests.conftest import make_config

    app = create_app(
        make_config(settings.pop("SQLALCHEMY_DATABASE_URI"), Path(settings.pop("INSTANCE_PATH")), **settings)
    )
    calls = {"count": 0}

    def die_on_nth(original):
        def wrapper(*args, **kwargs):
            if moment == "rendered":
                result = original(*args, **kwargs)
            calls["count"] += 1
            if calls["count"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return result if moment == "rendered" else original(*args, **kwargs)

        return wrapper

    if moment == "reserved":
        services.complete_certificate = die_on_nth(services.complete_certificate)
    elif moment == "rendered":
        services._render_and_store = die_on_nth(services._render_and_store)
    elif moment == "recorded":
        nth += 1  # the heartbeat before job N+1 comes after job N was recorded
        batch._own_transaction = die_on_nth(batch._own_transaction)
    else:
        raise SystemExit(f"unknown moment {moment}")
    with app.app_context():
        batch.run_batch(batch_id)


if __name__ == "__main__":
    main()
