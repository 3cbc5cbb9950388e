import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # build_world() creates a dozen users; PBKDF2 for each dominates the tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
