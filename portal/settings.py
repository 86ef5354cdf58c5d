"""Settings, read from the environment.

With nothing set, the portal runs embedded: SQLite and a Celery worker on kombu's
filesystem transport, so `make run` needs no server. With DATABASE_URL and
CELERY_BROKER_URL set it uses PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("PORTAL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


# Production by default: `make run` (the embedded demo) and the test suite turn DEBUG on.
DEBUG = envbool("DEBUG", "false")
DEV_SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production"
SECRET_KEY = os.getenv("SECRET_KEY", "") or (DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (len(SECRET_KEY) < 32 or SECRET_KEY == DEV_SECRET_KEY or "change-me" in SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must come from the environment when DEBUG is off: 32 characters or more, not the "
        "development key (e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))').")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "numbering",
    "portal",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.api.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.OrganisationClockMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.ControlCharactersMiddleware",
    "portal.middleware.BusyDatabaseMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.brand",
            ],
            "builtins": ["portal.templatetags.portal_text"],
        },
    },
    {
        # Only for partials whose rendering is a page's cost (the history's rows, bench/pages.py),
        # included from Django templates with {% render_jinja %}; everything else is Django's.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": True},
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        # Connections are kept (and checked before reuse) instead of opened for every request.
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every statement and every lock wait is bounded: a blocked submit fails fast (and is retried,
    # then answered with a message) instead of waiting as long as someone holds the lock.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={envint('DB_STATEMENT_TIMEOUT_MS', '30000')} "
        f"-c lock_timeout={envint('DB_LOCK_TIMEOUT_MS', '5000')}")
    if envbool("DB_POOL", "false"):
        # psycopg's pool instead of kept connections (measured by bench/pages.py against
        # DB_CONN_MAX_AGE: see README); Django wants CONN_MAX_AGE 0 with a pool.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": envint("DB_POOL_MAX", "4")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: the web server and the worker share one file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "portal.backends.OrganisationModelBackend"]
# Sign-in throttling (django-axes, customer and admin sign-in alike): 5 failures for one user name
# from one address lock that pair out for 15 minutes with a Japanese message (429); a success
# resets the count; operators unlock in admin (アクセス試行 → delete).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "portal.backends.client_ip"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
FORMAT_MODULE_PATH = ["portal.formats"]
USE_TZ = True

# Uploads (CSV files, AML documents): at most this many bytes, refused while streaming in; files
# over 2.5 MB go to a temporary file, never whole into memory.
PORTAL_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portal.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "static_root"))
# Served by WhiteNoise from the web process: in production compressed (gzip, and Brotli when
# installed) under content-hashed names cached for a year (`collectstatic` first); with DEBUG on,
# straight from static/.
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there (and finds static/ itself)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Content-Security-Policy (Django 6): no inline script, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS in production (`manage.py check --deploy` is clean with DEBUG off); each can be turned off for
# a plain-HTTP demo. Behind a TLS proxy, SECURE_PROXY_SSL_HEADER=true trusts its X-Forwarded-Proto.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "false" if DEBUG else "true")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false" if DEBUG else "true")
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # the compose health check calls the web process directly
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
if envbool("SECURE_PROXY_SSL_HEADER", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# E-mail (Django 6.1 MAILERS): nothing leaves the simulator unless EMAIL_BACKEND says so.
# EMAIL_BACKEND=smtp sends through EMAIL_HOST:EMAIL_PORT (e.g. the compose mail catcher).
EMAIL_BACKEND_CHOICE = os.getenv("EMAIL_BACKEND", "locmem")
if EMAIL_BACKEND_CHOICE == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.getenv("EMAIL_HOST", "localhost"),
                "port": envint("EMAIL_PORT", "25"),
                "username": os.getenv("EMAIL_HOST_USER", ""),
                "password": os.getenv("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", "false"),
                # Shorter than the delivery lease (60 s): a hung server never leads to a second send.
                "timeout": envint("EMAIL_TIMEOUT", "20"),
            },
        }
    }
elif EMAIL_BACKEND_CHOICE == "file":  # one file per message sent (tests count deliveries)
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "OPTIONS": {"file_path": os.getenv("EMAIL_FILE_PATH", str(VAR_DIR / "sent-mail"))}}}
elif EMAIL_BACKEND_CHOICE == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "IP Voice Portal <no-reply@portal.example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Brand texts: fictional defaults, this is a simulator.
PORTAL_BRAND = os.getenv("PORTAL_BRAND", "ビジネスポータル（シミュレーター）")
PORTAL_COMPANY = os.getenv("PORTAL_COMPANY", "サンプル通信株式会社")
# The same names on English pages and e-mails (PORTAL_BRAND_EN, PORTAL_COMPANY_EN).
PORTAL_BRAND_EN = os.getenv("PORTAL_BRAND_EN", "Business Portal (Simulator)")
PORTAL_COMPANY_EN = os.getenv("PORTAL_COMPANY_EN", "Sample Telecom Co., Ltd.")
PORTAL_SUPPORT_EMAIL = os.getenv("PORTAL_SUPPORT_EMAIL", "ipv-web-change-order@example.com")
# Absolute links in e-mails; unset, they point at the site the order was placed on (its host).
PORTAL_BASE_URL = os.getenv("PORTAL_BASE_URL", "")
# The demo clock may be moved by operators only where this is on (never in production).
PORTAL_DRAFT_DAYS = envint("PORTAL_DRAFT_DAYS", "7")  # unfinished drafts (作成中) expire after this
# Open drafts a user may have; starting one more discards the least recently touched (no client can
# pile drafts up).
PORTAL_DRAFTS_PER_USER = envint("PORTAL_DRAFTS_PER_USER", "50")
# The API (portal/api.py): requests per key per minute (0: no limit), failed authentications per
# address before it is refused for the window (seconds), and how long an Idempotency-Key is kept.
PORTAL_API_RATE_PER_MINUTE = envint("PORTAL_API_RATE_PER_MINUTE", "60000")
PORTAL_API_AUTH_FAILURES = envint("PORTAL_API_AUTH_FAILURES", "30")
PORTAL_API_AUTH_FAILURE_WINDOW = envint("PORTAL_API_AUTH_FAILURE_WINDOW", "300")
PORTAL_IDEMPOTENCY_SECONDS = envint("PORTAL_IDEMPOTENCY_SECONDS", str(24 * 3600))
# Webhooks may be sent to private, loopback and link-local addresses (make run, the tests); never by
# default in production (SSRF).
PORTAL_WEBHOOK_LEASE_SECONDS = envint("PORTAL_WEBHOOK_LEASE_SECONDS", "60")
WEBHOOKS_ALLOW_PRIVATE = envbool("WEBHOOKS_ALLOW_PRIVATE", "true" if DEBUG else "false")
PORTAL_DEMO_MAILBOX = envbool("PORTAL_DEMO_MAILBOX", "true")  # customers may read their sent mail
PORTAL_DEMO_CLOCK = envbool("PORTAL_DEMO_CLOCK", "true" if DEBUG else "false")
# Demo mode: the sign-in page lists the demo accounts with one-click sign-in, and operators may
# reset the demo from admin. On with the demo clock (make run); never in production.
PORTAL_DEMO_MODE = envbool("PORTAL_DEMO_MODE", "true" if PORTAL_DEMO_CLOCK else "false")
# Trainer mode: customers' screens name the rule behind each decision (E7, B1, O4 …), as in training.
PORTAL_TRAINER_MODE = envbool("PORTAL_TRAINER_MODE", "true" if DEBUG else "false")
# Network outcomes for training and testing (orders.network): test values that make the simulated
# network reject a porting or fail an activation, and trainers' switches in admin. Off in production.
PORTAL_NETWORK_SCENARIOS = envbool("PORTAL_NETWORK_SCENARIOS", "true" if PORTAL_DEMO_MODE else "false")

# Celery: Redis when CELERY_BROKER_URL is set, else kombu's filesystem transport.
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery-processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # A broker that cannot be reached answers quickly: the submit has already committed and the
    # sweeps will do the work, so the customer must not wait on it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
# Cache: Redis when CACHE_URL names one (compose, bench/pages.py), then sessions are `cached_db`
# (read from Redis, written through to the database: no query per request, and a sign-out or a
# password change ends the session everywhere at once). Without it, sessions stay in the database
# (a per-process cache could keep a signed-out session alive in another worker).
CACHE_URL = os.getenv("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "portal",
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.5}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The schedule lives in memory and one scheduler runs at a time (portal/beat.py).
CELERY_BEAT_SCHEDULER = "portal.beat:SingleInstanceScheduler"
# Sweeps: committed work whose task vanished is found again after this many seconds.
PORTAL_LOST_TASK_SECONDS = envint("PORTAL_LOST_TASK_SECONDS", "30")
PORTAL_SWEEP_SECONDS = float(os.getenv("PORTAL_SWEEP_SECONDS", "30"))
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "portal.tasks.worker_heartbeat",
        "schedule": float(os.getenv("PORTAL_HEARTBEAT_SECONDS", "30")),
    },
    "drafts-expire": {"task": "orders.tasks.drafts_expire", "schedule": 3600.0},
    "attachments-sweep": {"task": "orders.tasks.attachments_sweep", "schedule": 3600.0},
    "idempotency-sweep": {"task": "portal.tasks.idempotency_sweep", "schedule": 3600.0},
    "webhooks-sweep": {"task": "portal.tasks.webhooks_sweep", "schedule": PORTAL_SWEEP_SECONDS},
    "test-clocks-sweep": {"task": "portal.tasks.test_clocks_sweep", "schedule": PORTAL_SWEEP_SECONDS},
    "orders-run-due": {"task": "orders.tasks.orders_run_due",
                       "schedule": float(os.getenv("PORTAL_DUE_WORK_SECONDS", str(PORTAL_SWEEP_SECONDS)))},
    "mails-sweep": {"task": "orders.tasks.mails_sweep", "schedule": PORTAL_SWEEP_SECONDS},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
}

