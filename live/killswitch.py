"""The kill switch: a file or a signal stops new entries, optionally flattening open positions.

Engaged by creating the file (``touch KILL``; a file whose text contains ``flatten`` also asks
to sell everything), by ``SIGUSR1`` (stop entries) or ``SIGUSR2`` (stop and flatten), or by a
``/pause`` control command (entries only, undone by ``/resume``). Disengaging the file or
signal switch needs the file removed *and* :meth:`reset` -- a kill is never undone silently.
"""

from __future__ import annotations

import signal
from pathlib import Path


class KillSwitch:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self._killed = False
        self._flatten = False
        self.paused = False
        self.reason: str | None = None

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGUSR1, lambda *_: self.engage("SIGUSR1", flatten=False))
        signal.signal(signal.SIGUSR2, lambda *_: self.engage("SIGUSR2", flatten=True))

    def engage(self, reason: str, flatten: bool = False) -> None:
        self._killed = True
        self._flatten = self._flatten or flatten
        self.reason = self.reason or reason

    def _check_file(self) -> None:
        if self.path is not None and self.path.exists():
            try:
                text = self.path.read_text(errors="ignore").lower()
            except OSError:
                text = ""
            self.engage(f"kill file {self.path}", flatten="flatten" in text)

    @property
    def killed(self) -> bool:
        self._check_file()
        return self._killed

    @property
    def flatten(self) -> bool:
        self._check_file()
        return self._flatten

    def allows_entries(self) -> bool:
        return not self.killed and not self.paused

    def entry_block_reason(self) -> str | None:
        if self.killed:
            return f"kill_switch ({self.reason})"
        if self.paused:
            return "paused"
        return None

    def reset(self) -> None:
        if self.path is not None and self.path.exists():
            raise RuntimeError(f"remove the kill file {self.path} first")
        self._killed = self._flatten = False
        self.reason = None
