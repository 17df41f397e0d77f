"""dossiers.review: a verdict on each pièce, internal notes, the actions a page offers."""

import pytest
from django.db.models import Prefetch
from django.utils import timezone

from auditeurs.models import Role
from d3.courriels.models import Courriel
from dossiers import review
from dossiers.models import Dossier, Event, Piece, PieceFile, PieceStatus, State
from dossiers.review import TransitionError
from tests.dossiers.factories import (
    DossierFactory,
    PieceFactory,
    PieceFileFactory,
    SignatureFactory,
    review_snapshot,
)
from tests.factories import StaffFactory

S = State
P = PieceStatus
TAKE_FIRST = "Prenez d'abord ce dossier en charge."
COMMENT_REQUIRED = "Précisez ce qui ne va pas : l'auditeur lira ce commentaire."

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(centre):
    return StaffFactory(username="nadia.simon", first_name="Nadia", last_name="Simon",
                        role=Role.GESTIONNAIRE, centres=[centre])


@pytest.fixture
def dossier(auditeur, gestionnaire):
    return DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)


@pytest.fixture
def uploaded(dossier):
    """A pièce with its file, not checked yet."""
    return PieceFactory(dossier=dossier, deposee=True, piece_type__label="Pièce d'identité")


@pytest.fixture
def never_uploaded(dossier):
    return PieceFactory(dossier=dossier, piece_type__label="Certificat de travail")


def refused_verdict(piece, **kwargs):
    before = review_snapshot(piece.dossier)
    with pytest.raises(TransitionError) as refusal:
        review.set_piece_verdict(piece.pk, **kwargs)
    assert review_snapshot(piece.dossier) == before
    return refusal.value.message


# --- set_piece_verdict ------------------------------------------------------------------


def test_a_piece_is_declared_conforme(uploaded, gestionnaire, dossier):
    before = dossier.updated_at

    piece = review.set_piece_verdict(uploaded.pk, user=gestionnaire, status="conforme")

    assert piece.status == P.CONFORME
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.comment) == (P.CONFORME, "")
    dossier.refresh_from_db()
    assert dossier.state == S.EN_CONTROLE
    assert dossier.updated_at > before
    event = Event.objects.get()
    assert (event.dossier, event.actor, event.action) == (dossier, gestionnaire,
                                                          "piece_verdict")
    assert (event.from_state, event.to_state) == ("", "")
    assert event.visible_to_auditeur
    assert event.data == {"piece": "Pièce d'identité", "status": "conforme", "comment": ""}
    # The courriel goes with the request of corrections, not with each verdict.
    assert not Courriel.objects.exists()


@pytest.mark.parametrize("status", [P.ERRONEE, P.MANQUANTE])
def test_a_piece_is_flagged_with_a_comment(status, uploaded, gestionnaire):
    review.set_piece_verdict(uploaded.pk, user=gestionnaire, status=status,
                             comment="  La copie est illisible.\n")

    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.comment) == (status, "La copie est illisible.")
    event = Event.objects.get()
    assert event.comment == "La copie est illisible."
    assert event.data == {"piece": "Pièce d'identité", "status": status.value,
                          "comment": "La copie est illisible."}
    assert not Courriel.objects.exists()


def test_a_piece_never_uploaded_is_missing(never_uploaded, gestionnaire):
    review.set_piece_verdict(never_uploaded.pk, user=gestionnaire, status="manquante",
                             comment="Joignez le certificat de votre employeur actuel.")

    never_uploaded.refresh_from_db()
    assert never_uploaded.status == P.MANQUANTE


def test_conforme_clears_an_earlier_comment(uploaded, gestionnaire):
    review.set_piece_verdict(uploaded.pk, user=gestionnaire, status="erronee",
                             comment="Illisible.")

    review.set_piece_verdict(uploaded.pk, user=gestionnaire, status="conforme",
                             comment="Ignoré.")

    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.comment) == (P.CONFORME, "")
    assert [e.data["status"] for e in Event.objects.order_by("pk")] == ["erronee", "conforme"]


@pytest.mark.parametrize("status", ["erronee", "manquante"])
@pytest.mark.parametrize("comment", ["", "   \n\t", None])
def test_a_flag_needs_a_comment(status, comment, uploaded, gestionnaire):
    message = refused_verdict(uploaded, user=gestionnaire, status=status, comment=comment)

    assert message == COMMENT_REQUIRED


def test_a_comment_has_a_limit(uploaded, gestionnaire):
    message = refused_verdict(uploaded, user=gestionnaire, status="erronee",
                              comment="x" * 5001)

    assert message == "Le commentaire ne peut pas dépasser 5000 caractères."


@pytest.mark.parametrize("status", ["conforme", "erronee"])
def test_a_piece_without_a_current_file_can_only_be_missing(status, never_uploaded,
                                                           gestionnaire):
    message = refused_verdict(never_uploaded, user=gestionnaire, status=status,
                              comment="Illisible.")

    assert message == "Aucun fichier n'est déposé pour cette pièce : signalez-la manquante."


def test_a_replaced_file_is_not_a_current_one(never_uploaded, gestionnaire):
    PieceFileFactory(piece=never_uploaded, replaced_at=timezone.now())

    message = refused_verdict(never_uploaded, user=gestionnaire, status="conforme")

    assert message == "Aucun fichier n'est déposé pour cette pièce : signalez-la manquante."


@pytest.mark.parametrize("status", ["deposee", "attendue", "parfaite", ""])
def test_only_the_three_verdicts_exist(status, uploaded, gestionnaire):
    message = refused_verdict(uploaded, user=gestionnaire, status=status, comment="Vu.")

    assert message == "Choisissez un verdict : conforme, erronée ou manquante."


def test_only_the_owner_gives_verdicts(uploaded, colleague):
    assert refused_verdict(uploaded, user=colleague, status="conforme") == TAKE_FIRST


def test_a_deposited_dossier_must_be_taken_first(uploaded, gestionnaire, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(state=S.DEPOSE, owner=None)

    assert refused_verdict(uploaded, user=gestionnaire, status="conforme") == TAKE_FIRST


@pytest.mark.parametrize("state", [S.A_COMPLETER, S.TRANSMIS_DNF, S.IRRECEVABLE, S.RETIRE])
def test_verdicts_only_during_the_control(state, uploaded, gestionnaire, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(state=state)

    message = refused_verdict(uploaded, user=gestionnaire, status="conforme")

    assert message == (
        "Les pièces ne se vérifient que pendant le contrôle du dossier ; celui-ci est "
        f"« {state.label} »."
    )


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf",
                                 "administrateur"])
def test_a_piece_of_another_centre_does_not_exist(who, uploaded, request):
    before = review_snapshot(uploaded.dossier)

    with pytest.raises(Piece.DoesNotExist):
        review.set_piece_verdict(uploaded.pk, user=request.getfixturevalue(who),
                                 status="conforme")

    assert review_snapshot(uploaded.dossier) == before


def test_a_piece_of_a_draft_does_not_exist(auditeur, gestionnaire):
    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur, owner=gestionnaire),
                         deposee=True)

    with pytest.raises(Piece.DoesNotExist):
        review.set_piece_verdict(piece.pk, user=gestionnaire, status="conforme")

    piece.refresh_from_db()
    assert piece.status == P.DEPOSEE
    assert not Event.objects.exists()


# --- add_note ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.DEPOSE, S.EN_CONTROLE, S.A_COMPLETER, S.TRANSMIS_DNF,
                                   S.IRRECEVABLE, S.RETIRE, S.COURRIER_ENVOYE])
def test_any_gestionnaire_of_the_centre_keeps_notes(state, auditeur, colleague):
    dossier = DossierFactory(auditeur=auditeur, state=state)
    if state == S.RETIRE:  # withdrawn after its signature: the centre still has it
        SignatureFactory(dossier=dossier)
    before = review_snapshot(dossier)

    event = review.add_note(dossier.pk, user=colleague, text="  Employeur à rappeler.\n")

    assert (event.dossier, event.actor, event.action) == (dossier, colleague, "note")
    assert event.comment == "Employeur à rappeler."
    assert not event.visible_to_auditeur
    assert (event.from_state, event.to_state) == ("", "")
    after = review_snapshot(dossier)
    assert after["events"] == [event.pk]
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }
    assert not Courriel.objects.exists()


def test_a_note_may_be_long_but_not_endless(dossier, gestionnaire):
    review.add_note(dossier.pk, user=gestionnaire, text="x" * 5000)

    with pytest.raises(TransitionError) as refusal:
        review.add_note(dossier.pk, user=gestionnaire, text="x" * 5001)

    assert refusal.value.message == (
        "La note ne peut pas dépasser 5000 caractères (elle en compte 5001)."
    )
    assert Event.objects.count() == 1


@pytest.mark.parametrize("text", ["", "  \n", None])
def test_a_note_needs_a_text(text, dossier, gestionnaire):
    with pytest.raises(TransitionError) as refusal:
        review.add_note(dossier.pk, user=gestionnaire, text=text)

    assert refusal.value.message == "Écrivez le texte de la note."
    assert not Event.objects.exists()


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf"])
def test_nobody_outside_the_centre_writes_notes(who, dossier, request):
    with pytest.raises(Dossier.DoesNotExist):
        review.add_note(dossier.pk, user=request.getfixturevalue(who), text="Vu.")

    assert not Event.objects.exists()


def test_a_draft_takes_no_note(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur)

    with pytest.raises(Dossier.DoesNotExist):
        review.add_note(dossier.pk, user=gestionnaire, text="Vu.")

    assert not Event.objects.exists()


# --- available_actions ------------------------------------------------------------------

OWNER, OTHER, NOBODY = "owner", "other", "nobody"


@pytest.mark.parametrize(
    ("state", "owner", "statuses", "expected"),
    [
        (S.DEPOSE, NOBODY, [P.DEPOSEE], {"take", "add_note"}),
        (S.DEPOSE, OWNER, [P.ERRONEE], {"take", "add_note"}),  # a re-deposit
        (S.EN_CONTROLE, OTHER, [P.CONFORME], {"take_over", "add_note"}),
        (S.EN_CONTROLE, OWNER, [P.DEPOSEE, P.CONFORME],
         {"set_verdict", "declare_inadmissible", "add_note"}),
        (S.EN_CONTROLE, OWNER, [P.ERRONEE, P.CONFORME],
         {"set_verdict", "ask_corrections", "declare_inadmissible", "add_note"}),
        (S.EN_CONTROLE, OWNER, [P.MANQUANTE],
         {"set_verdict", "ask_corrections", "declare_inadmissible", "add_note"}),
        (S.EN_CONTROLE, OWNER, [P.CONFORME, P.CONFORME],
         {"set_verdict", "declare_complete", "declare_inadmissible", "add_note"}),
        (S.A_COMPLETER, OWNER, [P.ERRONEE], {"add_note"}),
        (S.TRANSMIS_DNF, OWNER, [P.CONFORME], {"add_note"}),
        (S.IRRECEVABLE, OWNER, [P.ERRONEE], {"add_note"}),
        (S.RETIRE, NOBODY, [P.DEPOSEE], {"add_note"}),
        (S.BROUILLON, NOBODY, [P.DEPOSEE], set()),
    ],
)
def test_available_actions(state, owner, statuses, expected, auditeur, gestionnaire,
                           colleague, django_assert_num_queries):
    owners = {OWNER: gestionnaire, OTHER: colleague, NOBODY: None}
    dossier = DossierFactory(auditeur=auditeur, state=state, owner=owners[owner])
    for status in statuses:
        PieceFactory(dossier=dossier, status=status)
    dossier = Dossier.objects.prefetch_related("pieces").get(pk=dossier.pk)

    with django_assert_num_queries(0):
        actions = review.available_actions(dossier, gestionnaire)
        assert all(review.can_act(action, dossier, gestionnaire) is (action in actions)
                   for action in review.ACTIONS)

    assert actions == expected


def test_available_actions_read_the_pieces_the_page_has(dossier, gestionnaire,
                                                        django_assert_num_queries):
    PieceFactory(dossier=dossier, deposee=True, status=P.CONFORME)
    pieces = list(
        Piece.objects.filter(dossier=dossier).prefetch_related(
            Prefetch("files", queryset=PieceFile.objects.filter(replaced_at__isnull=True),
                     to_attr="current_files")
        )
    )
    dossier = Dossier.objects.get(pk=dossier.pk)

    with django_assert_num_queries(0):
        actions = review.available_actions(dossier, gestionnaire, pieces=pieces)

    assert "declare_complete" in actions


@pytest.mark.parametrize("who", ["auditeur", "agent_dnf", "membre_jury", "administrateur"])
def test_only_gestionnaires_review(who, dossier, request):
    assert review.available_actions(dossier, request.getfixturevalue(who)) == set()


def test_can_act_refuses_an_unknown_action(dossier, gestionnaire):
    with pytest.raises(ValueError):
        review.can_act("publish", dossier, gestionnaire)
