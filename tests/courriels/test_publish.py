"""d3.celery.publish: queuing from a request never raises for the broker, never retries,
and leaves the broker alone for a while after a failure."""

from datetime import timedelta
from unittest import mock

import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError

from d3 import celery
from d3.courriels.tasks import deliver

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_it_queues_without_retrying():
    with mock.patch.object(deliver, "apply_async") as apply_async:
        assert celery.publish(deliver, (42,)) is True
    apply_async.assert_called_once_with((42,), None, retry=False)


def test_after_a_failure_the_broker_is_left_alone_for_a_while(caplog):
    now = timezone.now()
    with mock.patch.object(deliver, "apply_async", side_effect=BROKER_DOWN) as apply_async:
        with time_machine.travel(now, tick=False):
            assert celery.publish(deliver, (1,)) is False
            # The other tasks of the same request cost nothing.
            assert [celery.publish(deliver, (n,)) for n in (2, 3)] == [False, False]
        assert apply_async.call_count == 1
        assert "broker injoignable" in caplog.text

        pause = timedelta(seconds=celery.BROKER_PAUSE)
        with time_machine.travel(now + pause - timedelta(seconds=1), tick=False):
            assert celery.publish(deliver, (4,)) is False
        assert apply_async.call_count == 1

        with time_machine.travel(now + pause + timedelta(seconds=1), tick=False):
            assert celery.publish(deliver, (5,)) is False  # tried again, still down
        assert apply_async.call_count == 2

    with time_machine.travel(now + pause * 3, tick=False), \
            mock.patch.object(deliver, "apply_async") as apply_async:
        assert celery.publish(deliver, (6,)) is True
    apply_async.assert_called_once()
