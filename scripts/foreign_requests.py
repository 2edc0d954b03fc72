"""Generate everyday requests from other domains ("foreign" requests) for out_of_scope.

Usage:
    python scripts/foreign_requests.py            # write both files, print per-domain counts
    python scripts/foreign_requests.py --check    # exit 1 when the files on disk are stale

Writes, deterministically (fixed seed; templates x slot fillers x surface variation):

  * data/nlu/out_of_scope.yml      training, `- intent: out_of_scope`: about 40% of each
                                   domain's split templates, plus every training-only one
  * tests/nlu/foreign_holdout.yml  held out (never trained on), the other ~60%

Every domain is a named list of templates (`domains` in scripts/foreign_requests.yml, with
the fillers of their slots: data the generator loads). A domain's templates are split between
the two files (by template, not by filled sentence), so the held-out part has phrasings that
training never saw. The held-out set is frozen (HOLDOUT_SHA256: a change to the domains, their
fillers, SEED or PER_DOMAIN fails the run) so that evaluations stay comparable; more
training goes into `training_only`, whose messages all go to training and which must not copy
a held-out template (equal wording once the slots are blanked) or come near a held-out
message (difflib ratio >= 0.8, stricter than below).

Many templates collide with this assistant's own words on purpose ("reschedule my
haircut", "pay my phone bill", "I'm dying to see that movie"): they are what the
classifier gets wrong. None is a real emergency, a crisis statement or this
clinic's business (its bills, appointments, prescriptions or staff), and no message names
a real person's data (first names and public figures only; no numbers that look like a
date of birth, a ZIP code or a card).

Checks (printed; a hit is skipped, never written): no generated message duplicates or
near-duplicates another one, an example of another intent in data/nlu/*.yml (the
out_of_scope examples of general.yml included) or anything in tests/nlu/holdout.yml and
tests/nlu/generic_holdout.yml. Near-duplicate: equal after lower-casing and dropping
punctuation and whitespace; or equal as a bag of words once SMS shorthand is expanded and
an opening or closing filler ("hey", "pls", "lol") is dropped; or a difflib ratio >= 0.9.
The hand-written generic hold-out set is checked the same way against data/nlu and
tests/nlu/holdout.yml (exit 1 on an exact duplicate there), and the hand-written training
additions of data/nlu/small_talk.yml against both hold-out sets (exit 1 on any hit).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import math
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

SEED = 20_240_611
TRAIN_SHARE = 0.40
PER_DOMAIN = 52
MAX_TEMPLATE_SHARE = 1.5  # a template yields at most 1.5x its even share of a domain
NEAR_DUP_RATIO = 0.90
HELD_OUT_RATIO = 0.80  # stricter, for training-only messages against held-out ones
MIN_TOTAL = 1_500
MIN_DOMAINS = 30
# sha256 of tests/nlu/foreign_holdout.yml as generated: the held-out set is frozen.
HOLDOUT_SHA256 = "ee5e5a624dca2b06543107eb901a7589299670b0c2f3c119d6004a3640da319b"

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
TRAIN_PATH = NLU_DIR / "out_of_scope.yml"
HOLDOUT_PATH = ROOT / "tests" / "nlu" / "foreign_holdout.yml"
NLU_HOLDOUT_PATH = ROOT / "tests" / "nlu" / "holdout.yml"
GENERIC_PATH = ROOT / "tests" / "nlu" / "generic_holdout.yml"

# A generated message must never contain these: they belong to emergencies, crises or this
# clinic's own business. (A template that produces one is a bug: the script stops.)
FORBIDDEN = re.compile(
    r"suicid|kill (my|your)self|kill me\b|\bend (it all|my life)|(want|wanna|going) to die"
    r"|overdos|\bod\b|chest pain|breath|heart attack|\bstroke\b|seizure|unconscious|bleed"
    r"|\bpills?\b|\bmeds?\b|medication|medicine|prescri|\brx\b|doctor|\bdr\b|clinic"
    r"|hospital|nurse|copay|pharmac|insulin|\b911\b|\b988\b|[\[\]{}]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Domain:
    """An everyday domain: request templates and the fillers of their {slots}."""

    name: str
    templates: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Extra:
    """Training-only templates: all `count` of their messages go to training."""

    name: str
    count: int
    templates: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)


TEMPLATES_PATH = Path(__file__).with_name("foreign_requests.yml")


@dataclass(frozen=True)
class Templates:
    domains: tuple[Domain, ...]
    training_only: tuple[Extra, ...]


@cache
def templates(path: Path = TEMPLATES_PATH) -> Templates:
    """The domains and training-only blocks of the templates file (data, not code)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fillers = {name: tuple(items) for name, items in data["fillers"].items()}

    def slots(raw: dict[str, str | list[str]] | None) -> dict[str, tuple[str, ...]]:
        return {slot: fillers[value] if isinstance(value, str) else tuple(value)
                for slot, value in (raw or {}).items()}

    return Templates(
        tuple(Domain(d["name"], tuple(d["templates"]), slots(d.get("slots")))
              for d in data["domains"]),
        tuple(Extra(x["name"], x["count"], tuple(x["templates"]), slots(x.get("slots")))
              for x in data["training_only"]))


# Surface variation ------------------------------------------------------------------

SMS = (
    (r"\byou're\b", "ur"), (r"\byou\b", "u"), (r"\byour\b", "ur"), (r"\bare\b", "r"),
    (r"\bplease\b", "pls"), (r"\bthanks\b", "thx"), (r"\btomorrow\b", "tmrw"),
    (r"\btonight\b", "tonite"), (r"\bright now\b", "rn"), (r"\bwant to\b", "wanna"),
    (r"\bgoing to\b", "gonna"), (r"\bbecause\b", "cuz"), (r"\bwith\b", "w/"),
    (r"\bwhat's\b", "whats"), (r"\bi'm\b", "im"), (r"\bdon't\b", "dont"),
    (r"\bcan't\b", "cant"), (r"\bwon't\b", "wont"), (r"\bbefore\b", "b4"),
    (r"\bpeople\b", "ppl"), (r"\bminutes\b", "mins"), (r"\babout\b", "abt"),
    (r"\bfor\b", "4"), (r"\bto\b", "2"), (r"\bhow\b", "hw"),
)
PREFIXES = ("hey ", "hey, ", "ok so ", "quick question, ", "random question but ", "so ",
            "um ", "yo ", "hi, ", "hmm ", "btw ", "question: ")
SUFFIXES = (" pls", " please", " lol", " thanks", " real quick", " asap", " :)", " haha",
            " rn", " 🙏", " thx")
FILLER_PREFIXES = tuple(p.strip(" ,:") for p in PREFIXES) + ("hello", "hi there", "ok")
FILLER_SUFFIXES = tuple(s.strip() for s in SUFFIXES if s.strip().isalpha()) + (
    "thank you", "ty")
EXPAND = {"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please",
          "thx": "thanks", "tmrw": "tomorrow", "tonite": "tonight", "rn": "now",
          "wanna": "want to", "gonna": "going to", "cuz": "because", "w": "with",
          "b4": "before", "ppl": "people", "mins": "minutes", "abt": "about",
          "4": "for", "2": "to", "hw": "how", "im": "i am", "dont": "do not",
          "cant": "cannot", "wont": "will not", "whats": "what is"}


def normalize(text: str) -> str:
    """Lower case, punctuation (apostrophes included) dropped, whitespace collapsed."""
    return " ".join(re.sub(r"[^\w\s]|_", " ", text.lower().replace("'", "")).split())


def loose_key(text: str) -> tuple[str, ...]:
    """Bag of words once SMS shorthand is expanded and an opening/closing filler dropped."""
    norm = normalize(text)
    for prefix in sorted(FILLER_PREFIXES, key=len, reverse=True):
        p = normalize(prefix)
        if p and norm.startswith(p + " "):
            norm = norm[len(p) + 1:]
            break
    for suffix in sorted(FILLER_SUFFIXES, key=len, reverse=True):
        s = normalize(suffix)
        if s and norm.endswith(" " + s):
            norm = norm[: -len(s) - 1]
            break
    words = " ".join(EXPAND.get(w, w) for w in norm.split()).split()
    return tuple(sorted(words))


def sms(text: str, rng: random.Random) -> str:
    out = text
    for pattern, repl in SMS:
        if rng.random() < 0.7:
            out = re.sub(pattern, repl, out)
    return out


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    op = rng.randrange(3)
    if op == 0:  # swap two neighbours
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif op == 1:  # drop a letter
        w = w[:j] + w[j + 1:]
    else:  # double a letter
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def surface(base: str, rng: random.Random) -> str:
    """One realistic rendering of a filled template: wording, punctuation, casing."""
    question = base.endswith("?")
    text = base.rstrip("?")
    roll = rng.random()
    if roll < 0.18:
        text = sms(text, rng)
    elif roll < 0.30:
        text = typo(text, rng)
    elif roll < 0.40:
        text = rng.choice(PREFIXES) + text
    if question:
        text += rng.choices(("?", "", "??", "?!"), (50, 35, 10, 5))[0]
    else:
        text += rng.choices(("", ".", "!", "!!"), (60, 20, 15, 5))[0]
    if 0.40 <= roll < 0.50:
        text = text.rstrip(".!") + rng.choice(SUFFIXES)
    casing = rng.random()
    if casing < 0.04 and len(text.split()) <= 6:
        text = text.upper()
    elif casing < 0.45:
        text = text[0].upper() + text[1:]
        text = re.sub(r"\bi\b", "I", text)
    return text


# Generation -------------------------------------------------------------------------

SLOT = re.compile(r"\{(\w+)\}")


def fills(domain: Domain | Extra, template: str, rng: random.Random) -> Iterator[str]:
    """Distinct fillings of a template, in a seeded order (a slotless one: itself)."""
    names = list(dict.fromkeys(SLOT.findall(template)))
    if not names:
        yield template
        return
    for name in names:
        if name not in domain.slots:
            raise KeyError(f"{domain.name}: no fillers for {{{name}}} in {template!r}")
    total = math.prod(len(domain.slots[n]) for n in names)
    seen: set[tuple[str, ...]] = set()
    for _ in range(total * 4):
        if len(seen) >= total:
            return
        values = tuple(rng.choice(domain.slots[n]) for n in names)
        if values in seen:
            continue
        seen.add(values)
        if len(set(values)) < len(values):  # {city} to {city2}: never the same twice
            continue
        yield template.format(**dict(zip(names, values, strict=True)))


@dataclass
class Reserved:
    """Texts a foreign message must not duplicate (other intents, the hold-out sets)."""

    norms: dict[str, str] = field(default_factory=dict)
    looses: dict[tuple[str, ...], str] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (normalized, source)
    ratio: float = NEAR_DUP_RATIO

    def add(self, text: str, source: str) -> None:
        norm = normalize(text)
        self.norms.setdefault(norm, source)
        self.looses.setdefault(loose_key(text), source)
        self.texts.append((norm, source))

    def clash(self, text: str) -> str | None:
        """Why text collides with a reserved text (or None)."""
        norm = normalize(text)
        if norm in self.norms:
            return f"duplicate of {self.norms[norm]}"
        key = loose_key(text)
        if key in self.looses:
            return f"near-duplicate (same words) of {self.looses[key]}"
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(norm)
        for other, source in self.texts:
            if 2 * min(len(other), len(norm)) / (len(other) + len(norm) or 1) < self.ratio:
                continue
            matcher.set_seq1(other)
            if (matcher.real_quick_ratio() >= self.ratio
                    and matcher.quick_ratio() >= self.ratio
                    and matcher.ratio() >= self.ratio):
                return f"near-duplicate ({other!r}) of {source}"
        return None


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every example in a Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = []
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("-"):
                rows.append((str(block["intent"]), line[1:].strip()))
    return rows


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def reserved_texts() -> Reserved:
    reserved = Reserved()
    for path in sorted(NLU_DIR.glob("*.yml")):
        if path == TRAIN_PATH:
            continue
        for intent, text in read_examples(path):
            reserved.add(text, f"{rel(path)} ({intent})")
    for path in (NLU_HOLDOUT_PATH, GENERIC_PATH):
        if path.is_file():
            for intent, text in read_examples(path):
                reserved.add(text, f"{rel(path)} ({intent})")
    return reserved


@dataclass
class DomainResult:
    name: str
    train: list[str]
    holdout: list[str]
    train_templates: int
    holdout_templates: int
    extra: list[str] = field(default_factory=list)  # training-only (training_only)
    extra_templates: int = 0
    held_templates: list[str] = field(default_factory=list)

    @property
    def training(self) -> list[str]:
        return self.train + self.extra


def draw(streams: list[Iterator[str]], count: int, rng: random.Random,
         accept: Callable[[str], bool]) -> list[list[str]]:
    """Up to count messages, the templates taking turns (each at most its capped share)."""
    per_template: list[list[str]] = [[] for _ in streams]
    cap = math.ceil(MAX_TEMPLATE_SHARE * count / len(streams))
    live = set(range(len(streams)))
    n = 0
    while live and n < count:
        for i in sorted(live):
            if n >= count:
                break
            if len(per_template[i]) >= cap:
                live.discard(i)
                continue
            for base in streams[i]:
                message = surface(base, rng)
                if accept(message):
                    per_template[i].append(message)
                    n += 1
                    break
            else:
                live.discard(i)
    return per_template


def generate(reserved: Reserved) -> tuple[list[DomainResult], list[str]]:
    """Per domain: its messages split by template, plus the training-only ones; and every
    collision skipped."""
    results: list[DomainResult] = []
    collisions: list[str] = []
    taken: dict[tuple[str, ...], str] = {}
    norms: set[str] = set()

    def acceptor(name: str, held: Reserved | None = None) -> Callable[[str], bool]:
        def accept(message: str) -> bool:
            if FORBIDDEN.search(message):
                raise ValueError(f"{name}: forbidden wording in {message!r}")
            norm, key = normalize(message), loose_key(message)
            if norm in norms or key in taken:
                return False
            why = reserved.clash(message) or (held.clash(message) if held else None)
            if why:
                collisions.append(f"{name}: {message!r} skipped, {why}")
                return False
            norms.add(norm)
            taken[key] = name
            return True
        return accept

    # The split domains. FROZEN: the held-out file is their held-out side, so any change
    # here (a template, a filler, SEED, PER_DOMAIN, the order of the checks) changes it
    # and breaks the comparison with earlier evaluations (see HOLDOUT_SHA256).
    for domain in templates().domains:
        rng = random.Random(f"{SEED}:{domain.name}")
        streams = [fills(domain, t, random.Random(f"{SEED}:{domain.name}:{i}"))
                   for i, t in enumerate(domain.templates)]
        per_template = draw(streams, PER_DOMAIN, rng, acceptor(domain.name))
        count = sum(len(p) for p in per_template)
        # Split by template: training gets whole templates until it holds ~TRAIN_SHARE.
        order = list(range(len(domain.templates)))
        rng.shuffle(order)
        target = TRAIN_SHARE * count
        train_ids: list[int] = []
        in_train = 0
        for i in order:
            n = len(per_template[i])
            if n and in_train + n / 2 <= target:
                train_ids.append(i)
                in_train += n
        train = [m for i in sorted(train_ids) for m in per_template[i]]
        holdout = [m for i in range(len(order)) if i not in train_ids for m in per_template[i]]
        results.append(DomainResult(
            domain.name, train, holdout, len(train_ids),
            sum(1 for i in range(len(order)) if i not in train_ids and per_template[i]),
            held_templates=[t for i, t in enumerate(domain.templates)
                            if i not in train_ids and per_template[i]]))

    # Training-only templates: checked like the others and, besides, against every
    # held-out message, with a stricter ratio (HELD_OUT_RATIO).
    held = Reserved(ratio=HELD_OUT_RATIO)
    for r in results:
        for m in r.holdout:
            held.add(m, f"{rel(HOLDOUT_PATH)} ({r.name})")
    by_name = {r.name: r for r in results}
    base_slots = {d.name: d.slots for d in templates().domains}
    for extra in templates().training_only:
        extra = replace(extra, slots={**base_slots.get(extra.name, {}), **extra.slots})
        rng = random.Random(f"{SEED}:extra:{extra.name}")
        streams = [fills(extra, t, random.Random(f"{SEED}:extra:{extra.name}:{i}"))
                   for i, t in enumerate(extra.templates)]
        per_template = draw(streams, extra.count, rng, acceptor(extra.name, held))
        result = by_name.get(extra.name)
        if result is None:
            result = by_name[extra.name] = DomainResult(extra.name, [], [], 0, 0)
            results.append(result)
        result.extra = [m for p in per_template for m in p]
        result.extra_templates = sum(1 for p in per_template if p)
    return results, collisions


def skeleton(template: str) -> str:
    """A template's wording with its slots blanked (for comparing templates)."""
    return normalize(SLOT.sub(" SLOT ", template))


def template_clashes(results: list[DomainResult]) -> list[str]:
    """Training-only templates worded like a held-out template once slots are blanked."""
    held = {skeleton(t): f"{r.name}: {t!r}" for r in results for t in r.held_templates}
    return [f"{extra.name}: {t!r} is worded like held-out {held[skeleton(t)]}"
            for extra in templates().training_only for t in extra.templates
            if skeleton(t) in held]


TRAIN_HEADER = """\
# GENERATED by scripts/foreign_requests.py (do not edit by hand: change the script and
# re-run it). Everyday requests from other domains: ~40% of each domain's split templates
# (the other ~60% are in tests/nlu/foreign_holdout.yml, never trained on), then the
# training-only templates (other wordings of the same families). More out_of_scope
# examples, hand-written, are in data/nlu/general.yml.
"""
HOLDOUT_HEADER = """\
# GENERATED by scripts/foreign_requests.py. HELD OUT: NEVER train on this file, and never
# copy its sentences (or near-paraphrases) into data/nlu. Everyday requests from other
# domains, written from templates whose phrasings data/nlu/out_of_scope.yml does not use.
# Evaluated together with tests/nlu/generic_holdout.yml (rasa test nlu evaluates no intents
# in a single-intent file): rasa test nlu --successes on a folder holding both, then
# scripts/check_foreign_report.py (the `# domain:` comments name each block's domain).
"""


def render(header: str, blocks: Iterable[tuple[str, list[str]]]) -> str:
    lines = [header.rstrip("\n"), 'version: "3.1"', "nlu:"]
    for name, messages in blocks:
        if not messages:
            continue
        lines += [f"# domain: {name}", "- intent: out_of_scope", "  examples: |"]
        lines += [f"    - {m}" for m in messages]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def check_generic(generic: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Exact duplicates and near-duplicates of the generic hold-out set elsewhere."""
    others = Reserved()
    for path in sorted(NLU_DIR.glob("*.yml")):
        for intent, text in read_examples(path):
            others.add(text, f"{rel(path)} ({intent})")
    for intent, text in read_examples(NLU_HOLDOUT_PATH):
        others.add(text, f"{rel(NLU_HOLDOUT_PATH)} ({intent})")
    exact, near = [], []
    seen: dict[str, str] = {}
    for intent, text in generic:
        norm = normalize(text)
        if norm in seen:
            exact.append(f"{text!r} ({intent}) twice in the set (also {seen[norm]})")
        seen[norm] = intent
        if norm in others.norms:
            exact.append(f"{text!r} ({intent}) duplicates {others.norms[norm]}")
            continue
        why = others.clash(text)
        if why:
            near.append(f"{text!r} ({intent}): {why}")
    return exact, near


def check_small_talk() -> list[str]:
    """Duplicates and near-duplicates of data/nlu/small_talk.yml in the hold-out sets."""
    path = NLU_DIR / "small_talk.yml"
    if not path.is_file():
        return []
    held = Reserved()
    for other in (NLU_HOLDOUT_PATH, GENERIC_PATH):
        if other.is_file():
            for intent, text in read_examples(other):
                held.add(text, f"{rel(other)} ({intent})")
    hits = []
    for intent, text in read_examples(path):
        why = held.clash(text)
        if why:
            hits.append(f"{text!r} ({intent}): {why}")
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the files on disk differ")
    parser.add_argument("--quiet", action="store_true", help="counts only")
    args = parser.parse_args(argv)

    reserved = reserved_texts()
    results, collisions = generate(reserved)
    train_text = render(TRAIN_HEADER, ((r.name, r.training) for r in results))
    holdout_text = render(HOLDOUT_HEADER, ((r.name, r.holdout) for r in results))

    n_split = sum(len(r.train) for r in results)
    n_extra = sum(len(r.extra) for r in results)
    n_train = n_split + n_extra
    n_holdout = sum(len(r.holdout) for r in results)
    print(f"{'domain':24s} {'split':>5s} {'+only':>5s} {'train':>5s} {'held-out':>8s}   "
          "templates (split train/held-out, training-only)")
    for r in results:
        print(f"{r.name:24s} {len(r.train):5d} {len(r.extra):5d} {len(r.training):5d} "
              f"{len(r.holdout):8d}   {r.train_templates}/{r.holdout_templates}, "
              f"{r.extra_templates}")
    total = n_train + n_holdout
    print(f"{'TOTAL':24s} {n_split:5d} {n_extra:5d} {n_train:5d} {n_holdout:8d}   "
          f"({len(results)} domains, {total} messages, {n_train / total:.1%} training)")
    short = [f"{x.name} {len(r.extra)}/{x.count}" for x in templates().training_only
             for r in results if r.name == x.name and len(r.extra) < x.count]
    if short:
        print(f"training-only blocks short of their count: {', '.join(short)}")

    # Sanity: no message on both sides, no training message a near-duplicate of a held-out
    # one, no training-only template worded like a held-out one, the held-out set frozen.
    held, strict = Reserved(), Reserved(ratio=HELD_OUT_RATIO)
    for r in results:
        for m in r.holdout:
            held.add(m, f"{rel(HOLDOUT_PATH)} ({r.name})")
            strict.add(m, f"{rel(HOLDOUT_PATH)} ({r.name})")
    near = [f"{m!r} ({r.name}): {why}" for r in results for m in r.train
            if (why := held.clash(m))]
    near += [f"{m!r} ({r.name}, training-only): {why}" for r in results for m in r.extra
             if (why := strict.clash(m))]
    print("training messages that duplicate or near-duplicate a held-out one (difflib "
          f"ratio >= {NEAR_DUP_RATIO}, training-only >= {HELD_OUT_RATIO}): {len(near)}")
    skeletons = template_clashes(results)
    print(f"training-only templates worded like a held-out template: {len(skeletons)}")
    digest = hashlib.sha256(holdout_text.encode("utf-8")).hexdigest()
    print(f"held-out set sha256 {digest[:16]}... "
          f"({'unchanged' if digest == HOLDOUT_SHA256 else 'CHANGED'})")
    problems = []
    for line in near + skeletons:
        print(f"    {line}")
    if near:
        problems.append(f"{len(near)} training messages are in the held-out set: {near[:3]}")
    if skeletons:
        problems.append(f"{len(skeletons)} training-only templates copy held-out ones")
    if digest != HOLDOUT_SHA256:
        problems.append(f"the held-out set changed (sha256 {digest}): it is frozen so that "
                        "evaluations stay comparable; change the split templates only on "
                        "purpose, then update HOLDOUT_SHA256")
    if total < MIN_TOTAL:
        problems.append(f"only {total} messages (need {MIN_TOTAL})")
    if sum(1 for r in results if r.holdout) < MIN_DOMAINS:
        problems.append(f"only {len(results)} domains (need {MIN_DOMAINS})")
    print(f"collisions with other intents / hold-out sets skipped: {len(collisions)}")
    if not args.quiet:
        for line in collisions:
            print(f"  {line}")

    generic = read_examples(GENERIC_PATH) if GENERIC_PATH.is_file() else []
    if generic:
        exact, near = check_generic(generic)
        counts: dict[str, int] = {}
        for intent, _ in generic:
            counts[intent] = counts.get(intent, 0) + 1
        print(f"generic hold-out ({rel(GENERIC_PATH)}): {len(generic)} messages, "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
        print(f"  exact duplicates of data/nlu or tests/nlu/holdout.yml: {len(exact)}; "
              f"near-duplicates (reported, kept): {len(near)}")
        for line in exact + ([] if args.quiet else near):
            print(f"    {line}")
        if exact:
            problems.append(f"{len(exact)} generic hold-out messages are duplicates")

    small_talk = check_small_talk()
    print(f"data/nlu/small_talk.yml vs the hold-out sets: {len(small_talk)} "
          "duplicates or near-duplicates")
    for line in small_talk:
        print(f"    {line}")
    if small_talk:
        problems.append(f"{len(small_talk)} small_talk.yml examples are in a hold-out set")

    if args.check:
        stale = [rel(p) for p, text in ((TRAIN_PATH, train_text), (HOLDOUT_PATH, holdout_text))
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale:
            problems.append(f"stale (re-run scripts/foreign_requests.py): {', '.join(stale)}")
    elif not problems:
        TRAIN_PATH.write_text(train_text, encoding="utf-8")
        HOLDOUT_PATH.write_text(holdout_text, encoding="utf-8")
        print(f"wrote {rel(TRAIN_PATH)} ({n_train}) and {rel(HOLDOUT_PATH)} ({n_holdout})")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
