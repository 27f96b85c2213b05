"""Gunicorn settings shared by `make run`, `make web` and the container image.

Everything can be overridden by environment (GUNICORN_* or the standard GUNICORN_CMD_ARGS).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Web workers are stateless; scale them by CPU. Threads cover slow clients on rural links.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
