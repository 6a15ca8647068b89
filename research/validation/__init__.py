"""Validation against overfitting: splits, deflated Sharpe and PBO (``gates``, ``gates_nb``) and
walk-forward selection (``walkforward``)."""
