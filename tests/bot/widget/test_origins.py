"""Which pages may embed the chat: exact origins, nothing else."""

import pytest

from bot.widget.origins import allowed, normalize, own_origin, parse_allowed

LISTED = parse_allowed("https://www.example.org, http://localhost:8080")
OWN = ("https://assistant.example.org",)


@pytest.mark.parametrize("origin", [
    "https://www.example.org", "http://localhost:8080",
    "HTTPS://WWW.EXAMPLE.ORG",  # hosts and schemes are not case-sensitive
    "https://www.example.org:443",  # the default port is the same origin
    "https://assistant.example.org",  # our own pages
    None,  # no Origin header: not a browser page
])
def test_listed_and_own_origins_are_allowed(origin: str | None) -> None:
    assert allowed(origin, LISTED, OWN)


@pytest.mark.parametrize("origin", [
    "https://www.example.org.evil.test",  # a suffix trick
    "https://evil-www.example.org", "https://evilwww.example.org",
    "https://example.org",  # the parent domain is another origin
    "https://sub.www.example.org",  # so is a subdomain
    "http://www.example.org",  # another scheme
    "https://www.example.org:8443",  # another port
    "http://localhost:8081", "http://localhost",
    "null", "NULL", "", " ",  # sandboxed frames, files
    "https://www.example.org/", "https://www.example.org/page",  # not an origin
    "https://user@www.example.org", "https://www.example.org@evil.test",
    "https://*.example.org", "file://", "javascript:alert(1)",
    "https://www.example.org\n", "https://www.example.org, https://evil.test",
])
def test_everything_else_is_refused(origin: str) -> None:
    assert not allowed(origin, LISTED, OWN)


def test_nothing_listed_allows_our_own_pages_only() -> None:
    assert allowed("https://assistant.example.org", (), OWN)
    assert not allowed("https://www.example.org", (), OWN)
    assert not allowed("null", (), OWN)


def test_the_setting_is_read_as_exact_origins() -> None:
    assert parse_allowed("") == ()
    assert parse_allowed(" https://WWW.Example.org/ ,https://portal.example.org:443,"
                         "http://[::1]:8000,https://www.example.org") == (
        "https://www.example.org", "https://portal.example.org", "http://[::1]:8000")


@pytest.mark.parametrize("entry", [
    "www.example.org", "*.example.org", "https://*.example.org", "https://example.org/chat",
    "null", "ftp://example.org", "https://example.org:99999", "https://exa mple.org",
    "https://.example.org", "https://example..org",
])
def test_a_wrong_entry_stops_the_start_and_is_named(entry: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_allowed(f"https://ok.example.org,{entry}")
    assert repr(entry) in str(refused.value)
    assert "scheme://host[:port]" in str(refused.value)


def test_normalize_and_own_origin() -> None:
    assert normalize("http://LOCALHOST:80") == "http://localhost"
    assert normalize("https://example.org:0443") == "https://example.org"
    assert normalize("https://example.org:0") is None
    assert own_origin("https://assistant.example.org/some/path") == "https://assistant.example.org"
    assert own_origin("ws://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert own_origin("wss://assistant.example.org/") == "https://assistant.example.org"
