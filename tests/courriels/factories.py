import factory
from django.utils import timezone

from d3.courriels.models import Courriel, Status


class CourrielFactory(factory.django.DjangoModelFactory):
    """An outbox row as queue_courriel writes it, without queuing its delivery."""

    class Meta:
        model = Courriel

    to = factory.Sequence(lambda n: f"auditeur{n}@example.org")
    subject = factory.Sequence(lambda n: f"Dossier D3-2026-{n:06d} : votre dossier est reçu")
    body_text = "Bonjour,\n\nVotre dossier est reçu : https://d3.example.org/suivi/\n"
    body_html = "<p>Bonjour,</p><p>Votre dossier est reçu.</p>"
    template = "sample"
    dossier_reference = factory.Sequence(lambda n: f"D3-2026-{n:06d}")
    next_attempt_at = factory.LazyFunction(timezone.now)

    class Params:
        sent = factory.Trait(status=Status.SENT, attempts=1,
                             sent_at=factory.LazyFunction(timezone.now))
        failed = factory.Trait(status=Status.FAILED, attempts=8,
                               last_error="ConnectionRefusedError: serveur SMTP injoignable")
