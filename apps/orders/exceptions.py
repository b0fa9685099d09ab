"""Order errors a user can cause. Views show `message` (on `field` when set); the API answers
with `http_status` and {field or "detail": [message]}."""

from django.utils.translation import gettext_lazy as _


class OrderError(Exception):
    default_message = _("This cannot be done.")
    http_status = 400
    field = None

    def __init__(self, message=None, *, field=None, errors=None):
        self.message = message or self.default_message
        self.field = field or self.field
        self.errors = errors or {}  # several field errors at once: {field: [messages]}
        super().__init__(str(self.message))

    @property
    def text(self):
        """The whole refusal in one line, for a page message: every field message, or the
        message."""
        if self.errors:
            return " ".join(str(m) for messages in self.errors.values() for m in messages)
        return str(self.message)


class NotAParty(OrderError):
    default_message = _("Only the buyer and the supplier of this order can do this.")
    http_status = 403


class WrongParty(OrderError):
    default_message = _("The other party does this step.")
    http_status = 403


class OutOfTurn(OrderError):
    """The order is not in a state where this step can happen (now)."""

    default_message = _("This step is not possible at this stage of the order.")
    http_status = 409


class ContractLocked(OrderError):
    default_message = _("Money has been paid on this order, so its contract can no longer change.")
    http_status = 409


class StaleVersion(OrderError):
    default_message = _(
        "The contract changed while you were looking at it; review the new version."
    )
    http_status = 409


class SupplierNotEligible(OrderError):
    default_message = _(
        "This supplier cannot take Trade Assurance orders at the moment (it must be verified and "
        "a Gold member)."
    )


class InvalidContract(OrderError):
    default_message = _("Correct the contract where marked.")
