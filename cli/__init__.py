"""memelab's command line: one entry point, ``memelab``, with a module per command group."""
