"""python -m bot.desk.agents keeps its name and flags as an entry over bot.agents.cli."""

import subprocess
import sys


def test_the_desk_agents_command_is_the_agents_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "bot.desk.agents", "--help"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "usage: python -m bot.desk.agents" in done.stdout
    for command in ("add", "disable", "reset-password", "list"):
        assert command in done.stdout
