from typing import Any

import pytest

from gridgov.workforce.models import WorkerFile


@pytest.fixture
def worker_of(db: Any) -> Any:
    """worker_of("惠民社区第一网格") → the WorkerFile of that grid's full-time worker."""
    return lambda grid_name: WorkerFile.objects.get(grid__name=grid_name)
