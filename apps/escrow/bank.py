"""Bank details as a supplier types them, checked and put in the one form the payout account
keeps: IBAN where the bank's country has IBANs (checked with its country's length and structure
and the ISO 7064 check digits), else the national account number with the bank's BIC. schwifty
holds the IBAN registry and the BIC directory; the messages are ours."""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext as _
from django_countries import countries
from schwifty import BIC, IBAN, registry
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from apps.escrow.exceptions import BankDetailsInvalid

HOLDER_MAX = 140
_SEPARATORS = re.compile(r"[\s\-./]+")
_ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9]{4,34}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class BankDetails:
    holder_name: str
    country: str  # ISO 3166-1 alpha-2 of the bank
    iban: str = ""  # compact, upper case; "" where the country has no IBANs
    account_number: str = ""  # compact, upper case; "" where an IBAN is given
    bic: str = ""
    bank_name: str = ""  # from the BIC directory when it knows the bank


def uses_iban(country) -> bool:
    """Whether banks in `country` have IBANs (countries whose format is only reserved do not
    count: banking systems may refuse those)."""
    try:
        return not registry.get_iban_spec(country).aspirational
    except (InvalidCountryCode, KeyError):
        return False


@cache
def iban_countries() -> tuple[str, ...]:
    """The codes of the countries whose banks have IBANs, for the form's hints."""
    return tuple(sorted(country.code for country in countries if uses_iban(country.code)))


def compact(value) -> str:
    return _SEPARATORS.sub("", value or "").upper()


# Words of a company's legal form, which a bank's record of the holder may spell out, shorten or
# leave out ("Co., Ltd." / "Company Limited"); single letters (B.V., A.S.) go too.
_LEGAL_FORM_WORDS = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "pvt",
        "private",
        "pte",
        "pty",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "bv",
        "nv",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "oy",
        "ab",
        "as",
        "aps",
        "kft",
        "zrt",
        "sro",
        "zoo",
    }
)


def holder_is_company(holder_name, company_name) -> bool:
    """Whether a bank account's holder is the company, give or take case, accents, punctuation
    and the legal form: "BRIGHTWAY ELECTRONICS CO LTD" is "Brightway Electronics Co., Ltd.",
    "Anatolia Seramik A.Ş." is "Anatolia Seramik AS"; a person's name, another company or the
    company written in another script is not (staff check those)."""
    holder = _name_words(holder_name)
    return bool(holder) and holder == _name_words(company_name)


def _name_words(name):
    text = "".join(
        c for c in unicodedata.normalize("NFKD", name or "") if not unicodedata.combining(c)
    )
    words = re.split(r"[\W_]+", text.casefold())
    return [w for w in words if len(w) > 1 and w not in _LEGAL_FORM_WORDS]


def bank_details_check(*, holder_name, country, iban="", account_number="", bic="") -> BankDetails:
    """The details in their stored form, or BankDetailsInvalid with a message by field."""
    errors = {}
    holder_name = " ".join((holder_name or "").split())
    if not holder_name:
        errors["holder_name"] = [_("Enter the name the account is held in.")]
    elif len(holder_name) > HOLDER_MAX or _CONTROL.search(holder_name):
        errors["holder_name"] = [
            _("Enter the account holder's name in at most %(max)d characters.")
            % {"max": HOLDER_MAX}
        ]
    country = (country or "").strip().upper()
    if country not in countries:
        errors["country"] = [_("Choose the country the bank is in.")]
        raise BankDetailsInvalid(errors=errors)

    iban, account_number, bic = compact(iban), compact(account_number), compact(bic)
    bank_name = ""
    parsed_bic = None
    if bic:
        try:
            parsed_bic = BIC(bic)
        except SchwiftyException:
            errors["bic"] = [
                _("A BIC (SWIFT code) has 8 or 11 letters and digits, such as ABNANL2A.")
            ]
        else:
            if parsed_bic.country_code != country:
                message = _("This BIC is of a bank in %(elsewhere)s, not in %(country)s.")
                errors["bic"] = [_elsewhere(message, parsed_bic.country_code, country)]
    if uses_iban(country):
        account_number = ""  # an IBAN country's form shows only the IBAN
        if not iban:
            errors["iban"] = [_("Banks in %(country)s use IBANs: enter the IBAN.") % _name(country)]
        else:
            try:
                parsed = IBAN(iban)
            except InvalidChecksumDigits:
                errors["iban"] = [_("This IBAN's check digits do not match: look for a typo.")]
            except InvalidLength:
                errors["iban"] = [
                    _("An IBAN from %(country)s has %(length)d characters.")
                    % {**_name(country), "length": registry.get_iban_spec(country).iban_length}
                ]
            except SchwiftyException:
                errors["iban"] = [_("This is not an IBAN from %(country)s.") % _name(country)]
            else:
                if parsed.country_code != country:
                    message = _("This IBAN is of a bank in %(elsewhere)s, not in %(country)s.")
                    errors["iban"] = [_elsewhere(message, parsed.country_code, country)]
                else:
                    iban = parsed.compact
                    if parsed_bic is None and not bic and parsed.bic is not None:
                        parsed_bic = parsed.bic  # the directory knows the bank: no need to ask
                        bic = str(parsed_bic)
    else:
        iban = ""
        if not _ACCOUNT_NUMBER.match(account_number):
            errors["account_number"] = [_("Enter the account number: 4 to 34 letters and digits.")]
        if not bic and "bic" not in errors:
            errors["bic"] = [
                _("Transfers to %(country)s go by SWIFT: enter the bank's BIC (SWIFT code).")
                % _name(country)
            ]
    if errors:
        raise BankDetailsInvalid(errors=errors)
    if parsed_bic is not None:
        bank_name = next(iter(parsed_bic.bank_names or []), "")[:140]
    return BankDetails(
        holder_name=holder_name,
        country=country,
        iban=iban,
        account_number=account_number,
        bic=bic,
        bank_name=bank_name,
    )


def _name(country):
    return {"country": countries.name(country)}


def _elsewhere(message, found, country):
    """`message` about a code of another country (`found`) than the bank's (`country`)."""
    return message % {"elsewhere": countries.name(found) or found, **_name(country)}
