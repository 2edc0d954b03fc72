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
    with running_stack(extra_env={"WIDGET_ALLOWED_ORIGINS": host_site.allowed_origin}
                       ) as running:
        host_site.bot_url = running.bot_url
        yield running
