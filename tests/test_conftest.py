"""The per-worker Redis db of tests/conftest.py: xdist workers never share one."""

import pytest

from tests.conftest import worker_redis_url


def test_each_worker_takes_the_base_db_minus_its_number() -> None:
    assert worker_redis_url("redis://127.0.0.1:6379/15", "") == "redis://127.0.0.1:6379/15"
    assert worker_redis_url("redis://127.0.0.1:6379/15", "gw0") == "redis://127.0.0.1:6379/15"
    assert worker_redis_url("redis://127.0.0.1:6379/15", "gw1") == "redis://127.0.0.1:6379/14"


def test_an_explicit_url_keeps_its_host_and_port() -> None:
    assert worker_redis_url("redis://cache.test:6380/9", "gw1") == "redis://cache.test:6380/8"
    assert worker_redis_url("redis://127.0.0.1:6379", "") == "redis://127.0.0.1:6379/0"


def test_no_db_below_zero() -> None:
    with pytest.raises(ValueError, match="no Redis db left for xdist worker gw2"):
        worker_redis_url("redis://127.0.0.1:6379/1", "gw2")
