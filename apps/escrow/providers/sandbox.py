"""A sandbox payment provider for development, tests and the demo.

Card and Pay Later are captured at once. T/T and e-Check wait until a signed webhook says money
arrived (a T/T may arrive in several transfers); Boleto waits for its webhook too. A payout waits
for the webhook that says the bank is processing it, paid it, or refused it. A refund to a card or
Pay Later is done at once; one by bank transfer waits for the webhook that says the buyer's bank
took it (refund.succeeded) or refused it (refund.failed). Webhooks are
signed with HMAC-SHA256 over "timestamp.body" (Stripe's scheme) and refused outside a 300-second
window."""

import hashlib
import hmac
import json
import secrets

from django.conf import settings

from apps.escrow.exceptions import WebhookRejected
from apps.escrow.providers.base import PaymentProvider, ProviderRefund, ProviderStart

CAPTURED_AT_ONCE = {"card", "pay_later"}


def webhook_secret():
    return settings.PACTLINE_SANDBOX_WEBHOOK_SECRET


def sign(body: bytes, timestamp: int, secret=None) -> str:
    """The signature header value for `body` sent at `timestamp`: 't=<ts>,v1=<hex>'."""
    key = (secret or webhook_secret()).encode()
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_event(event_type, data, *, timestamp, event_id=None):
    """A webhook body and its signature header, as the sandbox provider would send them."""
    body = json.dumps(
        {"id": event_id or f"evt_{secrets.token_hex(8)}", "type": event_type, "data": data},
        separators=(",", ":"),
    ).encode()
    return body, sign(body, timestamp)


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def start(self, *, payment) -> ProviderStart:
        reference = f"sbx_{secrets.token_hex(10)}"
        if payment.method in CAPTURED_AT_ONCE:
            return ProviderStart(reference=reference, captured=True)
        if payment.method == "boleto":
            instructions = {
                "boleto_number": f"23790.{secrets.randbelow(10**5):05d}.{reference[-8:]}"
            }
        else:
            instructions = {
                "beneficiary": "Pactline Escrow B.V. (sandbox)",
                "iban": "NL00 SBOX 0000 0000 00",
                "bic": "SBOXNL2A",
                "payment_reference": reference,
            }
        return ProviderStart(reference=reference, captured=False, instructions=instructions)

    def payout_start(self, *, payout) -> str:
        return f"po_sbx_{secrets.token_hex(10)}"

    def refund_start(self, *, refund) -> ProviderRefund:
        return ProviderRefund(
            reference=f"re_sbx_{secrets.token_hex(10)}", done=refund.method in CAPTURED_AT_ONCE
        )

    def verify_webhook(self, *, body: bytes, signature_header: str, now) -> None:
        parts = dict(
            item.split("=", 1) for item in (signature_header or "").split(",") if "=" in item
        )
        try:
            timestamp = int(parts["t"])
            given = parts["v1"]
        except (KeyError, ValueError) as exc:
            raise WebhookRejected("missing or malformed signature header") from exc
        if abs(now.timestamp() - timestamp) > settings.PACTLINE_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("timestamp outside the tolerance window")
        expected = sign(body, timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, given):
            raise WebhookRejected("bad signature")


PROVIDERS = {"sandbox": SandboxProvider()}


def provider(name="sandbox") -> PaymentProvider:
    return PROVIDERS[name]
