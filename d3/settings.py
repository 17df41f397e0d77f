"""Settings of D3, read from the environment (12-factor).

Unset variables fall back to embedded defaults that need no server (SQLite, a
filesystem Celery broker, courriels written to files), so a developer can run
D3 with one command; production sets DATABASE_URL, CELERY_BROKER_URL and the
rest. A bad value stops start-up with a message naming the variable.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from d3 import env
from d3.client_ip import allauth_trust

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("D3_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DJANGO_DEBUG", default=False)

SECRET_KEY = env.string("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY doit être défini lorsque DJANGO_DEBUG est faux."
        )
    SECRET_KEY = "django-insecure-d3-local-only-never-use-in-production"

ALLOWED_HOSTS = env.string_list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.string_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "d3.audit",
    "d3.courriels",
    "auditeurs",
    "dossiers",
    "jury",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "d3.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "auditeurs.staff_security.StaffIdleTimeoutMiddleware",
    "auditeurs.staff_security.StaffTOTPRequiredMiddleware",
    "auditeurs.middleware.ProfileGateMiddleware",
]

ROOT_URLCONF = "d3.urls"
WSGI_APPLICATION = "d3.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "d3.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
_database_url = env.string("DATABASE_URL")
if _database_url is None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "d3.sqlite3",
        }
    }
else:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                _database_url,
                conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0),
                conn_health_checks=True,
            )
        }
    except Exception as exc:  # dj-database-url raises several types
        raise ImproperlyConfigured(
            f"DATABASE_URL n'est pas une URL de base de données valide ({exc})."
        ) from None
    if not DATABASES["default"].get("ENGINE"):
        raise ImproperlyConfigured("DATABASE_URL : moteur de base de données inconnu.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "auditeurs.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# The link e-mailed with a new account, and the reset link, stay valid 3 days.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

ACCOUNT_ADAPTER = "auditeurs.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "auditeurs.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# A new password never logs in by itself: the next log-in asks for the password
# and, for staff, the second factor (tests/security/test_mfa.py).
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[D3 Cnam] "
# allauth's defaults, written out so that they are visibly on.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.integer("D3_SESSION_AGE", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Staff sessions (every role but auditeur) end after this much inactivity
# (auditeurs.staff_security); auditeurs keep SESSION_COOKIE_AGE.
D3_STAFF_IDLE_MINUTES = env.integer("D3_STAFF_IDLE_MINUTES", 30, minimum=2)

# --- Second factor (allauth.mfa): required of every staff account -----------
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "D3 Cnam"
MFA_ADAPTER = "auditeurs.adapters.MFAAdapter"
# Staff accounts are created by the Cnam and D3 verifies no e-mail address
# (ACCOUNT_EMAIL_VERIFICATION = "none"): allauth's rule "no second factor before
# the address is verified" guards open sign-up, which D3 does not have, and would
# lock out a staff account that carries an unverified address.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Sessions are listed per user (allauth.usersessions) so that disabling an account
# can end them; the list is written at log-in only, not at each request.
USERSESSIONS_TRACK_ACTIVITY = False

# --- Cache (allauth's rate limits live there) -------------------------------
_cache_url = env.url("CACHE_URL", schemes=("redis", "rediss"))
# Seconds a request waits for Redis before doing without it (a frozen server keeps its
# connections open and answers nothing: without a timeout, redis-py waits forever).
D3_CACHE_TIMEOUT = env.integer("D3_CACHE_TIMEOUT", 1, minimum=1, maximum=30)
if _cache_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _cache_url,
                          "OPTIONS": {"socket_timeout": D3_CACHE_TIMEOUT,
                                      "socket_connect_timeout": D3_CACHE_TIMEOUT}}}
    # Sessions read from Redis (no query), kept in the database (d3.sessions); a
    # per-process cache (below) would keep a session another process ended.
    SESSION_ENGINE = "d3.sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files and storage ---------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env.string("D3_MEDIA_ROOT", str(VAR_DIR / "media")))
# Nothing is served from MEDIA_URL: files go out through permission-checked views.
MEDIA_URL = "/fichiers-non-publics/"

AWS_STORAGE_BUCKET_NAME = env.string("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.url("AWS_S3_ENDPOINT_URL", schemes=("http", "https"))
    AWS_S3_REGION_NAME = env.string("AWS_S3_REGION_NAME")
    AWS_ACCESS_KEY_ID = env.string("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env.string("AWS_SECRET_ACCESS_KEY")
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every form of D3 sends one file at most; a request carrying more is refused before
# any is written (dossiers.uploads.bounded_uploads words the refusal).
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# clamd's address (unix:///run/clamav/clamd.ctl, tcp://clamav:3310); unset, pièces are
# not scanned and usable at once (dossiers.antivirus).
D3_CLAMAV_URL = env.url("D3_CLAMAV_URL", "", schemes=("unix", "tcp"))

# --- Courriels ------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "D3 Cnam <ne-pas-repondre@cnam.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env.string("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 30, minimum=1)
else:
    # No mail server configured: courriels are written to files a developer can read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "courriels"
D3_SITE_URL = env.url("D3_SITE_URL", "http://localhost:8000", schemes=("http", "https"))

# Closed dossiers are removed this many years after they closed (the courrier sent,
# the withdrawal, the irrecevability), an anonymised trace of the decision kept
# (dossiers.retention).
D3_RETENTION_YEARS = env.integer("D3_RETENTION_YEARS", 5, minimum=1, maximum=100)

# --- Celery ---------------------------------------------------------------
_broker_url = env.url("CELERY_BROKER_URL", schemes=("redis", "rediss", "amqp", "filesystem"))
# Seconds. A task is killed after CELERY_TASK_TIME_LIMIT; the leases of a courriel
# being sent and of a courrier being rendered (d3.courriels.tasks, jury.tasks) must
# outlast it, so that a live worker always finishes before anyone else may take the
# row over; a worker that died lets the lease lapse and the periodic sweep retakes it.
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 300, minimum=2)
COURRIEL_LEASE_SECONDS = env.integer("COURRIEL_LEASE_SECONDS", 600, minimum=1)
COURRIER_LEASE_SECONDS = env.integer("COURRIER_LEASE_SECONDS", 600, minimum=1)
CELERY_VISIBILITY_TIMEOUT = env.integer("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
CELERY_BROKER_TIMEOUT = env.integer("CELERY_BROKER_TIMEOUT", 3, minimum=1, maximum=60)
for _name in ("COURRIEL_LEASE_SECONDS", "COURRIER_LEASE_SECONDS", "CELERY_VISIBILITY_TIMEOUT"):
    if globals()[_name] <= CELERY_TASK_TIME_LIMIT:
        raise ImproperlyConfigured(
            f"{_name} ({globals()[_name]} s) doit dépasser CELERY_TASK_TIME_LIMIT "
            f"({CELERY_TASK_TIME_LIMIT} s) : sinon une tâche encore en cours serait "
            f"reprise par un autre worker."
        )
if _broker_url is None:
    # Embedded default: a broker kept in a folder, so that a local run has a real
    # worker and real periodic jobs without any server.
    _broker_folder = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder),
        "data_folder_out": str(_broker_folder),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_URL = _broker_url
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this delay (its worker was killed) is given
        # to another worker; it must exceed the longest task. No task is ever queued
        # with a long ETA (retries wait on their row for the periodic sweeps), so
        # this bound is the only one that matters.
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # A broker that stops answering without closing the connection (frozen,
        # network cut) must not hold a request: without these, a publish waits
        # forever. Kombu's defaults (None) mean exactly that.
        "socket_timeout": CELERY_BROKER_TIMEOUT,
        "socket_connect_timeout": CELERY_BROKER_TIMEOUT,
    }
# Kombu waits this long for the broker connection before a publish gives up.
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_BROKER_TIMEOUT
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The task is told (SoftTimeLimitExceeded) a little before it is killed.
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 4 // 5
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)
# Modules whose tasks are not in a tasks.py, imported by the worker at start.
CELERY_IMPORTS = ("dossiers.antivirus",)
CELERY_BEAT_SCHEDULE = {
    # Closed dossiers past D3_RETENTION_YEARS: removed, their decision kept anonymised,
    # at night (dossiers.retention).
    "dossiers-remove-expired": {
        "task": "dossiers.tasks.remove_expired_dossiers",
        "schedule": crontab(hour=2, minute=30),
    },
    # Pièces still waiting for the antivirus (clamd was down, a task was lost).
    "antivirus-scan-pending": {
        "task": "dossiers.antivirus.scan_pending",
        "schedule": 300.0,
    },
    "courriels-resend-pending": {
        "task": "d3.courriels.tasks.resend_pending",
        "schedule": 60.0,
    },
    # Courriers due go out within five minutes (jury.tasks: rendered once, then sent);
    # the retries after a failure wait for this sweep, never in a task's ETA.
    "courriers-send-due": {
        "task": "jury.tasks.send_due_courriers",
        "schedule": 300.0,
    },
    # Stored files no row references (a transaction rolled back after the file was
    # written) are deleted once a day old, at night (dossiers.orphans).
    "files-remove-orphans": {
        "task": "dossiers.tasks.remove_orphan_files",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- Security -------------------------------------------------------------
# Behind a reverse proxy, the header it sets with the client's address and how many
# proxies of ours append to it (d3.client_ip); unset, the peer address is used and
# any X-Forwarded-For a client sends is ignored.
D3_TRUSTED_PROXY_HEADER = env.string("D3_TRUSTED_PROXY_HEADER", "")
D3_TRUSTED_PROXY_COUNT = env.integer("D3_TRUSTED_PROXY_COUNT", 1, minimum=1, maximum=10)
if (D3_TRUSTED_PROXY_HEADER and D3_TRUSTED_PROXY_COUNT != 1
        and D3_TRUSTED_PROXY_HEADER.lower() != "x-forwarded-for"):
    raise ImproperlyConfigured(
        "D3_TRUSTED_PROXY_COUNT doit valoir 1 quand D3_TRUSTED_PROXY_HEADER n'est pas "
        "X-Forwarded-For (cet en-tête ne porte qu'une adresse)."
    )
# allauth's log-in and reset limits read the client address the same way.
ALLAUTH_TRUSTED_PROXY_COUNT, ALLAUTH_TRUSTED_CLIENT_IP_HEADER = allauth_trust(
    D3_TRUSTED_PROXY_HEADER, D3_TRUSTED_PROXY_COUNT
)
# Our own limits (d3.ratelimits), counted in CACHES like allauth's: (amount, seconds).
D3_RATE_LIMITS = {
    # Public verification of a courrier's code, per client address.
    "verification": (20, 10 * 60),
    # Files posted by one auditeur, draft and corrections pages together.
    "upload": (60, 3600),
    # Personal data archives built for one auditeur (each copies all his/her files).
    "personal_data_archive": (10, 3600),
}

# Load benchmark only (benchmarks/load.py), never in production: the baseline page
# /bench/baseline/ exists, and allauth's log-in limit per address is lifted, since
# every benchmark request comes from 127.0.0.1 (the failed log-in limits stay).
D3_BENCH = env.boolean("D3_BENCH", False)
if D3_BENCH:
    ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": "1000000/m/ip"}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.boolean("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.boolean("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.integer("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a proxy that terminates TLS, it tells us the request came in HTTPS.
    if env.boolean("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]

# --- Logging --------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Keys of password links and password=/token= parameters never reach a log.
    "filters": {"secrets": {"()": "d3.audit.redaction.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["secrets"]}},
    "root": {"handlers": ["console"], "level": env.string("D3_LOG_LEVEL", "INFO")},
    "loggers": {
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        # They log request paths (runserver every request): masked where the record is
        # made (a logger's filters do not apply to its children's records), before any
        # handler of theirs or of "django" sees it.
        "django.request": {"filters": ["secrets"]},
        "django.server": {"filters": ["secrets"]},
        "django.security.csrf": {"filters": ["secrets"]},
        "django.security.DisallowedHost": {"filters": ["secrets"]},
    },
}
