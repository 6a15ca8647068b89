import subprocess
import sys


def test_memelab_subpackages_import_and_bare_datasets_does_not(tmp_path):
    code = (
        "import importlib.util, memelab.datasets, memelab.engine, memelab.research, "
        "memelab.strategies, memelab.live\n"
        "print(importlib.util.find_spec('datasets') is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_cli_help_works():
    out = subprocess.run(
        [sys.executable, "-m", "memelab.cli.main", "data", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "info" in out.stdout
