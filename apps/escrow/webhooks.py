from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.escrow.exceptions import WebhookRejected
from apps.escrow.providers.sandbox import PROVIDERS
from apps.escrow.services import webhook_receive


@csrf_exempt  # the provider signs its requests; there is no browser session to protect
@require_POST
def provider_webhook(request, provider_name):
    """Payment provider notifications: 200 once applied (or for a replay), 400 when the
    signature, the timestamp window or the body is wrong."""
    if provider_name not in PROVIDERS:
        return JsonResponse({"detail": "unknown provider"}, status=404)
    try:
        outcome = webhook_receive(
            provider_name=provider_name,
            body=request.body,
            signature_header=request.headers.get("Pactline-Signature", ""),
        )
    except WebhookRejected as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"status": outcome})
