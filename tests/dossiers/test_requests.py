"""dossiers.requests: which requests an auditeur may start, and the draft it creates."""

import pytest

from auditeurs.models import AuditeurProfile
from dossiers.models import AepOutcome, Dossier, Event, Kind, Piece, PieceStatus, State
from dossiers.requests import (
    FORMATION_CONTINUE_MESSAGE,
    RequestRefused,
    refusal_reasons,
    start_request,
)
from tests.dossiers.factories import DossierFactory
from tests.factories import (
    DiplomeFactory,
    PieceTypeFactory,
    UEFactory,
    UEGroupFactory,
    ValidatedUEFactory,
)


@pytest.fixture
def diplome(db):
    """Two mandatory UEs, one UE to choose among three; an AEP anticipée needs 3 UEs."""
    diplome = DiplomeFactory(code="LG02501A", title="Licence informatique",
                             min_ues_for_early_aep=3)
    UEGroupFactory(diplome=diplome, label="UE obligatoires", required=2, position=1,
                   ues=[UEFactory(code="NFA001"), UEFactory(code="NFA002")])
    UEGroupFactory(diplome=diplome, label="UE au choix", required=1, position=2,
                   ues=[UEFactory(code=code) for code in ("NFA003", "NFA004", "NFA005")])
    return diplome


@pytest.fixture
def piece_types(db):
    return {
        "identite": PieceTypeFactory(code="identite", label="Pièce d'identité",
                                     required_for_dd=True, required_for_aep=True),
        "prerequis": PieceTypeFactory(code="prerequis", label="Copie du diplôme prérequis",
                                      required_for_dd=True, required_for_aep=False),
        "rapport": PieceTypeFactory(code="rapport", label="Rapport d'expérience",
                                    required_for_dd=False, required_for_aep=True),
        "cv": PieceTypeFactory(code="cv", label="Curriculum vitae",
                               required_for_dd=False, required_for_aep=False),
    }


def validate(auditeur, *codes):
    for code in codes:
        ValidatedUEFactory(auditeur=auditeur, ue=UEFactory(code=code))


def start(auditeur, diplome, kind, formation_continue=False):
    return start_request(auditeur=auditeur, diplome=diplome, kind=kind,
                         formation_continue=formation_continue)


def assert_refused(auditeur, diplome, kind, *fragments, formation_continue=False):
    """Refused with every fragment in the message, the same reasons shown beforehand,
    and nothing created."""
    counts = (Dossier.objects.count(), Piece.objects.count(), Event.objects.count())
    with pytest.raises(RequestRefused) as refused:
        start(auditeur, diplome, kind, formation_continue)
    for fragment in fragments:
        assert fragment in refused.value.message
    assert list(refused.value.reasons) == refusal_reasons(
        auditeur, diplome, kind, formation_continue=formation_continue
    )
    assert (Dossier.objects.count(), Piece.objects.count(), Event.objects.count()) == counts
    return refused.value


# --- Happy paths ---------------------------------------------------------------------


def test_it_starts_a_dd_aep_when_every_group_is_satisfied(auditeur, diplome, piece_types):
    validate(auditeur, "NFA001", "NFA002", "NFA004")
    assert refusal_reasons(auditeur, diplome, Kind.DD_AEP) == []

    dossier = start(auditeur, diplome, Kind.DD_AEP)

    dossier.refresh_from_db()
    assert (dossier.auditeur, dossier.diplome, dossier.kind) == (auditeur, diplome, Kind.DD_AEP)
    assert dossier.state == State.BROUILLON
    assert dossier.centre == auditeur.profile.centre
    pieces = dossier.pieces.all()
    assert {p.piece_type.code for p in pieces} == {"identite", "prerequis", "rapport"}
    assert {p.status for p in pieces} == {PieceStatus.ATTENDUE}
    event = Event.objects.get(dossier=dossier)
    assert (event.actor, event.action, event.from_state, event.to_state) == (
        auditeur, "created", "", State.BROUILLON,
    )


def test_it_starts_an_aep_anticipee_with_enough_validated_ues(auditeur, diplome, piece_types):
    validate(auditeur, "NFA001", "NFA003", "NFA004")

    dossier = start(auditeur, diplome, Kind.AEP_ANTICIPEE)

    assert dossier.kind == Kind.AEP_ANTICIPEE
    assert {p.piece_type.code for p in dossier.pieces.all()} == {"identite", "rapport"}


@pytest.mark.parametrize("outcome", AepOutcome.favourable())
def test_it_starts_a_dd_after_a_favourable_aep(outcome, auditeur, diplome, piece_types):
    validate(auditeur, "NFA001", "NFA002", "NFA005")
    DossierFactory(auditeur=auditeur, diplome=diplome, favourable_aep=True,
                   aep_outcome=outcome)

    dossier = start(auditeur, diplome, Kind.DD)

    assert dossier.kind == Kind.DD
    assert {p.piece_type.code for p in dossier.pieces.all()} == {"identite", "prerequis"}


def test_a_dd_alone_is_enough_when_the_diploma_asks_no_experience(auditeur, piece_types):
    diplome = DiplomeFactory(rule_set=None)
    UEGroupFactory(diplome=diplome, required=1, ues=[UEFactory(code="CNAM01")])
    validate(auditeur, "CNAM01")

    assert start(auditeur, diplome, Kind.DD).kind == Kind.DD


def test_a_closed_dossier_does_not_prevent_a_new_one(auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.DD_AEP, retire=True)
    DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.DD_AEP, irrecevable=True)

    assert start(auditeur, diplome, Kind.DD_AEP).state == State.BROUILLON


def test_open_dossiers_of_another_diploma_or_auditeur_do_not_count(
    auditeur, other_auditeur, diplome
):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    DossierFactory(auditeur=auditeur, kind=Kind.DD_AEP)
    DossierFactory(auditeur=other_auditeur, diplome=diplome, kind=Kind.DD_AEP)

    assert start(auditeur, diplome, Kind.DD_AEP).state == State.BROUILLON


# --- Refusals ------------------------------------------------------------------------


def test_an_inactive_diploma_is_refused(auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    diplome.active = False
    diplome.save()

    refused = assert_refused(auditeur, diplome, Kind.DD_AEP)

    assert refused.reasons == ("Le diplôme LG02501A n'est plus ouvert aux demandes dans D3.",)


@pytest.mark.parametrize("kind", Kind.values)
def test_a_cursus_in_formation_continue_is_refused(kind, auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")

    refused = assert_refused(auditeur, diplome, kind, formation_continue=True)

    assert refused.reasons == (FORMATION_CONTINUE_MESSAGE,)
    assert refused.message == (
        "D3 ne peut pas encore être utilisé pour un cursus suivi en formation continue "
        "(stages en journée) : rapprochez-vous de l'équipe pédagogique en charge du diplôme."
    )


@pytest.mark.parametrize("kind", [Kind.DD_AEP, Kind.DD])
def test_a_dd_lists_each_group_not_satisfied(kind, auditeur, diplome):
    validate(auditeur, "NFA001")
    DossierFactory(auditeur=auditeur, diplome=diplome, favourable_aep=True)

    refused = assert_refused(auditeur, diplome, kind)

    assert refused.reasons == (
        "Toutes les UE du diplôme ne sont pas validées. UE obligatoires : il manque 1 UE "
        "(1 sur 2 exigés). UE non validées : NFA002.",
        "Toutes les UE du diplôme ne sont pas validées. UE au choix : il manque 1 UE "
        "(0 sur 1 exigés). UE non validées : NFA003, NFA004, NFA005.",
    )


def test_a_dd_names_only_the_group_still_missing(auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002")

    refused = assert_refused(auditeur, diplome, Kind.DD_AEP, "UE au choix : il manque 1 UE")

    assert "UE obligatoires" not in refused.message


def test_a_dd_for_a_diploma_without_groups_cannot_be_checked(auditeur):
    diplome = DiplomeFactory(code="CERT001")

    assert_refused(auditeur, diplome, Kind.DD_AEP,
                   "Les UE du diplôme CERT001 ne sont pas encore décrites dans D3")


@pytest.mark.parametrize(("codes", "missing"), [((), 3), (("NFA001",), 2),
                                                 (("NFA001", "NFA003"), 1)])
def test_an_aep_anticipee_needs_the_minimum_of_validated_ues(codes, missing, auditeur, diplome):
    validate(auditeur, *codes, "XYZ999")  # a UE of another diploma does not count

    refused = assert_refused(auditeur, diplome, Kind.AEP_ANTICIPEE)

    assert refused.reasons == (
        "Une analyse anticipée de l'expérience professionnelle demande d'avoir validé au "
        f"moins 3 UE du diplôme ; vous en avez validé {len(codes)} : il vous manque "
        f"{missing} UE.",
    )


def test_a_dd_alone_without_a_favourable_aep_is_refused(auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")

    refused = assert_refused(auditeur, diplome, Kind.DD)

    assert refused.reasons == (
        "Vous n'avez pas d'analyse de l'expérience professionnelle favorable pour ce "
        "diplôme : choisissez « Demande de diplôme et analyse de l'expérience "
        "professionnelle » pour faire les deux demandes ensemble.",
    )


def test_an_unfavourable_or_pending_aep_is_not_enough_for_a_dd_alone(
    auditeur, other_auditeur, diplome
):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    DossierFactory(auditeur=auditeur, diplome=diplome, favourable_aep=True,
                   aep_outcome=AepOutcome.NON_VALIDEE)
    DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.AEP_ANTICIPEE,
                   courrier_envoye=True)
    # Someone else's favourable AEP, and the auditeur's own for another diploma.
    DossierFactory(auditeur=other_auditeur, diplome=diplome, favourable_aep=True)
    DossierFactory(auditeur=auditeur, favourable_aep=True)

    assert_refused(auditeur, diplome, Kind.DD, "choisissez « Demande de diplôme et analyse")


@pytest.mark.parametrize("kind", [Kind.AEP_ANTICIPEE, Kind.DD_AEP])
def test_no_aep_for_a_diploma_that_asks_no_experience(kind, auditeur):
    diplome = DiplomeFactory(code="CERT002", rule_set=None, min_ues_for_early_aep=1)
    UEGroupFactory(diplome=diplome, required=1, ues=[UEFactory(code="CNAM02")])
    validate(auditeur, "CNAM02")

    assert_refused(auditeur, diplome, kind,
                   "Le diplôme CERT002 n'exige pas d'expérience professionnelle")


@pytest.mark.parametrize(
    ("open_kind", "kind"),
    [
        (Kind.DD_AEP, Kind.DD_AEP),
        (Kind.DD_AEP, Kind.DD),
        (Kind.DD_AEP, Kind.AEP_ANTICIPEE),
        (Kind.AEP_ANTICIPEE, Kind.AEP_ANTICIPEE),
        (Kind.AEP_ANTICIPEE, Kind.DD_AEP),
        (Kind.DD, Kind.DD),
        (Kind.DD, Kind.DD_AEP),
    ],
)
@pytest.mark.parametrize("state", [State.BROUILLON, State.A_COMPLETER, State.DECISION_RENDUE])
def test_a_second_open_dossier_of_the_same_kind_is_refused(open_kind, kind, state, auditeur,
                                                           diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    # A DD alone would be refused for want of an AEP anyway: give it one.
    DossierFactory(auditeur=auditeur, diplome=diplome, favourable_aep=True)
    existing = DossierFactory(auditeur=auditeur, diplome=diplome, kind=open_kind, state=state)

    refused = assert_refused(auditeur, diplome, kind)

    assert refused.reasons == (
        f"Vous avez déjà une demande en cours pour ce diplôme ({existing.reference}, "
        f"{existing.get_kind_display().lower()}, « {existing.get_state_display()} ») : "
        "poursuivez-la, ou retirez-la avant d'en faire une nouvelle.",
    )


def test_an_open_aep_anticipee_does_not_prevent_a_dd_alone(auditeur, diplome):
    validate(auditeur, "NFA001", "NFA002", "NFA003")
    DossierFactory(auditeur=auditeur, diplome=diplome, favourable_aep=True,
                   state=State.DECISION_RENDUE)

    assert start(auditeur, diplome, Kind.DD).kind == Kind.DD


def test_every_reason_is_given_at_once(auditeur, diplome):
    validate(auditeur, "NFA001")
    existing = DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.DD)

    refused = assert_refused(auditeur, diplome, Kind.DD)

    assert len(refused.reasons) == 4  # two groups, no favourable AEP, the open DD
    assert existing.reference in refused.reasons[-1]


def test_an_auditeur_without_profile_is_refused(auditeur, diplome):
    AuditeurProfile.objects.filter(user=auditeur).delete()
    auditeur.refresh_from_db()

    assert_refused(auditeur, diplome, Kind.DD_AEP, "Complétez votre profil")


def test_an_auditeur_at_first_log_in_is_refused(new_auditeur, diplome):
    assert_refused(new_auditeur, diplome, Kind.DD_AEP, "Complétez votre profil")


def test_an_unknown_kind_is_a_programming_error(auditeur, diplome):
    with pytest.raises(ValueError):
        start(auditeur, diplome, "vae")
