"""The cast of the security tests: the shared users of tests/conftest.py, plus a jury
member who sits on another session than the builders' ones."""

import pytest

from auditeurs.models import Role
from tests.factories import StaffFactory
from tests.jury.factories import JurySessionFactory


@pytest.fixture
def cast(auditeur, other_auditeur, gestionnaire, other_gestionnaire, agent_dnf,
         membre_jury, administrateur):
    """Who owns, who may and who may not, by name (``anonymous`` is None):
    ``membre_jury`` sits on the sessions the builders make, ``outsider_jury`` on
    another one."""
    outsider_jury = StaffFactory(username="paul.girard", role=Role.MEMBRE_JURY)
    JurySessionFactory(members=[outsider_jury])
    return {
        "auditeur": auditeur,
        "other_auditeur": other_auditeur,
        "gestionnaire": gestionnaire,
        "other_gestionnaire": other_gestionnaire,
        "agent_dnf": agent_dnf,
        "membre_jury": membre_jury,
        "outsider_jury": outsider_jury,
        "administrateur": administrateur,
        "anonymous": None,
    }
