from celery import shared_task
from django.utils.dateparse import parse_datetime

from apps.core.sweeps import rule_get, sweep_chunk, sweep_run


@shared_task(name="pactline.sweep", ignore_result=True)
def sweep_task(rule_name):
    """Beat's entry point for every rule: finds what is due now and fans it out in chunks."""
    sweep_run(rule_name, fan_out=True)


# acks_late + reject_on_worker_lost: a chunk whose worker died is delivered again; rows it had
# finished are no longer due, so the second delivery acts only on the rest.
@shared_task(
    name="pactline.sweep_chunk", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def sweep_chunk_task(rule_name, ids, at):
    sweep_chunk(rule_get(rule_name), ids, parse_datetime(at))
