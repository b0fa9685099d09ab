import datetime as dt


def add_business_days(moment, days):
    """moment + `days` working days (Monday to Friday), keeping the time of day.

    A moment on a weekend counts from the next Monday's same time."""
    result = moment
    while result.weekday() >= 5:
        result += dt.timedelta(days=1)
    added = 0
    while added < days:
        result += dt.timedelta(days=1)
        if result.weekday() < 5:
            added += 1
    return result
