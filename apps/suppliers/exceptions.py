from django.utils.translation import gettext_lazy as _


class SupplierError(Exception):
    """A request about a supplier that cannot be carried out; the message is for the user."""

    field = None

    def __init__(self, message=None, *, field=None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.field = field or self.field

    default_message = _("This cannot be done.")


class ApplicationAlreadyOpen(SupplierError):
    default_message = _("You already have an application waiting; you can update it instead.")


class ApplicationNotEditable(SupplierError):
    default_message = _("This application can no longer be changed.")


class ReasonRequired(SupplierError):
    field = "decision_reason"
    default_message = _("Write the reason the supplier will read.")


class NotAMediator(SupplierError):
    default_message = _("Only staff in the Mediators group can do this.")


class NoAgreementInForce(SupplierError):
    default_message = _("No Trade Assurance Services Agreement is published yet.")
