"""Django settings for Parvis, all read from the environment (see parvis.config)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from parvis import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

DEBUG = config.env_bool("PARVIS_DEBUG", False)
# `parvis demo` serves plain http on the loopback; it is the only mode that may
# send cookies without the Secure flag outside debug.
DEMO_MODE = config.env_bool("PARVIS_DEMO", False)
SECRET_KEY = config.secret_key(DATA_DIR)
ALLOWED_HOSTS = config.env_list("PARVIS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("PARVIS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # the API documentation page's templates and Swagger UI's static files
    "parvis.core",
    "parvis.workspaces",
    "parvis.connectors",
    "parvis.intelligence",
    "parvis.listening",
    "parvis.inbox",
    "parvis.alerts",
    "parvis.publishing",
    "parvis.analytics",
    "parvis.moderation",
    "parvis.api",
    "parvis.ops",  # backups, the deployment check, metrics, the worker's heartbeat
    "parvis.demo",  # last: the demo seeds every app above
]

MIDDLEWARE = [
    # First: the request id and the latency cover every other middleware.
    "parvis.ops.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "parvis.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "parvis.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "parvis.urls"
WSGI_APPLICATION = "parvis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parvis.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": config.database_settings(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

HUEY = config.huey_settings(DATA_DIR)

# Escalations and SLA breaches are emailed too (PARVIS_EMAIL_URL, else files in the data dir).
EMAIL = config.email_settings(DATA_DIR)
EMAIL_BACKEND = EMAIL.pop("EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = EMAIL.pop("DEFAULT_FROM_EMAIL")
EMAIL_FILE_PATH = EMAIL.pop("EMAIL_FILE_PATH", None)
EMAIL_HOST = EMAIL.pop("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL.pop("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL.pop("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL.pop("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL.pop("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL.pop("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = EMAIL.pop("EMAIL_TIMEOUT", None)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins allowed in the window below for one username from one client address, and
# from one client address whatever the usernames (guessing many accounts from one place).
# Per username alone would let anyone lock a colleague out by typing their name.
LOGIN_THROTTLE_ATTEMPTS = 5
LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 30
LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
# English with a 24-hour clock (parvis/formats/en); French is Django's own.
FORMAT_MODULE_PATH = ["parvis.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Files are served from the installed package by WhiteNoise: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_COOKIES = not (DEBUG or DEMO_MODE)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Connectors refuse to fetch from private addresses (loopback, LAN, cloud metadata) unless this
# is set: editors type feed and instance addresses (parvis/connectors/netguard.py).
PARVIS_ALLOW_PRIVATE_ADDRESSES = config.env_bool("PARVIS_ALLOW_PRIVATE_ADDRESSES", False)
# The largest HTTP answer each kind of connector reads, in MB, where the operator changed it
# (each connector has its own default: parvis/connectors/base.py, max_body_mb).
CONNECTOR_MAX_BODY_MB = config.connector_body_caps()
# Connector defaults (docs/connectors.md) and the text-analysis backend (docs/models.md): read
# here so that a mistyped value stops Parvis at start, not inside a source run hours later.
PARVIS_BLUESKY = config.bluesky_settings()
PARVIS_YOUTUBE = config.youtube_settings()
# Meta's webhook (/hooks/facebook/): the Verify Token typed in the App Dashboard, and the app
# secret its deliveries are signed with when no connected Page stores it.
FACEBOOK_VERIFY_TOKEN = config.env_str("PARVIS_FACEBOOK_VERIFY_TOKEN")
FACEBOOK_APP_SECRET = config.env_str("PARVIS_FACEBOOK_APP_SECRET")
# X's Account Activity webhook (/hooks/x/): the app's consumer secret (API Key Secret), which
# signs the challenge answers and X's deliveries.
X_CONSUMER_SECRET = config.env_str("PARVIS_X_CONSUMER_SECRET")
# Parvis's address as seen from the Internet (https://parvis.example.com): Instagram fetches
# the media it publishes from there (connectors/instagram/media_url.py).
PUBLIC_URL = config.env_str("PARVIS_PUBLIC_URL")
# Where a reverse proxy serves <data dir>/publishing/media/ for Threads to fetch (https://).
THREADS_MEDIA_URL = config.env_str("PARVIS_THREADS_MEDIA_URL")
# The LinkedIn API version (YYYYMM) sent with every call; empty: the one the connector was
# written against (connectors/linkedin/api.py). LinkedIn sunsets a version after about a year.
LINKEDIN_VERSION = config.env_str("PARVIS_LINKEDIN_VERSION")
PARVIS_INTELLIGENCE = config.intelligence_settings()

# Behind the proxy every request comes from the proxy's address: the client's is the one the
# proxy appended to X-Forwarded-For (parvis/core/audit.py: client_ip).
BEHIND_TLS_PROXY = config.env_bool("PARVIS_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# Key for encrypting network credentials at rest (Fernet, urlsafe base64, 32 bytes).
CREDENTIALS_KEYS = config.credentials_keys(DATA_DIR)

# Daily backups by the worker (parvis/ops): where, how many kept, and the passphrase sealing
# the keys in them (without one they are left out, and credentials must be re-entered).
BACKUP_DIR = config.backup_dir()
BACKUP_KEEP = config.env_int("PARVIS_BACKUP_KEEP", 7, minimum=1, maximum=1000)
BACKUP_PASSPHRASE = config.env_str("PARVIS_BACKUP_PASSPHRASE")
# /metrics (Prometheus text format) answers only with this bearer token; unset, it is a 404.
METRICS_TOKEN = config.metrics_token()
# Disk space under which `parvis check` warns, in MB.
CHECK_MIN_FREE_MB = config.env_int("PARVIS_CHECK_MIN_FREE_MB", 1024, minimum=0)

LOG_FORMAT = config.log_format()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "parvis.ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "parvis.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": config.env_str("PARVIS_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
