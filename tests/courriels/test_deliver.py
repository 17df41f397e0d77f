"""deliver and resend_pending: sent once, retried with back-off, given up, resent."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver, lease, resend, resend_pending, retry_delay
from tests.courriels.conftest import reload

pytestmark = pytest.mark.django_db


def mail_server_down():
    refused = ConnectionRefusedError("serveur SMTP injoignable")
    return mock.patch.object(EmailBackend, "send_messages", side_effect=refused)


def test_it_sends_text_and_html_parts(pending):
    deliver(pending.pk)

    [message] = mail.outbox
    assert message.body == pending.body_text
    assert message.alternatives[0].content == pending.body_html
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["Message-ID"] == f"<courriel-{pending.pk}@localhost>"


def test_it_attaches_files_from_the_storage(queue_sample):
    key = default_storage.save("recapitulatifs/r.pdf", ContentFile(b"%PDF-1.7 contenu"))
    courriel = queue_sample(attachments=[
        {"name": "recapitulatif.pdf", "path": key, "mimetype": "application/pdf"},
    ])

    deliver(courriel.pk)

    [message] = mail.outbox
    [attachment] = message.attachments
    assert attachment.filename == "recapitulatif.pdf"
    assert attachment.content == b"%PDF-1.7 contenu"
    assert attachment.mimetype == "application/pdf"


def test_a_second_deliver_after_success_does_nothing(pending):
    deliver(pending.pk)
    sent_at = reload(pending).sent_at

    deliver(pending.pk)
    resend_pending()

    assert len(mail.outbox) == 1
    courriel = reload(pending)
    assert courriel.sent_at == sent_at
    assert courriel.attempts == 1


def test_mail_server_down_keeps_it_pending_then_the_sweep_sends_it(pending):
    with mail_server_down():
        deliver(pending.pk)

    courriel = reload(pending)
    assert courriel.status == Status.PENDING
    assert courriel.attempts == 1
    assert "ConnectionRefusedError: serveur SMTP injoignable" in courriel.last_error
    assert courriel.claimed_until is None
    assert courriel.next_attempt_at > timezone.now()
    assert mail.outbox == []

    # Not due yet: the sweep leaves it alone.
    assert resend_pending() == 0

    with time_machine.travel(courriel.next_attempt_at + timedelta(seconds=1)):
        assert resend_pending() == 1

    assert len(mail.outbox) == 1
    courriel = reload(pending)
    assert courriel.status == Status.SENT
    assert courriel.attempts == 2
    assert courriel.last_error == ""


def test_retries_back_off_exponentially_up_to_a_cap():
    assert [retry_delay(n) for n in range(1, 9)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


def test_it_fails_after_the_maximum_attempts_and_resend_puts_it_back(
    pending, settings, django_capture_on_commit_callbacks
):
    settings.COURRIEL_MAX_ATTEMPTS = 3
    with mail_server_down():
        for _ in range(3):
            with time_machine.travel(reload(pending).next_attempt_at):
                resend_pending()

    courriel = reload(pending)
    assert courriel.status == Status.FAILED
    assert courriel.attempts == 3
    # A failed courriel is not due any more, whatever the clock says.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert resend_pending() == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert resend(courriel) is True

    assert len(mail.outbox) == 1
    courriel = reload(pending)
    assert courriel.status == Status.SENT


def test_resend_ignores_a_courriel_that_has_not_failed(pending):
    assert resend(pending) is False
    assert reload(pending).status == Status.PENDING


def test_a_claimed_courriel_is_left_to_its_worker_until_the_lease_lapses(pending):
    """A worker that died mid-way holds the row only until its lease ends."""
    Courriel.objects.filter(pk=pending.pk).update(
        claimed_until=timezone.now() + lease(), claim_token="a" * 32
    )

    deliver(pending.pk)
    assert resend_pending() == 0
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + lease() + timedelta(seconds=1)):
        assert resend_pending() == 1

    assert len(mail.outbox) == 1


def test_the_sweep_takes_a_bounded_batch_oldest_due_first(queue_sample):
    with mock.patch("d3.courriels.tasks.SWEEP_BATCH", 2), \
            mock.patch.object(deliver, "delay") as delay:
        courriels = [queue_sample() for _ in range(3)]
        Courriel.objects.filter(pk=courriels[2].pk).update(
            next_attempt_at=timezone.now() - timedelta(hours=1)
        )

        assert resend_pending() == 2

    assert [c.args[0] for c in delay.call_args_list] == [courriels[2].pk, courriels[0].pk]
