"""Wallet research: causal outcome labels (``labels``), the streaming Bayesian scorer
(``scoring``), the copy-trade vote (``vote_nb``), the co-buy graph, sybils and smart money
(``graph``), end-to-end runs (``pipeline``), scoring against ground truth (``evaluate``) and
reports (``report``)."""
