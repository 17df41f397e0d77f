"""Factories of jury sessions, decisions and courriers, for every test of the jury.

- ``JurySessionFactory()``: an open session in two weeks, for one fresh diploma, with
  a fresh president (role membre_jury) and no other member; ``members=[…]``,
  ``diplomes=[…]`` to choose; ``closed=True`` for a session held a week ago and closed.
- ``TransmittedDossierFactory()``: a dossier transmitted to the DNF (``transmitted_at``).
- ``SessionDossierFactory(session=s)``: a dossier ``inscrit_jury`` on ``s`` (a fresh
  session if omitted), of the session's first diploma; ``decided=True`` adds a
  favourable decision (``decision_rendue``); ``decided__ajourne=True`` etc. choose it.
- ``DecisionFactory(dossier=d)``: the jury's decision on ``d`` (favourable unless a
  trait says otherwise: ``ajourne``, ``refuse``, ``sous_reserve``, ``non_validee``);
  the dossier's ``aep_outcome`` follows it, as :func:`jury.decisions.record_decision`
  does. It does not change the dossier's state.
- ``CourrierFactory()``: the courrier of a decided dossier of a closed session, due a
  month after the jury; ``envoye=True`` (a stored PDF, the dossier ``courrier_envoye``)
  or ``echec=True``.
"""

import datetime

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from auditeurs.models import Role
from dossiers.models import AepOutcome, State
from jury.courriers import one_month_after
from jury.models import Courrier, CourrierStatus, DdOutcome, Decision, JurySession
from tests.dossiers.factories import DossierFactory, sample_pdf
from tests.factories import DiplomeFactory, StaffFactory


def _today():
    return timezone.localdate()


class JurySessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JurySession
        skip_postgeneration_save = True

    class Params:
        closed = factory.Trait(
            date=factory.LazyFunction(lambda: _today() - datetime.timedelta(days=7)),
            closed_at=factory.LazyFunction(timezone.now),
            closed_by=factory.SelfAttribute("created_by"),
        )

    date = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=14))
    place = "Cnam Paris, 292 rue Saint-Martin — salle des conseils"
    president = factory.SubFactory(StaffFactory, role=Role.MEMBRE_JURY)
    created_by = factory.SubFactory(StaffFactory, role=Role.AGENT_DNF)

    @factory.post_generation
    def diplomes(self, create, extracted, **kwargs):
        if create:
            self.diplomes.set(extracted if extracted else [DiplomeFactory()])

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class TransmittedDossierFactory(DossierFactory):
    """A dossier the centre declared complete: the DNF may put it on a session."""

    state = State.TRANSMIS_DNF
    transmitted_at = factory.LazyFunction(timezone.now)


class SessionDossierFactory(DossierFactory):
    class Meta:
        skip_postgeneration_save = True

    class Params:
        session = factory.SubFactory(JurySessionFactory)
        decided = factory.Trait(
            state=State.DECISION_RENDUE,
            decision=factory.RelatedFactory(
                "tests.jury.factories.DecisionFactory", factory_related_name="dossier",
            ),
        )

    state = State.INSCRIT_JURY
    jury_session = factory.SelfAttribute("session")
    diplome = factory.LazyAttribute(lambda o: o.session.diplomes.order_by("pk").first())
    transmitted_at = factory.LazyFunction(timezone.now)


def _aep(outcome):
    return factory.LazyAttribute(lambda o: outcome if o.dossier.includes_aep else "")


def _dd(outcome):
    return factory.LazyAttribute(lambda o: outcome if o.dossier.includes_dd else "")


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision
        skip_postgeneration_save = True

    class Params:
        ajourne = factory.Trait(
            dd_outcome=DdOutcome.AJOURNE,
            motive="Le rapport d'expérience ne montre pas la maîtrise des compétences "
                   "du diplôme.",
        )
        refuse = factory.Trait(
            cursus_valide=False,
            dd_outcome=DdOutcome.REFUSE,
            motive="L'UE NFA008 validée ne correspond pas au parcours du diplôme.",
        )
        sous_reserve = factory.Trait(
            aep_outcome=AepOutcome.VALIDEE_SOUS_RESERVE,
            stage_months=6,
            dd_outcome=_dd(DdOutcome.AJOURNE),
            motive="L'expérience dans la spécialité est inférieure à douze mois.",
        )
        non_validee = factory.Trait(
            aep_outcome=AepOutcome.NON_VALIDEE,
            dd_outcome=_dd(DdOutcome.REFUSE),
            motive="Aucune des périodes déclarées ne relève de la spécialité.",
        )

    dossier = factory.SubFactory(SessionDossierFactory, state=State.DECISION_RENDUE)
    session = factory.LazyAttribute(lambda o: o.dossier.jury_session)
    cursus_valide = True
    aep_outcome = _aep(AepOutcome.VALIDEE)
    stage_months = None
    dd_outcome = _dd(DdOutcome.DELIVRE)
    motive = ""
    recorded_by = factory.LazyAttribute(lambda o: o.session.president)
    recorded_at = factory.LazyFunction(timezone.now)
    version = 1

    @factory.post_generation
    def sync_dossier(self, create, extracted, **kwargs):
        dossier = self.dossier
        if create and dossier.includes_aep and dossier.aep_outcome != self.aep_outcome:
            dossier.aep_outcome = self.aep_outcome
            dossier.save(update_fields=["aep_outcome"])


def store_sample_letter():
    return default_storage.save("courriers/exemple.pdf", ContentFile(sample_pdf("Courrier")))


class CourrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Courrier
        skip_postgeneration_save = True

    class Params:
        envoye = factory.Trait(
            status=CourrierStatus.ENVOYE,
            storage_key=factory.LazyFunction(store_sample_letter),
            rendered_at=factory.LazyFunction(timezone.now),
            sent_at=factory.LazyFunction(timezone.now),
        )
        echec = factory.Trait(
            status=CourrierStatus.ECHEC,
            last_error="OSError: [Errno 28] No space left on device",
        )

    dossier = factory.SubFactory(SessionDossierFactory, decided=True, session__closed=True)
    session = factory.LazyAttribute(lambda o: o.dossier.jury_session)
    due_on = factory.LazyAttribute(lambda o: one_month_after(o.session.date))
    status = CourrierStatus.PROGRAMME

    @factory.post_generation
    def sync_dossier(self, create, extracted, **kwargs):
        if create and self.status == CourrierStatus.ENVOYE \
                and self.dossier.state == State.DECISION_RENDUE:
            self.dossier.state = State.COURRIER_ENVOYE
            self.dossier.save(update_fields=["state"])
