"""memelab.research."""
