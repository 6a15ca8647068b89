"""Anchor events of the programs we decode (pump.fun, PumpSwap), found in a transaction."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from memelab.datasets.solana import idl as idl_mod
from memelab.datasets.solana.programs import PUMPFUN, PUMPSWAP
from memelab.datasets.solana.tx import MalformedTransaction, TxView

# Program id -> bundled IDL that decodes its events.
EVENT_PROGRAMS = {PUMPFUN: "pump", PUMPSWAP: "pump_amm"}


@dataclass(slots=True)
class Event:
    program: str
    outer: int
    data: bytes


def collect_events(tv: TxView) -> list[Event]:
    """Anchor events by top-level instruction, from ``Program data:`` log lines (attributed to
    the program on top of the call stack); where the logs lack them (truncated logs, a program
    that only uses ``emit_cpi``) from the self-invocations that carry them."""
    logged: dict[tuple[str, int], list[Event]] = {}
    stack: list[str] = []
    outer = -1
    truncated = tv.logs is None
    for line in tv.logs or ():
        if line.startswith("Program data: "):
            if stack and stack[-1] in EVENT_PROGRAMS:
                try:
                    data = base64.b64decode(line[14:], validate=True)
                except ValueError as exc:
                    raise MalformedTransaction(f"log line {line[:60]!r} is not base64") from exc
                logged.setdefault((stack[-1], outer), []).append(Event(stack[-1], outer, data))
        elif line.startswith("Program ") and " invoke [" in line:
            program = line[8 : line.index(" invoke [")]
            if line.endswith("invoke [1]"):
                outer += 1
                stack.clear()
            stack.append(program)
        elif line.startswith("Program ") and (line.endswith(" success") or " failed" in line):
            if stack:
                stack.pop()
        elif line.startswith("Log truncated"):
            truncated = True
    cpi: dict[tuple[str, int], list[Event]] = {}
    for ins in tv.instructions:
        if ins.inner < 0 or ins.program not in EVENT_PROGRAMS:
            continue
        key = (ins.program, ins.outer)
        if key in logged and not truncated:
            continue  # the log lines already gave this instruction's events
        data = ins.data
        if data and data[:8] == idl_mod.EVENT_IX_TAG:
            cpi.setdefault(key, []).append(Event(ins.program, ins.outer, data[8:]))
    events: list[Event] = []
    for key in sorted(set(cpi) | set(logged), key=lambda k: (k[1], k[0])):
        events.extend(cpi.get(key) or logged.get(key, []))
    return events


def decode_event(ev: Event) -> idl_mod.DecodedEvent | None:
    try:
        return idl_mod.bundled(EVENT_PROGRAMS[ev.program]).decode_event(ev.data)
    except idl_mod.IdlDecodeError as exc:
        raise MalformedTransaction(f"{ev.program} event at instruction {ev.outer}: {exc}") from exc
