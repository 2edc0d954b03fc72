"""What the PHI redactor does to a realistic sample, and how fast it does it.

Runs bot.privacy.redact over SMS, web chat and log lines (synthetic people only: the demo
patients and invented ones, 555 numbers, example.com addresses, test card numbers,
advertising-range SSNs), prints each original -> redacted, counts findings per kind and
measures characters per second. KNOWN_MISSES shows what the rules do not catch.
Usage: .venv/bin/python bench/redaction_sample.py [repeats]   (default 50)
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.privacy import find_phi, redact  # noqa: E402

# The verified patient's own values, as a caller would pass them for one conversation.
KNOWN = ["Maria", "Lopez", "James", "Carter", "Aisha", "Khan"]

SAMPLE: list[str] = [
    # SMS
    "hi its maria, dob 03/12/1984",
    "3-12-84",
    "born March 12 1984",
    "my birthday is the 12th of March",
    "can u text me at (555) 555-0102 instead",
    "my new cell is 555.555.0199",
    "call +1 555 555 0103 after 5pm",
    "I moved to 200 W 34th Street Apt 4B, New York, NY 10001",
    "mail the bill to PO Box 123, Cambridge MA 02139",
    "I live at 12 Main St",
    "my member id is XJH123456789",
    "Member ID: XJH123456789, group 55012",
    "MRN100101 needs a refill",
    "pay with card 4111 1111 1111 1111 exp 12/27",
    "ssn 987-65-4321",
    "can I come in on 3/15 at 2pm",
    "my balance was $125.40 and I paid $40.00",
    "appointment moved to 10:30 AM on Friday",
    "refill Lisinopril 10 mg, 2 refills left",
    "I want to pay $310 on a payment plan",
    # web chat
    "Maria Lopez 3/12/84 02139",
    "this is James Carter, 11/02/1975, zip 10001",
    "my name is Ana Ruiz and my dob is 7/4/90",
    "please email the receipt to aisha.khan@example.com",
    "medical record number 100101",
    "card number 5555-5555-5555-4444",
    "new address is 45 oak ridge rd apt 3",
    "my wife Ana will pick up the prescription",
    "I moved to Springfield last month",
    # log lines
    "INFO channels.sms inbound from=+15555550101 sid=SM0123456789abcdef0123456789abcdef "
    "body='my dob is 03/12/1984'",
    "WARNING verification failed for sms:+15555550103 (dob given 07/25/1992), 2 tries left",
    "ERROR backoffice: patient lookup failed name='James Carter' dob=1975-11-02 zip=10001",
    "DEBUG engine metadata={'channel': 'sms', 'phone': '+15555550102'}",
    '{"event": "verify", "last_name": "Khan", "dob": "1992-07-25"}',
    "INFO appointment 2030-03-12T10:30:00 booked for MRN 100103",
    "INFO payment ok amount=$85.40 card=**** 1111 patient_id=42",
    "INFO GET /api/desk/handoffs/42 200 OK 12.5ms",
    "INFO outreach reminder queued to +15555550102 for Dr. Alan Kim on 11/20",
]

# (line, what stays in it that a reader could use to identify someone)
KNOWN_MISSES: list[tuple[str, str]] = [
    ("my wife Ana will pick up the prescription", "a first name not in `known`"),
    ("Ana Ruiz 7/4/90 60614", "a full name with no cue and not in `known`"),
    ("I moved to Springfield last month", "a city without street, state or ZIP"),
    ("I'm in Apt 4B now", "a unit without a street"),
    ("she lives on Elm Street", "a street without a house number"),
    ("9 ocean drive", "an everyday-word suffix, lowercase, with no address cue"),
    ("card 4111 1111 1111 1112", "a 16-digit number failing the Luhn check"),
    ("reschedule with Dr. Priya Shah please", "provider names (left on purpose)"),
]


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    t0 = time.perf_counter()
    redact("warm up 555-555-0101")
    print(f"first call (builds the pipeline): {(time.perf_counter() - t0) * 1000:.0f} ms\n")

    counts: Counter[str] = Counter()
    untouched = 0
    for line in SAMPLE:
        findings = find_phi(line, KNOWN)
        counts.update(f.kind for f in findings)
        untouched += not findings
        print(f"  {line}\n  -> {redact(line, KNOWN)}\n")

    print(f"{len(SAMPLE)} lines, {sum(counts.values())} findings, {untouched} lines unchanged")
    for kind, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {kind:10s} {count}")

    print("\nknown misses (what stays):")
    for line, why in KNOWN_MISSES:
        print(f"  {redact(line, KNOWN)!r:50s} {why}")

    chars = sum(len(line) for line in SAMPLE) * repeats
    start = time.perf_counter()
    for _ in range(repeats):
        for line in SAMPLE:
            redact(line, KNOWN)
    elapsed = time.perf_counter() - start
    print(f"speed: {chars / elapsed:,.0f} chars/s ({len(SAMPLE) * repeats / elapsed:,.0f} "
          f"lines/s) over {len(SAMPLE)} lines x {repeats}")


if __name__ == "__main__":
    main()
