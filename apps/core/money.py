"""Money is an integer amount in the currency's minor unit plus an ISO 4217 code. Never a float.

Conversions to US dollars (for coverage limits and storefront totals, never to move money) use the
indicative rates in settings.PACTLINE_INDICATIVE_USD_RATES.
"""

import re
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

# code: (minor-unit exponent, symbol)
CURRENCIES = {
    "USD": (2, "US$"),
    "EUR": (2, "€"),
    "GBP": (2, "£"),
    "CNY": (2, "CN¥"),
    "JPY": (0, "¥"),
    "INR": (2, "₹"),
    "TRY": (2, "₺"),
    "AUD": (2, "A$"),
    "CAD": (2, "CA$"),
    "CHF": (2, "CHF"),
}
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


def exponent(currency):
    return CURRENCIES[currency][0]


def to_major(amount_minor, currency):
    return Decimal(amount_minor).scaleb(-exponent(currency))


AMOUNT_FORMS = [
    # (pattern, how to make it a plain decimal)
    (re.compile(r"\d+(\.\d+)?"), lambda t: t),  # 1250.50
    (re.compile(r"\d{1,3}(,\d{3})+\.\d+"), lambda t: t.replace(",", "")),  # 1,250.50
    (
        re.compile(r"\d{1,3}(\.\d{3})+,\d+"),
        lambda t: t.replace(".", "").replace(",", "."),
    ),  # 1.250,50
    (re.compile(r"\d+,\d{1,2}"), lambda t: t.replace(",", ".")),  # 4,20
]
# "1,250" is 1250 to an English reader and 1.25 to a Dutch one: refused, never guessed.
AMBIGUOUS_AMOUNT = re.compile(r"\d{1,3}(,\d{3})+")


def parse_major(text, currency):
    """An amount typed in major units -> minor units: '1,250.50', '1.250,50' and '4,20' are
    read as written; '1,250' is refused as ambiguous; more decimals than the currency has are
    refused. Never a float."""
    typed = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if AMBIGUOUS_AMOUNT.fullmatch(typed):
        raise ValidationError(
            _(
                "In %(typed)s, is the comma a thousands separator or a decimal point? Write "
                "the amount without thousands separators, for example 1250 or 1.25."
            ),
            params={"typed": typed},
        )
    for pattern, normalise in AMOUNT_FORMS:
        if pattern.fullmatch(typed):
            value = Decimal(normalise(typed))
            break
    else:
        raise ValidationError(_("Enter an amount such as 12.50."))
    if not value.is_finite() or value < 0:
        raise ValidationError(_("Enter an amount of zero or more."))
    places = exponent(currency)
    minor = value.scaleb(places)
    # Decimals as typed, trailing zeros included: "1.250" euro is refused, not read as 1.25.
    if -value.as_tuple().exponent > places:
        raise ValidationError(
            _("%(currency)s amounts have at most %(places)s decimals."),
            params={"currency": currency, "places": places},
        )
    return int(minor)


def format_money(amount_minor, currency):
    """Localised: 'US$ 1,250.50' in English, 'US$ 1.250,50' in Dutch."""
    places = exponent(currency)
    number = number_format(
        to_major(amount_minor, currency), places, use_l10n=True, force_grouping=True
    )
    return f"{CURRENCIES[currency][1]}\u00a0{number}"


def to_usd_minor(amount_minor, currency):
    """Indicative conversion to US cents, rounded down."""
    if currency == "USD":
        return int(amount_minor)
    rate = Decimal(settings.PACTLINE_INDICATIVE_USD_RATES[currency])
    usd = (to_major(amount_minor, currency) * rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return int(usd.scaleb(2))


def from_usd_minor(usd_minor, currency):
    """Indicative conversion of US cents into `currency` minor units, rounded down."""
    if currency == "USD":
        return int(usd_minor)
    rate = Decimal(settings.PACTLINE_INDICATIVE_USD_RATES[currency])
    major = (Decimal(usd_minor).scaleb(-2) / rate).quantize(
        Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_DOWN
    )
    return int(major.scaleb(exponent(currency)))
