"""The suite's settings: the product's, with DEBUG on at import (plain static storage, the dev key),
since pytest-django turns DEBUG off for each test anyway. Production settings are tested in their own
processes (tests/portal/test_production.py)."""

import os

os.environ.setdefault("DEBUG", "true")

from portal.settings import *  # noqa: E402, F403

# Users are made by the hundred in the suite: a fast hasher there (the product keeps Django's
# PBKDF2 default; production settings are tested in their own processes).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
