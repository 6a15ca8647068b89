"""Solana sources for the lake: transactions, feeds and RPC backfill -> canonical ``swaps`` rows.

- ``tx``: any transaction form (RPC json/jsonParsed/base64, getBlock entry, geyser) -> ``TxView``;
- ``idl``: Borsh decoding driven by the bundled Anchor IDLs (``idl/``), tolerant of old layouts;
- ``parse``: ``parse_transaction`` -> swaps/launches rows, from ``events`` (Anchor events in
  logs or ``emit_cpi``) decoded in ``pump`` (pump.fun, PumpSwap) and from vault deltas in ``amm``
  (Raydium, Meteora, LaunchLab); ``rows`` builds the rows;
- ``feeds``: PumpPortal, ``logsSubscribe`` and Substreams messages -> rows (the live runner's too);
- ``backfill``: ``getSignaturesForAddress`` + ``getTransaction`` paging, resumable, into a lake.

File readers (``rpc-json``, ``geyser``, ``pumpportal``, ``substreams``) register with
``memelab.datasets.ingest`` from ``memelab.datasets.importers.solana``.
"""

from memelab.datasets.solana.parse import TxParse, parse_transaction
from memelab.datasets.solana.tx import MalformedTransaction

__all__ = ["MalformedTransaction", "TxParse", "parse_transaction"]
