"""The public payment page a one-time link opens: no service token, single use, expiry."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backoffice import billing
from bot.backoffice.models import Payment, PaymentLink
from tests.bot.backoffice.conftest import AUTH


def new_link(client, patient_id: int) -> str:  # type: ignore[no-untyped-def]
    resp = client.post(f"/api/backoffice/patients/{patient_id}/payment-links", headers=AUTH)
    assert resp.status_code == 201
    return str(resp.json()["url"]).removeprefix("https://assistant.example.org")


def test_pay_once(client, seeded: Session, ids: dict[str, int]) -> None:
    path = new_link(client, ids["Lopez"])
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Amount due: <strong>$125.40</strong>" in page.text
    assert "Pay $125.40 (demo)" in page.text
    assert "Maria" not in page.text and "Lopez" not in page.text
    paid = client.post(path)
    assert paid.status_code == 200
    assert "We received your payment of\n<strong>$125.40</strong>" in paid.text
    balance = client.get(f"/api/backoffice/patients/{ids['Lopez']}/balance", headers=AUTH).json()
    assert balance["amount_cents"] == 0
    # Second use, either way: 410 with a kind message, and no second payment.
    for again in (client.post(path), client.get(path)):
        assert again.status_code == 410
        assert "already used" in again.text and "(555) 555-0199" in again.text
    assert seeded.scalar(select(func.count()).select_from(Payment)) == 1


def test_unknown_link_is_404(client, seeded: Session) -> None:
    for resp in (client.get("/pay/not-a-real-token"), client.post("/pay/not-a-real-token")):
        assert resp.status_code == 404
        assert "couldn't find this payment link" in resp.text
    assert seeded.scalar(select(func.count()).select_from(Payment)) == 0


def test_expired_link_is_410(client, seeded: Session, ids: dict[str, int]) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=31)
    url = billing.create_payment_link(seeded, ids["Lopez"], long_ago, "http://x").url
    path = url.removeprefix("http://x")
    for resp in (client.get(path), client.post(path)):
        assert resp.status_code == 410
        assert "expired" in resp.text
    assert seeded.scalar(select(func.count()).select_from(Payment)) == 0


def test_the_clock_decides_expiry(app, client, seeded: Session, ids: dict[str, int]) -> None:
    from bot.deps import current_time

    path = new_link(client, ids["Lopez"])
    app.dependency_overrides[current_time] = lambda: datetime.now(UTC) + timedelta(minutes=29)
    assert client.get(path).status_code == 200
    app.dependency_overrides[current_time] = lambda: datetime.now(UTC) + timedelta(minutes=31)
    assert client.get(path).status_code == 410
    app.dependency_overrides.clear()


def test_no_demo_payment_outside_dev(app, client, seeded: Session, ids: dict[str, int]) -> None:
    from bot.deps import settings as settings_dep
    from bot.settings import get_settings

    path = new_link(client, ids["Lopez"])
    prod = get_settings().model_copy(update={"app_env": "prod"})
    app.dependency_overrides[settings_dep] = lambda: prod
    page = client.get(path)
    resp = client.post(path)
    app.dependency_overrides.clear()
    assert page.status_code == 200 and "(demo)" not in page.text and "(555) 555-0199" in page.text
    assert resp.status_code == 501
    assert seeded.scalar(select(func.count()).select_from(Payment)) == 0
    seeded.expire_all()
    assert seeded.scalars(select(PaymentLink.used_at)).one() is None
