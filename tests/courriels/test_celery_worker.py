"""End to end: courriels queued here are sent once by a real Celery worker over Redis,
to a real SMTP server (the fault tests' own Redis, worker and sink)."""

import pytest
from django.db import transaction

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver
from tests.concurrency import requires_postgresql
from tests.faults.conftest import broker, redis_server, smtp_sink, worker  # noqa: F401
from tests.faults.services import wait_until


@requires_postgresql  # the worker process reaches the test database over the network
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_courriel_exactly_once(queue_sample, worker,  # noqa: F811
                                                        smtp_sink):  # noqa: F811
    worker.start()
    courriels = []
    for number in range(5):
        with transaction.atomic():
            courriels.append(queue_sample(context={"name": "Jeanne",
                                                   "title": f"Courriel {number}"}))
        # As if the sweep ran at the same moment: a second task for the same row.
        deliver.delay(courriels[-1].pk)

    wait_until(lambda: Courriel.objects.filter(status=Status.SENT).count() == 5
               and worker.succeeded(deliver.name) == 10,
               "courriels envoyés, tâches en double comprises", on_timeout=worker.log)

    assert sorted(smtp_sink.message_ids()) == sorted(
        f"<courriel-{courriel.pk}@localhost>" for courriel in courriels)
