"""Parameter sweeps: parameter spaces (``params``), the compiled many-combination kernel
(``sweep_nb``) and its wrapper (``sweep``), Dask scale-out (``distributed``), the HTML report
(``report``)."""
