"""memelab.live."""
