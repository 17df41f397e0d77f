"""The mail server refusing connections: real SMTP from this process to the test's sink,
stopped and started again; the clock moved to each retry instead of waiting for it.

A courriel is retried with a growing delay (1, 2, 4… minutes) and sent once the server
answers; after ``COURRIEL_MAX_ATTEMPTS`` it is "en échec", shown to staff in the admin
with the error, and the admin's action sends it again.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver, max_attempts, resend_pending, retry_delay
from tests.courriels.factories import CourrielFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # WhiteNoise warns that STATIC_ROOT is absent (collectstatic never runs in tests).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"
CHANGELIST = reverse("admin:courriels_courriel_changelist")


def reload(courriel):
    return Courriel.objects.get(pk=courriel.pk)


def test_refused_connections_are_retried_with_back_off_then_it_is_sent_once(smtp_to_sink):
    smtp_to_sink.stop()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        courriel = CourrielFactory()
        deliver(courriel.pk)  # the task queued when the transaction committed
    first = reload(courriel)
    assert (first.status, first.attempts, first.last_error) == (Status.PENDING, 1, REFUSED)
    assert first.next_attempt_at == start + datetime.timedelta(minutes=1)

    # Beat's sweep runs every minute; the courriel is only due after its delay.
    with time_machine.travel(first.next_attempt_at - datetime.timedelta(seconds=1),
                             tick=False):
        assert resend_pending() == 0
    with time_machine.travel(first.next_attempt_at, tick=False):
        assert resend_pending() == 1  # refused again
    second = reload(courriel)
    assert (second.attempts, second.next_attempt_at) == (
        2, first.next_attempt_at + datetime.timedelta(minutes=2))

    smtp_to_sink.start()  # the mail server is back
    with time_machine.travel(second.next_attempt_at, tick=False):
        assert resend_pending() == 1
    with time_machine.travel(second.next_attempt_at + datetime.timedelta(hours=3),
                             tick=False):
        assert resend_pending() == 0

    sent = reload(courriel)
    assert (sent.status, sent.attempts, sent.last_error) == (Status.SENT, 3, "")
    assert smtp_to_sink.message_ids() == [f"<courriel-{courriel.pk}@localhost>"]


def fail_for_good(courriel):
    """Every attempt refused, each at its time, until the courriel is given up."""
    now = timezone.now()
    for attempt in range(1, max_attempts() + 1):
        with time_machine.travel(now, tick=False):
            assert resend_pending() == 1
        now += retry_delay(attempt)
    with time_machine.travel(now + datetime.timedelta(days=1), tick=False):
        assert resend_pending() == 0
    return reload(courriel)


def test_a_courriel_failed_for_good_is_shown_to_staff_and_resent(smtp_to_sink, client,
                                                                    administrateur):
    smtp_to_sink.stop()
    courriel = CourrielFactory(subject="Dossier D3-2026-000042 : corrections demandées")

    failed = fail_for_good(courriel)

    assert (failed.status, failed.attempts, failed.last_error) == (
        Status.FAILED, max_attempts(), REFUSED)
    assert smtp_to_sink.message_ids() == []

    # Staff find it among the failed ones, with its error, and resend it.
    client.force_login(administrateur)
    listed = client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "Dossier D3-2026-000042 : corrections demandées" in listed
    assert REFUSED in listed
    detail = client.get(reverse("admin:courriels_courriel_change", args=[courriel.pk]))
    assert REFUSED in detail.content.decode()

    smtp_to_sink.start()
    response = client.post(CHANGELIST, {"action": "resend_failed",
                                        "_selected_action": [courriel.pk]}, follow=True)
    assert "1 courriel remis en file d&#x27;envoi." in response.content.decode()
    resent = reload(courriel)
    assert (resent.status, resent.attempts, resent.last_error) == (Status.SENT, 1, "")
    assert smtp_to_sink.message_ids() == [f"<courriel-{courriel.pk}@localhost>"]


@pytest.mark.parametrize("role", ["gestionnaire", "agent_dnf", "auditeur"])
def test_only_administrators_reach_the_outbox(role, every_role, client):
    failed = CourrielFactory(failed=True)
    client.force_login(every_role[role])

    response = client.post(CHANGELIST, {"action": "resend_failed",
                                        "_selected_action": [failed.pk]})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert reload(failed).status == Status.FAILED
