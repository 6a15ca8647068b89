"""memelab.strategies."""
