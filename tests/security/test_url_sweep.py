"""Access sweep: every URL of the project that names an object, tried by everyone who
must not reach that object.

``TARGETS`` maps each such URL name to a builder (the object, owned by a member of the
cast, and the URL's arguments), the cast member who may reach it, and the methods the
page accepts. Every other member of the cast is an outsider: anonymous visitors go to
the log-in page; a signed-in role whose capability the view refuses gets its 403; any
other role — another auditeur, a gestionnaire of another centre, a jury member of
another session, the DNF before the dossier is transmitted — gets a 404, so that the
object's existence does not leak. A POST from an outsider changes no row anywhere.
The legitimate member is then let in (200 or 302), so that a broken builder cannot
make the sweep pass without testing anything; where ``changes`` is set, the
legitimate POST must change something, which proves the outsiders' POST was one that
would have.

``test_every_url_with_an_identifier_is_in_the_sweep`` fails on a new URL with an
argument that is not in ``TARGETS``: adding such a page means saying who owns it.
Pages without argument are the access matrix's (tests/auditeurs/test_access_matrix.py).
"""

import datetime
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import resolve, reverse
from django.utils import timezone

from auditeurs.models import Role
from d3 import access
from d3.courriels.models import Courriel
from dossiers.models import Piece, PieceStatus, Signature
from jury.models import JurySession
from tests.dossiers import files
from tests.dossiers.factories import (
    DossierFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
    sample_pdf,
)
from tests.factories import DiplomeFactory, PieceTypeFactory, StaffFactory
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
    TransmittedDossierFactory,
)
from tests.security.helpers import fingerprint, read_to_the_end, url_patterns

# Left to their own tests: Django's admin (its permissions: tests/*/test_admin.py) and
# allauth's account and second-factor pages (log-in, password reset keys, TOTP:
# tests/auditeurs/test_login*.py, tests/security/test_mfa.py).
SKIPPED_PREFIXES = ("admin/", "compte/")

OUTSIDERS = ("other_auditeur", "other_gestionnaire", "outsider_jury", "agent_dnf",
             "anonymous")
METHODS = ("get", "post")


def swept_patterns():
    """URL name → route of every pattern with an argument, outside SKIPPED_PREFIXES."""
    return {
        name or route: route
        for route, name, entry in url_patterns()
        if entry.pattern.regex.groups and not route.startswith(SKIPPED_PREFIXES)
    }


# --- Builders: each makes the object(s) and returns the URL's arguments --------------


def _multi_piece(dossier, **kwargs):
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(multiple_files=True),
                         status=PieceStatus.DEPOSEE, **kwargs)
    return piece, PieceFileFactory(piece=piece)


def _draft(cast):
    dossier = DossierFactory(auditeur=cast["auditeur"])
    period = PeriodFactory(dossier=dossier)
    piece, piece_file = _multi_piece(dossier)
    return dossier, period, piece, piece_file


def draft_kwargs(cast):
    return {"pk": _draft(cast)[0].pk}


def draft_period_kwargs(cast):
    dossier, period, _, _ = _draft(cast)
    return {"pk": dossier.pk, "period_id": period.pk}


def draft_piece_kwargs(cast):
    dossier, _, piece, _ = _draft(cast)
    return {"pk": dossier.pk, "piece_id": piece.pk}


def draft_file_kwargs(cast):
    dossier, _, _, piece_file = _draft(cast)
    return {"pk": dossier.pk, "file_id": piece_file.pk}


def signable_draft_kwargs(cast):
    return {"pk": DossierFactory(auditeur=cast["auditeur"], signable=True).pk}


def piece_file_kwargs(cast):
    # Signed, in control: its centre sees it, the DNF not yet.
    dossier = DossierFactory(auditeur=cast["auditeur"], en_controle=True)
    _, piece_file = _multi_piece(dossier)
    return {"dossier_id": dossier.pk, "file_id": piece_file.pk}


def signed_pdf_kwargs(cast):
    dossier = DossierFactory(auditeur=cast["auditeur"], depose=True, signature=False)
    key = default_storage.save("recapitulatifs/r.pdf", ContentFile(sample_pdf("Récap")))
    Signature.objects.create(dossier=dossier, signed_by=dossier.auditeur,
                             signed_at=timezone.now(), digest="0" * 64,
                             recapitulatif_key=key)
    return {"pk": dossier.pk}


def courrier_pdf_kwargs(cast):
    courrier = CourrierFactory(envoye=True, dossier__auditeur=cast["auditeur"],
                               dossier__session__members=[cast["membre_jury"]])
    return {"pk": courrier.dossier_id}


def _a_completer(cast):
    dossier = DossierFactory(auditeur=cast["auditeur"], a_completer=True,
                             correction_round=1)
    piece, piece_file = _multi_piece(dossier)
    Piece.objects.filter(pk=piece.pk).update(status=PieceStatus.ERRONEE,
                                             comment="Illisible.")
    return dossier, piece, piece_file


def corrections_kwargs(cast):
    return {"pk": _a_completer(cast)[0].pk}


def correction_piece_kwargs(cast):
    dossier, piece, _ = _a_completer(cast)
    return {"pk": dossier.pk, "piece_id": piece.pk}


def correction_file_kwargs(cast):
    dossier, _, piece_file = _a_completer(cast)
    PieceFileFactory(piece=piece_file.piece)  # one file may go, another stays
    return {"pk": dossier.pk, "file_id": piece_file.pk}


def start_kind_kwargs(cast):
    # No UE required before an AEP anticipée: the auditeur may start one.
    return {"diplome_id": DiplomeFactory(min_ues_for_early_aep=0).pk}


def _in_control(cast, **kwargs):
    """A dossier of the centre PAR in control, taken by ``gestionnaire``."""
    return DossierFactory(auditeur=cast["auditeur"], en_controle=True,
                          owner=cast["gestionnaire"], **kwargs)


def centre_kwargs(cast):
    return {"pk": _in_control(cast, signable=True).pk}


def centre_deposited_kwargs(cast):
    return {"pk": DossierFactory(auditeur=cast["auditeur"], depose=True).pk}


def centre_colleague_kwargs(cast):
    colleague = StaffFactory(role=Role.GESTIONNAIRE, centres=[cast["gestionnaire"].centres.get()])
    return {"pk": DossierFactory(auditeur=cast["auditeur"], en_controle=True,
                                 owner=colleague).pk}


def centre_piece_kwargs(cast):
    dossier = _in_control(cast)
    piece, _ = _multi_piece(dossier)
    return {"pk": dossier.pk, "piece_id": piece.pk}


def centre_conforming_kwargs(cast):
    dossier = _in_control(cast, signable=True)
    dossier.pieces.update(status=PieceStatus.CONFORME)
    return {"pk": dossier.pk}


def _session(cast, **kwargs):
    return JurySessionFactory(created_by=cast["agent_dnf"], members=[cast["membre_jury"]],
                              **kwargs)


def session_kwargs(cast):
    return {"pk": _session(cast).pk}


def session_with_dossier_kwargs(cast):
    session = _session(cast)
    dossier = SessionDossierFactory(session=session, auditeur=cast["auditeur"])
    return {"pk": session.pk, "dossier_id": dossier.pk}


def closeable_session_kwargs(cast):
    session = _session(cast)
    SessionDossierFactory(session=session, auditeur=cast["auditeur"], decided=True)
    return {"pk": session.pk}


def closed_session_kwargs(cast):
    courrier = CourrierFactory(dossier__auditeur=cast["auditeur"],
                               dossier__session__members=[cast["membre_jury"]])
    return {"pk": courrier.session_id}


def courrier_kwargs(cast):
    courrier = CourrierFactory(echec=True, dossier__auditeur=cast["auditeur"],
                               dossier__session__members=[cast["membre_jury"]])
    return {"pk": courrier.pk}


def member_dossier_kwargs(cast):
    session = _session(cast)
    return {"pk": SessionDossierFactory(session=session, auditeur=cast["auditeur"]).pk}


def courriel_kwargs(cast):
    courriel = Courriel.objects.create(to="jeanne@example.org", subject="Essai",
                                       body_text="Bonjour", template="essai",
                                       next_attempt_at=timezone.now())
    return {"pk": courriel.pk}


# --- What a POST sends: a valid change, so that letting it through would show ----------


def prerequisite_post(cast, kwargs):
    return {"prerequisite_title": "Intrus", "prerequisite_year": "2000",
            "prerequisite_institution": "Intrus"}


def period_post(cast, kwargs):
    return {"periode-employer": "Intrus", "periode-position": "Intrus",
            "periode-start": "2015-01-01", "periode-end": "2015-12-31",
            "periode-working_time": "100", "periode-kind": "employment"}


def upload_post(cast, kwargs):
    return {"fichier": files.upload(files.pdf_bytes(), "intrus.pdf")}


def sign_post(cast, kwargs):
    from tests.factories import PASSWORD

    return {"sworn": "on", "password": PASSWORD}


def withdraw_post(cast, kwargs):
    return {"comment": "Retiré par un intrus"}


def start_post(cast, kwargs):
    return {"kind": "aep_anticipee", "formation_continue": "non"}


def verdict_post(cast, kwargs):
    return {f"piece-{kwargs['piece_id']}-status": "conforme",
            f"piece-{kwargs['piece_id']}-comment": ""}


def corrections_post(cast, kwargs):
    return {"deadline": (timezone.localdate() + datetime.timedelta(days=20)).isoformat()}


def confirm_post(cast, kwargs):
    return {"confirm": "on"}


def inadmissible_post(cast, kwargs):
    return {"motive": "Pièces hors sujet."}


def note_post(cast, kwargs):
    return {"text": "Note d'un intrus"}


def session_post(cast, kwargs):
    session = JurySession.objects.get(pk=kwargs["pk"])
    return {"date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
            "place": "Ailleurs", "president": session.president_id,
            "members": [cast["membre_jury"].pk],
            "diplomes": list(session.diplomes.values_list("pk", flat=True))}


def session_add_post(cast, kwargs):
    session = JurySession.objects.get(pk=kwargs["pk"])
    dossier = TransmittedDossierFactory(auditeur=cast["auditeur"],
                                        diplome=session.diplomes.first())
    return {"dossiers": [dossier.pk]}


def decision_post(cast, kwargs):
    return {"cursus_valide": "oui", "aep_outcome": "validee", "dd_outcome": "delivre",
            "motive": ""}


def verification_post(cast, kwargs):
    return {"code": "ABCD-EFGH-JKMN-PQRS"}


def nothing(cast, kwargs):
    return {}


@dataclass(frozen=True)
class Target:
    build: Callable
    legit: str
    methods: tuple = ("get",)
    post: Callable = nothing
    # The legitimate POST changes a row: the outsiders' same POST would have.
    changes: bool = False
    # Cast members who may also reach the object (not outsiders here).
    also_allowed: tuple = ()
    debug: bool = False
    outsiders: tuple = field(default=OUTSIDERS)


AUDITEUR_ONLY = ("gestionnaire",)  # the auditeur's centre sees signed dossiers
TRANSMITTED = ("agent_dnf", "gestionnaire")

TARGETS = {
    # Files and PDFs, to whoever may see the dossier.
    "dossiers:piece_file": Target(piece_file_kwargs, "auditeur", also_allowed=AUDITEUR_ONLY),
    "dossiers:signed_pdf": Target(signed_pdf_kwargs, "auditeur", also_allowed=AUDITEUR_ONLY),
    "dossiers:courrier_pdf": Target(courrier_pdf_kwargs, "auditeur",
                                    also_allowed=(*TRANSMITTED, "membre_jury")),
    # Starting a request: the catalogue is every auditeur's; no other role's.
    "dossiers:start_kind": Target(start_kind_kwargs, "auditeur", ("get", "post"), start_post,
                                  changes=True, also_allowed=("other_auditeur",)),
    # The auditeur's draft.
    "dossiers:edit_prerequisite": Target(draft_kwargs, "auditeur", ("get", "post"),
                                         prerequisite_post, changes=True),
    "dossiers:edit_periods": Target(draft_kwargs, "auditeur", ("get", "post"), period_post,
                                    changes=True),
    "dossiers:assessment_preview": Target(draft_kwargs, "auditeur", ("post",), period_post),
    "dossiers:period_edit": Target(draft_period_kwargs, "auditeur", ("get", "post"),
                                   period_post, changes=True),
    "dossiers:period_delete": Target(draft_period_kwargs, "auditeur", ("get", "post"),
                                     changes=True),
    "dossiers:edit_pieces": Target(draft_kwargs, "auditeur"),
    "dossiers:piece_upload": Target(draft_piece_kwargs, "auditeur", ("post",), upload_post,
                                    changes=True),
    "dossiers:piece_file_remove": Target(draft_file_kwargs, "auditeur", ("post",),
                                         changes=True),
    # Following, signing, withdrawing.
    "dossiers:detail": Target(draft_kwargs, "auditeur"),
    "dossiers:recapitulatif": Target(draft_kwargs, "auditeur"),
    "dossiers:sign": Target(signable_draft_kwargs, "auditeur", ("post",), sign_post,
                            changes=True),
    "dossiers:withdraw": Target(draft_kwargs, "auditeur", ("get", "post"), withdraw_post,
                                changes=True),
    # Corrections.
    "dossiers:corrections": Target(corrections_kwargs, "auditeur"),
    "dossiers:correction_upload": Target(correction_piece_kwargs, "auditeur", ("post",),
                                         upload_post, changes=True),
    "dossiers:correction_file_remove": Target(correction_file_kwargs, "auditeur", ("post",),
                                              changes=True),
    # The centre's review.
    "dossiers:centre_dossier": Target(centre_kwargs, "gestionnaire"),
    "dossiers:centre_take": Target(centre_deposited_kwargs, "gestionnaire", ("post",),
                                   changes=True),
    "dossiers:centre_take_over": Target(centre_colleague_kwargs, "gestionnaire", ("post",),
                                        changes=True),
    "dossiers:centre_piece_verdict": Target(centre_piece_kwargs, "gestionnaire", ("post",),
                                            verdict_post, changes=True),
    "dossiers:centre_ask_corrections": Target(centre_kwargs, "gestionnaire", ("post",),
                                              corrections_post),
    "dossiers:centre_declare_complete": Target(centre_conforming_kwargs, "gestionnaire",
                                               ("post",), confirm_post, changes=True),
    "dossiers:centre_declare_inadmissible": Target(centre_kwargs, "gestionnaire",
                                                   ("get", "post"), inadmissible_post,
                                                   changes=True),
    "dossiers:centre_add_note": Target(centre_kwargs, "gestionnaire", ("post",), note_post,
                                       changes=True),
    # The DNF's sessions and courriers.
    "jury:dnf_session": Target(session_kwargs, "agent_dnf"),
    "jury:dnf_session_edit": Target(session_kwargs, "agent_dnf", ("get", "post"),
                                    session_post, changes=True),
    "jury:dnf_session_add": Target(session_kwargs, "agent_dnf", ("post",), session_add_post,
                                   changes=True),
    "jury:dnf_session_remove": Target(session_with_dossier_kwargs, "agent_dnf", ("post",),
                                      changes=True),
    "jury:dnf_session_close": Target(closeable_session_kwargs, "agent_dnf", ("get", "post"),
                                     changes=True),
    "jury:dnf_session_pv": Target(session_kwargs, "agent_dnf"),
    "jury:dnf_session_courriers": Target(closed_session_kwargs, "agent_dnf"),
    "jury:dnf_courrier_resend": Target(courrier_kwargs, "agent_dnf", ("post",), changes=True),
    # The jury members' pages.
    "jury:member_session": Target(session_kwargs, "membre_jury"),
    "jury:member_dossier": Target(member_dossier_kwargs, "membre_jury"),
    "jury:member_decision": Target(member_dossier_kwargs, "membre_jury", ("post",),
                                   decision_post, changes=True),
    # The developers' outbox: no page at all outside DEBUG, whoever asks.
    "courriels:local_detail": Target(courriel_kwargs, "anonymous", ("get", "post"),
                                     debug=True),
}


# --- Checks ----------------------------------------------------------------------------


def expected_refusal(url, member, user):
    """What ``member`` must get: the log-in page, the capability's 403 or a 404."""
    if user is None:
        return "login"
    capability = getattr(resolve(url).func, "capability", None)
    if capability is not None and not access.can(user, capability):
        return 403
    return 404


def assert_refused(response, expected, method, accepted, where):
    if not accepted and response.status_code == 405:
        return
    if expected == "login":
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("account_login") + "?next="), where
    else:
        assert response.status_code == expected, where


def send(client, method, url, data):
    response = client.get(url) if method == "get" else client.post(url, data)
    return read_to_the_end(response)


def test_every_url_with_an_identifier_is_in_the_sweep():
    missing = sorted(set(swept_patterns()) - set(TARGETS))
    assert not missing, f"Add these URLs to TARGETS (who owns them, who may not): {missing}"


def test_the_sweep_names_only_existing_urls():
    assert set(TARGETS) <= set(swept_patterns())


def test_skipped_prefixes_are_the_admin_and_allauth():
    routes = [route for route, _, _ in url_patterns()]
    for prefix in SKIPPED_PREFIXES:
        assert any(route.startswith(prefix) for route in routes), prefix
    assert resolve("/compte/login/").url_name == "account_login"


@pytest.mark.parametrize("url_name", sorted(TARGETS))
def test_outsiders_are_refused_and_change_nothing(client, cast, settings, url_name):
    target = TARGETS[url_name]
    kwargs = target.build(cast)
    url = reverse(url_name, kwargs=kwargs)
    outsiders = [m for m in target.outsiders
                 if m != target.legit and m not in target.also_allowed]
    assert outsiders

    for member in outsiders:
        user = cast[member]
        client.logout()
        if user is not None:
            client.force_login(user)
        data = target.post(cast, kwargs)  # built before: it may create what it posts
        before = fingerprint()
        expected = expected_refusal(url, member, user)
        for method in METHODS:
            response = send(client, method, url, data)
            assert_refused(response, expected, method, method in target.methods,
                           (member, method, url))
        assert fingerprint() == before, (member, url)

    # The legitimate member reaches it: the outsiders were refused something real.
    client.logout()
    if cast[target.legit] is not None:
        client.force_login(cast[target.legit])
    settings.DEBUG = target.debug
    for method in METHODS:
        data = target.post(cast, kwargs)
        before = fingerprint()
        response = send(client, method, url, data)
        if method not in target.methods:
            assert response.status_code == 405, (method, url)
            continue
        assert response.status_code in (200, 302), (method, url, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("account_login")), url
        if method == "post" and target.changes:
            assert fingerprint() != before, f"The legitimate POST changed nothing: {url}"
