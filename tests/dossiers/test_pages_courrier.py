"""The courrier de décision on the auditeur's side: the dossier page tells when it is
planned, from the closing of the session until it is sent; then the PDF can be
downloaded from the dossier page (it also came by courriel), by the dossier's auditeur
only among auditeurs, and never before it is sent."""

import datetime
import html as html_module
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import dateformat, timezone

from d3.courriels.models import Courriel
from dossiers.models import State
from jury import decisions, sessions, tasks
from jury.courriers import one_month_after
from jury.models import Courrier, CourrierStatus
from tests.dossiers.factories import EventFactory, PieceFactory, PieceFileFactory
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
    TransmittedDossierFactory,
)

pytestmark = pytest.mark.django_db


def detail_url(dossier):
    return reverse("dossiers:detail", args=[dossier.pk])


def courrier_url(dossier):
    return reverse("dossiers:courrier_pdf", args=[dossier.pk])


def text_of(response):
    assert response.status_code == 200
    html = html_module.unescape(response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def day(date):
    return dateformat.format(date, "j F Y")


@pytest.fixture
def decided(auditeur, agent_dnf, membre_jury, django_capture_on_commit_callbacks):
    """The auditeur's DD + AEP put on a session a week ago and decided, through the
    services; the session still open."""
    today = timezone.localdate()
    session = JurySessionFactory(members=[membre_jury], date=today - datetime.timedelta(days=7))
    dossier = TransmittedDossierFactory(auditeur=auditeur, diplome=session.diplomes.get())
    with django_capture_on_commit_callbacks(execute=True):
        sessions.add_dossiers(session.pk, [dossier.pk], user=agent_dnf)
    decisions.record_decision(dossier.pk, user=membre_jury, expected_version=None,
                              cursus_valide=True, aep_outcome="validee", dd_outcome="delivre")
    dossier.refresh_from_db()
    assert dossier.state == State.DECISION_RENDUE
    return dossier


def test_on_a_session_the_next_step_gives_the_jury_date(client, auditeur):
    dossier = SessionDossierFactory(auditeur=auditeur)
    client.force_login(auditeur)

    text = text_of(client.get(detail_url(dossier)))

    assert f"À venir : Décision du jury du {day(dossier.jury_session.date)}." in text


def test_before_the_closing_no_date_and_no_courrier(client, auditeur, decided):
    client.force_login(auditeur)

    response = client.get(detail_url(decided))

    text = text_of(response)
    assert ("À venir : Envoi du courrier de décision, au plus tôt un mois après la date du "
            "jury.") in text
    assert response.context["courrier"] is None
    assert courrier_url(decided) not in response.content.decode()
    assert client.get(courrier_url(decided)).status_code == 404


def test_once_the_session_is_closed_the_timeline_gives_the_planned_date(
    client, auditeur, agent_dnf, decided
):
    session = decided.jury_session
    sessions.close_session(session.pk, user=agent_dnf)
    due_on = Courrier.objects.get(dossier=decided).due_on
    assert due_on == one_month_after(session.date)
    client.force_login(auditeur)

    response = client.get(detail_url(decided))

    text = text_of(response)
    # The event of the closing, then the next step with the same date.
    assert f"Courrier de décision programmé pour le {due_on:%d/%m/%Y}" in text
    assert f"À venir : Envoi du courrier de décision, prévu le {day(due_on)}." in text
    assert f"Étape suivante Envoi du courrier de décision, prévu le {day(due_on)}." in text
    assert f"Le courrier de décision du jury sera envoyé le {day(due_on)} ," in text
    assert courrier_url(decided) not in response.content.decode()
    # Not sent yet: nothing to download.
    assert client.get(courrier_url(decided)).status_code == 404


def test_on_its_day_the_courrier_is_sent_and_downloadable(
    client, auditeur, agent_dnf, decided, time_machine, django_capture_on_commit_callbacks
):
    sessions.close_session(decided.jury_session.pk, user=agent_dnf)
    courrier = Courrier.objects.get(dossier=decided)
    mail.outbox.clear()

    time_machine.move_to(datetime.datetime.combine(courrier.due_on, datetime.time(9),
                                                   tzinfo=timezone.get_current_timezone()))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_courriers() == 1
    courrier.refresh_from_db()
    assert courrier.status == CourrierStatus.ENVOYE
    client.force_login(auditeur)

    response = client.get(detail_url(decided))

    text = text_of(response)
    assert "Courrier envoyé" in text
    assert "Courrier de décision envoyé" in text  # the timeline's event
    assert "prévu le" not in text and "À venir" not in text
    assert f"Envoyé le {day(courrier.due_on)}, aussi par courriel à {auditeur.email}" in text
    assert courrier_url(decided) in response.content.decode()

    download = client.get(courrier_url(decided))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        f'attachment; filename="courrier-{decided.reference}.pdf"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store, private"
    # The same letter came by courriel.
    (message,) = mail.outbox
    assert message.to == [auditeur.email]
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (f"courrier-{decided.reference}.pdf", "application/pdf")
    assert content == body
    assert Courriel.objects.filter(template="courrier_envoye").count() == 1


@pytest.mark.parametrize("status", [CourrierStatus.PROGRAMME, CourrierStatus.ECHEC])
def test_a_courrier_not_sent_cannot_be_downloaded(client, auditeur, status):
    courrier = CourrierFactory(dossier__auditeur=auditeur, status=status)
    client.force_login(auditeur)

    assert client.get(courrier_url(courrier.dossier)).status_code == 404
    response = client.get(detail_url(courrier.dossier))
    assert f"prévu le {day(courrier.due_on)}" in text_of(response)


def test_another_auditeur_gets_a_404(client, auditeur, other_auditeur):
    courrier = CourrierFactory(dossier__auditeur=auditeur, envoye=True)
    client.force_login(other_auditeur)

    assert client.get(courrier_url(courrier.dossier)).status_code == 404
    assert client.get(detail_url(courrier.dossier)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, auditeur):
    courrier = CourrierFactory(dossier__auditeur=auditeur, envoye=True)
    where = courrier_url(courrier.dossier)

    response = client.get(where)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={where}"


def test_a_courrier_whose_file_is_lost_is_a_404(client, auditeur):
    from django.core.files.storage import default_storage

    courrier = CourrierFactory(dossier__auditeur=auditeur, envoye=True)
    default_storage.delete(courrier.storage_key)
    client.force_login(auditeur)

    assert client.get(courrier_url(courrier.dossier)).status_code == 404


def test_a_missing_dossier_is_a_404(client, auditeur):
    client.force_login(auditeur)

    assert client.get(reverse("dossiers:courrier_pdf", args=[999999])).status_code == 404


# Same as tests/dossiers/test_pages_follow.py: the session and the courrier are joined to
# the dossier's query.
DETAIL_QUERIES = 7


def test_the_courrier_costs_the_dossier_page_no_query(
    client, auditeur, django_assert_num_queries
):
    courrier = CourrierFactory(dossier__auditeur=auditeur, envoye=True)
    dossier = courrier.dossier
    EventFactory(dossier=dossier, action="send_letter", to_state=State.COURRIER_ENVOYE)
    PieceFileFactory(piece=PieceFactory(dossier=dossier, deposee=True))
    client.force_login(auditeur)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(dossier))

    assert response.context["courrier_sent"] is True
