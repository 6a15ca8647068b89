"""Live settings: one JSON file (no secrets in it: the keypair is a *path* or an env var)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from memelab.live.compute_budget import FeePolicy


class ConfigError(ValueError):
    """A settings file that cannot be used; names the file and field."""


@dataclass(frozen=True)
class LiveSettings:
    rpc_url: str = "http://127.0.0.1:8899"
    ws_url: str | None = None
    ledger: str = "live/ledger.sqlite"
    keypair_path: str | None = None  # else $MEMELAB_KEYPAIR
    jupiter_url: str | None = None
    jupiter_api_key_env: str | None = None  # the *name* of the variable holding the key
    send_urls: tuple[str, ...] = ()
    private_only: bool = False
    slippage_bps: int = 1500
    poll_interval_s: float = 0.4
    resend_interval_s: float = 2.0
    max_wait_s: float = 120.0
    fees: FeePolicy = field(default_factory=FeePolicy)
    log_path: str | None = None
    metrics_port: int | None = None
    kill_switch_file: str | None = None
    telegram_url: str | None = None  # https://api.telegram.org/bot<token> (token via env!)
    telegram_token_env: str | None = None
    telegram_chat_id: str | None = None
    discord_webhook_env: str | None = None  # the variable holding the webhook URL


_SECRET_FIELDS = ("keypair", "secret", "private_key", "api_key", "token", "webhook")


def load_settings(path: str | Path) -> LiveSettings:
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"live config {p}: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"live config {p}: not a JSON object")
    return settings_from_dict(doc, str(p))


def settings_from_dict(doc: dict[str, Any], where: str = "config") -> LiveSettings:
    known = {f.name for f in fields(LiveSettings)}
    for key in doc:
        if key in _SECRET_FIELDS:
            raise ConfigError(
                f"{where}: field {key!r} would hold a secret; give a path or an env variable name"
            )
        if key not in known:
            raise ConfigError(f"{where}: unknown field {key!r}; known: {sorted(known)}")
    values = dict(doc)
    if "fees" in values:
        try:
            values["fees"] = FeePolicy(**values["fees"])
        except TypeError as exc:
            raise ConfigError(f"{where}: fees: {exc}") from None
    if "send_urls" in values:
        values["send_urls"] = tuple(values["send_urls"])
    return LiveSettings(**values)
