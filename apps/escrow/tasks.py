from celery import shared_task

from apps.escrow.idempotency import idempotency_records_purge


@shared_task(name="escrow.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys():
    """Deletes Idempotency-Keys older than settings.PACTLINE_IDEMPOTENCY_KEY_HOURS."""
    idempotency_records_purge()
