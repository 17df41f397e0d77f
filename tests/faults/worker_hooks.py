"""Imported by the fault tests' workers (CELERY_IMPORTS), not a test module.

With ``D3_TEST_STALL_RENDER`` set to a path, a courrier's render writes the courrier's
id there and then hangs until the test kills the worker: a worker lost in the middle
of the slow part, its lease taken and its letter not stored.
"""

import os
import time
from pathlib import Path

from jury import tasks

_MARKER = os.environ.get("D3_TEST_STALL_RENDER")


def _render_until_killed(courrier):
    Path(_MARKER).write_text(str(courrier.pk))
    while True:
        time.sleep(1)


if _MARKER:
    tasks.render_courrier_pdf = _render_until_killed
