import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.core.money import format_money, parse_major, to_usd_minor


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("4.20", "USD", 420),
        ("4,20", "EUR", 420),  # a Dutch decimal comma
        ("4,2", "EUR", 420),
        ("1,250.50", "USD", 125_050),
        ("1.250,50", "EUR", 125_050),
        ("1 250.50", "USD", 125_050),
        ("1250", "JPY", 1250),
        ("0", "USD", 0),
        (" 12.5 ", "USD", 1250),
    ],
)
def test_amounts_are_read_as_written(typed, currency, minor):
    assert parse_major(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("1,250", "USD", "thousands separator or a decimal point"),
        ("12,500", "EUR", "thousands separator or a decimal point"),
        ("1.250", "EUR", "at most 2 decimals"),  # Dutch for 1250: refused, not read as 1.25
        ("4.205", "USD", "at most 2 decimals"),
        ("12.5", "JPY", "at most 0 decimals"),
        ("-5", "USD", "Enter an amount"),
        ("12e3", "USD", "Enter an amount"),
        ("four", "USD", "Enter an amount"),
        ("", "USD", "Enter an amount"),
    ],
)
def test_unclear_or_impossible_amounts_are_refused_never_guessed(typed, currency, message):
    with pytest.raises(ValidationError) as error:
        parse_major(typed, currency)

    assert message in " ".join(error.value.messages)


def test_money_is_formatted_for_the_reader():
    assert format_money(125_050, "USD") == "US$\xa01,250.50"
    assert format_money(1250, "JPY") == "¥\xa01,250"
    with translation.override("nl"):
        assert format_money(125_050, "EUR") == "€\xa01.250,50"


def test_usd_conversion_rounds_down_and_stays_integer():
    assert to_usd_minor(100_000, "EUR") == 108_000
    assert to_usd_minor(999, "JPY") == 669  # ¥999 × 0.0067 = US$6.6933, rounded down
