"""The centre's review pages: the queue, the dossier page, and each action through its
view — the happy path, and the refusal that shows a message and changes nothing."""

import datetime
import html as html_module
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from d3.courriels.models import Courriel
from dossiers import queue, workflow
from dossiers.models import Dossier, Event, Kind, Piece, PieceStatus, State
from tests.dossiers.factories import (
    DossierFactory,
    EventFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
)
from tests.factories import (
    AuditeurFactory,
    DiplomeFactory,
    PieceTypeFactory,
    StaffFactory,
    UEFactory,
    UEGroupFactory,
    ValidatedUEFactory,
)

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("dossiers:centre_queue")


def url(name, dossier, *args):
    return reverse(f"dossiers:{name}", args=[dossier.pk, *args])


def html_of(response):
    """The page's HTML, entities decoded (Django escapes apostrophes)."""
    assert response.status_code == 200
    return html_module.unescape(response.content.decode())


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def make(centre, *, days=0, **kwargs):
    kwargs.setdefault("state", State.DEPOSE)
    auditeur = kwargs.pop("auditeur", None) or AuditeurFactory(profile__centre=centre)
    dossier = DossierFactory(auditeur=auditeur, **kwargs)
    moment = timezone.now() - datetime.timedelta(days=days)
    Dossier.objects.filter(pk=dossier.pk).update(state_changed_at=moment)
    dossier.refresh_from_db()
    return dossier


def snapshot(dossier):
    """What a refused action must leave as it was."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return {
        "state": dossier.state,
        "owner": dossier.owner_id,
        "state_changed_at": dossier.state_changed_at,
        "correction_round": dossier.correction_round,
        "corrections_due": dossier.corrections_due,
        "pieces": list(dossier.pieces.order_by("pk").values_list("pk", "status", "comment")),
        "events": list(Event.objects.order_by("pk").values_list("pk", flat=True)),
        "courriels": list(Courriel.objects.order_by("pk").values_list("pk", flat=True)),
    }


@pytest.fixture
def colleague(centre):
    return StaffFactory(username="paul.lemaire", first_name="Paul", last_name="Lemaire",
                        role="gestionnaire", centres=[centre])


@pytest.fixture
def deposited(auditeur):
    """A deposited DD + AEP of Jeanne Martin with one required pièce and its file."""
    return DossierFactory(auditeur=auditeur, depose=True, signable=True)


@pytest.fixture
def in_control(deposited, gestionnaire):
    """The same, taken in charge by the gestionnaire."""
    workflow.take(deposited.pk, user=gestionnaire)
    deposited.refresh_from_db()
    return deposited


# --- Queue ------------------------------------------------------------------------------------


def test_the_queue_lists_what_needs_action_with_its_counts(client, gestionnaire, centre,
                                                          colleague):
    first = make(centre, days=10)
    redeposited = make(centre, days=1, correction_round=1)
    make(centre, state=State.EN_CONTROLE, owner=colleague)
    make(centre, state=State.BROUILLON)
    client.force_login(gestionnaire)

    response = client.get(QUEUE_URL)
    html = html_of(response)

    assert [row.dossier.pk for row in response.context["rows"]] == [redeposited.pk, first.pk]
    tabs = {tab["state"]: tab for tab in response.context["tabs"]}
    assert tabs[State.DEPOSE]["current"] and tabs[State.DEPOSE]["count"] == 2
    assert tabs[State.EN_CONTROLE]["count"] == 1
    assert tabs[queue.ALL_STATES]["count"] == 3
    assert 'aria-current="page"><strong>Déposé</strong></a> : 2 dossiers' in html
    assert "En cours de contrôle</a> : 1 dossier\n" in html
    assert "dont 1 déposé à nouveau après corrections" in html
    assert redeposited.reference in html and "Redéposé" in html
    assert reverse("dossiers:centre_dossier", args=[first.pk]) in html
    assert "<caption>" in html and 'scope="col"' in html


def test_the_queue_shows_the_auditeur_and_who_has_it(client, gestionnaire, centre, auditeur,
                                                    colleague):
    mine = make(centre, auditeur=auditeur, state=State.EN_CONTROLE, owner=gestionnaire)
    theirs = make(centre, state=State.EN_CONTROLE, owner=colleague)
    client.force_login(gestionnaire)

    response = client.get(QUEUE_URL, {"etat": State.EN_CONTROLE})
    html = html_of(response)

    rows = {row.dossier.pk: row for row in response.context["rows"]}
    assert rows[mine.pk].owner_label == "vous"
    assert rows[theirs.pk].owner_label == "Paul Lemaire"
    assert "Jeanne Martin" in html and "jeanne.martin.auditeur" in html and "PAR100001" in html
    assert "<strong>vous</strong>" in html and "Paul Lemaire" in html


def test_a_dossier_waiting_for_the_auditeur_says_for_how_long(client, gestionnaire, centre):
    due = timezone.localdate() + datetime.timedelta(days=5)
    make(centre, state=State.A_COMPLETER, days=8, corrections_due=due)
    client.force_login(gestionnaire)

    html = html_of(client.get(QUEUE_URL, {"etat": State.A_COMPLETER}))

    assert "depuis 8 jours" in html
    assert f"attendues avant le {due:%d/%m/%Y}" in html


def test_filters_search_and_their_choices(client, gestionnaire, centre, auditeur,
                                         other_centre):
    licence = DiplomeFactory(code="LG02501A", title="Licence informatique")
    found = make(centre, auditeur=auditeur, diplome=licence, kind=Kind.DD)
    make(centre, diplome=licence, kind=Kind.AEP_ANTICIPEE)
    make(centre)
    elsewhere = make(other_centre)
    client.force_login(gestionnaire)

    response = client.get(QUEUE_URL, {"q": "martin", "diplome": licence.pk,
                                      "nature": Kind.DD})
    html = html_of(response)

    assert [row.dossier.pk for row in response.context["rows"]] == [found.pk]
    diplomas = dict(response.context["form"].fields["diplome"].choices)
    assert diplomas[str(licence.pk)] == "LG02501A — Licence informatique"
    assert str(elsewhere.diplome.pk) not in diplomas
    assert "Effacer les filtres" in html
    assert "1 dossier correspondant aux filtres" in html


def test_a_wrong_filter_value_is_ignored(client, gestionnaire, centre):
    dossier = make(centre)
    client.force_login(gestionnaire)

    response = client.get(QUEUE_URL, {"etat": "n-importe", "diplome": "abc",
                                      "nature": "x", "page": "zz"})

    assert response.status_code == 200
    assert [row.dossier.pk for row in response.context["rows"]] == [dossier.pk]


def test_the_queue_is_paginated_and_keeps_its_filters(client, gestionnaire, centre,
                                                     settings):
    diplome = DiplomeFactory()
    for days in range(queue.PAGE_SIZE + 2):
        make(centre, diplome=diplome, days=days)
    client.force_login(gestionnaire)

    first = client.get(QUEUE_URL, {"diplome": diplome.pk, "q": "auditeur"})
    html = html_of(first)

    assert len(first.context["rows"]) == queue.PAGE_SIZE
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert f"diplome={diplome.pk}" in next_link and "q=auditeur" in next_link
    assert "page=2" in next_link
    second = client.get(QUEUE_URL + next_link)
    assert len(second.context["rows"]) == 2
    assert "Page 2 sur 2" in html_of(second)


def test_the_empty_queue_says_all_is_done(client, gestionnaire):
    client.force_login(gestionnaire)
    html = html_of(client.get(QUEUE_URL))
    assert "Aucun dossier déposé n'attend de contrôle" in html
    assert reverse("dossiers:centre_export") not in html


def test_the_centre_home_and_the_navigation_lead_to_the_queue(client, gestionnaire):
    client.force_login(gestionnaire)
    html = html_of(client.get(reverse("auditeurs:centre_home")))
    assert html.count(f'href="{QUEUE_URL}"') == 2  # navigation and button
    assert "Dossiers à contrôler" in html


def _queue_queries(client, django_assert_num_queries, rows):
    cache.clear()  # the filter's diplomas too (queue.DIPLOMAS_SECONDS in the cache)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE_URL, {"etat": queue.ALL_STATES})
    assert len(response.context["rows"]) == rows


# Session, user, diplomas of the filter, counts (the page's count among them), page rows,
# user's centres.
QUEUE_QUERIES = 6


def test_the_queue_runs_a_fixed_number_of_queries(client, gestionnaire, centre, colleague,
                                                 django_assert_num_queries):
    client.force_login(gestionnaire)
    make(centre, state=State.EN_CONTROLE, owner=colleague)
    _queue_queries(client, django_assert_num_queries, 1)
    states = [State.DEPOSE, State.EN_CONTROLE, State.A_COMPLETER, State.TRANSMIS_DNF]
    for n in range(29):
        make(centre, state=states[n % 4], diplome=DiplomeFactory(),
             owner=colleague if n % 4 == 1 else None, correction_round=n % 2)
    _queue_queries(client, django_assert_num_queries, 30)


# --- Dossier page -----------------------------------------------------------------------------


def test_the_dossier_page_shows_profile_cursus_experience_pieces_and_history(
    client, gestionnaire, auditeur, centre
):
    ue1, ue2, ue3 = UEFactory(code="NFA001"), UEFactory(code="NFA002"), UEFactory(code="NFA003")
    diplome = DiplomeFactory()
    UEGroupFactory(diplome=diplome, label="UE obligatoires", required=2, ues=[ue1, ue2])
    UEGroupFactory(diplome=diplome, label="1 UE au choix", required=1, ues=[ue3])
    ValidatedUEFactory(auditeur=auditeur, ue=ue1)
    ValidatedUEFactory(auditeur=auditeur, ue=ue3)
    dossier = DossierFactory(auditeur=auditeur, diplome=diplome, depose=True, signable=True)
    PeriodFactory(dossier=dossier, employer="Cnam Entreprises", position="Analyste")
    piece = dossier.pieces.get()
    old = piece.files.get()
    PieceFileFactory(piece=piece, original_name="diplome-v2.pdf")
    old.replaced_at = timezone.now()
    old.save()
    EventFactory(dossier=dossier, action="sign", from_state=State.BROUILLON,
                 to_state=State.DEPOSE)
    EventFactory(dossier=dossier, action=workflow.NOTE, actor=gestionnaire,
                 comment="Appeler l'auditrice.", visible_to_auditeur=False, to_state="")
    client.force_login(gestionnaire)

    html = html_of(client.get(url("centre_dossier", dossier)))

    # Profile
    assert "Madame Jeanne Martin" in html and "PAR100001" in html
    assert "17/05/1990" in html and "12 rue de la République" in html
    assert "jeanne.martin.auditeur" in html and "Cnam Paris" in html
    # Cursus: each group satisfied or what is missing
    assert "UE obligatoires : il manque 1 UE (1 sur 2 exigés)." in html
    assert "1 UE au choix : condition remplie" in html
    # Experience and its pre-assessment
    assert "Cnam Entreprises — Analyste" in html
    assert "Pré-évaluation" in html
    # Pièces: the current file to download, its earlier version; nothing shown inline
    files = list(piece.files.order_by("pk"))
    assert f'href="{url("piece_file", dossier, files[1].pk)}" download' in html
    assert "Versions précédentes (1)" in html
    assert f'href="{url("piece_file", dossier, files[0].pk)}" download' in html
    assert "inline=1" not in html and "<iframe" not in html
    # Notes and the full history, internal events marked
    assert "Appeler l'auditrice." in html
    assert "Interne" in html and "Dossier signé et déposé" in html
    # Only taking it in charge is offered
    assert "Prendre en charge" in html
    assert "Enregistrer l'avis" not in html and "Demander des corrections" not in html


def test_the_owner_gets_the_verdict_forms_and_the_decisions(client, gestionnaire, in_control):
    piece = in_control.pieces.get()
    client.force_login(gestionnaire)

    html = html_of(client.get(url("centre_dossier", in_control)))

    assert "<legend>Avis sur la pièce</legend>" in html
    for label in ("Conforme", "Erronée", "Manquante", "Commentaire pour l'auditeur",
                  "Enregistrer l'avis", "Déclarer irrecevable", "Ajouter la note"):
        assert label in html
    assert url("centre_piece_verdict", in_control, piece.pk) in html
    # Nothing flagged nor all conforme yet: neither decision is offered.
    assert "Demander des corrections" not in html
    assert "Déclarer complet et transmettre à la DNF" not in html
    assert "Prendre en charge" not in html and "Reprendre ce dossier" not in html


def test_a_colleague_sees_who_has_it_and_may_take_it_over(client, colleague, in_control):
    client.force_login(colleague)

    html = html_of(client.get(url("centre_dossier", in_control)))

    assert "pris en charge par <strong>Claire Petit</strong>" in html
    assert "Reprendre ce dossier" in html
    assert "Enregistrer l'avis" not in html


def test_a_pièce_never_uploaded_can_only_be_missing(client, gestionnaire, in_control):
    missing = PieceFactory(dossier=in_control, piece_type=PieceTypeFactory(label="CV"))
    client.force_login(gestionnaire)

    response = client.get(url("centre_dossier", in_control))

    row = next(r for r in response.context["piece_rows"] if r["piece"].pk == missing.pk)
    assert [value for value, _ in row["form"].fields["status"].choices] == ["manquante"]
    assert "Aucun fichier déposé." in html_of(response)


# Session, user, dossier (with auditeur, profile, diploma, rule set, centre, owner),
# validated UEs, UE groups, their UEs, periods, pièces, their files, events, signature.
DOSSIER_QUERIES = 12


def test_the_dossier_page_runs_a_fixed_number_of_queries(
    client, gestionnaire, in_control, django_assert_num_queries
):
    client.force_login(gestionnaire)
    UEGroupFactory(diplome=in_control.diplome, ues=[UEFactory(), UEFactory()])
    ValidatedUEFactory(auditeur=in_control.auditeur)

    def add(n):
        for _ in range(n):
            piece = PieceFactory(dossier=in_control, deposee=True, status=PieceStatus.ERRONEE,
                                 comment="À refaire.")
            PieceFileFactory(piece=piece, replaced_at=timezone.now())
            EventFactory(dossier=in_control, action=workflow.NOTE, actor=gestionnaire,
                         comment="x", visible_to_auditeur=False)
            PeriodFactory(dossier=in_control)

    with django_assert_num_queries(DOSSIER_QUERIES):
        response = client.get(url("centre_dossier", in_control))
    assert len(response.context["piece_rows"]) == 1
    add(10)
    with django_assert_num_queries(DOSSIER_QUERIES):
        response = client.get(url("centre_dossier", in_control))
    assert len(response.context["piece_rows"]) == 11
    assert len(response.context["history"]) >= 11


# --- Take, take over ------------------------------------------------------------------------


def test_taking_a_dossier_in_charge(client, gestionnaire, deposited):
    client.force_login(gestionnaire)

    response = client.post(url("centre_take", deposited), follow=True)

    assert response.redirect_chain == [(url("centre_dossier", deposited), 302)]
    assert messages_of(response) == ["Vous avez pris ce dossier en charge."]
    deposited.refresh_from_db()
    assert deposited.state == State.EN_CONTROLE and deposited.owner == gestionnaire
    assert "Enregistrer l'avis" in html_of(response)


def test_the_second_one_to_take_it_gets_a_clear_message(client, gestionnaire, colleague,
                                                        deposited):
    # Both had the page open; the colleague clicked first.
    workflow.take(deposited.pk, user=colleague)
    before = snapshot(deposited)
    client.force_login(gestionnaire)

    response = client.post(url("centre_take", deposited), follow=True)

    assert messages_of(response) == ["Ce dossier est déjà pris en charge par Paul Lemaire."]
    assert snapshot(deposited) == before
    assert "Reprendre ce dossier" in html_of(response)


def test_taking_over_from_a_colleague(client, colleague, gestionnaire, in_control):
    client.force_login(colleague)

    response = client.post(url("centre_take_over", in_control), follow=True)

    assert messages_of(response) == [
        "Vous avez repris ce dossier : vous en avez maintenant la charge."
    ]
    in_control.refresh_from_db()
    assert in_control.owner == colleague and in_control.state == State.EN_CONTROLE
    event = Event.objects.filter(dossier=in_control).latest("pk")
    assert event.action == workflow.TAKE_OVER and not event.visible_to_auditeur


def test_taking_over_ones_own_dossier_is_refused(client, gestionnaire, in_control):
    before = snapshot(in_control)
    client.force_login(gestionnaire)

    response = client.post(url("centre_take_over", in_control), follow=True)

    assert messages_of(response) == ["Vous avez déjà ce dossier en charge."]
    assert snapshot(in_control) == before


# --- Verdicts ---------------------------------------------------------------------------------


def test_a_pièce_declared_conforme(client, gestionnaire, in_control):
    piece = in_control.pieces.get()
    client.force_login(gestionnaire)

    response = client.post(url("centre_piece_verdict", in_control, piece.pk),
                           {f"piece-{piece.pk}-status": "conforme"}, follow=True)

    piece.refresh_from_db()
    assert piece.status == PieceStatus.CONFORME
    assert messages_of(response) == [
        f"Avis enregistré : « {piece.piece_type.label} » est conforme."
    ]
    assert "Déclarer complet et transmettre à la DNF" in html_of(response)


def test_a_pièce_erronée_with_its_comment(client, gestionnaire, in_control):
    piece = in_control.pieces.get()
    client.force_login(gestionnaire)

    response = client.post(url("centre_piece_verdict", in_control, piece.pk), {
        f"piece-{piece.pk}-status": "erronee",
        f"piece-{piece.pk}-comment": "  Copie illisible.  ",
    }, follow=True)

    piece.refresh_from_db()
    assert (piece.status, piece.comment) == (PieceStatus.ERRONEE, "Copie illisible.")
    assert "Demander des corrections" in html_of(response)


@pytest.mark.parametrize("status", ["erronee", "manquante"])
def test_a_comment_is_required_for_erronée_or_manquante(client, gestionnaire, in_control,
                                                       status):
    piece = in_control.pieces.get()
    before = snapshot(in_control)
    client.force_login(gestionnaire)

    response = client.post(url("centre_piece_verdict", in_control, piece.pk),
                           {f"piece-{piece.pk}-status": status})
    html = html_of(response)

    assert snapshot(in_control) == before
    assert "le commentaire est obligatoire" in html
    assert f'href="#id_piece-{piece.pk}-comment"' in html  # the summary links to the field
    field = f"id_piece-{piece.pk}-comment"
    assert f'aria-describedby="{field}_helptext {field}_error"' in html
    assert html.count("<title>Erreur — ") == 1


def test_a_verdict_without_a_choice_is_refused(client, gestionnaire, in_control):
    piece = in_control.pieces.get()
    before = snapshot(in_control)
    client.force_login(gestionnaire)

    html = html_of(client.post(url("centre_piece_verdict", in_control, piece.pk), {}))

    assert "Choisissez un avis sur la pièce." in html
    assert f'href="#id_piece-{piece.pk}-status_0"' in html
    assert snapshot(in_control) == before


def test_a_missing_pièce_never_uploaded(client, gestionnaire, in_control):
    missing = PieceFactory(dossier=in_control, piece_type=PieceTypeFactory(label="CV"))
    client.force_login(gestionnaire)

    client.post(url("centre_piece_verdict", in_control, missing.pk), {
        f"piece-{missing.pk}-status": "manquante",
        f"piece-{missing.pk}-comment": "Déposez votre CV.",
    })

    missing.refresh_from_db()
    assert missing.status == PieceStatus.MANQUANTE


def test_a_verdict_by_someone_not_in_charge_is_refused(client, colleague, in_control):
    piece = in_control.pieces.get()
    before = snapshot(in_control)
    client.force_login(colleague)

    response = client.post(url("centre_piece_verdict", in_control, piece.pk),
                           {f"piece-{piece.pk}-status": "conforme"}, follow=True)

    assert messages_of(response) == [workflow.TAKE_FIRST]
    assert snapshot(in_control) == before


def test_a_pièce_of_another_dossier_is_a_404(client, gestionnaire, in_control, centre):
    other = make(centre, state=State.EN_CONTROLE, owner=gestionnaire, signable=True)
    piece = other.pieces.get()
    client.force_login(gestionnaire)

    response = client.post(url("centre_piece_verdict", in_control, piece.pk),
                           {f"piece-{piece.pk}-status": "conforme"})

    assert response.status_code == 404
    assert Piece.objects.get(pk=piece.pk).status == PieceStatus.DEPOSEE


# --- Corrections, complete, irrecevable ------------------------------------------------------


@pytest.fixture
def flagged(in_control):
    piece = in_control.pieces.get()
    Piece.objects.filter(pk=piece.pk).update(status=PieceStatus.ERRONEE,
                                             comment="Copie illisible.")
    return in_control


def test_asking_for_corrections_with_a_deadline(client, gestionnaire, flagged,
                                               django_capture_on_commit_callbacks):
    deadline = timezone.localdate() + datetime.timedelta(days=15)
    client.force_login(gestionnaire)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("centre_ask_corrections", flagged),
                               {"deadline": deadline.isoformat()}, follow=True)

    assert messages_of(response) == [
        "Les corrections sont demandées : l'auditeur en est informé par courriel."
    ]
    flagged.refresh_from_db()
    assert flagged.state == State.A_COMPLETER
    assert flagged.corrections_due == deadline and flagged.correction_round == 1
    assert Courriel.objects.filter(template="corrections_demandees").count() == 1


def test_asking_for_corrections_without_deadline(client, gestionnaire, flagged):
    client.force_login(gestionnaire)
    client.post(url("centre_ask_corrections", flagged), {"deadline": ""})
    flagged.refresh_from_db()
    assert flagged.state == State.A_COMPLETER and flagged.corrections_due is None


@pytest.mark.parametrize("deadline", ["hier", "2000-01-01"])
def test_a_wrong_deadline_shows_the_page_again(client, gestionnaire, flagged, deadline):
    before = snapshot(flagged)
    client.force_login(gestionnaire)

    html = html_of(client.post(url("centre_ask_corrections", flagged), {"deadline": deadline}))

    assert 'href="#id_deadline"' in html
    assert "postérieure à aujourd'hui" in html or "Saisissez une date valide" in html
    assert snapshot(flagged) == before


def test_corrections_without_a_flagged_pièce_are_refused(client, gestionnaire, in_control):
    before = snapshot(in_control)
    client.force_login(gestionnaire)

    response = client.post(url("centre_ask_corrections", in_control), {}, follow=True)

    assert messages_of(response) == [workflow.NO_FLAGGED_PIECE]
    assert snapshot(in_control) == before


@pytest.fixture
def all_conforme(in_control):
    in_control.pieces.update(status=PieceStatus.CONFORME)
    return in_control


def test_declaring_complete_asks_for_confirmation(client, gestionnaire, all_conforme):
    before = snapshot(all_conforme)
    client.force_login(gestionnaire)

    html = html_of(client.post(url("centre_declare_complete", all_conforme), {}))

    assert "Cochez la confirmation pour transmettre le dossier à la DNF." in html
    assert snapshot(all_conforme) == before


def test_declaring_complete_transmits_to_the_dnf(client, gestionnaire, all_conforme):
    client.force_login(gestionnaire)

    response = client.post(url("centre_declare_complete", all_conforme), {"confirm": "on"},
                           follow=True)

    assert messages_of(response)[0].startswith("Le dossier est déclaré complet et transmis")
    all_conforme.refresh_from_db()
    assert all_conforme.state == State.TRANSMIS_DNF
    html = html_of(response)
    assert "Transmis à la DNF" in html
    # The centre keeps seeing it, and may still write notes; nothing else.
    assert "Ajouter la note" in html and "Enregistrer l'avis" not in html


def test_declaring_complete_with_a_pièce_not_conforme_is_refused(client, gestionnaire,
                                                                flagged):
    before = snapshot(flagged)
    client.force_login(gestionnaire)

    response = client.post(url("centre_declare_complete", flagged), {"confirm": "on"},
                           follow=True)

    assert messages_of(response)[0].startswith("Le dossier ne peut être déclaré complet")
    assert snapshot(flagged) == before


def test_declaring_inadmissible_asks_for_a_motive(client, gestionnaire, in_control):
    address = url("centre_declare_inadmissible", in_control)
    client.force_login(gestionnaire)

    page = html_of(client.get(address))
    assert "Cette décision est définitive" in page and "Motif de l'irrecevabilité" in page

    before = snapshot(in_control)
    html = html_of(client.post(address, {"motive": "   "}))
    assert workflow.MOTIVE_REQUIRED in html and 'href="#id_motive"' in html
    assert snapshot(in_control) == before

    response = client.post(address, {"motive": "Diplôme prérequis absent."}, follow=True)
    assert response.redirect_chain == [(url("centre_dossier", in_control), 302)]
    in_control.refresh_from_db()
    assert in_control.state == State.IRRECEVABLE
    event = Event.objects.filter(dossier=in_control).latest("pk")
    assert event.comment == "Diplôme prérequis absent." and event.visible_to_auditeur


def test_the_inadmissible_page_of_a_dossier_not_in_control_sends_back(client, gestionnaire,
                                                                       deposited):
    client.force_login(gestionnaire)

    response = client.get(url("centre_declare_inadmissible", deposited), follow=True)

    assert response.redirect_chain == [(url("centre_dossier", deposited), 302)]
    assert messages_of(response) == [workflow.TAKE_FIRST]


def test_declaring_inadmissible_when_not_in_charge_is_refused(client, colleague, in_control):
    before = snapshot(in_control)
    client.force_login(colleague)

    response = client.post(url("centre_declare_inadmissible", in_control),
                           {"motive": "Motif."}, follow=True)

    assert messages_of(response) == [workflow.TAKE_FIRST]
    assert snapshot(in_control) == before


# --- Notes --------------------------------------------------------------------------------


def test_an_internal_note_is_never_shown_to_the_auditeur(client, colleague, auditeur,
                                                        in_control):
    client.force_login(colleague)

    response = client.post(url("centre_add_note", in_control),
                           {"text": "Relancer l'employeur."}, follow=True)

    assert "Relancer l'employeur." in html_of(response)
    note = Event.objects.get(dossier=in_control, action=workflow.NOTE)
    assert note.actor == colleague and not note.visible_to_auditeur
    client.force_login(auditeur)
    assert "Relancer l'employeur." not in html_of(client.get(url("detail", in_control)))


def test_an_empty_note_is_refused(client, gestionnaire, in_control):
    before = snapshot(in_control)
    client.force_login(gestionnaire)

    html = html_of(client.post(url("centre_add_note", in_control), {"text": " "}))

    assert "Écrivez le texte de la note." in html and 'href="#id_text"' in html
    assert snapshot(in_control) == before
