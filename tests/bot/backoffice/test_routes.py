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
