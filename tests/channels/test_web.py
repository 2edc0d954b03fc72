from sqlalchemy.orm import Session


def start(client) -> dict[str, str]:
    resp = client.post("/channels/web/sessions")
    assert resp.status_code == 200
    return resp.json()


def test_a_session_has_an_id_and_a_token(client, db: Session) -> None:
    first, second = start(client), start(client)
    assert first["session_id"] != second["session_id"]
    assert len(first["token"]) >= 32


def test_messages_need_the_session_token(client, db: Session) -> None:
    assert client.post("/channels/web/messages", json={"text": "hi"}).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    resp = client.post("/channels/web/messages", json={"text": "hi"}, headers=bad)
    assert resp.status_code == 401


def test_engine_down_gets_an_apology_and_history_is_kept(client, db: Session) -> None:
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    resp = client.post("/channels/web/messages", json={"text": "hi"}, headers=auth)
    assert resp.status_code == 200
    assert resp.json()["messages"][0]["text"].startswith("Sorry, I'm having trouble")
    history = client.get("/channels/web/history", headers=auth).json()
    assert [h["role"] for h in history["messages"]] == ["patient", "bot"]
    assert history["state"] == "bot"


def test_one_session_cannot_read_another(client, db: Session) -> None:
    mine, theirs = start(client), start(client)
    client.post("/channels/web/messages", json={"text": "my secret question"},
                headers={"Authorization": f"Bearer {theirs['token']}"})
    history = client.get("/channels/web/history",
                         headers={"Authorization": f"Bearer {mine['token']}"}).json()
    assert history == {"messages": [], "state": "bot", "agent": None}


def test_empty_and_oversized_messages_are_4xx(client, db: Session) -> None:
    auth = {"Authorization": f"Bearer {start(client)['token']}"}
    assert client.post("/channels/web/messages", json={"text": ""}, headers=auth).status_code == 422
    assert client.post("/channels/web/messages", json={"text": "   "},
                       headers=auth).status_code == 422
    assert client.post("/channels/web/messages", json={"text": "x" * 5000},
                       headers=auth).status_code == 422


def test_chat_page_is_served(client, db: Session) -> None:
    page = client.get("/chat")
    assert page.status_code == 200
    assert 'role="log"' in page.text and '<label for="text"' in page.text


def test_websocket_needs_a_valid_token(client, db: Session) -> None:
    with client.websocket_connect("/channels/web/ws") as ws:
        ws.send_json({"token": "wrong"})
        assert ws.receive_json() == {"type": "error", "detail": "session expired"}


def test_websocket_conversation(client, db: Session) -> None:
    session = start(client)
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_json({"text": "hello"})
        assert ws.receive_json() == {"type": "typing"}
        reply = ws.receive_json()
        assert reply["type"] == "messages"
        assert reply["messages"][0]["text"].startswith("Sorry, I'm having trouble")


def test_invalid_utf8_and_odd_bodies_are_4xx(client, db: Session) -> None:
    auth = {"Authorization": f"Bearer {start(client)['token']}",
            "Content-Type": "application/json"}
    for raw in (b'{"text": "\xff\xfe bad"}', b"not json", b"", b'{"txt": "hi"}', b"[1,2]"):
        resp = client.post("/channels/web/messages", content=raw, headers=auth)
        assert 400 <= resp.status_code < 500, (raw, resp.status_code)


def test_a_tapped_choice_shows_by_its_title(client, db: Session) -> None:
    """The button's payload goes to the engine; the chat history and the desk show the words
    the patient saw on the button, never `/affirm`."""
    import channels.web as web
    from tests.support.engine import scripted_conversations

    sent: list[str] = []

    def answer(message: str) -> list[dict[str, object]]:
        if len(sent) == 1:
            return [{"text": "Shall I send it?", "buttons": [
                {"title": "Yes, send it", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"}]}]
        return [{"text": "Done."}]

    service = scripted_conversations(answer, sent)
    client.app.dependency_overrides[web.get_conversations] = lambda: service
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    for text in ("refill my lisinopril", "/affirm", "/affirm"):
        assert client.post("/channels/web/messages", json={"text": text},
                           headers=auth).status_code == 200
    client.app.dependency_overrides.pop(web.get_conversations)
    assert sent == ["refill my lisinopril", "/affirm", "/affirm"]
    history = client.get("/channels/web/history", headers=auth).json()["messages"]
    # The second "/affirm" was not offered by the last reply: it is shown as typed.
    assert [h["text"] for h in history if h["role"] == "patient"] == [
        "refill my lisinopril", "Yes, send it", "/affirm"]
