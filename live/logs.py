"""Structured JSON logs: one object per line, with a redaction filter for secrets.

``log_event(logger, "order.sent", order_id=..., signature=...)`` writes
``{"ts": ..., "level": "info", "event": "order.sent", "order_id": ..., ...}``. Every record
passes :class:`Redactor`, which replaces any registered secret (keypair encodings, API keys,
webhook URLs) with ``[redacted]`` -- a defence in depth: nothing should log them anyway.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

LOGGER = "memelab.live"


class Redactor(logging.Filter):
    def __init__(self, secrets: list[str | bytes] = ()):
        super().__init__()
        self.secrets: list[str] = []
        for s in secrets:
            self.add(s)

    def add(self, secret: str | bytes) -> None:
        text = secret.decode(errors="ignore") if isinstance(secret, bytes) else secret
        if len(text) >= 8 and text.isprintable():
            self.secrets.append(text)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(str(record.msg))
        if record.args:
            record.args = tuple(self.scrub(str(a)) for a in record.args)
        fields = getattr(record, "fields", None)
        if fields:
            record.fields = json.loads(self.scrub(json.dumps(fields, default=str)))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        doc.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(doc, default=str, sort_keys=True)


def setup_logging(path: str | Path | None = None, secrets: list[str | bytes] = (),
                  level: int = logging.INFO) -> logging.Logger:  # fmt: skip
    """The live logger writing JSON lines to ``path`` (or stderr), secrets redacted."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    for f in list(logger.filters):
        logger.removeFilter(f)
    handler: logging.Handler
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path)
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redactor(list(secrets)))
    logger.addHandler(handler)
    return logger


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    logging.getLogger(LOGGER).log(level, event, extra={"fields": fields})
