import copy
from pathlib import Path

import pytest

from d3.courriels.models import Courriel
from d3.courriels.outbox import queue_courriel
from tests.courriels.factories import CourrielFactory

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _sample_templates(settings):
    """Test-only courriel templates (``courriels/sample.*``), never shipped."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEMPLATES_DIR]
    settings.TEMPLATES = templates


@pytest.fixture
def queue_sample(db):
    """Queue a ``sample`` courriel; keyword arguments override the defaults."""

    def queue(**overrides):
        arguments = {
            "to": "jeanne.martin@example.org",
            "template": "sample",
            "context": {"name": "Jeanne", "title": "Votre dossier est reçu"},
            "dossier_reference": "D3-2026-000123",
        } | overrides
        return queue_courriel(**arguments)

    return queue


@pytest.fixture
def pending(db):
    """A pending courriel whose delivery task has not run yet."""
    return CourrielFactory()


def reload(courriel):
    return Courriel.objects.get(pk=courriel.pk)
