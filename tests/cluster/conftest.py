"""The cluster tests start 2 engines, 2 action servers, 2 bot workers and nginx: minutes on
2 cores, so they run in `make test-cluster` (which `.ci/run` runs), not in `make unit` or
`make integration`."""

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("RUN_CLUSTER_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="cluster test: run it with `make test-cluster`")
    for item in items:
        if "tests/cluster/" in str(item.fspath):
            item.add_marker(skip)
