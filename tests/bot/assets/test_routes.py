from sqlalchemy.orm import Session


def test_the_site_icon_is_served(client, db: Session) -> None:
    """Browsers ask for /favicon.ico on every page; the pages link the SVG."""
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO header, one image
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/chat").text.count('rel="icon" href="/favicon.svg"') == 1
