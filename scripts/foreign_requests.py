"""Generate everyday requests from other domains ("foreign" requests) for out_of_scope.

Usage:
    python scripts/foreign_requests.py            # write both files, print per-domain counts
    python scripts/foreign_requests.py --check    # exit 1 when the files on disk are stale

Writes, deterministically (fixed seed; templates x slot fillers x surface variation):

  * data/nlu/out_of_scope.yml      training, `- intent: out_of_scope`: about 40% of each
                                   domain's split templates, plus every TRAINING_ONLY one
  * tests/nlu/foreign_holdout.yml  held out (never trained on), the other ~60%

Every domain is a named list of templates (DOMAINS). A domain's templates are split between
the two files (by template, not by filled sentence), so the held-out part has phrasings that
training never saw. The held-out set is frozen (HOLDOUT_SHA256: a change to DOMAINS, its
fillers, SEED or PER_DOMAIN fails the run) so that evaluations stay comparable; more
training goes into TRAINING_ONLY, whose messages all go to training and which must not copy
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
from pathlib import Path

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


CITIES = ("denver", "chicago", "lisbon", "tokyo", "austin", "seattle", "boston", "rome",
          "nashville", "montreal", "san diego", "new orleans", "barcelona", "dublin",
          "vancouver", "phoenix")
COUNTRIES = ("japan", "italy", "mexico", "portugal", "iceland", "canada", "greece", "peru",
             "thailand", "ireland", "spain", "costa rica", "vietnam", "morocco")
MONTHS = ("january", "march", "april", "june", "july", "august", "october", "december")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TIMES = ("6am", "6:30", "7:15 am", "noon", "5 pm", "8 tonight", "9:45", "10 am")
AMOUNTS = ("$50", "$200", "75 dollars", "$1,200", "300 bucks", "$20", "$35", "$500")
CARS = ("honda civic", "toyota camry", "ford f-150", "subaru outback", "jeep wrangler",
        "tesla model 3", "kia soul", "mazda cx-5")
FIRST_NAMES = ("jenny", "marcus", "sam", "priya", "jake", "lena", "omar", "tasha")
STORES = ("target", "walmart", "costco", "home depot", "best buy", "ikea", "trader joe's",
          "the dollar store", "cvs", "walgreens", "kohl's", "aldi")
TEAMS = ("yankees", "lakers", "packers", "chiefs", "red sox", "cowboys", "warriors",
         "dodgers", "celtics", "eagles", "cubs", "knicks")
STREAMING = ("netflix", "spotify", "hulu", "amazon prime", "disney plus", "audible",
             "xbox game pass", "hellofresh", "peloton", "youtube premium")

DOMAINS: tuple[Domain, ...] = (
    Domain("travel", (
        "what are the best things to do in {city}?",
        "how long is the drive from {city} to {city2}?",
        "do i need a visa to visit {country}?",
        "plan a {n} day trip to {city} for me",
        "what's the cheapest way to get from {city} to {city2}?",
        "is {country} nice to visit in {month}?",
        "when is the best time of year to go to {country}?",
        "what should i pack for a week in {city}",
        "how much cash should i bring to {country}?",
        "find me a rental car in {city} for {day}",
        "this traffic is killing me, is there a faster way to {place}?",
        "how far is {place} from here?",
        "what currency do they use in {country}?",
        "i'm dying to go to {country} next {season}",
        "cancel my road trip plans for {day}, the weather looks bad",
        "what's a good day trip from {city}?",
    ), {"city": CITIES, "city2": CITIES, "country": COUNTRIES, "month": MONTHS,
        "n": ("3", "4", "5", "7", "10"), "day": DAYS,
        "season": ("summer", "spring", "fall", "winter"),
        "place": ("the airport", "the beach", "downtown", "the stadium", "the mall",
                  "the ferry terminal", "the train station", "my sister's place")}),
    Domain("flights", (
        "book me a flight to {city} on {day}",
        "is my flight to {city} on time?",
        "what time does my flight to {city} board?",
        "cancel my {airline} flight on {day}",
        "reschedule my flight to {city} to {day}",
        "how much does {airline} charge to check a bag?",
        "can i bring {item} in my carry on?",
        "change my seat to an aisle seat on the {airline} flight",
        "find the cheapest flights to {city} in {month}",
        "my {airline} flight got delayed again, can i get on an earlier one?",
        "what terminal does {airline} use at {airport}?",
        "how early should i get to {airport} for an international flight?",
        "upgrade me to first class on my {airline} flight",
        "is there wifi on {airline} flights?",
        "how many miles do i have with {airline}?",
    ), {"city": CITIES, "day": DAYS, "month": MONTHS,
        "airline": ("united", "delta", "southwest", "american", "jetblue", "alaska",
                    "spirit", "frontier"),
        "item": ("a hair dryer", "a laptop", "knitting needles", "a full water bottle",
                 "a camping stove", "peanut butter", "a tripod", "a skateboard"),
        "airport": ("jfk", "o'hare", "lax", "sfo", "denver international", "logan",
                    "atlanta airport")}),
    Domain("hotels", (
        "find me a hotel near {place} in {city}",
        "book a room for {n} nights in {city}",
        "cancel my hotel reservation for {day}",
        "can i move my hotel booking to {day}?",
        "what time is check in at the {hotel}?",
        "does the {hotel} have a pool?",
        "are dogs allowed at the {hotel}?",
        "i need a cheap motel off the highway near {city} tonight",
        "is breakfast included at the {hotel}?",
        "get me an airbnb in {city} that sleeps {n}",
        "can i get a late checkout at the {hotel}?",
        "how do i get my deposit back from the {hotel}?",
        "what's the wifi password at the {hotel}",
        "confirm my room at the {hotel} for {day}",
    ), {"city": CITIES, "day": DAYS, "n": ("2", "3", "4", "5", "6"),
        "place": ("the convention center", "the beach", "the airport", "downtown",
                  "the stadium", "the zoo"),
        "hotel": ("hilton downtown", "marriott by the airport", "holiday inn express",
                  "hampton inn", "beach resort", "best western on route 9", "hyatt")}),
    Domain("banking", (
        "transfer {amount} to my savings",
        "what's my credit card limit?",
        "freeze my debit card",
        "what's the balance in my {bank} checking account?",
        "how much do i still owe on my {loan}?",
        "when is my {bank} credit card payment due?",
        "send {amount} to {name} on venmo",
        "i think i lost my {bank} card, lock it",
        "what's the routing number for {bank}?",
        "how do i set up direct deposit at my new job?",
        "why did {bank} charge me an overdraft fee?",
        "how do i dispute an online shopping charge with {bank}?",
        "can i get a personal loan for a new kitchen?",
        "what's the interest rate on {bank} savings accounts?",
        "pay off my credit card from my checking account",
        "order new checks for my {bank} account",
        "is {bank} open on {holiday}?",
    ), {"amount": AMOUNTS, "name": FIRST_NAMES,
        "bank": ("chase", "wells fargo", "bank of america", "navy federal", "citi",
                 "capital one", "us bank", "pnc"),
        "loan": ("car loan", "student loans", "mortgage", "visa card", "amex",
                 "home equity line"),
        "holiday": ("columbus day", "veterans day", "presidents day", "juneteenth")}),
    Domain("cars", (
        "my car's battery died, how do i jump it?",
        "book an oil change at {shop} for {day}",
        "reschedule my car service appointment to {day}",
        "cancel my tire rotation at {shop}",
        "my check engine light is on in my {car}, is it safe to drive?",
        "what's the right tire pressure for a {car}?",
        "how often should i change the oil in my {car}?",
        "how much is my {car} worth?",
        "where's the cheapest gas near me?",
        "my {car} makes a grinding noise when i brake",
        "when is my {car} due for its next service?",
        "the ac in my {car} is blowing warm air",
        "how long does it take to charge a {ev}?",
        "find a tow truck near me, my {car} won't start",
        "what's the best car wash in town?",
        "how do i change a flat tire on a {car}?",
    ), {"day": DAYS, "car": CARS,
        "shop": ("jiffy lube", "the dealership", "midas", "firestone", "the tire place",
                 "valvoline", "pep boys"),
        "ev": ("tesla", "nissan leaf", "chevy bolt", "ford mustang mach-e",
               "hyundai ioniq 5")}),
    Domain("cooking", (
        "how long do i boil {food}?",
        "give me a recipe for {dish}",
        "what can i make with {ing} and {ing2}?",
        "how long should {food} cook in an instant pot?",
        "what can i use instead of {ing} in {dish}?",
        "how many tablespoons are in a quarter cup?",
        "what temperature do i bake {dish} at?",
        "is it ok to eat {dish} that sat out overnight?",
        "my sourdough starter is dying, how do i save it?",
        "easy dinner ideas for {n} people",
        "how do i make my {dish} less salty?",
        "convert {n}00 grams of flour to cups",
        "how do i sharpen a kitchen knife?",
        "what wine goes with {dish}?",
        "how many days are leftovers of {dish} good for?",
        "i'm dying to try making {dish} this weekend",
    ), {"food": ("eggs", "pasta", "corn on the cob", "potatoes", "rice", "shrimp",
                 "salmon", "broccoli", "chicken thighs"),
        "dish": ("banana bread", "chili", "chicken curry", "pancakes", "mac and cheese",
                 "meatloaf", "brownies", "pad thai", "tacos", "fried rice", "pot roast"),
        "ing": ("buttermilk", "eggs", "butter", "sour cream", "spinach", "chickpeas",
                "leftover rice", "ground beef", "heavy cream"),
        "ing2": ("cheese", "tortillas", "canned tomatoes", "frozen peas", "bacon",
                 "mushrooms"),
        "n": ("2", "4", "6", "8")}),
    Domain("weather", (
        "what's the weather going to be like in {city} {when}?",
        "will it snow {when}?",
        "do i need an umbrella {when}?",
        "how hot is it going to get {when}?",
        "is there a thunderstorm coming {when}?",
        "what's the pollen count {when}?",
        "when does the sun set {when}?",
        "what's the uv index {when}?",
        "is it going to be windy for my bike ride {when}?",
        "should i wear a jacket {when}?",
        "weather in {city} {when}",
        "how much rain did {city} get last night?",
        "it's freezing out here lol, what's the temperature?",
        "is the heat wave in {city} over yet?",
        "this heat is killing me, when does it cool off?",
    ), {"city": CITIES,
        "when": ("today", "tomorrow", "tonight", "this weekend", "on saturday",
                 "this afternoon", "monday morning", "later today")}),
    Domain("trivia", (
        "who wrote {book}?",
        "what's the capital of {country}?",
        "how many moons does {planet} have?",
        "when was {landmark} built?",
        "who painted {painting}?",
        "what's the largest {animal} in the world?",
        "who was the first person to {feat}?",
        "how tall is {landmark}?",
        "what language do they speak in {country}?",
        "which planet is closest to the sun?",
        "who sang {song} originally?",
        "how many bones does a {creature} have?",
        "fun fact about {creature}s please",
        "what's the oldest city in {country}?",
        "how many hearts does an octopus have?",
    ), {"book": ("pride and prejudice", "the great gatsby", "moby dick", "the hobbit",
                 "frankenstein", "little women", "jane eyre", "the odyssey"),
        "country": COUNTRIES,
        "planet": ("jupiter", "saturn", "mars", "neptune", "uranus"),
        "landmark": ("the eiffel tower", "the golden gate bridge", "the great wall of china",
                     "the statue of liberty", "the colosseum", "the empire state building",
                     "big ben"),
        "painting": ("the mona lisa", "starry night", "the scream", "girl with a pearl earring",
                     "american gothic"),
        "animal": ("bird", "snake", "fish", "cat", "flower", "spider"),
        "feat": ("climb everest", "walk on the moon", "fly across the atlantic",
                 "reach the south pole", "swim the english channel"),
        "song": ("respect", "hallelujah", "hound dog", "i will always love you",
                 "blue suede shoes"),
        "creature": ("giraffe", "shark", "cat", "snake", "horse", "bat")}),
    Domain("maths", (
        "what's {a} times {b}?",
        "what is {a} plus {b}?",
        "what's {p} percent of {big}?",
        "calculate a {p}% tip on {amount}",
        "what's the square root of {sq}?",
        "convert {a} miles to kilometers",
        "how many {small} are in a {large}?",
        "solve 2x plus {a} equals {b}",
        "is {prime} a prime number?",
        "what's {big} divided by {a}?",
        "how do i find the area of a circle with radius {a}?",
        "split a {amount} dinner bill {a} ways",
        "what's {b} squared?",
        "what is {a} to the power of {b}",
        "help me with fractions, what's a half plus a third?",
    ), {"a": ("3", "7", "12", "15", "4", "9", "6"), "b": ("8", "11", "25", "13", "6"),
        "p": ("15", "18", "20", "25", "12"), "big": ("240", "360", "1,500", "96", "180"),
        "amount": ("$86", "$120", "$64", "$210", "$47"),
        "sq": ("144", "169", "625", "81", "2"),
        "small": ("feet", "inches", "seconds", "grams", "cups"),
        "large": ("mile", "yard", "day", "pound", "gallon"),
        "prime": ("97", "51", "113", "91", "221")}),
    Domain("games_chance", (
        "roll a die please",
        "roll {n} dice for me",
        "flip a coin",
        "pick a random number between 1 and {max}",
        "heads or tails?",
        "let's play {game}",
        "rock paper scissors, i pick {rps}",
        "give me a riddle",
        "draw a random card from a deck",
        "what's the best opening move in {board}?",
        "roll a d20 for my {hero}",
        "pick one for me: {choices}",
        "who would win in a race, {animal} or {animal2}?",
        "teach me how to play {board}",
        "flip a coin to decide who does the dishes",
    ), {"n": ("2", "3", "4", "5"), "max": ("10", "50", "100", "6", "20"),
        "game": ("tic tac toe", "hangman", "twenty questions", "would you rather",
                 "word association", "trivia with me", "i spy"),
        "rps": ("rock", "paper", "scissors"),
        "board": ("chess", "checkers", "monopoly", "backgammon", "connect four"),
        "hero": ("wizard", "rogue", "paladin", "dwarf fighter"),
        "choices": ("pizza or tacos", "red or blue", "alex, jordan or sam",
                    "beach or mountains", "movie night or board games"),
        "animal": ("a cheetah", "a horse", "an ostrich", "a greyhound"),
        "animal2": ("a rabbit", "a kangaroo", "an emu", "a bear")}),
    Domain("translation", (
        "how do you say {phrase} in {lang}?",
        "translate {phrase} to {lang}",
        "what does {foreign} mean in english?",
        "what language is {foreign}?",
        "how do i pronounce {word}?",
        "help me write a birthday card in {lang}",
        "what's the {lang} word for {noun}?",
        "is {lang} hard to learn?",
        "how do you count to ten in {lang}?",
        "what's the best app to learn {lang}?",
        "can you teach me some basic {lang} phrases for my trip",
        "how do you write my name in {script}?",
    ), {"phrase": ("where is the train station", "i would like a coffee",
                   "how much does this cost", "happy birthday", "nice to meet you",
                   "the check please", "i'm lost", "where is the bathroom"),
        "lang": ("spanish", "french", "german", "italian", "japanese", "portuguese",
                 "korean", "mandarin", "tagalog", "arabic"),
        "foreign": ("merci beaucoup", "hasta luego", "danke schon", "arigato",
                    "buenas noches", "je ne sais quoi", "ciao bella", "carpe diem"),
        "word": ("quinoa", "worcestershire", "gnocchi", "espresso", "croissant", "acai",
                 "pho", "bruschetta"),
        "noun": ("butterfly", "library", "umbrella", "grandmother", "beach", "dog"),
        "script": ("japanese", "korean", "arabic", "greek", "russian")}),
    Domain("definitions_spelling", (
        "what does {word} mean?",
        "define {word}",
        "how do you spell {word}?",
        "is it {pair}?",
        "what's a synonym for {adj}?",
        "what's the opposite of {adj}?",
        "use {word} in a sentence",
        "is {slang} a real word?",
        "what's the plural of {noun}?",
        "what rhymes with {rhyme}?",
        "where does the word {origin} come from?",
        "spell {word} for me",
        "which is right, {pair}?",
    ), {"word": ("ubiquitous", "serendipity", "ephemeral", "gregarious", "onomatopoeia",
                 "necessary", "accommodate", "conscientious", "quintessential",
                 "mischievous", "lackadaisical"),
        "pair": ("affect or effect", "their or there", "lay or lie", "fewer or less",
                 "who or whom", "loose or lose", "compliment or complement"),
        "adj": ("happy", "big", "tired", "angry", "smart", "fast", "boring"),
        "slang": ("irregardless", "yeet", "ain't", "funner", "conversate"),
        "noun": ("moose", "octopus", "cactus", "goose", "mongoose", "fish"),
        "rhyme": ("orange", "purple", "summer", "night", "banana"),
        "origin": ("salary", "quarantine", "robot", "sandwich", "ketchup")}),
    Domain("smart_home", (
        "turn {onoff} the {room} lights",
        "set the thermostat to {temp}",
        "dim the {room} lights to {p} percent",
        "lock the front door",
        "is the garage door open?",
        "start the robot vacuum in the {room}",
        "turn off the tv in the {room}",
        "make the {room} warmer",
        "show me the front door camera",
        "run the dishwasher at {time}",
        "why won't my smart plug connect?",
        "turn on the porch light at sunset",
        "set the {room} lights to {color}",
        "stop the sprinklers",
        "cancel the vacuum schedule for {day}",
        "is the back door locked?",
    ), {"onoff": ("on", "off"),
        "room": ("kitchen", "living room", "bedroom", "office", "basement", "kids room",
                 "hallway", "dining room"),
        "temp": ("68", "72 degrees", "70", "65 at night", "74"),
        "p": ("30", "50", "10", "75"), "time": TIMES, "day": DAYS,
        "color": ("blue", "warm white", "purple", "green", "candlelight")}),
    Domain("phone_commands", (
        "set an alarm for {time}",
        "set a timer for {n} minutes",
        "cancel my {time} alarm",
        "snooze my alarm",
        "call {contact}",
        "text {contact} that i'm running late",
        "turn on do not disturb until {time}",
        "what's my battery at?",
        "my phone died and won't turn back on",
        "stop the timer",
        "read my last text from {contact}",
        "turn the volume up",
        "call me a cab to {place}",
        "move my {time} alarm to {time2}",
        "facetime {contact}",
        "how do i block a spam caller?",
    ), {"time": TIMES, "time2": TIMES, "n": ("5", "10", "12", "20", "45", "90"),
        "contact": ("mom", "dad", "jenny", "my brother", "the pizza place", "grandma",
                    "coach mike", "marcus", "my wife", "tasha"),
        "place": ("the airport", "the train station", "downtown", "the concert",
                  "my office")}),
    Domain("music", (
        "play {artist}",
        "play some {genre} music",
        "skip this song",
        "what song is this?",
        "add this song to my {playlist} playlist",
        "turn it up, this is my jam",
        "who sings {song}?",
        "stop the music",
        "make me a playlist for {activity}",
        "when is {artist} touring near {city}?",
        "what are the lyrics to {song}?",
        "i'm dying to see {artist} live",
        "shuffle my liked songs",
        "pause spotify",
        "recommend something like {artist}",
        "how do i learn {song} on guitar?",
    ), {"artist": ("taylor swift", "beyonce", "the beatles", "drake", "bad bunny",
                   "dolly parton", "coldplay", "kendrick lamar", "zach bryan", "adele"),
        "genre": ("jazz", "country", "lo-fi", "90s hip hop", "classical", "reggaeton",
                  "k-pop", "classic rock"),
        "song": ("bohemian rhapsody", "jolene", "hey jude", "shake it off",
                 "wonderwall", "sweet caroline", "dancing queen"),
        "playlist": ("workout", "chill", "road trip", "sunday morning"),
        "activity": ("working out", "a road trip", "studying", "a dinner party",
                     "cleaning the house", "a rainy day"),
        "city": CITIES}),
    Domain("movies_tv", (
        "recommend a {genre} movie",
        "what's good on {service} tonight?",
        "when does the new season of {show} come out?",
        "who plays the main character in {movie}?",
        "is {movie} worth watching?",
        "i'm dying to see {movie}",
        "what time is {movie} playing at the theater tonight?",
        "book two tickets for {movie} at {time}",
        "how many episodes are in {show}?",
        "what should i binge this weekend?",
        "is {movie} streaming anywhere?",
        "that {show} finale killed me",
        "how long is {movie}?",
        "what's the scariest movie ever made?",
        "cancel my movie tickets for {day}",
        "the suspense is killing me, when does {show} come back?",
    ), {"genre": ("horror", "comedy", "feel good", "sci-fi", "romantic", "kung fu",
                  "christmas", "true crime"),
        "service": ("netflix", "hulu", "max", "disney plus", "prime video"),
        "show": ("stranger things", "the bear", "ted lasso", "the office", "succession",
                 "bluey", "severance", "the last of us"),
        "movie": ("dune", "oppenheimer", "inside out 2", "top gun maverick",
                  "the godfather", "barbie", "jaws", "home alone", "the matrix",
                  "spirited away"),
        "time": TIMES, "day": DAYS}),
    Domain("sports", (
        "who won the {team} game?",
        "what's the score in the {team} game right now?",
        "when do the {team} play next?",
        "my heart is broken over the {team} game",
        "who's leading the {league} in {stat}?",
        "how many championships does {athlete} have?",
        "is {athlete} playing tonight?",
        "what channel is the {team} game on?",
        "get me tickets to the {team} game on {day}",
        "the {team} are killing me this season",
        "what are the rules of {sport}?",
        "who's favored to win the {event}?",
        "how do i join a pickup {sport} league?",
        "what time does the {team} game start?",
        "did the {team} make the playoffs?",
        "my heart sank when the {team} lost in overtime",
    ), {"team": TEAMS, "day": DAYS,
        "league": ("nba", "nfl", "mlb", "nhl", "premier league"),
        "stat": ("scoring", "home runs", "assists", "touchdowns", "rebounds"),
        "athlete": ("lebron james", "tom brady", "serena williams", "patrick mahomes",
                    "shohei ohtani", "lionel messi", "caitlin clark"),
        "sport": ("pickleball", "cricket", "curling", "rugby", "lacrosse", "volleyball",
                  "soccer"),
        "event": ("world series", "stanley cup", "world cup", "masters", "nba finals")}),
    Domain("news", (
        "what's in the news today?",
        "give me today's headlines",
        "any news about {topic}?",
        "what's the latest on {topic}?",
        "read me the top stories from {source}",
        "what happened in {city} today?",
        "why are gas prices going up?",
        "who won the mayor's race in {city}?",
        "is there a recall on {product}?",
        "summarize today's {beat} news",
        "any road closures in {city} this week?",
        "did the strike at the {company} plant end?",
        "what's going on with {topic} this week?",
        "give me a quick news briefing",
    ), {"topic": ("the mars mission", "the city council vote", "the wildfires out west",
                  "the new iphone", "the housing market", "interest rates",
                  "the hurricane season", "the trade talks"),
        "source": ("the ap", "the bbc", "npr", "the local paper", "reuters"),
        "city": CITIES,
        "product": ("romaine lettuce", "my car seat", "that air fryer brand",
                    "frozen waffles", "baby strollers"),
        "beat": ("tech", "business", "sports", "science", "local"),
        "company": ("auto", "steel", "boeing", "port")}),
    Domain("shopping", (
        "does {store} sell {product}?",
        "where can i buy {product} near me?",
        "is {store} open on {holiday}?",
        "track my {store} order",
        "where's my amazon package?",
        "can i return {product} to {store} without a receipt?",
        "find me a coupon for {store}",
        "how much is {product} at {store}?",
        "cancel my {store} order",
        "does {store} take apple pay?",
        "{store} charged my card twice, how do i get it back?",
        "does {store} price match?",
        "add {product} to my shopping list",
        "what time does {store} close tonight?",
        "is there a sale on {product} this weekend?",
        "compare prices for {product}",
    ), {"store": STORES,
        "product": ("protein powder", "a phone charger", "paper towels", "a standing desk",
                    "dog food", "sunscreen", "an air fryer", "running shoes",
                    "a birthday card", "a space heater", "diapers", "a yoga mat",
                    "printer paper"),
        "holiday": ("thanksgiving", "christmas eve", "the fourth of july", "labor day",
                    "new year's day", "easter sunday")}),
    Domain("restaurants_delivery", (
        "book a table for {n} at {restaurant} at {time}",
        "reserve a table for {n} tonight",
        "cancel my dinner reservation at {restaurant}",
        "move my {restaurant} reservation to {time}",
        "refill my coffee please",
        "order {food} from {restaurant}",
        "where's my doordash order?",
        "is {restaurant} open right now?",
        "best {cuisine} food near me?",
        "my food delivery is an hour late, can i get a refund?",
        "does {restaurant} have vegan options?",
        "how much should i tip the delivery driver?",
        "i'm starving, what's good around here?",
        "what's the wait at {restaurant} right now?",
        "does starbucks do free refills on {drink}?",
        "can i get a refill on my {drink}?",
    ), {"n": ("2", "4", "6", "two", "five"), "time": TIMES,
        "restaurant": ("olive garden", "chipotle", "the thai place on 5th", "joe's diner",
                       "the sushi spot downtown", "panera", "red lobster", "shake shack",
                       "the taco truck"),
        "food": ("pad see ew", "a large cheese pizza", "two burritos", "a family meal",
                 "wings", "a poke bowl"),
        "cuisine": ("thai", "mexican", "indian", "ethiopian", "vietnamese", "bbq"),
        "drink": ("iced coffee", "soda", "sweet tea", "lemonade", "drip coffee")}),
    Domain("jobs_work", (
        "help me write a cover letter for a {job} job",
        "how do i ask my boss for a {ask}?",
        "what should i wear to a job interview at {company}?",
        "is {company} hiring?",
        "how much does a {job} make a year?",
        "how do i quit my job nicely?",
        "reschedule my interview with {company} to {day}",
        "how do i request pto at work?",
        "what's a good answer to what's your biggest weakness?",
        "can you look over my linkedin profile?",
        "tips for working from home with {wfh}?",
        "when will i get my first paycheck at a new job?",
        "what's the difference between a w2 and a 1099?",
        "cancel my {time} meeting with my manager",
        "how do i write a two weeks notice?",
        "is being a {job} a good career?",
    ), {"job": ("software engineer", "carpenter", "teacher", "barista", "truck driver",
                "bookkeeper", "graphic designer", "warehouse associate", "plumber"),
        "company": ("amazon", "google", "target", "ups", "the school district",
                    "a local bakery", "a bank"),
        "ask": ("raise", "day off", "promotion", "standing desk"),
        "wfh": ("kids", "a dog", "a roommate", "a toddler"),
        "day": DAYS, "time": TIMES}),
    Domain("small_talk", (
        "tell me a joke about {topic}",
        "what's your favorite {thing}?",
        "do you like {like}?",
        "how old are you?",
        "do you ever {sleep}?",
        "do you have any {pets}?",
        "what do you do for fun?",
        "are you {married}?",
        "say something {nice}",
        "knock knock",
        "you're kinda funny",
        "do you dream?",
        "what's your star sign?",
        "would you rather {wyr}?",
        "tell me a fun fact about {topic}",
        "can you {talent}?",
        "what did you have for {meal}?",
    ), {"topic": ("cats", "pizza", "computers", "the beach", "dads", "math", "coffee",
                  "penguins", "space"),
        "thing": ("movie", "food", "season", "animal", "book", "song", "holiday",
                  "ice cream flavor"),
        "like": ("pineapple on pizza", "dogs", "winter", "country music", "the ocean",
                 "video games", "rainy days"),
        "sleep": ("sleep", "get bored", "eat", "take a vacation", "go outside"),
        "pets": ("pets", "hobbies", "siblings", "friends"),
        "married": ("married", "dating anyone", "a cat person or a dog person", "ticklish",
                    "afraid of the dark"),
        "nice": ("nice", "funny", "random", "in pirate speak", "weird"),
        "wyr": ("be a cat or a dog", "fly or be invisible",
                "live by the beach or in the mountains", "never have coffee or never have tea"),
        "talent": ("beatbox", "sing", "dance", "rap", "juggle", "whistle"),
        "meal": ("breakfast", "lunch", "dinner")}),
    Domain("philosophy", (
        "do {beings} have free will?",
        "is time travel to the {era} possible?",
        "if a tree falls in a forest and no one hears it, does it make a sound?",
        "what is {abstract}, really?",
        "is {field} invented or discovered?",
        "what came first, the chicken or the egg?",
        "can a {machine} ever really think?",
        "what makes people {virtue}?",
        "is it ever ok to {lie}?",
        "are we living in a simulation?",
        "what would {philosopher} say about {modern}?",
        "explain {concept} like i'm five",
        "does the universe have an edge?",
        "why is there something rather than nothing?",
        "what's the difference between {pair}?",
        "what's your take on {debate}?",
    ), {"beings": ("humans", "animals", "robots", "dogs", "ants"),
        "era": ("past", "future", "age of dinosaurs", "1800s"),
        "abstract": ("consciousness", "beauty", "justice", "the self", "truth",
                     "friendship", "time"),
        "field": ("math", "music", "language", "logic"),
        "machine": ("machine", "computer", "robot", "calculator"),
        "virtue": ("happy", "kind", "curious", "creative", "brave"),
        "lie": ("lie", "break a promise", "break the rules", "keep a secret from a friend"),
        "philosopher": ("plato", "socrates", "kant", "nietzsche", "confucius",
                        "aristotle", "simone de beauvoir"),
        "modern": ("social media", "fast food", "video games", "self driving cars",
                   "reality tv"),
        "concept": ("stoicism", "existentialism", "the trolley problem", "utilitarianism",
                    "occam's razor", "the ship of theseus"),
        "pair": ("knowledge and belief", "ethics and morals", "a fact and an opinion",
                 "wisdom and intelligence"),
        "debate": ("nature vs nurture", "fate vs free will", "whether art needs a purpose",
                   "whether animals have rights")}),
    Domain("feelings_not_crisis", (
        "i'm {bored}",
        "i'm a bit sad the holidays are over",
        "{stressor} stressed me out today",
        "i'm so bored, entertain me",
        "ugh {weekday}s",
        "i'm nervous about my {event} {when}",
        "i'm so excited for {looking}",
        "i'm kind of grumpy because {reason}",
        "feeling a little {mild} today",
        "today was such a long day at {where}",
        "i'm in such a good mood {today}",
        "i'm annoyed at my roommate for {annoy}",
        "it's raining and i'm feeling lazy",
        "my {plan} got cancelled, cheer me up",
        "i'm a little jealous of my friend's {trip}",
        "i'm bummed the {team} lost",
    ), {"bored": ("bored", "bored out of my mind", "kinda bored at work", "so bored rn"),
        "stressor": ("work", "traffic", "my commute", "the group project",
                     "holiday shopping", "my inbox"),
        "weekday": ("monday", "tuesday", "sunday night"),
        "event": ("job interview", "driving test", "presentation", "first day at a new job",
                  "piano recital", "final exam"),
        "when": ("tomorrow", "on friday", "next week", "this afternoon"),
        "looking": ("summer", "the weekend", "my vacation", "the concert on saturday",
                    "my birthday", "thanksgiving"),
        "reason": ("it's raining", "my coffee got cold", "the wifi is slow",
                   "i didn't get to sleep in", "my team lost"),
        "mild": ("homesick", "meh", "restless", "lazy", "sleepy"),
        "where": ("work", "school", "the store", "practice"),
        "today": ("today", "this morning", "right now", "after that game"),
        "annoy": ("eating my leftovers", "leaving dishes in the sink",
                  "playing music so loud", "borrowing my charger again"),
        "plan": ("concert", "beach trip", "game night", "camping trip"),
        "trip": ("vacation", "new car", "trip to italy", "beach house"),
        "team": TEAMS}),
    Domain("gym_fitness", (
        "what time does {gym} open on {day}?",
        "sign me up for the {klass} class on {day}",
        "cancel my {gym} membership",
        "reschedule my personal training session to {day}",
        "book a spot in {klass} at {time}",
        "how much is a monthly membership at {gym}?",
        "give me a {n} minute {workout} workout",
        "how many days a week should i lift?",
        "chest day workout ideas?",
        "what's a good stretch after running?",
        "how do i get better at pull ups?",
        "is there a beginner yoga class near me?",
        "freeze my {gym} membership for a month",
        "my gym charged me twice this month",
        "is {gym} crowded right now?",
        "how do i train for a {race}?",
    ), {"gym": ("planet fitness", "the ymca", "la fitness", "orangetheory", "my gym",
                "crunch", "anytime fitness"),
        "klass": ("hot yoga", "spin", "pilates", "zumba", "boxing", "barre", "kickboxing"),
        "day": DAYS, "time": TIMES, "n": ("10", "20", "30", "45"),
        "workout": ("ab", "upper body", "leg", "stretching", "hiit", "kettlebell"),
        "race": ("5k", "half marathon", "10k", "triathlon")}),
    Domain("salon_spa", (
        "reschedule my haircut to {day}",
        "book a haircut for {day} at {time}",
        "cancel my nail appointment at {salon}",
        "how much is a {service} at {salon}?",
        "is there a barber open on sundays near me?",
        "what time is my massage at the spa?",
        "do i need to tip for a {service}?",
        "what hairstyle would suit a round face?",
        "book a couples massage for our anniversary",
        "how long does a {service} take?",
        "can i move my brow wax at {salon} to the afternoon?",
        "confirm my {service} at {salon} on {day}",
        "find a salon that does {service}",
        "how often should i get a trim?",
    ), {"day": DAYS, "time": TIMES,
        "service": ("balayage", "gel manicure", "pedicure", "beard trim", "facial",
                    "deep tissue massage", "keratin treatment", "perm", "lash lift"),
        "salon": ("great clips", "the salon on main", "supercuts", "the day spa downtown",
                  "glow studio", "the barbershop")}),
    Domain("pets_vet", (
        "book a vet appointment for my {pet}",
        "when is {petname}'s grooming appointment?",
        "cancel {petname}'s grooming on {day}",
        "reschedule my {pet}'s vet visit to {day}",
        "what's the best food for a {pet}?",
        "how do i stop my {pet} from {behavior}?",
        "is it normal for my cat to sleep all day?",
        "where can i adopt a {pet}?",
        "find a dog walker near me",
        "when does my {pet} need its next vaccine?",
        "does {store} allow dogs inside?",
        "what's a good name for a {pet}?",
        "how often should i bathe my {pet}?",
        "how do i potty train a puppy?",
        "are {plant} safe for cats?",
    ), {"pet": ("dog", "cat", "puppy", "kitten", "rabbit", "parakeet", "hamster"),
        "petname": ("biscuit", "luna", "max", "pepper", "mochi", "rocky"),
        "day": DAYS,
        "behavior": ("barking at the mailman", "chewing shoes", "scratching the door",
                     "jumping on guests", "pulling on the leash"),
        "store": ("home depot", "lowe's", "target", "costco", "the mall"),
        "plant": ("lilies", "snake plants", "pothos", "spider plants", "succulents")}),
    Domain("education", (
        "help me study for my {subject} test",
        "explain {topic} simply",
        "what's a good college for {major}?",
        "how do i apply for {aid}?",
        "can you check my essay for grammar?",
        "what's the formula for {formula}?",
        "how do i cite a website in {style}?",
        "reschedule my tutoring session to {day}",
        "what grade do i need on the final to pass?",
        "how long should a college essay be?",
        "quiz me on {subject} vocab",
        "what are some good online courses for {skill}?",
        "my kid needs help with {subject} homework",
        "when is the deadline for {aid}?",
        "summarize chapter {n} of {book}",
    ), {"subject": ("chemistry", "spanish", "us history", "algebra", "biology",
                    "geometry", "french"),
        "topic": ("photosynthesis", "supply and demand", "the water cycle",
                  "compound interest", "the french revolution", "black holes",
                  "plate tectonics"),
        "major": ("engineering", "graphic design", "business", "computer science",
                  "journalism"),
        "aid": ("fafsa", "a pell grant", "a student loan", "a scholarship",
                "community college"),
        "formula": ("the area of a triangle", "the volume of a cylinder",
                    "the slope of a line", "density"),
        "style": ("mla", "apa", "chicago style"), "day": DAYS,
        "skill": ("coding", "excel", "photography", "public speaking", "web design"),
        "n": ("3", "5", "7", "12"),
        "book": ("to kill a mockingbird", "the great gatsby", "of mice and men",
                 "lord of the flies")}),
    Domain("tech_support", (
        "my wifi keeps dropping",
        "how do i connect my {printer} printer to wifi?",
        "my {device} won't turn on",
        "how do i reset my {account} password?",
        "my {device} screen is frozen",
        "how do i free up storage on my {device}?",
        "the printer says paper jam but there's no paper",
        "how do i update {software}?",
        "my computer is so slow",
        "how do i back up my photos?",
        "bluetooth won't pair with my {gadget}",
        "how do i take a screenshot on my {device}?",
        "my {device} battery dies so fast",
        "how do i refill the ink in my {printer} printer?",
        "my zoom audio isn't working",
        "how do i get rid of a virus on my {device}?",
    ), {"printer": ("hp", "canon", "epson", "brother"),
        "device": ("iphone", "android phone", "macbook", "chromebook", "windows laptop",
                   "ipad", "kindle"),
        "account": ("gmail", "apple id", "wifi", "instagram", "microsoft"),
        "software": ("windows", "chrome", "my iphone", "zoom", "my router"),
        "gadget": ("car", "headphones", "speaker", "tv", "smartwatch")}),
    Domain("social_media", (
        "how do i delete my {platform} account?",
        "how do i go viral on {platform}?",
        "post this to my {platform} story",
        "why did {platform} lock my account?",
        "how do i make my {platform} private?",
        "write a funny caption for my {photo} pic",
        "how many followers does {celebrity} have?",
        "how do i block someone on {platform}?",
        "what's trending on {platform} right now?",
        "how do i turn off {platform} notifications?",
        "what's a good bio for my {platform}?",
        "lmao this {platform} video is killing me",
        "how do i get verified on {platform}?",
        "should i post at night or in the morning?",
    ), {"platform": ("instagram", "tiktok", "facebook", "snapchat", "reddit", "youtube",
                     "linkedin", "pinterest", "threads"),
        "photo": ("beach", "birthday", "dog", "hiking", "graduation", "new haircut"),
        "celebrity": ("taylor swift", "mrbeast", "the rock", "selena gomez",
                      "cristiano ronaldo")}),
    Domain("real_estate", (
        "how much is my house worth?",
        "find me a {n} bedroom apartment in {city}",
        "what's the average rent in {city}?",
        "should i rent or buy in {city}?",
        "what's a good mortgage rate right now?",
        "how much house can i afford on {salary} a year?",
        "schedule a showing for the house on {street}",
        "cancel the open house tour on {day}",
        "what are closing costs?",
        "how do i break my lease early?",
        "my landlord won't fix the heat, what can i do?",
        "what's the difference between a condo and a townhouse?",
        "is it a good time to sell my house?",
        "find me a real estate agent in {city}",
        "what's the property tax on a house in {city}?",
        "how big of a down payment do i need for a house?",
    ), {"n": ("1", "2", "3", "two", "three"), "city": CITIES, "day": DAYS,
        "salary": ("60k", "85k", "$90,000", "120k"),
        "street": ("maple avenue", "oak street", "3rd street", "elm court",
                   "lakeview drive", "pine ridge road")}),
    Domain("gardening", (
        "when should i plant {crop}?",
        "why are the leaves on my {crop} turning yellow?",
        "why is my {houseplant} turning brown at the tips?",
        "how often should i water my {houseplant}?",
        "my {houseplant} is dying, help",
        "what can i grow in the shade?",
        "how do i get rid of {pest} in my garden?",
        "is it too late to plant {crop}?",
        "best fertilizer for {crop}?",
        "how do i start a compost pile?",
        "how short should i cut my lawn in summer?",
        "how do i prune a {tree}?",
        "remind me to water the {crop} on {day}",
        "what flowers attract bees?",
        "how do i keep {critter} out of my yard?",
        "should i repot my {houseplant}?",
    ), {"crop": ("tomatoes", "basil", "roses", "tulip bulbs", "peppers", "hydrangeas",
                 "succulents", "garlic", "sunflowers", "strawberries"),
        "houseplant": ("fiddle leaf fig", "snake plant", "monstera", "pothos", "peace lily",
                       "rubber plant"),
        "pest": ("aphids", "slugs", "squirrels", "weeds", "ants", "grubs"),
        "tree": ("peach tree", "rose bush", "japanese maple", "lemon tree"),
        "critter": ("deer", "rabbits", "the neighbor's cat", "moles"),
        "day": DAYS}),
    Domain("time_date", (
        "what time is it in {city}?",
        "what day is {holiday} this year?",
        "how many days until {holiday}?",
        "what's today's date?",
        "when do the clocks change?",
        "what time zone is {city} in?",
        "if it's {time} here what time is it in {city}?",
        "how many weeks until {month}?",
        "what day of the week was {historic}?",
        "how many hours between {time} and {time2}?",
        "is tomorrow a federal holiday?",
        "what's the date next {weekday}?",
        "how many days are left in the year?",
    ), {"city": ("paris", "sydney", "honolulu", "berlin", "mumbai", "mexico city",
                 "singapore", "cairo", "anchorage"),
        "holiday": ("thanksgiving", "easter", "mother's day", "labor day", "halloween",
                    "hanukkah", "lunar new year"),
        "time": TIMES, "time2": TIMES, "month": MONTHS,
        "historic": ("july 4th 1776", "the moon landing", "new year's day 2000",
                     "christmas last year"),
        "weekday": ("monday", "friday", "saturday", "wednesday")}),
    Domain("personal_reminders", (
        "remind me to {task} {when}",
        "add {event} to my google calendar for {day}",
        "cancel my {time} meeting",
        "move my meeting with {person} to {day}",
        "do i have any work meetings {when}?",
        "set a reminder for {person}'s birthday",
        "when is my {event} this month?",
        "block off {day} afternoon for {activity}",
        "share my calendar with my {relation}",
        "clear my work calendar on {day}",
        "invite {person} to lunch on {day}",
        "is {person}'s party still on {when}?",
        "make a to do list for my weekend",
        "remind me to pay rent on the first",
    ), {"task": ("call the plumber", "pick up the dry cleaning", "take out the recycling",
                 "buy a birthday gift", "return my library books", "email my landlord",
                 "charge my laptop", "defrost the chicken"),
        "when": ("tonight", "tomorrow morning", "at 5", "on friday", "this weekend",
                 "in an hour"),
        "event": ("soccer practice", "book club", "date night", "the school play",
                  "team standup", "parent teacher conference"),
        "person": ("jess", "my manager", "coach dave", "the landlord", "sarah",
                   "my mom", "omar"),
        "relation": ("wife", "husband", "partner", "roommate"),
        "activity": ("yard work", "deep work", "errands", "my side project"),
        "day": DAYS, "time": TIMES}),
    Domain("utilities", (
        "pay my phone bill",
        "how much is my {utility} bill this month?",
        "why is my {utility} bill so high?",
        "set up {service} at my new {home}",
        "the {outage} is out on my street, when will it be back?",
        "set up autopay for my {utility} bill",
        "can i get a payment plan with {company} for my {utility} bill?",
        "who's the cheapest internet provider around here?",
        "when is {pickup} pickup on my street?",
        "transfer my {utility} service to my new address",
        "my {company} bill went up again, why?",
        "cancel my {cancelable}",
        "how do i read my {meter} meter?",
        "what's a normal {utility} bill for a {size}?",
        "how do i talk to a real person at {company}?",
        "is {company} having an outage in my area?",
        "pay my {company} bill online",
    ), {"utility": ("electric", "water", "gas", "internet", "cable", "phone", "sewer"),
        "company": ("comcast", "verizon", "at&t", "pg&e", "duke energy", "xfinity",
                    "t-mobile", "spectrum", "con edison"),
        "service": ("internet", "cable", "electricity", "gas service", "trash service"),
        "home": ("apartment", "house", "condo", "place"),
        "outage": ("power", "internet", "cable", "water"),
        "pickup": ("trash", "recycling", "yard waste", "bulk item"),
        "cancelable": ("cable", "landline", "satellite tv", "home phone"),
        "meter": ("gas", "water", "electric"),
        "size": ("two bedroom", "studio apartment", "family of four", "small house")}),
    Domain("government_dmv", (
        "how do i renew my license online in {state}?",
        "book a dmv appointment in {state}",
        "reschedule my road test to {day}",
        "what documents do i need for a real id?",
        "how do i register to vote in {state}?",
        "when are property taxes due in {state}?",
        "how do i get a copy of my birth certificate?",
        "where's my tax refund?",
        "how do i apply for a passport?",
        "how do i pay a parking ticket in {city}?",
        "when is the next election?",
        "how do i contest a speeding ticket?",
        "how do i get a fishing license in {state}?",
        "i got a jury duty summons, can i postpone it?",
        "check the status of my passport application",
        "how do i register my car in {state}?",
    ), {"state": ("ohio", "texas", "california", "new york", "florida", "oregon",
                  "georgia", "michigan", "arizona"),
        "city": CITIES, "day": DAYS}),
    Domain("other_insurance", (
        "how much is car insurance for a {car}?",
        "does renters insurance cover a stolen bike?",
        "file a claim for a cracked windshield",
        "does my home insurance cover a flooded basement?",
        "what's the deductible on my {company} auto policy?",
        "cheapest car insurance for a teen driver?",
        "is my {company} car insurance still active?",
        "switch my auto insurance to {company}",
        "does {company} cover rental cars?",
        "what's the status of my {company} claim for my fender bender?",
        "add my teenager to my car insurance",
        "do i need travel insurance for {country}?",
        "is pet insurance worth it for a {pet}?",
        "my car got hail damage, will insurance pay for it?",
        "get me a quote for homeowners insurance",
        "does {company} do bundle discounts for home and auto?",
    ), {"car": CARS, "country": COUNTRIES,
        "company": ("geico", "state farm", "progressive", "allstate", "liberty mutual",
                    "usaa", "farmers"),
        "pet": ("puppy", "senior dog", "kitten", "cat")}),
    Domain("subscriptions", (
        "cancel my netflix subscription",
        "how do i cancel {service}?",
        "why did {service} charge me {amount}?",
        "pause my {service} membership",
        "change my {service} plan to the cheaper one",
        "is {service} worth it?",
        "how much is {service} a month?",
        "update the card on my {service} account",
        "renew my {service} membership",
        "how do i get a refund from {service}?",
        "how do i share my {service} with my family?",
        "i forgot my {service} password",
        "how do i talk to a human at {service}?",
        "switch my {service} to annual billing",
        "is there a student discount for {service}?",
    ), {"service": STREAMING, "amount": AMOUNTS}),
    Domain("figures_of_speech", (
        "i'm dying to try {newplace}",
        "this traffic is killing me",
        "this {annoyance} is killing me",
        "my heart is broken over the game",
        "my heart is broken, the {team} blew it again",
        "these {shoes} are killing me lol",
        "i'm dead, that {video} video is hilarious",
        "i could eat a horse right now",
        "i almost died laughing at {show} last night",
        "my {gadget} just died in the middle of my game",
        "my {starter} died again",
        "ugh my fantasy team is dead last",
        "my wallet is crying after {sale}",
        "i'm drowning in {chore} this week",
        "the {gathering} was dead by 10",
        "my phone is about to die, what's the score of the {team} game?",
        "the battery on my {vehicle} is dead",
        "the ending of that {team} game gave me chills",
    ), {"newplace": ("that new taco place", "the ramen spot downtown",
                     "the new pumpkin latte", "that escape room", "the new ice cream shop"),
        "annoyance": ("humidity", "line at the dmv", "slow wifi", "commute", "group chat"),
        "shoes": ("new boots", "heels", "hiking boots", "new sneakers"),
        "video": ("cat", "goat", "dancing baby", "raccoon", "parrot"),
        "show": ("the office", "bluey", "ted lasso", "brooklyn nine-nine"),
        "gadget": ("laptop", "controller", "phone", "headset"),
        "starter": ("sourdough starter", "basil plant", "succulent", "car battery"),
        "sale": ("black friday", "the holidays", "that concert", "prime day"),
        "chore": ("laundry", "emails", "homework", "paperwork"),
        "gathering": ("party", "bar", "office party", "wedding reception"),
        "vehicle": ("e-bike", "scooter", "lawn mower", "golf cart"),
        "team": TEAMS}),
)

# Training-only templates ------------------------------------------------------------
#
# Added after the split above was frozen (the held-out file must stay byte-identical, so
# DOMAINS, its fillers, SEED and PER_DOMAIN are not touched): every message of these goes
# to data/nlu/out_of_scope.yml. They cover the families the held-out set showed the model
# confusing with this assistant's intents (rescheduling or cancelling something that is not
# a visit here, bills and cards that are not ours, transfers, calls and texts, refills and
# renewals of everyday things, insurance that is not health insurance, "when is my next
# ...", ordinary troubles worded like emergencies, philosophy, grammar), with other verbs,
# objects and sentence shapes than the held-out templates: no template here may equal a
# held-out template once its slots are blanked, and no message may be a near-duplicate of
# a held-out message (both checked). A block named like a domain above adds to it (its
# fillers are reused); the others are new, training-only domains.

WHENS = ("next tuesday", "friday afternoon", "the weekend", "next week", "later this month",
         "the 15th", "thursday at 4", "saturday morning", "tomorrow evening", "the week after",
         "sometime next month", "monday night")
PEOPLE = ("my husband", "my sister", "grandpa", "aunt rosa", "my best friend", "uncle joe",
          "the babysitter", "my son", "my daughter", "my neighbor", "my roommate", "priya",
          "jake", "lena", "nana", "my boyfriend", "my girlfriend", "dev")
BANKS2 = ("ally", "sofi", "td bank", "regions", "truist", "fifth third", "chime",
          "citizens bank", "huntington", "schwab", "discover", "santander")
CARDS2 = ("discover card", "apple card", "target redcard", "costco visa", "amazon store card",
          "sapphire card", "best buy card", "southwest card", "barclays card", "kohl's card",
          "macy's card", "paypal credit card", "venture card", "gas station card")
MERCHANTS = ("uber eats", "doordash", "amazon", "apple", "paypal", "ticketmaster", "etsy",
             "shein", "a parking garage", "starbucks", "instacart", "a hotel in vegas",
             "the airline", "a gas station")
LOANS2 = ("auto loan", "mortgage", "heloc", "personal loan", "boat loan", "student loan",
          "car payment", "rv loan")
INSURANCE_KINDS = ("car", "auto", "homeowners", "renters", "pet", "travel", "phone",
                   "motorcycle", "boat", "flood", "umbrella", "rv", "condo", "landlord",
                   "jewelry", "bike")
INSURERS2 = ("lemonade", "nationwide", "travelers", "the hartford", "erie", "esurance", "root",
             "american family", "trupanion", "asurion", "amica", "safeco", "mercury",
             "allianz travel")
SERVICES2 = ("paramount plus", "apple music", "duolingo plus", "dropbox", "icloud storage",
             "adobe creative cloud", "microsoft 365", "kindle unlimited", "siriusxm",
             "blue apron", "barkbox", "the new york times", "apple tv plus", "crunchyroll",
             "nintendo switch online")
CITIES2 = ("london", "dubai", "seoul", "nairobi", "buenos aires", "reykjavik", "bangkok",
           "auckland", "manila", "toronto", "lagos", "istanbul")
DEVICES2 = ("laptop", "tablet", "smart tv", "xbox", "ps5", "nintendo switch", "roku",
            "chromecast", "router", "ring doorbell", "echo dot", "desktop pc", "car stereo",
            "gaming pc")
GYMS2 = ("equinox", "24 hour fitness", "gold's gym", "lifetime fitness", "soulcycle",
         "pure barre", "solidcore", "crossfit", "f45", "blink fitness")
PAIRS2 = ("then or than", "its or it's", "your or you're", "principal or principle",
          "advice or advise", "farther or further", "accept or except", "desert or dessert",
          "stationary or stationery", "everyday or every day", "a lot or alot",
          "all right or alright", "capital or capitol", "emigrate or immigrate",
          "peek or peak", "weather or whether", "discreet or discrete", "insure or ensure",
          "canceled or cancelled", "payed or paid", "toward or towards", "gray or grey")

TRAINING_ONLY: tuple[Extra, ...] = (
    Extra("bookings_elsewhere", 110, (
        "reschedule {booking} to {when}",
        "can we push {booking} back to {when}?",
        "i need to move {booking} to {when}",
        "bump {booking} to {when}",
        "postpone {booking} until {when}",
        "i can't make {booking} on {day}, can it be {when} instead?",
        "cancel {booking} on {day}, something came up",
        "call off {booking} for this week",
        "i have to cancel {booking}",
        "scrap {booking}, we'll do it another time",
        "is {booking} still on for {day}?",
        "what time is {booking} on {day}?",
        "when is {booking} again?",
        "did i ever confirm {booking}?",
        "running late for {booking}, can they hold my spot?",
        "how do i reschedule {booking} online?",
        "{booking} got moved to {when}, update my calendar",
        "can you change {booking} from {day} to {day2}?",
        "book {newbooking} for {when}",
        "set me up with {newbooking} {when}",
        "any earlier openings for {newbooking}?",
        "can {visit} come {when} instead?",
        "cancel {visit} for {day}",
        "what time is {visit} coming on {day}?",
        "push {visit} back to {when}",
        "is {visit} still coming {day}?",
    ), {"booking": ("my dinner reservation", "the dog grooming", "my oil change",
                    "my piano lesson", "book club", "our tee time", "the parent-teacher conference",
                    "my massage", "my tattoo appointment", "the moving truck", "my dmv visit",
                    "the zoom call with the vendor", "my 1:1 with my manager", "our date",
                    "the surprise party", "my driving lesson", "my guitar lesson",
                    "the kids' swim lessons", "our family photo shoot", "the furnace tune-up",
                    "the home inspection", "our cake tasting", "the bowling lane",
                    "our campsite reservation", "my suit fitting", "the apartment viewing",
                    "the car detailing", "my bike tune-up", "my genius bar appointment",
                    "the notary appointment", "my tax prep appointment", "the daycare tour",
                    "our escape room booking", "the brunch reservation", "the pottery class",
                    "band practice", "the playdate with the neighbors", "our kayak rental",
                    "the cooking class", "my spray tan", "my lash appointment",
                    "the wine tasting", "my passport photo appointment", "the bridal fitting"),
        "newbooking": ("a tee time", "a table for brunch", "a grooming slot for the dog",
                       "an oil change", "a piano teacher", "a massage", "a tattoo consultation",
                       "a moving truck", "a babysitter", "a cleaning service", "a driving lesson",
                       "a court at the tennis club", "a karaoke room",
                       "a campsite at the state park", "a photographer for the party",
                       "a dog sitter", "a bouncy castle for the birthday party",
                       "a private room at the steakhouse", "a pickleball court",
                       "a limo for prom"),
        "visit": ("the plumber", "the electrician", "the cable installer", "the house cleaners",
                  "the lawn service", "the chimney sweep", "the pest control guy",
                  "the window washers", "the furniture delivery", "the handyman",
                  "the hvac tech", "the carpet cleaners", "the piano tuner"),
        "when": WHENS, "day": DAYS, "day2": DAYS}),
    Extra("bills_elsewhere", 75, (
        "pay my {bill} from checking",
        "go ahead and pay the {bill}",
        "i want to pay my {bill} now",
        "what's the total on my {bill} this cycle?",
        "what do i owe on my {card}?",
        "what's the balance on my {card}?",
        "when is the {bill} due?",
        "when's the due date on my {card}?",
        "did my {bill} payment go through?",
        "i missed my {bill} payment, will there be a late fee?",
        "can i split my {bill} into smaller payments?",
        "set up a payment plan for my {card} balance",
        "there's a charge from {merchant} on my {card} i don't recognize",
        "dispute the charge from {merchant} on my {card}",
        "{merchant} charged me twice, how do i dispute it?",
        "why is my {bill} higher than last month?",
        "what's the minimum payment on my {card}?",
        "i overpaid my {bill}, how do i get the money back?",
        "can i pay the {bill} with a credit card?",
        "put {amount} toward my {card}",
        "how do i pay a toll i missed on the {road}?",
        "is there a grace period on my {bill}?",
        "who do i make the {bill} check out to?",
    ), {"bill": ("rent", "mortgage", "car loan", "student loan", "electric bill", "water bill",
                 "internet bill", "gas bill", "trash bill", "hoa dues", "storage unit rent",
                 "daycare tuition", "property tax", "parking ticket", "toll bill",
                 "country club dues", "alarm monitoring bill", "propane bill",
                 "lawn service invoice", "satellite tv bill", "piano lesson fees",
                 "little league fees"),
        "card": CARDS2, "merchant": MERCHANTS, "amount": AMOUNTS,
        "road": ("turnpike", "tollway", "bridge", "express lanes", "parkway")}),
    Extra("transfers_moves", 40, (
        "move {amount} from checking to savings",
        "transfer {amount} from my savings into checking",
        "wire {amount} to {payee}",
        "zelle {name} {amount} for {reason}",
        "send {name} {amount} on cash app",
        "request {amount} from {name} on venmo for {reason}",
        "pay {name} back {amount} for {reason}",
        "how long does a wire transfer to {country} take?",
        "send money to my {relative} in {country}",
        "transfer {xfer}",
        "how do i transfer {xfer}?",
        "is it possible to transfer {xfer}?",
        "i want to transfer {xfer}",
        "help me transfer {xfer}",
    ), {"amount": AMOUNTS, "name": ("priya", "jake", "lena", "dev", "nana", "carlos", "mia",
                                    "my roommate", "my brother-in-law"),
        "payee": ("my landlord", "the contractor", "the title company", "my cousin in manila",
                  "the car dealer", "the wedding venue"),
        "reason": ("pizza", "concert tickets", "the uber", "half the rent", "the gas",
                   "brunch", "the cabin"),
        "country": COUNTRIES, "relative": ("mom", "parents", "grandma", "cousin", "brother"),
        "xfer": ("my phone number to a new carrier", "my gym membership to the downtown location",
                 "my concert tickets to a friend", "my 401k to my new employer's plan",
                 "the car title to my son", "photos from my phone to my laptop",
                 "my contacts to my new phone", "my airline miles to my husband",
                 "my game saves to the new console", "my lease to someone else",
                 "my internet to the new apartment", "the car loan into my name",
                 "my season tickets to my neighbor", "my domain to another host",
                 "my hotel points to my wife", "music from my old ipod")}),
    Extra("calls_messages", 45, (
        "give {person} a call",
        "ring {person} on speaker",
        "phone {person}",
        "video call {person}",
        "start a facetime with {person}",
        "call {person} back",
        "call {person} on whatsapp",
        "dial {business}",
        "get {business} on the phone",
        "text {person} {msg}",
        "send a message to {person} saying {msg}",
        "whatsapp {person} {msg}",
        "reply to {person} with {msg}",
        "leave a voicemail for {person}",
        "what's {person}'s number?",
        "put {person} on speakerphone",
        "i missed a call from {person}, call them back",
        "send {person} a voice memo",
    ), {"person": PEOPLE,
        "business": ("the hardware store", "the chinese takeout place", "the auto shop",
                     "the hair salon", "the dry cleaner", "my kid's school", "the florist",
                     "the bakery", "the locksmith", "the daycare", "the bike shop"),
        "msg": ("that dinner is ready", "i'll be there in 10", "happy birthday",
                "to grab milk on the way home", "that the game starts at 7",
                "i'm stuck in traffic", "good luck today", "where are you",
                "see you at the park", "don't forget the tickets", "the door code is on the fridge",
                "i miss you")}),
    Extra("refills_renewals", 60, (
        "top off my {drink}",
        "can i have another {drink}?",
        "more {drink} over here please",
        "where can i refill my {container}?",
        "refill the {house}",
        "time to refill the {house}",
        "fill up {tank}",
        "top up my {card}",
        "add {amount} to my {card}",
        "reload my {card} with {amount}",
        "renew my {document}",
        "how do i renew my {renewable}?",
        "when does my {renewable} expire?",
        "is my {renewable} still valid?",
        "can i renew my {renewable} online?",
        "my {renewable} expired last month, what now?",
        "how much is left on my {giftcard}?",
        "reorder the {supply}",
        "order more {supply} before we run out",
        "is my {order} ready for pickup?",
        "has my {shipment} shipped yet?",
        "what's the status of my {shipment}?",
    ), {"drink": ("latte", "cold brew", "diet coke", "water", "green tea", "hot chocolate",
                  "root beer", "chai", "mimosa", "orange juice"),
        "container": ("water bottle", "propane tank", "sodastream cylinder", "growler",
                      "helium tank", "scuba tank", "butane lighter"),
        "house": ("bird feeder", "ice cube trays", "soap dispenser", "salt in the water softener",
                  "windshield washer fluid", "humidifier", "hummingbird feeder",
                  "dog's water bowl", "brita pitcher", "stapler", "coffee grinder",
                  "fish tank", "printer paper tray"),
        "tank": ("my gas tank", "the car with premium", "the kiddie pool",
                 "the generator", "the lawn mower"),
        "card": ("clipper card", "metrocard", "ventra card", "oyster card", "starbucks card",
                 "prepaid phone", "ez pass", "steam wallet", "kid's school lunch account",
                 "laundry card", "parking app", "transit pass"),
        "amount": AMOUNTS,
        "renewable": ("passport", "driver's license", "car registration",
                      "domain name", "lease", "costco membership", "fishing license",
                      "parking permit", "magazine subscription", "sam's club membership",
                      "aaa membership", "boat registration", "real estate license",
                      "museum membership", "zoo membership", "national parks pass",
                      "global entry", "hunting license"),
        "document": ("passport", "driver's license", "car registration", "library books",
                     "domain name", "lease", "fishing license", "parking permit",
                     "boat registration", "real estate license", "global entry",
                     "hunting license", "national parks pass"),
        "giftcard": ("target gift card", "amazon gift card", "visa gift card",
                     "sephora gift card", "itunes card", "home depot gift card"),
        "supply": ("coffee pods", "dog food from chewy", "laundry detergent", "toilet paper",
                   "printer ink", "dishwasher pods", "diapers", "paper towels",
                   "water filters", "cat litter"),
        "order": ("starbucks mobile order", "photo prints at costco", "dry cleaning",
                  "target drive up order", "chipotle order", "key copies at home depot",
                  "framing order at michaels", "best buy pickup order", "bakery cake order"),
        "shipment": ("new phone", "chewy order", "etsy order", "ikea couch",
                     "replacement charger", "wayfair rug", "ebay purchase", "sneaker drop")}),
    Extra("schedules_elsewhere", 45, (
        "when is my next {recurring}?",
        "when's the next {recurring}?",
        "what time is the {work} {when}?",
        "do i have {work} {when}?",
        "what's on my work calendar {when}?",
        "is my {transport} running on time?",
        "is the {transport} delayed?",
        "when does my {transport} get in?",
        "when is my {delivery} arriving?",
        "is my {delivery} still coming today?",
        "when does {event} start?",
        "how long until {event}?",
        "what day does {pickup} get picked up this week?",
        "is {pickup} collection delayed because of the holiday?",
        "when's payday this month?",
        "when do i work next?",
        "what time does my shift start {when}?",
    ), {"recurring": ("pta meeting", "band rehearsal", "bowling league night", "poker night",
                      "spin class", "piano lesson", "hoa meeting", "choir practice",
                      "dnd session", "volunteer shift", "open mic", "chess club meeting",
                      "swim meet", "little league game", "trivia night", "paycheck",
                      "car payment", "oil change", "scout meeting", "knitting circle"),
        "work": ("sprint planning", "all hands", "performance review", "client call",
                 "team retro", "quarterly review", "budget meeting", "offsite",
                 "training webinar", "board meeting", "sales call", "town hall"),
        "when": ("today", "tomorrow", "this week", "on thursday", "next monday", "this afternoon",
                 "friday morning"),
        "transport": ("amtrak train to boston", "ferry to the island", "7:15 commuter train",
                      "greyhound bus to austin", "bus to the airport", "shuttle to the resort",
                      "connecting flight in denver", "red-eye to new york", "light rail",
                      "uber to the stadium"),
        "delivery": ("amazon package", "ups delivery", "fedex box", "furniture delivery",
                     "grocery order", "new mattress", "usps package"),
        "event": ("the parade", "the farmers market", "the fireworks", "the school play",
                  "the super bowl", "early voting", "the marathon", "the county fair",
                  "the eclipse", "the meteor shower", "summer break"),
        "pickup": ("recycling", "trash", "compost", "yard waste", "the bulk trash")}),
    Extra("banking", 25, (
        "how much is in my {bank2} savings?",
        "lock my {bank2} credit card",
        "report my {bank2} debit card stolen",
        "why was my {bank2} card declined at {store}?",
        "raise the limit on my {card}",
        "what's my credit score?",
        "open a high yield savings account at {bank2}",
        "how do i close my {bank2} account?",
        "deposit a check with my phone",
        "find a {bank2} atm near me",
        "what's the apr on my {card}?",
        "when does my {card} statement close?",
        "set a travel notice on my {card}",
        "refinance my {loan2}",
        "how much interest am i paying on my {loan2}?",
        "make an extra payment on my {loan2}",
        "what's the payoff amount for my {loan2}?",
        "can i skip a payment on my {loan2} this month?",
        "consolidate my credit card debt",
    ), {"bank2": BANKS2, "card": CARDS2, "loan2": LOANS2, "store": STORES}),
    Extra("utilities", 18, (
        "what's my {util} usage this month?",
        "pay the {ucompany} bill",
        "i got a shutoff notice from {ucompany}, how do i pay it?",
        "is there a budget billing plan for {util}?",
        "my {util} bill doubled, is that a mistake?",
        "schedule a {ucompany} technician for {when}",
        "move the {ucompany} install to {when}",
        "how do i stop {util} service when i move out?",
        "i'm moving next month, how do i get {util} turned on at the new place?",
        "why did {ucompany} charge me a late fee?",
        "can {ucompany} give me a few extra weeks to pay?",
        "did my {ucompany} autopay go through?",
    ), {"util": ("electric", "water", "gas", "internet", "trash", "power"),
        "ucompany": ("dominion energy", "national grid", "fpl", "xcel energy", "cox",
                     "optimum", "waste management", "southern california edison", "mint mobile",
                     "cricket wireless", "dte energy", "peco"),
        "when": WHENS}),
    Extra("other_insurance", 40, (
        "is my {kind} policy still in effect?",
        "did my {kind} insurance lapse?",
        "check if my {kind} coverage is active",
        "am i still covered under my {kind} policy?",
        "file {claim}",
        "help me file {claim}",
        "i need to open {claim}",
        "how do i start a claim with {insurer}?",
        "does my {covers}?",
        "would my {covers}?",
        "what's my deductible on {kind} insurance?",
        "my {kind} insurance premium went up, why?",
        "cancel my {kind} policy with {insurer}",
        "when does my {kind} policy renew?",
        "send me proof of {kind} insurance",
        "find me a cheaper {kind} insurance quote",
        "add {addto}",
        "did {insurer} approve my claim yet?",
        "who's my insurance agent at {insurer}?",
        "how do i make a payment on my {insurer} policy?",
        "i got a bill from {insurer} for my {kind} policy, is that right?",
    ), {"kind": INSURANCE_KINDS, "insurer": INSURERS2,
        "claim": ("a homeowners claim for a burst pipe", "a renters claim for a stolen laptop",
                  "a phone insurance claim for a cracked screen",
                  "a travel insurance claim for a cancelled trip",
                  "a homeowners claim for the tree that fell on my garage",
                  "a condo insurance claim for water damage",
                  "a renters insurance claim after a break-in",
                  "a travel insurance claim for a lost suitcase",
                  "an auto claim for a rear-ended bumper",
                  "a car insurance claim for a stolen catalytic converter",
                  "an auto claim for a smashed window",
                  "a bike insurance claim for my stolen bike"),
        "covers": ("renters policy cover my roommate's stuff", "auto policy cover a rental car",
                   "car insurance cover theft from my car", "travel policy cover a lost suitcase",
                   "homeowners policy cover mold", "homeowners insurance cover earthquakes",
                   "phone insurance cover a cracked screen",
                   "travel insurance cover trip cancellation",
                   "pet insurance cover a chewed up couch", "flood policy cover a flooded basement",
                   "renters insurance cover a stolen bike",
                   "auto policy include roadside assistance"),
        "addto": ("my new car to my auto policy", "my engagement ring to my renters policy",
                  "my teenage son to my car insurance", "a second driver to my auto policy",
                  "my new e-bike to my homeowners policy", "our boat to the umbrella policy",
                  "the new roof to my homeowners policy", "my wife to my motorcycle insurance")}),
    Extra("subscriptions", 15, (
        "turn off auto renew on {service2}",
        "when does my {service2} renew?",
        "stop {service2} from charging me",
        "resubscribe to {service2}",
        "downgrade {service2} to the basic tier",
        "i got charged for {service2} after i canceled",
        "extend my {service2} free trial",
        "unsubscribe me from {service2}",
        "how much am i paying for {service2}?",
        "can i pay for {service2} with a gift card?",
    ), {"service2": SERVICES2}),
    Extra("smart_home", 18, (
        "start the {appliance}",
        "run the {washer} on {mode}",
        "set the {fan} to {speed}",
        "pause the {appliance}",
        "is the {washer} done yet?",
        "is the {appliance} still running?",
        "schedule the {appliance} for {when}",
        "turn off the {appliance} schedule for {when}",
        "skip tomorrow's sprinkler run",
        "send the roomba back to its dock",
        "have the roomba clean the {room} when i leave",
        "delete the {time} thermostat schedule",
        "lock all the doors at {time}",
    ), {"appliance": ("dishwasher", "dryer", "washing machine", "coffee maker", "roomba",
                      "air purifier", "hot tub jets", "ceiling fan", "mopping robot",
                      "slow cooker", "space heater", "gas fireplace", "pool pump"),
        "washer": ("dishwasher", "dryer", "washing machine"),
        "mode": ("eco mode", "the quick cycle", "the delicate setting", "heavy duty",
                 "the sanitize cycle", "low heat"),
        "fan": ("ceiling fan", "air purifier", "space heater", "bedroom fan", "dehumidifier"),
        "speed": ("high", "low", "turbo", "night mode", "eco mode", "auto"),
        "when": ("every monday", "weekday mornings", "tomorrow at noon", "the weekend",
                 "while we're at work", "9 pm"),
        "room": ("den", "nursery", "guest room", "mudroom", "upstairs hall", "playroom"),
        "time": TIMES}),
    Extra("tech_support", 30, (
        "my {charge} won't charge",
        "my {dev} won't connect to {net}",
        "my {pairable} keeps disconnecting from my {host}",
        "my {pairable} won't pair with my {host}",
        "my {dev} is dead and won't come back on",
        "my {dev} got really hot and shut down",
        "my laptop overheats when i play {game}",
        "the {dev} keeps restarting",
        "my {dev} is stuck on the loading screen",
        "why is my {dev} making a buzzing noise?",
        "my {charge} only holds a charge for an hour",
        "my {dev} crashed and i lost my work",
        "the screen on my {screened} went black",
        "how do i factory reset my {dev}?",
        "my {dev} won't boot up",
        "my {dev} won't install the update",
        "my phone died in the middle of a call, why does it keep doing that?",
    ), {"dev": DEVICES2,
        "charge": ("airpods", "laptop", "tablet", "fitbit", "apple watch", "e-reader", "gopro",
                   "galaxy buds", "nintendo switch", "game controller"),
        "pairable": ("airpods", "galaxy buds", "wireless mouse", "fitbit", "apple watch",
                     "bluetooth speaker", "game controller", "wireless keyboard"),
        "screened": ("laptop", "tablet", "smart tv", "nintendo switch", "apple watch",
                     "desktop monitor"),
        "host": ("phone", "laptop", "car", "ipad", "tv", "pc"),
        "net": ("the wifi", "my hotspot", "the hotel wifi", "the app", "bluetooth"),
        "game": ("fortnite", "minecraft", "valorant", "the sims", "baldur's gate")}),
    Extra("figures_of_speech", 25, (
        "{pain} is slowly killing me",
        "{pain} is gonna be the death of me",
        "ugh {pain} is literally killing me",
        "i'm dying to know {curious}",
        "my {dying} is dying",
        "my {charge} is about to die, where's a charger",
        "this {level} is killing me, any tips?",
        "that {meme} meme has me dead",
        "you're killing me with these {jokes}",
        "i'm starving, i could eat a whole {food}",
        "my {dying} is on its last legs",
    ), {"pain": ("this cliffhanger", "this heat wave", "my neighbor's leaf blower",
                 "this homework", "the wait for the new album", "this group project",
                 "the price of eggs", "daylight saving time", "the construction outside",
                 "this crossword", "the buffering", "my inbox", "this playlist",
                 "the line at costco", "this spreadsheet"),
        "curious": ("how the season ends", "who won the bake off",
                    "what my sister got me for my birthday", "who did it in the finale",
                    "what's in the box", "how the book ends"),
        "dying": ("laptop battery", "basil", "christmas tree", "car battery",
                  "tomato plant", "fern", "orchid", "herb garden", "lawn",
                  "tv remote", "flashlight", "old minivan", "vacuum"),
        "charge": ("phone", "laptop", "controller", "e-reader", "tablet", "airpods",
                   "headphones", "switch"),
        "level": ("boss fight", "sudoku", "wordle", "final level", "jigsaw puzzle"),
        "meme": ("cat", "dog", "office", "spongebob", "dad joke"),
        "jokes": ("puns", "dad jokes", "knock knock jokes", "bad puns"),
        "food": ("pizza", "cake", "buffet", "bag of chips", "turkey")}),
    Extra("feelings_not_crisis", 18, (
        "{event2} got canceled {why2}, so disappointing",
        "they called off {event2} and now i'm bummed",
        "{event2} was postponed again, ugh",
        "{event2} fell through, tell me something to make me smile",
        "bummed that {event2} got rained out",
        "i had to cancel {myplan} and i'm kinda sad",
        "cheer me up, {sadthing}",
        "i need a laugh, {sadthing}",
    ), {"event2": ("the fireworks show", "our picnic", "the little league game",
                   "the school field trip", "the company retreat", "our ski trip",
                   "the farmers market", "the football game", "our dinner party",
                   "the street fair", "the family reunion", "the book signing"),
        "why2": ("because of the storm", "last minute", "for no reason", "again",
                 "because nobody signed up"),
        "myplan": ("my birthday dinner", "my trip to see my cousin", "our date night",
                   "my weekend getaway", "the sleepover", "our anniversary trip"),
        "sadthing": ("my ice cream melted", "it's been raining all week",
                     "my team lost again", "i burned the cookies", "my flight got delayed",
                     "i dropped my phone in the sink", "the wifi is down")}),
    Extra("gym_fitness", 22, (
        "{bodyday} ideas {where}",
        "what should i do for {split}?",
        "how many sets should i do for {lift}?",
        "end my {gym2} contract",
        "how do i quit {gym2}?",
        "downgrade my {gym2} plan",
        "stop auto renewal on my {gym2} membership",
        "put my {gym2} membership on hold for {period}",
        "move my {klass2} class to {when}",
        "cancel my spot in {klass2} {when}",
        "switch my session with my trainer to {when}",
    ), {"bodyday": ("leg day workout", "arm day routine", "back day exercises",
                    "push day workout", "pull day routine", "shoulder day workout",
                    "glute day routine", "core day workout", "chest and triceps workout"),
        "where": ("at home", "at the gym", "in a hotel gym", "with just dumbbells",
                  "in a small apartment"),
        "split": ("leg day", "arm day", "back and biceps day", "chest and shoulders day",
                  "a full body day"),
        "lift": ("squats", "bench press", "deadlifts", "lunges", "bicep curls",
                 "lat pulldowns", "overhead press"),
        "gym2": GYMS2,
        "period": ("the summer", "two months", "my trip", "the holidays"),
        "klass2": ("cycling", "crossfit", "rock climbing", "aqua aerobics", "tai chi",
                   "step", "bootcamp", "power yoga"),
        "when": WHENS}),
    Extra("pets_vet", 18, (
        "can {petpl} eat {petfood}?",
        "can my {pet2} have {petfood}?",
        "are {plant2} poisonous to {petpl}?",
        "are {plant2} pet friendly?",
        "what houseplants are safe around {petpl}?",
        "move {petname2}'s grooming to {when}",
        "book a grooming slot for {petname2} {when}",
        "cancel the dog sitter for {day}",
        "when's {petname2}'s next nail trim?",
    ), {"petpl": ("dogs", "cats", "rabbits", "hamsters", "guinea pigs", "parrots", "puppies"),
        "pet2": ("dog", "cat", "bunny", "hamster", "puppy", "parrot"),
        "petfood": ("grapes", "avocado", "cheese", "watermelon", "peanut butter", "bananas",
                    "onions", "popcorn", "tuna", "carrots", "blueberries", "eggs"),
        "plant2": ("tulips", "aloe plants", "daffodils", "poinsettias", "monsteras",
                   "orchids", "sago palms", "jade plants", "hydrangeas", "ferns"),
        "petname2": ("bella", "charlie", "ziggy", "coco", "bear", "daisy", "milo"),
        "when": WHENS, "day": DAYS}),
    Extra("philosophy", 38, (
        "is {value} objective or subjective?",
        "does {abstract2} really exist?",
        "can we ever truly know {knowable}?",
        "are humans naturally {trait}?",
        "is it better to {choice}?",
        "would you {dilemma}?",
        "{hypothetical}?",
        "what do {school} believe about {topic2}?",
        "summarize {work} in a few sentences",
        "who said {quote}?",
        "what does a good life look like to {school}?",
        "why do we {why}?",
        "can {entity} be {quality}?",
        "how do we know {epistemic}?",
        "is {choosable} a choice?",
        "debate me: {claim}",
        "what's more important, {priority}?",
        "is math the language of the universe?",
        "do numbers exist if nobody counts them?",
        "what is the purpose of {purpose}?",
    ), {"value": ("morality", "beauty", "taste", "humor", "good art", "fairness"),
        "abstract2": ("free will", "objective truth", "true altruism", "luck", "fate",
                      "infinity", "the present moment"),
        "knowable": ("what another person feels", "the past", "that the world is real",
                     "anything for certain", "our own minds"),
        "trait": ("good", "selfish", "social", "competitive", "curious", "lazy"),
        "choice": ("be feared or loved", "know the truth or be happy",
                   "be right or be kind", "have more time or more money"),
        "dilemma": ("want to live forever", "plug into the experience machine",
                    "tell a friend a hard truth", "read everyone's thoughts if you could"),
        "hypothetical": ("if you replace every part of a car, is it still the same car",
                         "if a robot writes a poem, is it art",
                         "if everyone lied, would words mean anything",
                         "if you can't tell a copy from the original, does it matter",
                         "if nobody sees a rainbow, is it still there"),
        "school": ("stoics", "buddhists", "existentialists", "epicureans", "taoists",
                   "confucians", "cynics"),
        "topic2": ("happiness", "desire", "luck", "friendship", "anger", "ambition", "change"),
        "work": ("plato's allegory of the cave", "descartes' i think therefore i am",
                 "kant's categorical imperative", "pascal's wager", "zeno's paradoxes",
                 "the myth of sisyphus", "hume's problem of induction"),
        "quote": ("i think therefore i am", "man is the measure of all things",
                  "know thyself", "hell is other people", "the only constant is change"),
        "why": ("dream", "find things beautiful", "feel nostalgia", "love music",
                "tell stories", "laugh", "get bored"),
        "entity": ("an animal", "a machine", "a corporation", "a nation", "a crowd"),
        "quality": ("morally responsible", "creative", "wise", "truly original"),
        "epistemic": ("the sun will rise tomorrow", "other minds exist",
                      "we're not dreaming", "our memories are real"),
        "choosable": ("happiness", "love", "belief", "forgiveness", "gratitude"),
        "claim": ("cereal is a soup", "a hot dog is a sandwich", "time isn't real",
                  "math was invented", "nothing is truly random"),
        "priority": ("freedom or equality", "truth or kindness", "talent or hard work",
                     "luck or skill"),
        "purpose": ("art", "education", "laws", "rituals", "manners")}),
    Extra("definitions_spelling", 28, (
        "should i use {pair2} here?",
        "when do you use {pair2}?",
        "{pairvs}, which one is correct?",
        "i always mix up {pairand}",
        "is it correct to say {phrase}?",
        "grammar check: {sentence}",
        "proofread this: {sentence}",
        "when do i use {punct}?",
        "what's the correct spelling, {spell}?",
        "what does the idiom {idiom} mean?",
        "give me a fancier word for {adj2}",
        "what part of speech is {pos}?",
    ), {"pair2": PAIRS2, "pairvs": tuple(p.replace(" or ", " vs ") for p in PAIRS2),
        "pairand": tuple(p.replace(" or ", " and ") for p in PAIRS2),
        "phrase": ("me and him went", "could of", "less people", "between you and i",
                   "for all intensive purposes", "on accident", "should of", "anyways"),
        "sentence": ("their going to the park", "me and my friend went shopping",
                     "who's car is this", "the team are winning", "she don't like it",
                     "each of the kids have a bike", "i seen that movie"),
        "punct": ("a semicolon", "an em dash", "a colon", "an apostrophe",
                  "the oxford comma", "parentheses"),
        "spell": ("definately or definitely", "seperate or separate", "recieve or receive",
                  "occured or occurred", "calender or calendar", "embarass or embarrass",
                  "tommorow or tomorrow", "wierd or weird", "reciept or receipt"),
        "idiom": ("break a leg", "bite the bullet", "cost an arm and a leg", "spill the beans",
                  "the ball is in your court", "once in a blue moon", "hit the sack"),
        "adj2": ("good", "nice", "bad", "very big", "interesting", "said"),
        "pos": ("quickly", "however", "running", "the word the", "wow")}),
    Extra("time_date", 15, (
        "current time in {city2}",
        "what's the local time in {city2} right now?",
        "is it nighttime in {city2} right now?",
        "how many hours ahead is {city2}?",
        "what's the time difference between {city2} and {city3}?",
        "is it too late to call someone in {city2}?",
        "what day is it in {city2} right now?",
        "when does daylight saving time end this year?",
        "convert {time} eastern to {city2} time",
    ), {"city2": CITIES2, "city3": CITIES2, "time": TIMES}),
    Extra("personal_reminders", 12, (
        "share my {share} with {person2}",
        "send my {share} to {person2}",
        "give {person2} access to my {share}",
        "stop sharing my {share} with {person2}",
        "let {person2} see my {share}",
    ), {"share": ("location", "grocery list", "photo album from the trip", "spotify playlist",
                  "google doc", "wifi password", "packing list", "to do list",
                  "recipe folder", "vacation itinerary", "fantasy lineup", "reading list"),
        "person2": ("my sister", "my roommate", "the group chat", "jake", "my dad",
                    "my girlfriend", "my boyfriend", "the team", "my book club")}),
    Extra("salon_spa", 12, (
        "push my {salonsvc} back a week",
        "move my {salonsvc} to {when}",
        "can i get in for a {salonsvc} {when}?",
        "cancel my {salonsvc} with {stylist}",
        "what time is my {salonsvc} {when}?",
    ), {"salonsvc": ("lash fill", "blowout", "root touch-up", "gel fill", "eyebrow tint",
                     "beard lineup", "hot stone massage", "color appointment", "bang trim",
                     "brazilian wax", "hair braiding appointment"),
        "stylist": ("maria", "my usual stylist", "kim", "jordan", "the new barber"),
        "when": WHENS}),
    Extra("cars", 12, (
        "push my oil change to {when}",
        "cancel the car detailing on {day}",
        "book a tire swap for {when}",
        "when is my {car} due for an emissions test?",
        "my {car} keeps overheating in traffic",
        "the engine temperature light came on in my {car}",
        "my {car} battery keeps dying overnight",
        "my {car} won't start when it's cold out",
        "how much does a brake job on a {car} cost?",
        "move my {car}'s inspection to {when}",
    ), {"car": CARS, "day": DAYS, "when": WHENS}),
    Extra("flights", 10, (
        "has my {airline} flight from {city} landed yet?",
        "what gate does my {airline} flight leave from?",
        "is the {airline} flight from {city} delayed?",
        "push my {airline} flight back a day",
        "can i switch to a later {airline} flight?",
        "cancel my return flight from {city}",
        "check me in for my {airline} flight",
        "track the flight my {relative} is on",
    ), {"relative": ("mom", "dad", "sister", "husband", "grandpa", "son")}),
    Extra("restaurants_delivery", 8, (
        "push our reservation at {restaurant2} to {time}",
        "change our reservation at {restaurant2} to {n} people",
        "cancel the catering order for {day}",
        "can we get a pitcher of {drink2} for the table?",
        "bring us another round of {drink2}",
        "is our table at {restaurant2} ready yet?",
    ), {"restaurant2": ("the steakhouse", "the noodle bar", "cheesecake factory", "nobu",
                        "the pizzeria on elm", "texas roadhouse", "the brewery"),
        "drink2": ("water", "iced tea", "beer", "margaritas", "sangria"),
        "n": ("3", "5", "8", "ten"), "day": DAYS}),
    Extra("government_dmv", 9, (
        "push back my dmv visit to {when}",
        "cancel my dmv appointment for {day}",
        "pay my property taxes online",
        "pay the toll i missed last week",
        "when is my court date for the speeding ticket?",
        "move my jury duty to {when}",
        "when do i have to renew my car registration?",
        "book the written permit test for {when}",
    ), {"day": DAYS, "when": WHENS}),
    Extra("jobs_work", 10, (
        "move my 1:1 with {boss} to {when}",
        "push our team standup to {time}",
        "cancel the {meeting} on {day}",
        "reschedule the {meeting} for {when}",
        "when is my next performance review?",
        "what time is the all hands {when}?",
    ), {"boss": ("my manager", "my lead", "the director", "my skip level", "sarah"),
        "meeting": ("budget review", "client kickoff", "design review", "team lunch",
                    "offsite planning call", "vendor demo", "hiring sync"),
        "when": WHENS}),
)

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
    import yaml

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
    extra: list[str] = field(default_factory=list)  # training-only (TRAINING_ONLY)
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
    for domain in DOMAINS:
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
    base_slots = {d.name: d.slots for d in DOMAINS}
    for extra in TRAINING_ONLY:
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
            for extra in TRAINING_ONLY for t in extra.templates if skeleton(t) in held]


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
    short = [f"{x.name} {len(r.extra)}/{x.count}" for x in TRAINING_ONLY
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
