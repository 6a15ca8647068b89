"""Prometheus metrics of a live or paper session (``prometheus_client``, own registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.feed_messages = Counter(
            "memelab_feed_messages", "Feed messages received", ["feed"], registry=r
        )
        self.quarantined = Counter(
            "memelab_quarantined", "Feed messages quarantined", ["feed"], registry=r
        )
        self.signals = Counter("memelab_signals", "Strategy decisions", ["decision"], registry=r)
        self.orders = Counter("memelab_orders", "Orders by outcome", ["side", "status"], registry=r)
        self.rpc_errors = Counter("memelab_rpc_errors", "RPC calls without an answer", registry=r)
        self.decision_latency = Histogram(
            "memelab_decision_latency_seconds", "Feed message received -> order built",
            buckets=(1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1.0), registry=r,
        )  # fmt: skip
        self.equity = Gauge("memelab_equity_sol", "Equity (SOL)", registry=r)
        self.daily_pnl = Gauge("memelab_daily_pnl_sol", "Realised P&L today (SOL)", registry=r)
        self.open_positions = Gauge("memelab_open_positions", "Open positions", registry=r)
        self.breaker = Gauge("memelab_breaker_tripped", "1 when tripped", ["name"], registry=r)
        self.kill_switch = Gauge("memelab_kill_switch", "1 when engaged", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def serve(self, port: int, addr: str = "127.0.0.1"):
        """Expose /metrics over HTTP (returns the server; loopback by default)."""
        from prometheus_client import start_http_server

        return start_http_server(port, addr=addr, registry=self.registry)
