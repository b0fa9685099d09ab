"""Shapes of the orders API. Money is always an integer in the minor unit of the order's currency
next to its ISO 4217 code: 125050 with "USD" is US$ 1,250.50; JPY has no minor unit, so 1250
with "JPY" is ¥1,250. Input serializers check types and sizes; the contract rules themselves are
the services' (apps/orders/services.py), so the portal and the API refuse the same things with
the same messages."""

import datetime as dt
import json

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from apps.catalog.selectors import product_unit_price
from apps.core.money import CURRENCY_CHOICES
from apps.escrow.selectors import escrow_summary_for
from apps.escrow.serializers import EscrowSummarySerializer
from apps.orders import selectors
from apps.orders.models import (
    ContractConfirmation,
    ContractLine,
    ContractVersion,
    Order,
    OrderEvent,
    OrderMessage,
    ShippingDocument,
)
from apps.orders.selectors import coverage_for
from apps.orders.services import ContractTerms, LineInput

MINOR_UNITS = "Integer, in the minor unit of `currency` (ISO 4217): 1250 USD is US$ 12.50."
# The database columns' bounds: larger numbers are refused as input rather than failing on save.
MAX_QUANTITY = 2_147_483_647
MAX_AMOUNT = 9_223_372_036_854_775_807
# Sanity limits on one request.
MAX_LINES = 100
MAX_SHIPPING_DOCUMENTS = 20
# A ship-by date near year 9999 overflows the timestamp column once it becomes a deadline in the
# supplier's time zone; no real contract ships ten years out.
MAX_SHIP_BY_AHEAD = dt.timedelta(days=3653)

PARTIES = [("buyer", "buyer"), ("supplier", "supplier")]


def money(help_text=MINOR_UNITS, **kwargs):
    return serializers.IntegerField(help_text=help_text, **kwargs)


# --- what the caller may do next ---------------------------------------------------------------

ACTIONS = [
    ("edit_contract", "POST contract/: write a new contract version"),
    ("confirm", "POST confirm/: confirm the current contract version"),
    ("change_request", "POST change-request/: ask the supplier to change the contract"),
    ("cancel", "POST cancel/: cancel before any money is paid"),
    ("start_production", "POST start-production/"),
    ("ship", "POST ship/: carrier, tracking number, documents"),
    ("record_delivery", "POST record-delivery/"),
    ("confirm_receipt", "POST confirm-receipt/: completes the order and releases the escrow"),
    ("extend_ship_by", "POST extend-ship-by/: give the supplier more time (buyers)"),
    ("overdue_refund", "POST overdue-refund/: take the full refund of an overdue order (buyers)"),
    ("extend_receipt", "POST extend-receipt/: add to the receiving time, once per party"),
    ("send_message", "POST messages/"),
]


def order_actions_for(order, party, version) -> list[str]:
    """The steps `party` may take on `order` now (apps.orders.selectors.order_actions_for), as
    names for API clients; the service still decides."""
    actions = selectors.order_actions_for(order=order, party=party, version=version)
    return [name for name, _label in ACTIONS if getattr(actions, name)]


def current_version(order):
    """The current contract version, from the prefetched versions (with their lines and
    confirmations) when order_get_for loaded them; otherwise order.current_version (with its
    own lines and confirmations prefetched by order_detail_get_for)."""
    if "versions" in getattr(order, "_prefetched_objects_cache", {}):
        for version in order.versions.all():
            if version.pk == order.current_version_id:
                return version
    return order.current_version


# --- reading orders ----------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    company_name = serializers.SerializerMethodField()
    country = serializers.SerializerMethodField(help_text="ISO 3166-1 alpha-2 code.")

    def get_company_name(self, user) -> str:
        company = getattr(user, "company", None)
        return company.company_name if company else ""

    def get_country(self, user) -> str:
        company = getattr(user, "company", None)
        return company.country.code if company else ""


class ContractLineSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(
        allow_null=True, help_text="The catalog product, if the line is one."
    )
    unit_price = money()
    line_total = money()

    class Meta:
        model = ContractLine
        fields = [
            "position",
            "product_id",
            "product_title",
            "specification",
            "quantity",
            "unit_price",
            "line_total",
        ]


class ConfirmationSerializer(serializers.ModelSerializer):
    party = serializers.ChoiceField(choices=PARTIES)
    user_id = serializers.IntegerField()

    class Meta:
        model = ContractConfirmation
        fields = ["party", "user_id", "confirmed_at"]


class ContractVersionSerializer(serializers.ModelSerializer):
    """One immutable version of the purchase contract."""

    created_by_id = serializers.IntegerField()
    total_amount = money()
    deposit_amount = money("Paid into escrow first. " + MINOR_UNITS)
    balance_amount = money("Due before shipment. " + MINOR_UNITS)
    has_proforma_invoice = serializers.SerializerMethodField()
    lines = ContractLineSerializer(many=True)
    confirmations = ConfirmationSerializer(many=True)

    class Meta:
        model = ContractVersion
        fields = [
            "number",
            "created_by_id",
            "created_at",
            "currency",
            "total_amount",
            "deposit_percent",
            "deposit_amount",
            "balance_amount",
            "quality_standard",
            "inspection_booked",
            "ship_by_date",
            "ship_within_days",
            "shipping_method",
            "incoterm",
            "shipping_address",
            "remarks",
            "has_proforma_invoice",
            "lines",
            "confirmations",
        ]

    def get_has_proforma_invoice(self, version) -> bool:
        return bool(version.proforma_invoice)


class CoverageSerializer(serializers.Serializer):
    """How much of the order Trade Assurance covers: fixed when both parties confirmed, until
    then what it would be now (the supplier's available Trade Assurance Amount)."""

    covered_amount = money()
    uncovered_amount = money()
    total_amount = money()
    currency = serializers.CharField(help_text="ISO 4217 code.")
    exceeds = serializers.BooleanField(help_text="The order is larger than its coverage.")
    fixed = serializers.BooleanField(help_text="Fixed at confirmation; otherwise indicative.")


class PartyConfirmationSerializer(serializers.Serializer):
    confirmed = serializers.BooleanField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class ConfirmationsSerializer(serializers.Serializer):
    """Who has confirmed the current contract version."""

    version = serializers.IntegerField(allow_null=True)
    buyer = PartyConfirmationSerializer()
    supplier = PartyConfirmationSerializer()


class ShippingDocumentSerializer(serializers.ModelSerializer):
    file_name = serializers.SerializerMethodField()

    class Meta:
        model = ShippingDocument
        fields = ["id", "description", "file_name", "uploaded_at"]

    def get_file_name(self, document) -> str:
        return document.file.name.rsplit("/", 1)[-1]


class ShipmentSerializer(serializers.ModelSerializer):
    documents = ShippingDocumentSerializer(source="shipping_documents", many=True)

    class Meta:
        model = Order
        fields = ["carrier", "tracking_number", "shipped_at", "delivered_at", "documents"]


class EventLabelField(serializers.CharField):
    """An event type's label in the active language, as get_type_display() gives it. That
    method rebuilds (and translates) the map of every event type on each call, about 0.4 ms
    an event; the map is built once here and only the one label is translated."""

    labels = dict(OrderEvent.Type.choices)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


class OrderEventSerializer(serializers.ModelSerializer):
    label = EventLabelField(source="type")
    user_id = serializers.IntegerField(allow_null=True, help_text="Null for the clock's steps.")
    parameters = serializers.DictField(help_text="Details of the step (amounts in minor units).")

    class Meta:
        model = OrderEvent
        fields = [
            "type",
            "label",
            "user_id",
            "from_status",
            "to_status",
            "parameters",
            "created_at",
        ]


class OrderSummarySerializer(serializers.ModelSerializer):
    """An order as listed. Amounts are integers in the minor unit of `currency`."""

    reference = serializers.CharField()
    party = serializers.SerializerMethodField(help_text="How the caller takes part in the order.")
    buyer = PartySerializer(allow_null=True, help_text="Null while the buyer has no account.")
    # Not an EmailField: it is empty on an order the buyer started, which no email format allows.
    buyer_email = serializers.CharField(
        help_text="The email address a supplier drafted the order for; empty when the buyer "
        "started the order."
    )
    supplier = PartySerializer()
    currency = serializers.CharField(help_text="ISO 4217 code of every amount of the order.")
    total_amount = money()
    version = serializers.IntegerField(
        source="current_version.number", allow_null=True, help_text="Current contract version."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "reference",
            "status",
            "party",
            "buyer",
            "buyer_email",
            "supplier",
            "currency",
            "total_amount",
            "version",
            "ship_by",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=PARTIES))
    def get_party(self, order):
        return order.party(self.context["request"].user)


class DeadlineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["pay_by", "ship_by", "decision", "release"],
        help_text="pay_by: the deposit; ship_by: the shipment; decision: the buyer's choice on "
        "an overdue order; release: the end of the receiving time.",
    )
    at = serializers.DateTimeField()
    consequence = serializers.CharField(help_text="What happens when it passes.")


class DeadlinesSerializer(serializers.ModelSerializer):
    """Every deadline the clock enforces on this order (null where none runs)."""

    ship_by_latest = serializers.DateTimeField(
        allow_null=True, help_text="The furthest the buyer's extensions may push ship_by."
    )

    class Meta:
        model = Order
        fields = [
            "pay_by",
            "ship_by",
            "ship_by_latest",
            "overdue_at",
            "decision_due_at",
            "release_due_at",
            "receipt_extended_by_buyer",
            "receipt_extended_by_supplier",
        ]


class OrderDetailSerializer(OrderSummarySerializer):
    """An order with its contract, coverage, shipment, timeline and the caller's next steps."""

    coverage = serializers.SerializerMethodField()
    escrow = serializers.SerializerMethodField(
        help_text="Money paid into the order's escrow, held, released and refunded."
    )
    contract = serializers.SerializerMethodField(help_text="The current contract version.")
    confirmations = serializers.SerializerMethodField()
    shipment = ShipmentSerializer(source="*")
    allowed_actions = serializers.SerializerMethodField(
        help_text="What the caller may do now; the matching endpoints still check."
    )
    timeline = OrderEventSerializer(source="events", many=True)
    deadline = serializers.SerializerMethodField(
        help_text="The deadline the order runs against now, and what happens when it passes."
    )
    deadlines = DeadlinesSerializer(source="*")

    class Meta(OrderSummarySerializer.Meta):
        fields = OrderSummarySerializer.Meta.fields + [
            "deadline",
            "deadlines",
            "coverage",
            "escrow",
            "contract",
            "confirmations",
            "confirmed_at",
            "deposit_paid_at",
            "funded_at",
            "production_started_at",
            "shipment",
            "completed_at",
            "cancelled_at",
            "cancel_reason",
            "allowed_actions",
            "timeline",
        ]

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_deadline(self, order):
        deadline = selectors.order_deadline_for(order=order)
        return DeadlineSerializer(deadline).data if deadline else None

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, order):
        return CoverageSerializer(coverage_for(order=order)).data

    @extend_schema_field(EscrowSummarySerializer)
    def get_escrow(self, order):
        return EscrowSummarySerializer(escrow_summary_for(order=order)).data

    @extend_schema_field(ContractVersionSerializer(allow_null=True))
    def get_contract(self, order):
        version = current_version(order)
        return ContractVersionSerializer(version).data if version else None

    @extend_schema_field(ConfirmationsSerializer)
    def get_confirmations(self, order):
        version = current_version(order)
        by_party = {c.party: c for c in version.confirmations.all()} if version else {}
        confirmations = {"version": version.number if version else None}
        for party, _label in PARTIES:
            confirmation = by_party.get(party)
            confirmations[party] = {
                "confirmed": confirmation is not None,
                "confirmed_at": confirmation.confirmed_at if confirmation else None,
            }
        return ConfirmationsSerializer(confirmations).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_allowed_actions(self, order):
        party = order.party(self.context["request"].user)
        return order_actions_for(order, party, current_version(order))


class LineChangeSerializer(serializers.Serializer):
    old = ContractLineSerializer(allow_null=True)
    new = ContractLineSerializer(allow_null=True)
    changed = serializers.BooleanField()


class VersionComparisonSerializer(serializers.Serializer):
    old = ContractVersionSerializer()
    new = ContractVersionSerializer()
    changed_fields = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the terms that differ, 'lines' included."
    )
    lines = serializers.SerializerMethodField(help_text="The lines side by side, by position.")

    @extend_schema_field(LineChangeSerializer(many=True))
    def get_lines(self, comparison):
        rows = [{"old": a, "new": b, "changed": changed} for a, b, changed in comparison.lines]
        return LineChangeSerializer(rows, many=True).data


class MessageSenderSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    party = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=PARTIES, allow_null=True))
    def get_party(self, user):
        return self.context["order"].party(user)


class OrderMessageSerializer(serializers.ModelSerializer):
    sender = serializers.SerializerMethodField()
    attachment_name = serializers.SerializerMethodField()
    payment_warning = serializers.BooleanField(
        help_text="The supplier's message looks like a request to pay outside Pactline. Trade "
        "Assurance covers only what is paid through Pactline: show the buyer a warning."
    )

    class Meta:
        model = OrderMessage
        fields = [
            "id",
            "kind",
            "sender",
            "body",
            "attachment_name",
            "payment_warning",
            "created_at",
        ]

    @extend_schema_field(MessageSenderSerializer)
    def get_sender(self, message):
        return MessageSenderSerializer(message.sender, context={"order": message.order}).data

    def get_attachment_name(self, message) -> str | None:
        return message.attachment.name.rsplit("/", 1)[-1] if message.attachment else None


# --- writing: contracts ------------------------------------------------------------------------


class LinesField(serializers.ListField):
    """A JSON array of lines. In a multipart request (to attach a proforma invoice) send the
    same array as a JSON-encoded string in the `lines` part."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and isinstance(dictionary.get(self.field_name), str):
            raw = dictionary.get(self.field_name)
            try:
                return json.loads(raw)
            except ValueError:
                return raw  # refused as "not a list" by the field
        return super().get_value(dictionary)


def lines_field(child, help_text):
    return LinesField(
        child=child,
        allow_empty=False,
        max_length=MAX_LINES,
        help_text=help_text,
        error_messages={"empty": gettext_lazy("A contract needs at least one product line.")},
    )


class TermsSerializer(serializers.Serializer):
    """The terms of a contract besides its lines and currency."""

    quality_standard = serializers.CharField(
        help_text="Measurable: tolerances, defect rate allowed, test method, standard met."
    )
    inspection_booked = serializers.BooleanField(
        default=False, help_text="A third-party inspection is booked before shipment."
    )
    ship_by_date = serializers.DateField(
        required=False, allow_null=True, help_text="Ship by this date; or ship_within_days."
    )
    ship_within_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=365,
        help_text="Ship within this many days after the deposit; or ship_by_date.",
    )
    shipping_method = serializers.ChoiceField(choices=ContractVersion.ShippingMethod.choices)
    incoterm = serializers.ChoiceField(choices=ContractVersion.Incoterm.choices)
    shipping_address = serializers.CharField()
    deposit_percent = serializers.IntegerField(
        min_value=0,
        max_value=100,
        help_text="Share of the total paid into escrow first (0-100); the balance is due "
        "before shipment.",
    )
    remarks = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_ship_by_date(self, value):
        if value is not None and value > timezone.localdate() + MAX_SHIP_BY_AHEAD:
            raise serializers.ValidationError(_("The ship-by date is too far ahead."))
        return value

    def contract_terms(self, *, currency, lines) -> ContractTerms:
        data = self.validated_data
        return ContractTerms(
            lines=lines,
            currency=currency,
            quality_standard=data["quality_standard"],
            shipping_method=data["shipping_method"],
            incoterm=data["incoterm"],
            shipping_address=data["shipping_address"],
            deposit_percent=data["deposit_percent"],
            inspection_booked=data["inspection_booked"],
            ship_by_date=data.get("ship_by_date"),
            ship_within_days=data.get("ship_within_days"),
            remarks=data["remarks"],
            proforma_invoice=data.get("proforma_invoice"),
        )


def _products_by_id(products, ids):
    """{id: product} for the ids found in `products` (a queryset scoped by the caller)."""
    ids = {pk for pk in ids if pk is not None}
    return products.in_bulk(ids) if ids else {}


def _check_total(lines):
    if sum(line.quantity * line.unit_price for line in lines) > MAX_AMOUNT:
        raise serializers.ValidationError(_("The contract total is too large."))


class ProductLineSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(help_text="A product the supplier offers.")
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, help_text="At least the product's minimum order."
    )
    specification = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The agreed specification; defaults to the product's listed specifications.",
    )


def listed_specification(product):
    specs = product.specifications_list()
    if specs:
        return "\n".join(f"{s.get('name', '')}: {s.get('value', '')}" for s in specs)
    return product.description


class OrderStartSerializer(TermsSerializer):
    """A buyer's order from one supplier's products: unit prices come from the products' price
    tiers for the quantities ordered, the currency from the products."""

    lines = lines_field(
        ProductLineSerializer(), "Products of one supplier with quantities; priced by tier."
    )

    def validate_lines(self, lines):
        """Context: `products`, the products the caller may order (with their price tiers)."""
        products = _products_by_id(self.context["products"], [line["product_id"] for line in lines])
        errors, inputs = [], []
        for n, line in enumerate(lines, start=1):
            product = products.get(line["product_id"])
            if product is None:
                errors.append(_("Line %(n)s: this product is not offered.") % {"n": n})
                continue
            unit_price = product_unit_price(product, line["quantity"])
            if unit_price is None:
                errors.append(
                    _("Line %(n)s: the minimum order quantity is %(moq)s.")
                    % {"n": n, "moq": product.moq}
                )
                continue
            inputs.append(
                LineInput(
                    product_title=product.title,
                    specification=line.get("specification") or listed_specification(product),
                    quantity=line["quantity"],
                    unit_price=unit_price,
                    product=product,
                )
            )
        if errors:
            raise serializers.ValidationError(errors)
        _check_total(inputs)
        return inputs

    def terms(self) -> ContractTerms:
        lines = self.validated_data["lines"]
        return self.contract_terms(currency=lines[0].product.currency, lines=lines)


class LineSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="One of the supplier's catalog products; leave out for an item not listed.",
    )
    product_title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Defaults to the product's title when product_id is given.",
    )
    specification = serializers.CharField(allow_blank=True, help_text="The agreed specification.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT, help_text=MINOR_UNITS)


class ContractSerializer(TermsSerializer):
    """Every term of a contract version: the whole contract, not a patch."""

    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, help_text="ISO 4217 code of the unit prices and the total."
    )
    lines = lines_field(LineSerializer(), "The contract's lines, in order.")
    proforma_invoice = serializers.FileField(
        required=False,
        allow_null=True,
        help_text="A PDF (multipart request). Left out, the previous version's is kept.",
    )

    def validate_lines(self, lines):
        """Context: `products`, the products the lines may name (the supplier's)."""
        products = _products_by_id(
            self.context["products"], [line.get("product_id") for line in lines]
        )
        errors, inputs = [], []
        for n, line in enumerate(lines, start=1):
            product = None
            if line.get("product_id") is not None:
                product = products.get(line["product_id"])
                if product is None:
                    errors.append(_("Line %(n)s: the product is not this supplier's.") % {"n": n})
                    continue
            inputs.append(
                LineInput(
                    product_title=line["product_title"] or (product.title if product else ""),
                    specification=line["specification"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    product=product,
                )
            )
        if errors:
            raise serializers.ValidationError(errors)
        _check_total(inputs)
        return inputs

    def terms(self) -> ContractTerms:
        data = self.validated_data
        return self.contract_terms(currency=data["currency"], lines=data["lines"])


class OrderDraftSerializer(ContractSerializer):
    buyer_email = serializers.EmailField(
        max_length=254,
        help_text="The buyer's email; without an account there, they are invited to sign up.",
    )


# --- writing: steps ----------------------------------------------------------------------------


class ConfirmSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text="The contract version you reviewed; 409 if it is no longer the current one.",
    )


class ShipByExtendSerializer(serializers.Serializer):
    ship_by_date = serializers.DateField(
        help_text="The new ship-by date: the supplier has until the end of that day in its time "
        "zone. At most PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS (90) after the contract's date."
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the order is cancelled; the other party sees it.")


class ChangeRequestSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="What the supplier should change in the contract.")


class ShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)
    documents = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=MAX_SHIPPING_DOCUMENTS,
        help_text="Shipping documents (PDF, JPEG or PNG) in a multipart request.",
    )
    document_descriptions = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=list,
        help_text="A description per document, in the same order.",
    )

    def validate(self, data):
        if len(data["document_descriptions"]) > len(data["documents"]):
            raise serializers.ValidationError(
                {"document_descriptions": [_("There are more descriptions than documents.")]}
            )
        return data

    def shipping_documents(self):
        data = self.validated_data
        descriptions = data["document_descriptions"]
        return [
            {"file": file, "description": descriptions[n] if n < len(descriptions) else ""}
            for n, file in enumerate(data["documents"])
        ]


class MessageSendSerializer(serializers.Serializer):
    body = serializers.CharField()
    attachment = serializers.FileField(
        required=False,
        allow_null=True,
        help_text="A PDF, JPEG or PNG (judged by content) in a multipart request.",
    )


class VersionCompareQuerySerializer(serializers.Serializer):
    old = serializers.IntegerField(min_value=1, help_text="The older version number.")
    new = serializers.IntegerField(min_value=1, help_text="The newer version number.")
