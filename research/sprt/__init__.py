"""Sequential A/B tests: Wald's SPRT on one arm (``wald``), control vs treatment (``twoarm``),
compiled kernels and Monte Carlo (``sequential_nb``), one analysis as a record (``analysis``) and
its HTML report (``report``)."""
