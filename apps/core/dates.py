"""Dates and times in messages: in the active time zone (the user's) and the active language's
format, as templates show them."""

from django.utils import formats, timezone


def local_date(value):
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def local_datetime(value):
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
