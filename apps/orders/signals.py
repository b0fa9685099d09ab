from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from apps.orders.services import order_invitations_claim


@receiver(email_confirmed)
def claim_waiting_drafts(sender, request, email_address, **kwargs):
    """Drafts addressed to this email wait until its owner has proven it is theirs."""
    order_invitations_claim(user=email_address.user, email=email_address.email)
