"""d3.settings reads the environment and stops, naming the variable, on a bad value.

Each case starts a fresh interpreter: settings are read once per process.
"""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Variables the settings read: removed from the inherited environment so that
# the machine running the tests (CI sets some of them) changes nothing here.
_READ_BY_SETTINGS = (
    "DJANGO_", "DATABASE_", "CELERY_", "EMAIL_", "CACHE_URL", "AWS_", "D3_", "CLAMAV_",
    "DEFAULT_FROM_EMAIL",
)


def run(args, env, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_READ_BY_SETTINGS)}
    clean.update({"DJANGO_SETTINGS_MODULE": "d3.settings", "D3_VAR_DIR": str(tmp_path)})
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setup_django(env, tmp_path):
    return run(["-c", "import django; django.setup()"], env, tmp_path)


def random_secret_key(length=60):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DJANGO_DEBUG": "peut-être"}, "DJANGO_DEBUG"),
        ({"DJANGO_DEBUG": "true", "DATABASE_URL": "nimportequoi"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "true", "CELERY_BROKER_URL": "ftp://x"}, "CELERY_BROKER_URL"),
        ({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY"),
        (
            {"DJANGO_DEBUG": "true", "EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "abc"},
            "EMAIL_PORT",
        ),
    ],
    ids=["debug", "database-url", "broker-url", "secret-key-missing", "email-port"],
)
def test_it_refuses_a_bad_value_naming_the_variable(tmp_path, env, variable):
    result = setup_django(env, tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert variable in last_line


def test_it_starts_with_the_embedded_defaults(tmp_path):
    result = setup_django({"DJANGO_DEBUG": "true"}, tmp_path)

    assert result.returncode == 0, result.stderr


def test_production_values_pass_the_deployment_checks(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": random_secret_key(),
            "DJANGO_ALLOWED_HOSTS": "diplome.cnam.fr",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        },
        tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
