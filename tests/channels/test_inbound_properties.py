"""Property-based: whatever arrives at the inbound endpoints, the answer is a 2xx or a 4xx."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

TOKEN = "test-auth-token-0123456789abcdef"
URL = "https://assistant.example.org/channels/sms/inbound"
EXAMPLES = 150
COUNTS: dict[str, int] = {}

nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["", " ", "\x00", "\u202e\u200b", "😀" * 40, "x" * 10_000,
                     "'; DROP TABLE patients; --", "{{7*7}} ${7*7} <script>alert(1)</script>",
                     "STOP", " help ", "1", "99"]),
)
phone = st.one_of(st.from_regex(r"\+1555555[0-9]{4}", fullmatch=True),
                  st.sampled_from(["5555550101", "(555) 555-0101", "", "not a number"]))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=nasty_text, frm=phone, media=st.sampled_from(["0", "1", "x", ""]),
       sid=st.text(min_size=0, max_size=40))
def run_sms(client, body: str, frm: str, media: str, sid: str) -> None:
    COUNTS["sms"] = COUNTS.get("sms", 0) + 1
    params = {"From": frm, "To": "+15555550100", "Body": body, "MessageSid": sid,
              "NumMedia": media}
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    resp = client.post("/channels/sms/inbound", data=params,
                       headers={"X-Twilio-Signature": signature})
    assert resp.status_code < 500, (resp.status_code, resp.text)


def test_sms_webhook_never_5xx(client, db: Session) -> None:
    run_sms(client)
    assert COUNTS["sms"] >= EXAMPLES


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=st.one_of(
    st.fixed_dictionaries({"text": nasty_text}),
    st.dictionaries(st.text(max_size=10), st.one_of(st.none(), st.integers(), st.text())),
    st.lists(st.integers(), max_size=3),
))
def run_web(client, token: str, payload: object) -> None:
    COUNTS["web"] = COUNTS.get("web", 0) + 1
    resp = client.post("/channels/web/messages", json=payload,
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code < 500, (resp.status_code, resp.text)


def test_web_messages_never_5xx(client, db: Session, monkeypatch) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("WEB_MESSAGES_PER_SESSION_PER_MINUTE", "10000")
    monkeypatch.setenv("WEB_MESSAGES_PER_IP_PER_MINUTE", "10000")
    get_settings.cache_clear()
    token = client.post("/channels/web/sessions").json()["token"]
    run_web(client, token)
    assert COUNTS["web"] >= EXAMPLES
