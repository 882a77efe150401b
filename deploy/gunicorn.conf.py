"""gunicorn settings for massage-rules. `massage-rules serve` runs gunicorn with this file.

Workers: one per CPU (the engine is CPU-bound and holds the GIL, so threads add nothing).
The app is loaded before the fork (preload): the compiled policy and the durable_rules engine
are built once and shared copy-on-write; each worker then uses its own copy.
Logs: JSON lines on stderr; the access log has method, path without the query string, status,
size, duration and the response's X-Request-Id, never a body.
"""
import os
import shutil
import tempfile
from multiprocessing import cpu_count

bind = os.environ.get("MASSAGE_RULES_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("MASSAGE_RULES_WORKERS", cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("MASSAGE_RULES_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
preload_app = True
wsgi_app = "service.api:create_app()"
no_control_socket = True      # a shared ~/.gunicorn socket would collide between instances

# every worker writes its metrics here; /metrics adds them up
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="massage-rules-metrics-"))

accesslog = "-"
access_log_format = ('{"time": "%(t)s", "logger": "access", "remote": "%(h)s", "method": "%(m)s", '
                     '"path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
                     '"request_id": "%({x-request-id}o)s"}')
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "raw": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "raw", "stream": "ext://sys.stderr"},
    },
    "root": {"handlers": ["error"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        os.unlink(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics_dir.startswith(tempfile.gettempdir()) and "massage-rules-metrics-" in _metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
