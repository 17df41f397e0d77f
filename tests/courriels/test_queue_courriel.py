"""queue_courriel: rendered in the caller's transaction, delivered only after commit."""

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from kombu.exceptions import OperationalError

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver
from tests.courriels.conftest import reload


class Boom(Exception):
    pass


@pytest.mark.django_db
def test_it_renders_subject_text_and_html(queue_sample, settings):
    settings.D3_SITE_URL = "https://d3.cnam.fr"

    courriel = queue_sample(context={"name": "Dupont & fils", "title": "Dossier reçu"})

    assert courriel.subject == "Dossier D3-2026-000123 : Dossier reçu"
    # Plain text is not escaped; HTML is.
    assert "Bonjour Dupont & fils," in courriel.body_text
    assert "https://d3.cnam.fr/suivi/" in courriel.body_text
    assert "Référence du dossier : D3-2026-000123" in courriel.body_text
    assert "Bonjour Dupont &amp; fils," in courriel.body_html
    assert '<a href="https://d3.cnam.fr/suivi/">' in courriel.body_html
    assert courriel.template == "sample"
    assert courriel.status == Status.PENDING
    assert courriel.attempts == 0


@pytest.mark.django_db
def test_it_keeps_the_recipient_account_and_attachments(queue_sample, auditeur):
    attachment = {"name": "recapitulatif.pdf", "path": "recapitulatifs/abc.pdf",
                  "mimetype": "application/pdf"}

    courriel = queue_sample(recipient_user=auditeur, attachments=(attachment,))

    courriel = reload(courriel)
    assert courriel.recipient_user == auditeur
    assert courriel.attachments == [attachment]


@pytest.mark.django_db
def test_it_refuses_an_attachment_without_its_storage_key(queue_sample):
    with pytest.raises(ValueError):
        queue_sample(attachments=[{"name": "recapitulatif.pdf", "mimetype": "application/pdf"}])


@pytest.mark.django_db
def test_it_sends_once_after_commit(queue_sample, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            courriel = queue_sample()
            assert mail.outbox == []  # nothing leaves before the commit

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jeanne.martin@example.org"]
    assert mail.outbox[0].subject == "Dossier D3-2026-000123 : Votre dossier est reçu"
    courriel = reload(courriel)
    assert courriel.status == Status.SENT
    assert courriel.sent_at is not None
    assert courriel.attempts == 1


@pytest.mark.django_db
def test_it_sends_nothing_when_the_transaction_rolls_back(
    queue_sample, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            queue_sample()
            raise Boom

    assert callbacks == []
    assert mail.outbox == []
    assert not Courriel.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_sends_after_a_real_commit(queue_sample):
    with transaction.atomic():
        queue_sample()
        assert mail.outbox == []

    assert len(mail.outbox) == 1
    assert Courriel.objects.get().status == Status.SENT


@pytest.mark.django_db
def test_it_survives_a_broker_outage_at_commit(queue_sample, django_capture_on_commit_callbacks):
    broker_down = OperationalError("Error 111 connecting to redis")
    with (
        mock.patch.object(deliver, "apply_async", side_effect=broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        courriel = queue_sample()

    # The change is saved, the courriel waits for the sweep.
    assert reload(courriel).status == Status.PENDING
    assert mail.outbox == []
