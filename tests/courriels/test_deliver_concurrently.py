"""Two workers delivering the same courriel at the same moment send it once."""

import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections

from d3.courriels.models import Status
from d3.courriels.tasks import deliver
from tests.courriels.conftest import reload

_send_messages = EmailBackend.send_messages


def slow_send_messages(self, messages):
    # Keeps the first worker inside the SMTP exchange while the second one
    # tries to claim the row.
    time.sleep(0.5)
    return _send_messages(self, messages)


@pytest.mark.django_db(transaction=True)
def test_it_is_sent_once_by_two_simultaneous_workers(pending):
    assert connection.vendor == "postgresql", "row claiming is checked on the real database"
    assert mail.outbox == []
    barrier = threading.Barrier(2, timeout=10)
    errors = []

    def worker():
        try:
            barrier.wait()
            deliver(pending.pk)
        except Exception as exc:  # reported below: a thread must not die silently
            errors.append(exc)
        finally:
            connections.close_all()

    with mock.patch.object(EmailBackend, "send_messages", slow_send_messages):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert len(mail.outbox) == 1
    courriel = reload(pending)
    assert courriel.status == Status.SENT
    assert courriel.attempts == 1
