from sqlalchemy.orm import Session

AUTH = {"Authorization": "Bearer test-backoffice-token"}


def test_back_office_needs_the_service_token(client, seeded: Session) -> None:
    body = {"conversation_id": "sms:+15555550101", "channel": "sms",
            "date_of_birth": "1984-03-12", "phone": "+15555550101"}
    assert client.post("/api/backoffice/verifications", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/backoffice/verifications", json=body, headers=wrong).status_code == 401
    assert client.get("/api/backoffice/patients/1/balance").status_code == 401


def test_verify_then_read_the_balance(client, seeded: Session) -> None:
    body = {"conversation_id": "sms:+15555550101", "channel": "sms",
            "date_of_birth": "1984-03-12", "phone": "+15555550101"}
    verified = client.post("/api/backoffice/verifications", json=body, headers=AUTH).json()
    assert verified["status"] == "verified"
    balance = client.get(f"/api/backoffice/patients/{verified['patient_id']}/balance",
                         headers=AUTH).json()
    assert balance["amount_cents"] == 12540
    assert len(balance["charges"]) == 2


def test_unknown_patient_is_404(client, seeded: Session) -> None:
    assert client.get("/api/backoffice/patients/424242/balance", headers=AUTH).status_code == 404


def test_bad_verification_body_is_422(client, seeded: Session) -> None:
    body = {"conversation_id": "x", "channel": "fax", "date_of_birth": "yesterday"}
    assert client.post("/api/backoffice/verifications", json=body, headers=AUTH).status_code == 422


def rosa_verifies(client) -> dict[str, object]:  # type: ignore[no-untyped-def]
    body = {"conversation_id": "sms:+15555550104", "channel": "sms",
            "date_of_birth": "1968-09-30", "phone": "+15555550104"}
    return client.post("/api/backoffice/verifications", json=body, headers=AUTH).json()


def test_verification_answers_with_the_language_the_consent_source_keeps(
        client, seeded: Session, monkeypatch) -> None:
    verified = rosa_verifies(client)
    assert (verified["status"], verified["first_name"], verified["preferred_language"],
            verified["preferred_language_source"]) == ("verified", "Rosa", "es", "record")
    from bot.backoffice import errors
    from bot.backoffice.port import Preferences
    from bot.backoffice.reference import ReferenceBackOffice

    # The consent domain's source (the EHR's Patient.communication, say) has the last word.
    def elsewhere(self, session, patient_id):  # type: ignore[no-untyped-def]
        return Preferences(patient_id=patient_id, language="en", sms_care=True,
                           sms_billing=False)

    monkeypatch.setattr(ReferenceBackOffice, "preferences", elsewhere)
    assert rosa_verifies(client)["preferred_language"] == "en"

    # It cannot answer: our record's language stands, and the check is not failed for it.
    def down(self, session, patient_id):  # type: ignore[no-untyped-def]
        raise errors.BackOfficeUnavailable()

    monkeypatch.setattr(ReferenceBackOffice, "preferences", down)
    again = rosa_verifies(client)
    assert (again["status"], again["preferred_language"]) == ("verified", "es")


def test_a_language_choice_must_look_like_one(client, seeded: Session) -> None:
    body = {"conversation_id": "sms:+15555550104", "channel": "sms",
            "date_of_birth": "1968-09-30", "phone": "+15555550104", "language_choice": "spanish"}
    assert client.post("/api/backoffice/verifications", json=body, headers=AUTH).status_code == 422
