"""gunicorn settings for the portal (docker-compose's web, bench/pages.py, any real deployment):
`gunicorn -c portal/gunicorn_conf.py`. Every value can be set from the environment."""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"
bind = os.getenv("GUNICORN_BIND", f"{os.getenv('HOST', '127.0.0.1')}:{os.getenv('PORT', '8000')}")
# Sync workers, one per core and one more: each request is short (the work is the worker's).
workers = int(os.getenv("WEB_CONCURRENCY", str(multiprocessing.cpu_count() + 1)))
worker_class = "sync"
timeout = int(os.getenv("GUNICORN_TIMEOUT", "60"))  # a 20,000-row CSV check fits well within
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (bounded memory over days of demos).
max_requests = int(os.getenv("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Behind a TLS proxy: trust its X-Forwarded-* from these addresses (compose: the proxy's network).
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.getenv("GUNICORN_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"
loglevel = os.getenv("LOG_LEVEL", "info").lower()
# Loaded once in the master, forked into the workers (copy-on-write, faster restarts).
preload_app = True
