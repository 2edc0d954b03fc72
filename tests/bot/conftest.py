"""Fixtures shared by the bot service's areas."""

import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import Patient


@pytest.fixture
def ids(seeded: Session) -> dict[str, int]:
    """The seeded patients' ids by last name: {"Lopez": id, "Carter": id, "Khan": id}."""
    return {p.last_name: p.id for p in seeded.scalars(select(Patient))}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, as a hung database does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()
