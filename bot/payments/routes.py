"""The payment page: GET shows what is due, POST pays (demo only, in dev). The page is
`static/page.html`; what changes from one answer to the next is its title and body."""

from html import escape
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.backoffice import billing, errors
from bot.deps import NowDep, SessionDep, SettingsDep
from bot.settings import Settings
from bot.text import money

router = APIRouter(tags=["payments"])
PAGE = Template((Path(__file__).parent / "static" / "page.html").read_text(encoding="utf-8"))

_PAGE_HEADERS = {
    # The token is in the path: keep it out of caches, referrers and search engines.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'",
}


def _page(settings: Settings, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """`body` is HTML made here, with every value in it escaped."""
    html = PAGE.substitute(title=escape(title, quote=False),
                           clinic=escape(settings.clinic_name, quote=False), body=body)
    return HTMLResponse(html, status_code=status_code, headers=_PAGE_HEADERS)


def _link_error_page(settings: Settings, exc: errors.BackOfficeError) -> HTMLResponse:
    phone = escape(settings.clinic_phone)
    again = (f"<p>You can ask the assistant for a new payment link at any time, or call us at "
             f"{phone}.</p>")
    if isinstance(exc, errors.PaymentLinkNotFound):
        return _page(settings, "We couldn't find this payment link",
                     "<p>Please check that the whole link was copied.</p>" + again, 404)
    if isinstance(exc, errors.PaymentLinkUsed):
        return _page(settings, "This link was already used",
                     "<p>Each payment link works once, and this one has been used. If you "
                     "already paid, there is nothing more to do.</p>" + again, 410)
    return _page(settings, "This payment link has expired",
                 "<p>For your security, payment links work for 30 minutes.</p>" + again, 410)


@router.get("/pay/{token}", response_class=HTMLResponse)
def payment_page(token: str, session: SessionDep, settings: SettingsDep,
                 now: NowDep) -> HTMLResponse:
    try:
        link = billing.open_payment_link(session, token, now)
    except (errors.PaymentLinkNotFound, errors.PaymentLinkGone) as exc:
        return _link_error_page(settings, exc)
    amount = money(link.amount_cents)
    action = escape(f"/pay/{token}", quote=True)
    if not settings.is_dev:  # no payment processor behind this page yet
        pay_now = f"<p>To pay, please call us at {escape(settings.clinic_phone)}.</p>"
    else:
        pay_now = (f'<form method="post" action="{action}">'
                   f'<button type="submit">Pay {amount} (demo)</button></form>')
    return _page(settings, "Pay your balance", f"""<p>Amount due: <strong>{amount}</strong></p>
{pay_now}
<p class="note">This link works once and expires in 30 minutes.</p>""")


@router.post("/pay/{token}", response_class=HTMLResponse)
def pay(token: str, session: SessionDep, settings: SettingsDep, now: NowDep) -> HTMLResponse:
    if not settings.is_dev:
        return _page(settings, "Online payment is not available here",
                     f"<p>Please call us at {escape(settings.clinic_phone)} to pay.</p>", 501)
    try:
        receipt = billing.pay_with_link(session, token, now)
    except (errors.PaymentLinkNotFound, errors.PaymentLinkGone) as exc:
        return _link_error_page(settings, exc)
    if receipt.amount_cents == 0:
        return _page(settings, "Nothing is due", "<p>Your balance is already paid.</p>")
    return _page(settings, "Thank you", f"""<p>We received your payment of
<strong>{money(receipt.amount_cents)}</strong>. Reference: {escape(receipt.reference)}.</p>
<p class="note">Demo payment: no card was charged.</p>""")
