"""Settings of the Celery worker started by test_celery_worker.py (not a test module).

The test settings, but with tasks really going through the broker and
courriels written to files the test can count.
"""

import os

from d3.test_settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["D3_TEST_EMAIL_FILE_PATH"]
