"""`python -m bot.desk.agents`: desk accounts at a terminal (the command's documented name);
the command itself is `bot.agents.cli`."""

from bot.agents.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
