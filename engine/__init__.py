"""memelab.engine."""
