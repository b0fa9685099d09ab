"""Price tiers and specifications as suppliers type them, and back.

The product form takes one entry per line, the CSV import one per ';'. Prices are typed in major
units ("2.50") and become integers in the currency's minor unit here; never a float.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.money import CURRENCIES, parse_major, to_major


@dataclass(frozen=True)
class TierInput:
    min_quantity: int
    unit_price: int  # minor units of the product's currency


@dataclass(frozen=True)
class SpecInput:
    name: str
    value: str


TIER_LINE = re.compile(r"^(?P<quantity>[0-9][0-9,_ ]*)\s*[:=]\s*(?P<price>\S.*)$")


def _entries(text, separators):
    pattern = "|".join(re.escape(s) for s in separators)
    return [part.strip() for part in re.split(pattern, text or "") if part.strip()]


def parse_price_tiers(text, *, currency, separators=("\n",)) -> list[TierInput]:
    """'100: 2.50\\n500: 2.20' -> [TierInput(100, 250), TierInput(500, 220)] (USD).

    Raises ValidationError listing every entry it could not read."""
    if currency not in CURRENCIES:
        raise ValidationError(_("Choose a currency first."))
    tiers, problems = [], []
    for entry in _entries(text, separators):
        match = TIER_LINE.match(entry)
        if not match:
            problems.append(
                _('"%(entry)s" is not "quantity: unit price", e.g. "100: 2.50".') % {"entry": entry}
            )
            continue
        quantity = int(re.sub(r"[,_ ]", "", match["quantity"]))
        try:
            price = parse_major(match["price"], currency)
        except ValidationError as exc:
            problems.append(
                _('"%(entry)s": %(problem)s') % {"entry": entry, "problem": " ".join(exc.messages)}
            )
            continue
        tiers.append(TierInput(min_quantity=quantity, unit_price=price))
    if problems:
        raise ValidationError(problems)
    return tiers


def parse_specifications(text, *, separators=("\n",)) -> list[SpecInput]:
    """'Material: steel\\nColour: black' -> [SpecInput('Material', 'steel'), ...]."""
    specs, problems = [], []
    for entry in _entries(text, separators):
        name, colon, value = entry.partition(":")
        if not colon or not name.strip() or not value.strip():
            problems.append(
                _('"%(entry)s" is not "name: value", e.g. "Material: stainless steel".')
                % {"entry": entry}
            )
            continue
        specs.append(SpecInput(name=name.strip(), value=value.strip()))
    if problems:
        raise ValidationError(problems)
    return specs


def format_price_tiers(tiers, *, currency, separator="\n") -> str:
    """The inverse of parse_price_tiers, for editing: '100: 2.50'."""
    return separator.join(
        f"{t.min_quantity}: {format(to_major(t.unit_price, currency), 'f')}" for t in tiers
    )


def format_specifications(specs, *, separator="\n") -> str:
    return separator.join(f"{s['name']}: {s['value']}" for s in specs)
