import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence files go to a temporary private folder, never var/private."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
