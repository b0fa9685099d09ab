"""Reading a supplier's product CSV: every row is checked against the same rules as the product
form, and every problem is reported with its row and column. No writes here; the service
`product_import` saves the rows, all or none."""

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.catalog.exceptions import ImportRejected, ImportRow, ProductInvalid
from apps.catalog.inputs import parse_price_tiers, parse_specifications
from apps.catalog.rules import ProductFields, product_fields_clean
from apps.core.money import CURRENCIES


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str


COLUMNS = (
    Column(
        "title", True, _("Product title, up to 200 characters."), "Stainless steel water bottle"
    ),
    Column(
        "description",
        False,
        _("What buyers should know; may span several lines inside quotes."),
        "Double-walled, keeps drinks cold for 24 hours.",
    ),
    Column(
        "category",
        True,
        _("The slug of a category from the list on this page."),
        "kitchenware",
    ),
    Column(
        "currency",
        True,
        _("ISO 4217 code of the prices; the accepted codes are listed below."),
        "USD",
    ),
    Column("moq", True, _("Minimum order quantity, a whole number of 1 or more."), "100"),
    Column(
        "lead_time_days",
        True,
        _("Days from a confirmed order to shipment, a whole number."),
        "20",
    ),
    Column(
        "price_tiers",
        True,
        _(
            "Pairs of quantity: unit price separated by semicolons, starting at the minimum "
            "order quantity. Prices in the currency's normal units, with a point for decimals."
        ),
        "100: 4.20; 500: 3.90; 2000: 3.50",
    ),
    Column(
        "specifications",
        False,
        _("Pairs of name: value separated by semicolons."),
        "Material: 304 stainless steel; Capacity: 750 ml",
    ),
    Column(
        "active",
        False,
        _("yes (the default) to show the product to buyers now, no to keep it hidden."),
        "yes",
    ),
)
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED = {c.name for c in COLUMNS if c.required}
YES = {"", "yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class ImportDraft:
    row: int
    fields: ProductFields
    is_active: bool


def sample_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerow([c.example for c in COLUMNS])
    writer.writerow(
        [
            "Bamboo cutting board",
            "",
            "kitchenware",
            "EUR",
            "50",
            "15",
            "50: 6.80; 300: 6.10",
            "Material: bamboo",
            "no",
        ]
    )
    return buffer.getvalue()


def csv_rows_read(csv_file, *, categories_by_slug) -> list[ImportDraft]:
    """Every row of the file as a checked draft. Raises ImportRejected with all the problems
    when the file or any row is wrong."""
    text = _text(csv_file)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first_line and ";" in first_line else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    _check_header(header)
    reader.fieldnames = header

    drafts, problems = [], []
    limit = settings.PACTLINE_CATALOG_IMPORT_MAX_ROWS
    for number, record in enumerate(reader, start=2):
        if number - 1 > limit:
            raise ImportRejected(
                [ImportRow(None, "", _("Import at most %(max)s rows at a time.") % {"max": limit})]
            )
        if None in record:
            problems.append(
                ImportRow(number, "", _("This row has more values than the header has columns."))
            )
            continue
        values = {name: (value or "").strip() for name, value in record.items()}
        if not any(values.values()):
            continue
        draft, row_problems = _row_read(number, values, categories_by_slug)
        problems += row_problems
        if draft is not None:
            drafts.append(draft)
    if problems:
        raise ImportRejected(problems)
    if not drafts:
        raise ImportRejected([ImportRow(None, "", _("The file has no product rows."))])
    return drafts


def _text(csv_file):
    if csv_file.size > settings.PACTLINE_CATALOG_IMPORT_MAX_BYTES:
        raise ImportRejected([ImportRow(None, "", _("The file is too big to import at once."))])
    raw = csv_file.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            [
                ImportRow(
                    None,
                    "",
                    _('The file is not UTF-8 text: save it as "CSV UTF-8" and try again.'),
                )
            ]
        ) from None


def _check_header(header):
    problems = []
    missing = [name for name in COLUMN_NAMES if name in REQUIRED and name not in header]
    if missing:
        problems.append(
            ImportRow(1, "", _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        )
    unknown = [name for name in header if name not in COLUMN_NAMES]
    if unknown:
        problems.append(
            ImportRow(
                1,
                "",
                _("Unknown columns: %(columns)s. The columns are: %(known)s.")
                % {"columns": ", ".join(unknown) or '""', "known": ", ".join(COLUMN_NAMES)},
            )
        )
    if len(set(header)) != len(header):
        problems.append(ImportRow(1, "", _("A column appears twice in the header.")))
    if problems:
        raise ImportRejected(problems)


def _whole_number(text):
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        return None


def _row_read(number, values, categories_by_slug):
    problems = {}

    def problem(column, message):
        problems.setdefault(column, []).append(str(message))

    category = categories_by_slug.get(values.get("category", "").lower())
    if category is None:
        problem(
            "category",
            _('There is no category with the slug "%(slug)s".')
            % {"slug": values.get("category", "")},
        )
    currency = values.get("currency", "").upper()
    # With an unknown currency the prices cannot be read; the currency error says why.
    unread = set() if currency in CURRENCIES else {"price_tiers"}
    moq = _whole_number(values.get("moq", ""))
    if moq is None:
        problem("moq", _("Write the minimum order quantity as a whole number."))
    lead_time_days = _whole_number(values.get("lead_time_days", ""))
    if lead_time_days is None:
        problem("lead_time_days", _("Write the lead time as a whole number of days."))
    tiers = []
    if currency in CURRENCIES:
        try:
            tiers = parse_price_tiers(
                values.get("price_tiers", ""), currency=currency, separators=(";", "\n")
            )
        except ValidationError as exc:
            for message in exc.messages:
                problem("price_tiers", message)
    try:
        specs = parse_specifications(values.get("specifications", ""), separators=(";", "\n"))
    except ValidationError as exc:
        specs = []
        for message in exc.messages:
            problem("specifications", message)
    active = values.get("active", "").lower()
    if active not in YES | NO:
        problem("active", _("Write yes or no."))

    fields = None
    try:
        fields = product_fields_clean(
            title=values.get("title", ""),
            description=values.get("description", ""),
            category=category,
            currency=currency,
            moq=moq,
            lead_time_days=lead_time_days,
            price_tiers=tiers,
            specifications=specs,
        )
    except ProductInvalid as exc:
        for column, messages in exc.errors.items():
            if column in problems or column in unread:
                continue  # already reported as unreadable; the rule's message would repeat it
            for message in messages:
                problem(column, message)
    row_problems = [
        ImportRow(number, column, message)
        for column in COLUMN_NAMES
        for message in problems.get(column, [])
    ]
    if row_problems:
        return None, row_problems
    return ImportDraft(row=number, fields=fields, is_active=active not in NO), []
