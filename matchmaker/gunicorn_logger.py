"""gunicorn's own lines (booting, worker timeouts, restarts) in the app's log format.

``gunicorn --logger-class=matchmaker.gunicorn_logger.Logger``: gunicorn's error
log goes through the root handler of matchmaker.logs instead of a text handler
of its own, so web's output is one JSON object per line like every other
process. The access log stays off: the app logs each request itself.
"""

from __future__ import annotations

from gunicorn import glogging

from matchmaker import logs


class Logger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        # The master builds no app: set up the root handler from the environment
        # (workers replace it with the app's own when they build it; same settings).
        logs.configure_from_env()
        logs.adopt(self.error_log.name)
