"""Factories of dossiers and what they hold, with one trait per state.

``DossierFactory()`` is a draft DD + AEP of a fresh auditeur (with profile) for a fresh
diploma, in the auditeur's centre. ``DossierFactory(depose=True)`` (or ``en_controle``,
``a_completer``, ``transmis_dnf``…) puts it in that state; every state after the draft
also gets a :class:`Signature`, as a signed dossier has. ``signable=True`` adds what a
signature needs: a required pièce with its file and one period of experience.
``pris_en_charge=True`` is ``en_controle`` with an owner, a fresh gestionnaire of the
dossier's centre (or pass ``owner=``).
"""

import datetime
import functools
import hashlib
import io
from uuid import uuid4

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfWriter

from dossiers.digest import compute_digest
from dossiers.models import (
    AepOutcome,
    Dossier,
    Event,
    ExperiencePeriod,
    Kind,
    PeriodKind,
    Piece,
    PieceFile,
    PieceStatus,
    Signature,
    State,
)
from auditeurs.models import Role
from tests.factories import AuditeurFactory, DiplomeFactory, PieceTypeFactory, StaffFactory

# States of a dossier that has been signed at least once.
SIGNED_STATES = frozenset(State) - {State.BROUILLON, State.RETIRE}


@functools.cache
def sample_pdf(title="Pièce justificative"):
    """A small, valid one-page PDF; ``title`` (metadata) makes its bytes unique."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier
        skip_postgeneration_save = True

    class Params:
        brouillon = factory.Trait(state=State.BROUILLON)
        depose = factory.Trait(state=State.DEPOSE)
        en_controle = factory.Trait(state=State.EN_CONTROLE)
        # In control by a gestionnaire of the dossier's centre, as after ``take``.
        pris_en_charge = factory.Trait(
            state=State.EN_CONTROLE,
            owner=factory.LazyAttribute(
                lambda o: StaffFactory(role=Role.GESTIONNAIRE, centres=[o.centre])
            ),
        )
        a_completer = factory.Trait(state=State.A_COMPLETER)
        irrecevable = factory.Trait(state=State.IRRECEVABLE)
        transmis_dnf = factory.Trait(state=State.TRANSMIS_DNF)
        inscrit_jury = factory.Trait(state=State.INSCRIT_JURY)
        decision_rendue = factory.Trait(state=State.DECISION_RENDUE)
        courrier_envoye = factory.Trait(state=State.COURRIER_ENVOYE)
        retire = factory.Trait(state=State.RETIRE)
        signable = factory.Trait(
            piece=factory.RelatedFactory(
                "tests.dossiers.factories.PieceFactory", factory_related_name="dossier",
                deposee=True,
            ),
            period=factory.RelatedFactory(
                "tests.dossiers.factories.PeriodFactory", factory_related_name="dossier",
            ),
        )
        # A closed AEP with a favourable jury decision: a DD alone may rely on it.
        favourable_aep = factory.Trait(
            kind=Kind.AEP_ANTICIPEE, state=State.COURRIER_ENVOYE,
            aep_outcome=AepOutcome.VALIDEE,
        )

    auditeur = factory.SubFactory(AuditeurFactory)
    centre = factory.LazyAttribute(lambda o: o.auditeur.profile.centre)
    diplome = factory.SubFactory(DiplomeFactory)
    kind = Kind.DD_AEP
    state = State.BROUILLON
    prerequisite_title = "DUT informatique"
    prerequisite_year = 2012
    prerequisite_institution = "IUT Lyon 1"

    @factory.post_generation
    def signature(self, create, extracted, **kwargs):
        """``signature=False`` to leave a signed state without its signature."""
        if not create or extracted is False:
            return
        if extracted is True or kwargs or self.state in SIGNED_STATES:
            SignatureFactory(dossier=self, **kwargs)


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperiencePeriod

    dossier = factory.SubFactory(DossierFactory)
    employer = factory.Sequence(lambda n: f"Entreprise {n}")
    position = "Développeur"
    start = datetime.date(2018, 1, 1)
    end = datetime.date(2021, 12, 31)
    working_time = 100
    in_specialty = True
    at_level = True
    kind = PeriodKind.EMPLOYMENT
    tasks = "Développement et maintenance d'applications web."


class PieceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Piece
        skip_postgeneration_save = True

    class Params:
        # A pièce with its file, as after the auditeur's upload.
        deposee = factory.Trait(
            status=PieceStatus.DEPOSEE,
            file=factory.RelatedFactory(
                "tests.dossiers.factories.PieceFileFactory", factory_related_name="piece",
            ),
        )

    dossier = factory.SubFactory(DossierFactory)
    piece_type = factory.SubFactory(PieceTypeFactory)
    status = PieceStatus.ATTENDUE


def _store(content):
    return default_storage.save(f"pieces/{uuid4().hex}.pdf", ContentFile(content))


class PieceFileFactory(factory.django.DjangoModelFactory):
    """A real PDF written into the default storage, with its size and SHA-256."""

    class Meta:
        model = PieceFile

    class Params:
        content = factory.Sequence(lambda n: sample_pdf(f"Pièce justificative {n}"))

    piece = factory.SubFactory(PieceFactory, status=PieceStatus.DEPOSEE)
    storage_key = factory.LazyAttribute(lambda o: _store(o.content))
    original_name = factory.Sequence(lambda n: f"piece-{n}.pdf")
    content_type = "application/pdf"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    uploaded_by = factory.LazyAttribute(lambda o: o.piece.dossier.auditeur)


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    dossier = factory.SubFactory(DossierFactory, signature=False)
    signed_by = factory.LazyAttribute(lambda o: o.dossier.auditeur)
    signed_at = factory.LazyFunction(timezone.now)
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0 (tests)"
    digest = factory.LazyAttribute(lambda o: compute_digest(o.dossier))
    recapitulatif_key = ""


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    dossier = factory.SubFactory(DossierFactory)
    actor = factory.LazyAttribute(lambda o: o.dossier.auditeur)
    action = "created"
    from_state = ""
    to_state = State.BROUILLON
    comment = ""
    visible_to_auditeur = True


def review_snapshot(dossier):
    """Everything a refused review action must leave as it was, for ``==``."""
    from d3.courriels.models import Courriel

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
