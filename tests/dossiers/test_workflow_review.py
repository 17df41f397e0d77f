"""The centre's transitions: take, take over, ask for corrections, declare complete or
not admissible. Each refusal leaves the dossier, its events and the courriels alone."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from auditeurs.models import Role
from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Dossier, Event, PieceStatus, State
from dossiers.workflow import TransitionError
from tests.dossiers.factories import (
    DossierFactory,
    PieceFactory,
    SignatureFactory,
    review_snapshot,
)
from tests.factories import StaffFactory

S = State
TAKE_FIRST = "Prenez d'abord ce dossier en charge."

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(centre):
    """Another gestionnaire of the same centre (Paris)."""
    return StaffFactory(username="nadia.simon", first_name="Nadia", last_name="Simon",
                        role=Role.GESTIONNAIRE, centres=[centre])


@pytest.fixture
def in_control(auditeur, gestionnaire):
    """A dossier of Paris in control by ``gestionnaire``: one pièce erronée, one
    conforme, one manquante (never uploaded)."""
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)
    PieceFactory(dossier=dossier, deposee=True, status=PieceStatus.ERRONEE,
                 piece_type__label="Copie du diplôme prérequis",
                 comment="La copie est illisible.")
    PieceFactory(dossier=dossier, deposee=True, status=PieceStatus.CONFORME,
                 piece_type__label="Pièce d'identité")
    PieceFactory(dossier=dossier, status=PieceStatus.MANQUANTE,
                 piece_type__label="Certificat de travail",
                 comment="Le certificat de l'employeur actuel manque.")
    return dossier


def refused(function, dossier, *args, **kwargs):
    """Call ``function``, expect a TransitionError that changed nothing; its message."""
    before = review_snapshot(dossier)
    with pytest.raises(TransitionError) as refusal:
        function(dossier.pk, *args, **kwargs)
    assert review_snapshot(dossier) == before
    assert refusal.value.message
    return refusal.value


def invisible(function, dossier, *args, **kwargs):
    before = review_snapshot(dossier)
    with pytest.raises(Dossier.DoesNotExist):
        function(dossier.pk, *args, **kwargs)
    assert review_snapshot(dossier) == before


# --- take ---------------------------------------------------------------------------


def test_it_takes_a_deposited_dossier(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    before = dossier.state_changed_at

    updated = workflow.take(dossier.pk, user=gestionnaire)

    assert (updated.state, updated.owner) == (S.EN_CONTROLE, gestionnaire)
    dossier.refresh_from_db()
    assert (dossier.state, dossier.owner) == (S.EN_CONTROLE, gestionnaire)
    assert dossier.state_changed_at > before
    event = Event.objects.get()
    assert (event.dossier, event.actor, event.action) == (dossier, gestionnaire, "take")
    assert (event.from_state, event.to_state) == (S.DEPOSE, S.EN_CONTROLE)
    assert event.visible_to_auditeur
    assert workflow.event_label(event) == "Dossier pris en charge par le centre"
    assert not Courriel.objects.exists()


def test_a_re_deposited_dossier_is_taken_by_whoever_takes_it(auditeur, gestionnaire, colleague):
    dossier = DossierFactory(auditeur=auditeur, depose=True, owner=colleague,
                             correction_round=1)

    workflow.take(dossier.pk, user=gestionnaire)

    dossier.refresh_from_db()
    assert (dossier.owner, dossier.correction_round) == (gestionnaire, 1)


def test_a_dossier_taken_by_a_colleague_names_him_or_her(auditeur, gestionnaire, colleague):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=colleague)

    refusal = refused(workflow.take, dossier, user=gestionnaire)

    assert refusal.message == "Ce dossier est déjà pris en charge par Nadia Simon."


def test_taking_twice_says_it_is_yours_already(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)

    refusal = refused(workflow.take, dossier, user=gestionnaire)

    assert refusal.message == "Vous avez déjà pris ce dossier en charge."


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (S.A_COMPLETER, "Ce dossier attend les corrections de l'auditeur : vous pourrez le "
                        "contrôler quand il l'aura signé à nouveau."),
        (S.RETIRE, "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler."),
        (S.TRANSMIS_DNF, "Action impossible : le dossier est « Transmis à la DNF »."),
        (S.IRRECEVABLE, "Action impossible : le dossier est « Irrecevable »."),
        (S.INSCRIT_JURY, "Action impossible : le dossier est « Inscrit à une session de jury »."),
    ],
)
def test_only_a_deposited_dossier_can_be_taken(state, message, auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, state=state)
    if state == S.RETIRE:  # withdrawn after its signature: the centre still has it
        SignatureFactory(dossier=dossier)

    assert refused(workflow.take, dossier, user=gestionnaire).message == message


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf",
                                 "administrateur"])
def test_nobody_but_the_centres_gestionnaires_can_take_it(who, auditeur, request):
    dossier = DossierFactory(auditeur=auditeur, depose=True)

    invisible(workflow.take, dossier, user=request.getfixturevalue(who))


def test_a_draft_does_not_exist_for_the_centre(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur)

    invisible(workflow.take, dossier, user=gestionnaire)


def test_an_inactive_gestionnaire_cannot_take(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    gestionnaire.is_active = False
    gestionnaire.save()

    invisible(workflow.take, dossier, user=gestionnaire)


# --- take_over ----------------------------------------------------------------------


def test_a_colleague_takes_the_dossier_over(in_control, gestionnaire, colleague):
    before = review_snapshot(in_control)

    updated = workflow.take_over(in_control.pk, user=colleague)

    assert (updated.state, updated.owner) == (S.EN_CONTROLE, colleague)
    after = review_snapshot(in_control)
    assert after["owner"] == colleague.pk
    # Not a transition: the state and its date do not move, nothing is sent.
    assert {k: v for k, v in after.items() if k not in ("owner", "events")} == {
        k: v for k, v in before.items() if k not in ("owner", "events")
    }
    event = Event.objects.get()
    assert (event.actor, event.action) == (colleague, "take_over")
    assert (event.from_state, event.to_state) == ("", "")
    assert not event.visible_to_auditeur
    assert event.data == {"previous_owner": gestionnaire.pk,
                          "previous_owner_name": "Claire Petit"}


def test_taking_over_ones_own_dossier_is_refused(in_control, gestionnaire):
    refusal = refused(workflow.take_over, in_control, user=gestionnaire)

    assert refusal.message == "Vous avez déjà ce dossier en charge."


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (S.DEPOSE, "Ce dossier n'est encore pris en charge par personne : prenez-le en "
                   "charge."),
        (S.A_COMPLETER, "Seul un dossier en cours de contrôle peut être repris ; celui-ci "
                        "est « À compléter »."),
        (S.TRANSMIS_DNF, "Seul un dossier en cours de contrôle peut être repris ; celui-ci "
                         "est « Transmis à la DNF »."),
    ],
)
def test_only_a_dossier_in_control_can_be_taken_over(state, message, auditeur, colleague,
                                                     gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, state=state, owner=gestionnaire)

    assert refused(workflow.take_over, dossier, user=colleague).message == message


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf"])
def test_nobody_outside_the_centre_can_take_it_over(who, in_control, request):
    invisible(workflow.take_over, in_control, user=request.getfixturevalue(who))


# --- ask_corrections ----------------------------------------------------------------


def test_it_asks_for_corrections(in_control, gestionnaire, auditeur):
    deadline = timezone.localdate() + datetime.timedelta(days=15)

    updated = workflow.ask_corrections(in_control.pk, user=gestionnaire, deadline=deadline)

    assert updated.state == S.A_COMPLETER
    in_control.refresh_from_db()
    assert in_control.state == S.A_COMPLETER
    assert (in_control.correction_round, in_control.corrections_due) == (1, deadline)
    assert in_control.owner == gestionnaire
    event = Event.objects.get()
    assert (event.actor, event.action) == (gestionnaire, "ask_corrections")
    assert (event.from_state, event.to_state) == (S.EN_CONTROLE, S.A_COMPLETER)
    assert event.visible_to_auditeur
    assert event.data == {
        "round": 1,
        "deadline": deadline.isoformat(),
        "pieces": [
            {"piece": "Certificat de travail", "status": "manquante",
             "comment": "Le certificat de l'employeur actuel manque."},
            {"piece": "Copie du diplôme prérequis", "status": "erronee",
             "comment": "La copie est illisible."},
        ],
    }
    # The flagged pièces stay flagged: the auditeur's corrections page goes by them.
    assert sorted(in_control.pieces.values_list("status", flat=True)) == [
        "conforme", "erronee", "manquante",
    ]


def test_the_courriel_lists_each_flagged_piece_with_its_comment(in_control, gestionnaire,
                                                                 auditeur):
    deadline = timezone.localdate() + datetime.timedelta(days=15)

    workflow.ask_corrections(in_control.pk, user=gestionnaire, deadline=deadline)

    courriel = Courriel.objects.get()
    assert (courriel.to, courriel.recipient_user) == (auditeur.email, auditeur)
    assert courriel.template == "corrections_demandees"
    assert courriel.dossier_reference == in_control.reference
    assert courriel.subject == f"Votre dossier {in_control.reference} est à compléter"
    link = settings.D3_SITE_URL.rstrip("/") + reverse("dossiers:corrections",
                                                      args=[in_control.pk])
    assert link.endswith(f"/dossiers/{in_control.pk}/corrections/")
    text = courriel.body_text
    assert "Bonjour Madame Jeanne Martin" in text
    assert "- Copie du diplôme prérequis (erronée) : La copie est illisible." in text
    assert ("- Certificat de travail (manquante) : Le certificat de l'employeur actuel "
            "manque.") in text
    assert "Pièce d'identité" not in text
    assert f"avant le {date_format(deadline, 'j F Y')}" in text
    assert link in text
    assert in_control.reference in text
    html = courriel.body_html
    assert ("<strong>Copie du diplôme prérequis</strong> (erronée) : La copie est "
            "illisible.") in html
    assert "Le certificat de l&#x27;employeur actuel manque." in html
    assert "Pièce d&#x27;identité" not in html
    assert f'href="{link}"' in html
    assert f"avant le {date_format(deadline, 'j F Y')}" in html


def test_a_deadline_is_optional(in_control, gestionnaire):
    workflow.ask_corrections(in_control.pk, user=gestionnaire)

    in_control.refresh_from_db()
    assert in_control.corrections_due is None
    assert Event.objects.get().data["deadline"] is None
    courriel = Courriel.objects.get()
    assert "avant le" not in courriel.body_text
    assert "avant le" not in courriel.body_html


def test_each_request_of_corrections_is_a_new_round(in_control, gestionnaire):
    Dossier.objects.filter(pk=in_control.pk).update(correction_round=1)

    workflow.ask_corrections(in_control.pk, user=gestionnaire)

    in_control.refresh_from_db()
    assert in_control.correction_round == 2
    assert Event.objects.get().data["round"] == 2


def test_the_auditeur_without_email_misses_only_the_courriel(in_control, gestionnaire,
                                                               auditeur):
    auditeur.email = ""
    auditeur.save()

    workflow.ask_corrections(in_control.pk, user=gestionnaire)

    in_control.refresh_from_db()
    assert in_control.state == S.A_COMPLETER
    assert not Courriel.objects.exists()


def test_no_corrections_without_a_flagged_piece(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)
    PieceFactory(dossier=dossier, deposee=True, status=PieceStatus.CONFORME)
    PieceFactory(dossier=dossier, deposee=True)  # deposee: not checked yet, not flagged

    refusal = refused(workflow.ask_corrections, dossier, user=gestionnaire)

    assert refusal.message == (
        "Aucune pièce n'est signalée erronée ou manquante : il n'y a pas de correction à "
        "demander."
    )


@pytest.mark.parametrize("days", [0, -1, -30])
def test_the_deadline_must_be_after_today(days, in_control, gestionnaire):
    deadline = timezone.localdate() + datetime.timedelta(days=days)

    refusal = refused(workflow.ask_corrections, in_control, user=gestionnaire,
                      deadline=deadline)

    assert refusal.message == (
        "La date limite des corrections doit être postérieure à aujourd'hui."
    )


def test_only_the_owner_asks_for_corrections(in_control, colleague):
    assert refused(workflow.ask_corrections, in_control, user=colleague).message == TAKE_FIRST


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (S.DEPOSE, TAKE_FIRST),
        (S.A_COMPLETER, "Les corrections ont déjà été demandées à l'auditeur."),
        (S.RETIRE, "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler."),
        (S.TRANSMIS_DNF, "Action impossible : le dossier est « Transmis à la DNF »."),
    ],
)
def test_corrections_are_asked_only_in_control(state, message, in_control, gestionnaire):
    Dossier.objects.filter(pk=in_control.pk).update(state=state)

    refusal = refused(workflow.ask_corrections, in_control, user=gestionnaire)

    assert refusal.message == message


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf"])
def test_nobody_outside_the_centre_asks_for_corrections(who, in_control, request):
    invisible(workflow.ask_corrections, in_control, user=request.getfixturevalue(who))


# --- declare_complete -----------------------------------------------------------------


@pytest.fixture
def all_conforme(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)
    PieceFactory.create_batch(2, dossier=dossier, deposee=True, status=PieceStatus.CONFORME)
    return dossier


def test_a_complete_dossier_goes_to_the_dnf(all_conforme, gestionnaire, auditeur):
    updated = workflow.declare_complete(all_conforme.pk, user=gestionnaire)

    assert updated.state == S.TRANSMIS_DNF
    all_conforme.refresh_from_db()
    assert (all_conforme.state, all_conforme.owner) == (S.TRANSMIS_DNF, gestionnaire)
    event = Event.objects.get()
    assert (event.actor, event.action) == (gestionnaire, "declare_complete")
    assert (event.from_state, event.to_state) == (S.EN_CONTROLE, S.TRANSMIS_DNF)
    assert event.visible_to_auditeur
    courriel = Courriel.objects.get()
    assert (courriel.to, courriel.template) == (auditeur.email, "dossier_transmis")
    assert courriel.subject == (
        f"Votre dossier {all_conforme.reference} est complet et transmis à la DNF"
    )
    link = settings.D3_SITE_URL.rstrip("/") + reverse("dossiers:detail",
                                                      args=[all_conforme.pk])
    for body in (courriel.body_text, courriel.body_html):
        assert "Bonjour Madame Jeanne Martin" in body
        assert "Direction nationale des formations (DNF)" in body
        assert "session de jury" in body
        assert "au plus tôt un mois après la date du jury" in body
        assert all_conforme.diplome.code in body
        assert all_conforme.reference in body
        assert link in body


def test_every_piece_must_be_conforme(in_control, gestionnaire):
    refusal = refused(workflow.declare_complete, in_control, user=gestionnaire)

    assert refusal.reasons == (
        "Certificat de travail : manquante.",
        "Copie du diplôme prérequis : erronée.",
    )
    assert refusal.message == (
        "Le dossier ne peut être déclaré complet que lorsque toutes ses pièces sont "
        "conformes. À vérifier : Certificat de travail : manquante. Copie du diplôme "
        "prérequis : erronée."
    )


def test_a_piece_not_checked_yet_blocks_too(all_conforme, gestionnaire):
    PieceFactory(dossier=all_conforme, deposee=True, piece_type__label="CV")

    refusal = refused(workflow.declare_complete, all_conforme, user=gestionnaire)

    assert refusal.reasons == ("CV : déposée.",)


def test_only_the_owner_declares_it_complete(all_conforme, colleague):
    assert refused(workflow.declare_complete, all_conforme, user=colleague).message == TAKE_FIRST


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (S.DEPOSE, TAKE_FIRST),
        (S.TRANSMIS_DNF, "Ce dossier a déjà été transmis à la DNF."),
        (S.A_COMPLETER, "Ce dossier attend les corrections de l'auditeur : vous pourrez le "
                        "contrôler quand il l'aura signé à nouveau."),
        (S.IRRECEVABLE, "Action impossible : le dossier est « Irrecevable »."),
    ],
)
def test_it_is_declared_complete_only_in_control(state, message, all_conforme, gestionnaire):
    Dossier.objects.filter(pk=all_conforme.pk).update(state=state)

    assert refused(workflow.declare_complete, all_conforme, user=gestionnaire).message == message


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf"])
def test_nobody_outside_the_centre_declares_it_complete(who, all_conforme, request):
    invisible(workflow.declare_complete, all_conforme, user=request.getfixturevalue(who))


# --- declare_inadmissible ---------------------------------------------------------------

MOTIVE = "Le diplôme prérequis déclaré ne permet pas l'accès à cette licence."


def test_a_dossier_is_declared_not_admissible_with_its_motive(in_control, gestionnaire,
                                                               auditeur):
    updated = workflow.declare_inadmissible(in_control.pk, user=gestionnaire,
                                            motive=f"  {MOTIVE}\n")

    assert updated.state == S.IRRECEVABLE
    in_control.refresh_from_db()
    assert in_control.state == S.IRRECEVABLE
    event = Event.objects.get()
    assert (event.actor, event.action, event.comment) == (gestionnaire, "declare_inadmissible",
                                                          MOTIVE)
    assert (event.from_state, event.to_state) == (S.EN_CONTROLE, S.IRRECEVABLE)
    assert event.visible_to_auditeur
    courriel = Courriel.objects.get()
    assert (courriel.to, courriel.template) == (auditeur.email, "dossier_irrecevable")
    assert courriel.subject == f"Votre dossier {in_control.reference} est irrecevable"
    assert MOTIVE in courriel.body_text
    assert "Le diplôme prérequis déclaré ne permet pas l&#x27;accès" in courriel.body_html
    for body in (courriel.body_text, courriel.body_html):
        assert "nouvelle demande" in body
        assert in_control.reference in body


@pytest.mark.parametrize("motive", ["", "   \n ", None])
def test_a_motive_is_required(motive, in_control, gestionnaire):
    refusal = refused(workflow.declare_inadmissible, in_control, user=gestionnaire,
                      motive=motive)

    assert refusal.message == (
        "Indiquez le motif d'irrecevabilité : l'auditeur le lira dans le courriel."
    )


def test_only_the_owner_declares_it_not_admissible(in_control, colleague):
    refusal = refused(workflow.declare_inadmissible, in_control, user=colleague, motive=MOTIVE)

    assert refusal.message == TAKE_FIRST


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (S.DEPOSE, TAKE_FIRST),
        (S.IRRECEVABLE, "Ce dossier a déjà été déclaré irrecevable."),
        (S.TRANSMIS_DNF, "Action impossible : le dossier est « Transmis à la DNF »."),
    ],
)
def test_it_is_declared_not_admissible_only_in_control(state, message, in_control,
                                                       gestionnaire):
    Dossier.objects.filter(pk=in_control.pk).update(state=state)

    refusal = refused(workflow.declare_inadmissible, in_control, user=gestionnaire,
                      motive=MOTIVE)

    assert refusal.message == message


@pytest.mark.parametrize("who", ["other_gestionnaire", "auditeur", "agent_dnf"])
def test_nobody_outside_the_centre_declares_it_not_admissible(who, in_control, request):
    invisible(workflow.declare_inadmissible, in_control,
              user=request.getfixturevalue(who), motive=MOTIVE)


# --- Timeline labels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "from_state", "data", "label"),
    [
        ("take", S.DEPOSE, {}, "Dossier pris en charge par le centre"),
        ("sign", S.BROUILLON, {}, "Dossier signé et déposé"),
        ("sign", S.A_COMPLETER, {}, "Dossier déposé à nouveau après corrections"),
        ("piece_verdict", "", {"piece": "CV", "status": "conforme", "comment": ""},
         "Pièce vérifiée : conforme (CV)"),
        ("piece_verdict", "", {"piece": "CV", "status": "erronee", "comment": "Flou."},
         "Pièce vérifiée : erronée (CV)"),
        ("piece_verdict", "", {"piece": "CV", "status": "manquante", "comment": "?"},
         "Pièce vérifiée : manquante (CV)"),
        ("ask_corrections", S.EN_CONTROLE, {}, "Corrections demandées"),
        ("declare_complete", S.EN_CONTROLE, {}, "Dossier complet, transmis à la DNF"),
        ("declare_inadmissible", S.EN_CONTROLE, {}, "Dossier déclaré irrecevable"),
        ("take_over", "", {}, "Dossier repris par un autre gestionnaire du centre"),
        ("note", "", {}, "Note interne du centre"),
    ],
)
def test_event_labels_speak_the_auditeurs_words(action, from_state, data, label):
    assert workflow.event_label(Event(action=action, from_state=from_state, data=data)) == label
