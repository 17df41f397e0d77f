"""Benchmark: a thousand courriels of the outbox delivered by two Celery workers.

    .venv/bin/python benchmarks/courriels_throughput.py [--courriels 1000] [--check]

On this run's PostgreSQL database and Redis (``benchmarks/processes.py``), starts two
Celery workers (two processes ``celery worker --concurrency 1``, production settings)
sending by SMTP to a mail server of the benchmark, which counts the messages it receives
by ``Message-ID``. Then writes ``--courriels`` courriels to the outbox with
``queue_courriel`` in one transaction, as domain code does (an acknowledgement of a
dossier, rendered from its templates): at commit, one ``deliver`` task each. While they
are being delivered, the periodic sweep ``resend_pending`` is queued twice, as beat would
do: every courriel still pending then has two tasks in the queue, and only the lease
on its row keeps it to one message.

Measured: the time from the commit to the last message received, messages per second,
messages received more than once (duplicates) and courriels never received (lost), after
the queue has drained. Budget: all delivered in under 60 s, none duplicated, none lost
(``--check`` exits with status 1 otherwise). Prints one JSON line (``D3BENCH {...}``).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import processes  # noqa: E402
from benchmarks.load import _number  # noqa: E402

BUDGET_SECONDS = 60
WORKERS = 2


def queue(count):
    """``count`` acknowledgements written to the outbox in one transaction; delivery is
    queued at commit."""
    from django.db import transaction
    from django.utils import timezone

    from d3.courriels.outbox import queue_courriel

    signed_at = timezone.now()
    with transaction.atomic():
        for n in range(count):
            reference = f"D3-2026-{n:06d}"
            queue_courriel(
                to=f"auditeur{n}@example.org", template="dossier_depose",
                dossier_reference=reference,
                context={"civilite": "Madame" if n % 2 else "Monsieur",
                         "display_name": f"Camille Lefèvre-Dubois{n}", "signed_at": signed_at,
                         "kind_label": "Délivrance du diplôme",
                         "diplome_code": "LG02501A",
                         "diplome_title": "Licence mention informatique",
                         "centre_name": "Cnam Paris", "digest": f"{n:064x}",
                         "reference": reference},
            )


def run(*, courriels=1000, log=print):
    with processes.mail_run("d3-bench-courriels-") as (env, sink, running, var_dir):
        import redis

        from d3.courriels.models import Courriel, Status
        from d3.courriels.tasks import resend_pending

        for number in range(1, WORKERS + 1):
            running.append(processes.celery_worker(
                env, var_dir / f"worker{number}.log", f"courriels{number}"))
        for worker in running:
            worker.wait_ready()
        workers = [pid for service in running
                   for pid in (service.pid, *processes.children(service.pid))]
        cpu_before = sum(processes.cpu_seconds(pid) for pid in workers)
        started = time.monotonic()
        queue(courriels)
        committed = time.monotonic()
        log(f"  {courriels} courriels écrits et mis en file en {committed - started:.1f} s")
        sweeps = [courriels // 3, 2 * courriels // 3]
        deadline = committed + 10 * BUDGET_SECONDS
        while sink.distinct < courriels:
            if sweeps and sink.distinct >= sweeps[0]:
                sweeps.pop(0)
                resend_pending.delay()
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        delivered_at = sink.last_at or time.monotonic()
        # Let every task still queued (the sweeps') run: a duplicate would come now.
        broker = redis.Redis.from_url(env["CELERY_BROKER_URL"])
        quiet_until = time.monotonic() + 2
        while time.monotonic() < quiet_until + 60 and (
                time.monotonic() < quiet_until or broker.llen("celery")
                or broker.hlen("unacked")):
            time.sleep(0.1)
        cpu = sum(processes.cpu_seconds(pid) for pid in workers) - cpu_before
        sent = Courriel.objects.filter(status=Status.SENT).count()
        messages, distinct, duplicates = sink.messages, sink.distinct, sink.duplicates
    seconds = delivered_at - committed
    lost = courriels - distinct
    met = seconds < BUDGET_SECONDS and duplicates == 0 and lost == 0 and sent == courriels
    return {
        "courriels": courriels, "workers": WORKERS,
        "queue_seconds": round(committed - started, 2), "seconds": round(seconds, 2),
        "per_second": round(distinct / seconds, 1) if seconds > 0 else None,
        "cpu_ms_per_courriel": round(1000 * cpu / courriels, 1),
        "received": messages, "distinct": distinct, "duplicates": duplicates, "lost": lost,
        "marked_sent": sent,
        "budget_seconds": BUDGET_SECONDS, "met": met,
        "machine_load": processes.machine_load(),
    }


def markdown(results):
    return "\n".join([
        "## Débit des courriels : 1 000 courriels, deux workers",
        "",
        "Commande : `.venv/bin/python benchmarks/run.py courriels` (ou "
        "`benchmarks/courriels_throughput.py --check`).",
        "",
        f"Méthode : {processes.ON_ITS_OWN}, "
        f"{_number(results['courriels'], 0)} accusés de réception sont écrits dans l'outbox "
        "par `queue_courriel`, dans une transaction, comme le fait le code métier ; à la "
        "validation, une tâche `deliver` chacun. Deux workers Celery (deux processus "
        "`celery worker --concurrency 1`, réglages de production) les envoient par SMTP à un "
        "serveur du banc qui compte les messages par `Message-ID`. Pendant l'envoi, la tâche "
        "périodique de reprise (`resend_pending`) est mise en file deux fois, comme le ferait "
        "beat : les courriels encore en attente ont alors deux tâches chacun, et seul le bail "
        "pris sur la ligne empêche un second envoi. Les doublons sont comptés une fois la "
        "file vidée.",
        "",
        "| mesure | valeur |",
        "|---|---|",
        f"| écriture et mise en file | {_number(results['queue_seconds'])} s |",
        f"| de la validation au dernier message reçu | **{_number(results['seconds'])} s** "
        f"({_number(results['per_second'] or 0)} courriels/s) |",
        f"| temps CPU des deux workers par courriel (tâches de reprise comprises) | "
        f"{_number(results['cpu_ms_per_courriel'])} ms |",
        f"| messages reçus | {_number(results['received'], 0)} |",
        f"| courriels distincts reçus | {_number(results['distinct'], 0)} |",
        f"| doublons | **{results['duplicates']}** |",
        f"| perdus (jamais reçus) | **{results['lost']}** |",
        f"| marqués envoyés en base | {_number(results['marked_sent'], 0)} |",
        "",
        f"Objectif (tous envoyés en moins de {results['budget_seconds']} s, aucun doublon, "
        f"aucune perte) : {'atteint' if results['met'] else '**manqué**'}. "
        + processes.load_sentence(results),
        "",
        "Chaque courriel est réservé par un `UPDATE` conditionnel (bail `claimed_until`) "
        "avant l'envoi et marqué envoyé seulement par le worker qui détient le bail "
        "(`d3/courriels/tasks.py`) : les tâches de la reprise trouvent la ligne envoyée ou "
        "réservée et n'envoient rien.",
        "",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--courriels", type=int, default=1000)
    parser.add_argument("--check", action="store_true",
                        help=f"code de sortie 1 au-delà de {BUDGET_SECONDS} s, ou si un "
                             "courriel manque ou arrive deux fois")
    args = parser.parse_args(argv)
    results = run(courriels=args.courriels)
    processes.report(results, args.check)


if __name__ == "__main__":
    main()
