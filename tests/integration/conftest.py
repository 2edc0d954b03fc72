import os
from collections.abc import Iterator

import pytest

from tests.support.host_site import HostSite, serving_host_site
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="session")
def host_site() -> Iterator[HostSite]:
    """A health system's pages on another origin, with the widget's script tag."""
    with serving_host_site() as site:
        yield site


@pytest.fixture(scope="session")
def stack(host_site: HostSite) -> Iterator[Stack]:
    """The real processes. STACK_ONLY=bot starts the bot service alone (the desk's pages,
    worked through its API, need no engine); STACK_REDIS_URL: another Redis db (flushed)."""
    only = tuple(os.environ["STACK_ONLY"].split(",")) if os.environ.get("STACK_ONLY") else None
    redis_url = os.environ.get("STACK_REDIS_URL") or "redis://127.0.0.1:6379/14"
    with running_stack(redis_url=redis_url, only=only,
                       extra_env={"WIDGET_ALLOWED_ORIGINS": host_site.allowed_origin}
                       ) as running:
        host_site.bot_url = running.bot_url
        yield running
