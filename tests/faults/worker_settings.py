"""Settings of the Celery workers the fault tests start (not a test module).

The test settings, with tasks really going through the test's own Redis and courriels
really sent over SMTP to the test's sink. Leases and the time limit come from the
environment the test gives (short ones), as in production.
"""

import os

from d3.test_settings import *  # noqa: F403
from d3.test_settings import CELERY_IMPORTS

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["D3_TEST_SMTP_PORT"])
# Longer than any stall of the tests: the test kills the worker first.
EMAIL_TIMEOUT = 30
CELERY_IMPORTS = (*CELERY_IMPORTS, "tests.faults.worker_hooks")
