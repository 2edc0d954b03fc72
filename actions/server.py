"""Starts the action server with PHI redaction on every log record, after refusing unsafe
production settings (APP_ENV=prod: a missing or weak ACTIONS_TOKEN or BACKOFFICE_TOKEN).

`python -m actions.server --actions actions -p 5055` takes rasa_sdk's own arguments.
"""

from actions.settings import get_action_settings, production_problems
from bot.privacy.redaction import redact_all_log_records


def refuse_unsafe_start() -> None:
    problems = production_problems(get_action_settings())
    if problems:
        raise SystemExit("Refusing to start the action server with APP_ENV=prod:\n  - "
                         + "\n  - ".join(problems)
                         + "\nEvery key is described in .env.example.")


def main() -> None:
    refuse_unsafe_start()
    redact_all_log_records()
    from rasa_sdk.__main__ import main as rasa_sdk_main

    rasa_sdk_main()


if __name__ == "__main__":
    main()
