"""What the browser journeys share."""

from tests.factories import PASSWORD


def log_in(page, email):
    """Signs `email` in through the site's login form (every factory user has PASSWORD)."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
