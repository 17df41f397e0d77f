"""Two workers delivering the same courriel at the same moment send it once."""

import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from d3.courriels.models import Status
from d3.courriels.tasks import deliver
from tests.concurrency import requires_postgresql, run_in_threads
from tests.courriels.conftest import reload

_send_messages = EmailBackend.send_messages


def slow_send_messages(self, messages):
    # Keeps the first worker inside the SMTP exchange while the second one
    # tries to claim the row.
    time.sleep(0.5)
    return _send_messages(self, messages)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_it_is_sent_once_by_two_simultaneous_workers(pending):
    assert mail.outbox == []
    barrier = threading.Barrier(2, timeout=10)

    def worker():
        barrier.wait()
        deliver(pending.pk)
        return "done"

    with mock.patch.object(EmailBackend, "send_messages", slow_send_messages):
        outcomes = run_in_threads(worker)

    assert outcomes == ["done", "done"]
    assert len(mail.outbox) == 1
    courriel = reload(pending)
    assert courriel.status == Status.SENT
    assert courriel.attempts == 1
