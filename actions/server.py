"""Starts the action server with PHI redaction on every log record.

`python -m actions.server --actions actions -p 5055` takes rasa_sdk's own arguments.
"""

from bot.privacy.redaction import redact_all_log_records


def main() -> None:
    redact_all_log_records()
    from rasa_sdk.__main__ import main as rasa_sdk_main

    rasa_sdk_main()


if __name__ == "__main__":
    main()
