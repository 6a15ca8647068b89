"""Importers: one module per source family. Each registers its readers or presets on import.

``memelab.datasets.ingest`` imports every module here before it looks a format up, so a new
source is one new module that calls ``ingest.register_reader`` (or ``presets.register_preset``).
"""
