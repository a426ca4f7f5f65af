"""The import benchmark's files go through the real import cleanly (a benchmark of refused rows
would measure nothing), in both formats it writes."""

import subprocess
import sys
from pathlib import Path

import pytest

from gridgov.registry import importing

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "registry_import.py"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_benchmark_file_imports_without_a_problem(tmp_path, node, suffix):
    path = tmp_path / f"import{suffix}"
    subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--rows", "300", "--areas", "110101,310101"],
        check=True,
        capture_output=True,
    )
    report = importing.import_path(path, grid=node("惠民社区第一网格"), commit=False)
    assert report.errors == []
    assert report.rows == report.residents == 300
    assert report.households > 75
    assert report.notices == []
