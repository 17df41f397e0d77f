"""The cast of the jury's tests: a session of the DNF for one diploma, with a
president and the shared ``membre_jury`` as member; another jury member who sits on
no session; dossiers transmitted to the DNF for that diploma."""

import pytest

from auditeurs.models import Role
from tests.factories import DiplomeFactory, StaffFactory
from tests.jury.factories import JurySessionFactory, TransmittedDossierFactory


@pytest.fixture
def diplome(db):
    return DiplomeFactory(code="LG02501A", title="Licence informatique")


@pytest.fixture
def president(db):
    return StaffFactory(username="helene.marchand", first_name="Hélène",
                        last_name="Marchand", role=Role.MEMBRE_JURY)


@pytest.fixture
def outsider_member(db):
    """A jury member who sits on no session of these tests."""
    return StaffFactory(username="paul.girard", first_name="Paul", last_name="Girard",
                        role=Role.MEMBRE_JURY)


@pytest.fixture
def session(agent_dnf, president, membre_jury, diplome):
    return JurySessionFactory(created_by=agent_dnf, president=president,
                              members=[membre_jury], diplomes=[diplome])


@pytest.fixture
def transmitted(auditeur, diplome):
    """A DD + AEP of Jeanne Martin, transmitted to the DNF, for the session's diploma."""
    return TransmittedDossierFactory(auditeur=auditeur, diplome=diplome)
