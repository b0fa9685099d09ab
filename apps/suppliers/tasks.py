from celery import shared_task

from apps.suppliers.services import ta_amounts_recompute_all


@shared_task(name="suppliers.recompute_trade_assurance_amounts", ignore_result=True)
def recompute_trade_assurance_amounts():
    ta_amounts_recompute_all()
