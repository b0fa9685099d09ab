"""One FilterSet for the statements page, its CSV download and GET /api/v1/statements/: a period
and a currency, the same parameters and the same validation everywhere.

The period's dates are days in the caller's own time zone, both included: a payment at 23:30 in
Amsterdam on 1 March is on 1 March's statement, whatever the time in UTC."""

import datetime as dt
import zoneinfo

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.money import CURRENCY_CHOICES
from apps.escrow.models import LedgerPosting


class StatementFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", _("The period ends before it starts: choose a later end date.")
            )
        return data


def _date_filter(label, method, help_text):
    return django_filters.DateFilter(
        label=label,
        method=method,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=help_text,
    )


def zone_of(user):
    """The user's own time zone (also for an API call, which the middleware does not see
    signed in), else the current one."""
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (AttributeError, zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


class StatementFilter(django_filters.FilterSet):
    # help_text documents the parameters in the OpenAPI schema (English, like the rest of the
    # API documentation); the page shows the labels.
    date_from = _date_filter(
        _("From"),
        "filter_date_from",
        "Only lines on or after this day (YYYY-MM-DD), in the caller's time zone.",
    )
    date_to = _date_filter(
        _("To"),
        "filter_date_to",
        "Only lines on or before this day (YYYY-MM-DD), in the caller's time zone.",
    )
    currency = django_filters.ChoiceFilter(
        label=_("Currency"),
        choices=CURRENCY_CHOICES,
        empty_label=_("All currencies"),
        help_text="Only lines in this currency (ISO 4217 code).",
    )

    class Meta:
        model = LedgerPosting
        fields = []
        form = StatementFilterForm

    @property
    def is_filtered(self):
        return self.is_bound and self.form.is_valid() and any(self.form.cleaned_data.values())

    def _day_starts(self, day):
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone_of(self.request.user))

    # Every line is after the calendar's first day begins and before its last day ends: those
    # two need no bound (and computing one would step outside the calendar).
    def filter_date_from(self, queryset, name, day):
        if day == dt.date.min:
            return queryset
        return queryset.filter(entry__created_at__gte=self._day_starts(day))

    def filter_date_to(self, queryset, name, day):
        if day == dt.date.max:
            return queryset
        return queryset.filter(entry__created_at__lt=self._day_starts(day + dt.timedelta(days=1)))

    def filter_queryset(self, queryset):
        # A wrong period shows nothing rather than more than was asked for (the page shows the
        # form's errors; the API answers 400 before it gets here).
        if not self.form.is_valid():
            return queryset.none()
        return super().filter_queryset(queryset)
