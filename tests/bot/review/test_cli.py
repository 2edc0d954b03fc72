"""`python -m bot.review`: the same review at a terminal, on stdout, audited."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent
from bot.review import service
from bot.review.__main__ import main
from tests.bot.review.conftest import IDENTIFIERS, MARIA, SALT, Tracker

ROOT = Path(__file__).resolve().parents[3]
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"



def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_nlu_and_story(tracker_env: Tracker, capsys: pytest.CaptureFixture[str],
                            db: Session) -> None:
    code, listing, _ = run(capsys, "list", "--since", "7", "--limit", "3")
    assert code == 0
    rows = listing.splitlines()
    assert rows[0].split()[:3] == ["TURN", "WHEN", "(UTC)"]
    assert len(rows) == 4 and "/human_handoff" in rows[1] and "blorft zzqx!!" in rows[2]
    assert "fallback,repeat" in rows[2] and "nlu_fallback 0.30 (out_of_scope 0.25)" in rows[2]
    ref = service.conversation_ref(MARIA, SALT.encode())
    assert ref in rows[1]

    turn_id = tracker_env.ids["blorft zzqx"]
    code, nlu, _ = run(capsys, "nlu", str(turn_id), "--intent", "out_of_scope")
    assert code == 0 and yaml.safe_load(nlu)["nlu"] == [
        {"intent": "out_of_scope", "examples": "- blorft zzqx\n"}]

    code, story, _ = run(capsys, "story", ref, "--fix", f"{turn_id}=out_of_scope")
    assert code == 0
    steps = yaml.safe_load(story)["stories"][0]["steps"]
    assert {"user": "blorft zzqx", "intent": "out_of_scope"} in steps
    for identifier in IDENTIFIERS + (MARIA,):
        assert identifier.lower() not in (listing + nlu + story).lower()

    audited = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(a.action, a.actor_type, a.patient_id) for a in audited] == [
        ("review_turns", "system", None), ("review_nlu_example", "system", 1),
        ("review_story", "system", 1)]
    assert audited[0].actor_id.startswith("cli:")


def test_errors(tracker_env: Tracker, capsys: pytest.CaptureFixture[str]) -> None:
    ids = tracker_env.ids
    assert run(capsys, "nlu", str(ids["how much do I owe"]), "--intent", "greet")[0] == 1
    assert run(capsys, "story", "cnothing")[0] == 1
    assert run(capsys, "nlu", str(ids["/human_handoff"]), "--intent", "greet")[0] == 2
    with pytest.raises(SystemExit):
        run(capsys, "nlu", str(ids["blorft zzqx"]), "--intent", "not_an_intent")
    with pytest.raises(SystemExit):
        run(capsys, "story", "cx", "--fix", "12:greet")


@pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="the engine's environment is not built")
def test_rasa_reads_what_the_review_writes(tracker_env: Tracker, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    """The engine's own readers take the story as a test story and the example as NLU data."""
    ref = service.conversation_ref(MARIA, SALT.encode())
    turn_id = tracker_env.ids["blorft zzqx"]
    story = tmp_path / "test_review.yml"
    story.write_text(run(capsys, "story", ref, "--fix", f"{turn_id}=out_of_scope")[1])
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(run(capsys, "nlu", str(turn_id), "--intent", "out_of_scope")[1])
    check = (
        "import sys\n"
        "from rasa.shared.core.domain import Domain\n"
        "from rasa.shared.core.training_data.story_reader.yaml_story_reader import "
        "YAMLStoryReader\n"
        "from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader\n"
        "assert YAMLStoryReader.is_test_stories_file(sys.argv[1])\n"
        "[story] = YAMLStoryReader(Domain.load('domain.yml')).read_from_file(sys.argv[1])\n"
        "nlu = RasaYAMLReader().reads(open(sys.argv[2]).read())\n"
        "print(len(story.events), [(m.get('intent'), m.get('text'))"
        " for m in nlu.training_examples])\n"
    )
    done = subprocess.run([str(ENGINE_PYTHON), "-c", check, str(story), str(nlu)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "25 [('out_of_scope', 'blorft zzqx')]"


def test_module_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "bot.review", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "story REF" in done.stdout
