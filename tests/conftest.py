"""Strict, shared test set-up: a named cast of users, one per role and centre."""

import os

import pytest
from django.conf import settings

from auditeurs.models import Role
from tests.factories import AuditeurFactory, CentreFactory, StaffFactory


def pytest_configure(config):
    # In CI the suite must run against the real services, never silently without them.
    if os.environ.get("CI"):
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("CI : DATABASE_URL doit désigner PostgreSQL.")
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            raise pytest.UsageError("CI : CELERY_BROKER_URL doit désigner Redis.")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded and generated files go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture(autouse=True)
def _broker_not_paused(monkeypatch):
    """A broker failure seen by one test (d3.celery.publish pauses) does not leak."""
    import d3.celery

    monkeypatch.setattr(d3.celery, "_broker_down_until", 0.0)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def centre(db):
    return CentreFactory(code="PAR", name="Cnam Paris", service_email="scolarite-paris@cnam.fr")


@pytest.fixture
def other_centre(db):
    return CentreFactory(code="LYO", name="Cnam Auvergne-Rhône-Alpes",
                         service_email="scolarite-lyon@cnam.fr")


@pytest.fixture
def auditeur(centre):
    return AuditeurFactory(
        username="jeanne.martin.auditeur", first_name="Jeanne", last_name="Martin",
        profile__centre=centre, profile__auditeur_number="PAR100001",
    )


@pytest.fixture
def new_auditeur(centre):
    """An auditeur at first log-in: profile not completed yet."""
    return AuditeurFactory(
        username="paul.durand.auditeur", first_name="Paul", last_name="Durand",
        profile__centre=centre, profile__auditeur_number="PAR100002", profile__completed_at=None,
    )


@pytest.fixture
def other_auditeur(other_centre):
    return AuditeurFactory(
        username="luc.bernard.auditeur", first_name="Luc", last_name="Bernard",
        profile__centre=other_centre, profile__auditeur_number="LYO200001",
    )


@pytest.fixture
def gestionnaire(centre):
    return StaffFactory(username="claire.petit", first_name="Claire", last_name="Petit",
                        role=Role.GESTIONNAIRE, centres=[centre])


@pytest.fixture
def other_gestionnaire(other_centre):
    return StaffFactory(username="marc.roux", first_name="Marc", last_name="Roux",
                        role=Role.GESTIONNAIRE, centres=[other_centre])


@pytest.fixture
def agent_dnf(db):
    return StaffFactory(username="sophie.leroy", first_name="Sophie", last_name="Leroy",
                        role=Role.AGENT_DNF)


@pytest.fixture
def membre_jury(db):
    return StaffFactory(username="henri.moreau", first_name="Henri", last_name="Moreau",
                        role=Role.MEMBRE_JURY)


@pytest.fixture
def administrateur(db):
    return StaffFactory(username="alice.admin", first_name="Alice", last_name="Admin",
                        role=Role.ADMINISTRATEUR, is_staff=True, is_superuser=True)


@pytest.fixture
def every_role(auditeur, gestionnaire, agent_dnf, membre_jury, administrateur):
    return {
        Role.AUDITEUR: auditeur,
        Role.GESTIONNAIRE: gestionnaire,
        Role.AGENT_DNF: agent_dnf,
        Role.MEMBRE_JURY: membre_jury,
        Role.ADMINISTRATEUR: administrateur,
    }
