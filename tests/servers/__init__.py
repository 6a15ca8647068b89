"""Loopback servers for the live tests: a Solana node (JSON-RPC + websocket), Jupiter, a
PumpPortal-style feed and Telegram/Discord-style chat APIs. Each answers with the real shapes
(../shared/data: rpc_fixtures, api_examples) and records what it was sent."""
