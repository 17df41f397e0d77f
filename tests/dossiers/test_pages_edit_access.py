"""Who may reach the pages of a draft: its auditeur only, and only while it is a draft."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dossiers.models import Dossier, ExperiencePeriod, PieceFile, PieceStatus, State
from tests.dossiers import files
from tests.dossiers.factories import (
    DossierFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
)
from tests.factories import PieceTypeFactory

PDF = files.pdf_bytes()


@pytest.fixture
def draft(auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    period = PeriodFactory(dossier=dossier, employer="Atos")
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(multiple_files=True))
    piece_file = PieceFileFactory(piece=piece)
    return dossier, period, piece, piece_file


def addresses(dossier, period, piece, piece_file):
    """(method, URL) of every page of the draft, with what a POST sends."""
    def u(name, *args):
        return reverse(f"dossiers:{name}", args=[dossier.pk, *args])

    return [
        ("get", u("edit_prerequisite")),
        ("post", u("edit_prerequisite")),
        ("get", u("edit_periods")),
        ("post", u("edit_periods")),
        ("post", u("assessment_preview")),
        ("get", u("period_edit", period.pk)),
        ("post", u("period_edit", period.pk)),
        ("get", u("period_delete", period.pk)),
        ("post", u("period_delete", period.pk)),
        ("get", u("edit_pieces")),
        ("post", u("piece_upload", piece.pk)),
        ("post", u("piece_file_remove", piece_file.pk)),
    ]


def period_post():
    return {
        "periode-employer": "Changé", "periode-position": "Changé",
        "periode-start": "2015-01-01", "periode-end": "2015-12-31",
        "periode-working_time": "100", "periode-kind": "employment",
    }


def request(client, method, address):
    if method == "get":
        return client.get(address)
    data = {"prerequisite_title": "Changé", "prerequisite_year": "2000",
            "prerequisite_institution": "Changé", **period_post()}
    if "deposer" in address:
        data = {"fichier": files.upload(PDF, "intrus.pdf")}
    return client.post(address, data)


def snapshot(dossier):
    """Everything the pages could change."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return (
        dossier.state, dossier.prerequisite_title, dossier.prerequisite_year,
        dossier.updated_at,
        sorted(ExperiencePeriod.objects.filter(dossier=dossier).values_list(
            "pk", "employer", "start", "working_time")),
        sorted(PieceFile.objects.filter(piece__dossier=dossier).values_list(
            "pk", "replaced_at")),
    )


def test_another_auditeur_gets_404_everywhere_and_changes_nothing(
    client, other_auditeur, draft
):
    before = snapshot(draft[0])
    client.force_login(other_auditeur)

    for method, address in addresses(*draft):
        assert request(client, method, address).status_code == 404, (method, address)

    assert snapshot(draft[0]) == before


def test_another_auditeurs_period_or_file_is_not_found_from_ones_own_draft(
    client, other_auditeur, draft
):
    own = DossierFactory(auditeur=other_auditeur)
    _, period, piece, piece_file = draft
    before = snapshot(draft[0])
    client.force_login(other_auditeur)

    # The other auditeur's period pages, named exactly: the period's id looked for as
    # a substring also matched the dossier's (period 4 in /dossiers/247/…).
    period_pages = {reverse(f"dossiers:{name}", args=[own.pk, period.pk])
                    for name in ("period_edit", "period_delete")}
    for method, address in addresses(own, period, piece, piece_file):
        if address in period_pages or "deposer" in address or "retirer" in address:
            assert request(client, method, address).status_code == 404, (method, address)

    assert snapshot(draft[0]) == before


@pytest.mark.parametrize("staff", ["gestionnaire", "agent_dnf", "membre_jury"])
def test_staff_are_refused_by_capability(client, request_fixture, staff, draft):
    before = snapshot(draft[0])
    client.force_login(request_fixture(staff))

    for method, address in addresses(*draft):
        assert request(client, method, address).status_code == 403, (method, address)

    assert snapshot(draft[0]) == before


def test_a_gestionnaire_is_refused_even_once_the_dossier_is_signed(
    client, gestionnaire, draft
):
    Dossier.objects.filter(pk=draft[0].pk).update(state=State.DEPOSE)
    client.force_login(gestionnaire)

    for method, address in addresses(*draft):
        assert request(client, method, address).status_code == 403, (method, address)


def test_anonymous_visitors_are_sent_to_log_in(client, draft):
    before = snapshot(draft[0])
    login = reverse("account_login")

    for method, address in addresses(*draft):
        response = request(client, method, address)
        assert response.status_code == 302, (method, address)
        assert response["Location"].startswith(login), (method, address)

    assert snapshot(draft[0]) == before


def test_the_draft_pages_answer_their_auditeur(client, auditeur, draft):
    client.force_login(auditeur)

    for method, address in addresses(*draft):
        if method == "get":
            assert request(client, method, address).status_code == 200, address


def test_changes_are_post_only(client, auditeur, draft):
    dossier, period, piece, piece_file = draft
    client.force_login(auditeur)

    for name, args in [("assessment_preview", []), ("piece_upload", [piece.pk]),
                       ("piece_file_remove", [piece_file.pk])]:
        address = reverse(f"dossiers:{name}", args=[dossier.pk, *args])
        assert client.get(address).status_code == 405


@pytest.mark.parametrize("state", [State.DEPOSE, State.A_COMPLETER, State.RETIRE])
def test_a_dossier_that_is_not_a_draft_redirects_to_its_detail_and_nothing_changes(
    client, auditeur, draft, state
):
    dossier = draft[0]
    Dossier.objects.filter(pk=dossier.pk).update(state=state)
    piece = draft[2]
    piece.status = PieceStatus.ERRONEE
    piece.save()
    before = snapshot(dossier)
    client.force_login(auditeur)
    detail = reverse("dossiers:detail", args=[dossier.pk])

    for method, address in addresses(*draft):
        response = request(client, method, address)
        if "apercu" in address:
            # The preview of the script: nothing to show, nothing done.
            assert response.status_code == 204
            continue
        assert response.status_code == 302, (method, address)
        assert response["Location"] == detail, (method, address)
        # Not shown yet (no page was rendered), so each redirect adds one.
        message = [str(m) for m in get_messages(response.wsgi_request)][-1]
        assert f"Le dossier {dossier.reference} est « {State(state).label} »" in message
        assert "ce n'est plus un brouillon, il ne peut plus être modifié" in message

    assert snapshot(dossier) == before


def test_the_detail_page_tells_why_the_draft_page_was_left(client, auditeur, draft):
    dossier = draft[0]
    Dossier.objects.filter(pk=dossier.pk).update(state=State.DEPOSE)
    client.force_login(auditeur)

    response = client.get(reverse("dossiers:edit_periods", args=[dossier.pk]), follow=True)

    assert response.redirect_chain == [(reverse("dossiers:detail", args=[dossier.pk]), 302)]
    assert "ce n&#x27;est plus un brouillon" in response.content.decode()


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue
