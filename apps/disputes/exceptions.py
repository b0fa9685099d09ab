"""Dispute errors a user can cause. They are OrderErrors, so the order pages' helpers and
config.api.exception_handler already turn them into form errors, messages and 400/403/409
answers with a message per field."""

from django.utils.translation import gettext_lazy as _

from apps.orders.exceptions import OrderError


class DisputeError(OrderError):
    default_message = _("This cannot be done on this case.")


class NotACaseParty(DisputeError):
    default_message = _("Only the buyer and the supplier of this case can do this.")
    http_status = 403


class NotAMediator(DisputeError):
    default_message = _("Only mediators (staff in the Mediators group) can do this.")
    http_status = 403


class SameMediator(DisputeError):
    default_message = _("An appeal is decided by a different mediator than the first decision.")
    http_status = 403


class CaseOutOfTurn(DisputeError):
    default_message = _("This step is not possible at this stage of the case.")
    http_status = 409


class CaseInvalid(DisputeError):
    default_message = _("Correct the claim where marked.")
