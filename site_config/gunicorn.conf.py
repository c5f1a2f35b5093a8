"""Gunicorn, the production server: `gunicorn -c site_config/gunicorn.conf.py`.

Every database connection belongs to one worker thread and is reused by it, so
each database sees at most GUNICORN_WORKERS x GUNICORN_THREADS connections.
"""

import os

# Each worker thread keeps its connections (checked before reuse): the thread pool
# is fixed, so the count stays bounded. Read by the settings, in the workers.
os.environ.setdefault("DB_CONN_MAX_AGE", "300")

wsgi_app = "site_config.wsgi:application"
bind = [os.environ.get("CONTRATA_ADDR", "0.0.0.0:8000")]

# Sync workers (one request at a time each) unless GUNICORN_THREADS > 1 (gthread).
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then, so that a slow leak cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# The application logs one JSON line per request; gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Heartbeat files in memory, not on a container's overlay disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# The control socket would be one per user ($HOME/.gunicorn): several servers collide.
control_socket_disable = True
