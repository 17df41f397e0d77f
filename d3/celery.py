import logging
import os
import time

from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "d3.settings")

app = Celery("d3")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# After a publish failed, this process leaves the broker alone for this long: a
# request that queues many tasks (a session's courriers, the courriels of a new jury
# date) waits for one broker timeout, not one per task.
BROKER_PAUSE = 15.0  # seconds
# time.time(), not monotonic: a clock jump only shortens or stretches one pause, and
# the tests can move this clock.
_broker_down_until = 0.0


def publish(task, args=(), kwargs=None):
    """Queue ``task`` from a request; True if the broker took it, False otherwise.

    For work whose database row stays due until a task has done it: a periodic sweep
    queues it again, so a broker outage only delays it. This never raises for a
    broker outage and never waits more than about ``CELERY_BROKER_TIMEOUT`` seconds:
    no retry (Celery's default retries a publish three times, each waiting for the
    connection), and no attempt at all for ``BROKER_PAUSE`` after a failure.
    """
    global _broker_down_until
    if time.time() < _broker_down_until:
        logger.info("Tâche %s non mise en file : broker injoignable il y a peu.", task.name)
        return False
    try:
        task.apply_async(args, kwargs, retry=False)
    except BrokerError:
        _broker_down_until = time.time() + BROKER_PAUSE
        logger.warning("Tâche %s non mise en file : broker injoignable ; la tâche "
                       "périodique la reprendra.", task.name, exc_info=True)
        return False
    return True
