"""What the actions build themselves, in the conversation's language: dates, times and
amounts formatted for the locale (Babel), and the few words that sit inside lines made from
records ("insurance paid $40.00", "1 more time", a button's title).

Whole responses live in domain.yml, one variation per language; these are only the pieces a
response's placeholders are filled with. A language is a row of `FORMATS` and a column of
`WORDS`: adding one is data, not code. A word missing in a language falls back to English.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.numbers import format_currency

from bot.text import money as money_en

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class LocaleFormats:
    """How one language writes dates and amounts: Babel locales and CLDR patterns."""

    dates: str  # the locale for day and month names ("es": "martes", "diciembre")
    numbers: str  # the locale for amounts: US dollars as US readers write them
    day: str  # "Dec 13" / "13 de diciembre"
    day_with_year: str  # the same in another year
    moment: str  # "Thu, Dec 3 at 10:30 AM" / "martes 8 de diciembre, 10:30 a. m."
    weekday_day: str  # "Tuesday, Dec 15" / "martes 15 de diciembre"
    full_date: str  # "March 12, 1984" / "12 de marzo de 1984"
    day_first: bool  # how the language writes 12/03 when it writes numbers


FORMATS: dict[str, LocaleFormats] = {
    "en": LocaleFormats("en_US", "en_US", "MMM d", "MMM d, y", "EEE, MMM d 'at' h:mm a",
                        "EEEE, MMM d", "MMMM d, y", False),
    # Spanish day periods as "a. m." (es); amounts as "$125.40", written in the US (es_US).
    "es": LocaleFormats("es", "es_US", "d 'de' MMMM", "d 'de' MMMM 'de' y",
                        "EEEE d 'de' MMMM, h:mm a", "EEEE d 'de' MMMM", "d 'de' MMMM 'de' y",
                        True),
}
LANGUAGES = tuple(FORMATS)

# Words inside lines the actions build. Keys are "area.what"; `{name}` placeholders are
# filled by `words()`; "_one"/"_other" pairs are chosen by the language's plural rule.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "button.agent": "Talk to a person",
        # the web chat greeting's starting choices
        "button.bills": "Bills",
        "button.appointments": "Appointments",
        "button.refills": "Refills",
        "button.yes": "Yes",
        "button.no": "No",
        "sms.reply_with_number": "Reply {numbers}.",
        "time.minutes_one": "{count} minute",
        "time.minutes_other": "{count} minutes",
        "auth.tries_one": "{count} more time",
        "auth.tries_other": "{count} more times",
        # appointments
        "appointment.line": "{when} with {provider} ({specialty}) at {location}",
        "appointment.short": "{provider}, {when}",
        "appointment.that_time": "that time",
        "button.cancel_it": "Yes, cancel it",
        "button.new_time_instead": "Find a new time instead",
        "button.keep_it": "Keep it",
        "button.none_of_these": "None of these",
        "button.book_new_time": "Book a new time",
        # billing
        "billing.due_on": "{date}",
        "billing.due_now": "now",
        "billing.charge_line": "• {date}, {description}: {amount}{insurance}",
        "billing.charge_insurance_paid": " (insurance paid {amount})",
        "billing.charge_billed": "{description} on {date}: billed {amount}",
        "billing.pending_nothing_due": "{charge}. Insurance is still reviewing it, so nothing "
                                       "is due for it yet.",
        "billing.pending": ", insurance is still reviewing it",
        "billing.insurance_paid": ", insurance paid {amount}",
        "billing.discount": ", discount {amount}",
        "billing.your_part": ", your part {amount}",
        "billing.share.copay": "because that's your plan's copay",
        "billing.share.deductible": "because it went toward your yearly deductible",
        "billing.share.coinsurance": "because your plan has you pay a share of the cost",
        "billing.share.not_covered": "because your insurer didn't cover it",
        "billing.share.self_pay": "because no insurance was billed for it",
        "billing.denial.out_of_network": "the provider is out of network for your plan",
        "billing.denial.not_medically_necessary": "they said it wasn't medically necessary",
        "billing.denial.no_prior_authorization": "it needed their approval ahead of time",
        "billing.denial.not_a_covered_service": "your plan doesn't cover this service",
        "billing.denial.coverage_inactive": "they had no active coverage for you on that date",
        "billing.next.not_covered": "You can ask your insurer to review it, or talk with our "
                                    "billing team.",
        "billing.next.self_pay": 'If you had insurance then, tell me "I have new insurance".',
        "billing.claim.pending": "insurance is still reviewing it",
        "billing.claim.paid": "claim paid",
        "billing.claim.denied": "insurance denied the claim",
        "billing.plan_title": "{months} months, {monthly}/mo",
        "billing.plan_months": "{months} months",
        "billing.plan_monthly": "{monthly} a month over {months} months",
        "list.or": "or",
        "billing.policy_line": "• {payer}{plan}, member ID {member_id}",
        "billing.claim_line": "• {date}, {description}: insurance paid {paid} of {billed} "
                              "({state})",
        "billing.no_claims": "• No claims yet.",
        "button.show_all_charges": "Show all my charges",
        "button.pay_balance": "Pay my balance",
        # refills
        "refill.state.submitted": "sent to {pharmacy}, not ready yet",
        "refill.state.renewal_requested": "waiting for your prescriber to renew it",
        "refill.state.ready": "ready to pick up at {pharmacy}",
        "refill.state.denied": "not approved by your prescriber; our team can tell you more",
        "refill.status_line": "• {medication}, asked {date}: {state} (ref. {reference})",
        # outreach texts (SMS the patient did not ask for: the clinic's name first)
        "outreach.reminder": "{clinic}: reminder of your appointment on {when} with "
                             "{provider} at {location}.",
        "outreach.no_show": "{clinic}: we missed you at your appointment with {provider} on "
                            "{when}. We hope you're okay. Would you like a new time?",
        "outreach.refill": "{clinic}: your {medicine} {runs}. You have refills left.",
        "outreach.renewal": "{clinic}: your {medicine} {runs} and has no refills left.",
        "outreach.runs.out": "has run out",
        "outreach.runs.on": "runs out on {day}",
        "outreach.runs.low": "is running low",
        "outreach.balance": "{clinic}: you have a balance on your latest statement. You can "
                            "see it and pay by text.",
        "outreach.your_doctor": "your doctor",
        "outreach.who_is_this": "This is the automated text assistant of {clinic}. If this "
                                "message isn't for you, reply WRONG NUMBER and we won't text "
                                "you again.",
        "outreach.wrong_number": "Sorry about that, and thank you for telling us. We won't "
                                 "text this number again.",
        "button.confirm": "Confirm",
        "button.reschedule": "Reschedule",
        "button.cancel_visit": "Cancel it",
        "button.refill_it": "Refill it",
        "button.ask_renewal": "Ask {doctor} to renew",
        "button.see_balance": "See my balance",
        # teams, as a patient reads them ("Our {team} is closed right now")
        "team.billing": "billing office",
        "team.scheduling": "scheduling team",
        "team.pharmacy": "pharmacy team",
        "team.nurse": "nurse line",
        "team.general": "patient support team",
        # when a closed team opens (clinic time)
        "time.at": "at {clock}",
        "time.at_one": "at {clock}",  # Spanish says "a la una"
        "time.soon": "soon",
        "time.today_at": "today {at}",
        "time.tomorrow_at": "tomorrow {at}",
        "time.day_at": "{day} {at}",
    },
    "es": {
        "button.agent": "Hablar con una persona",
        "button.bills": "Facturas",
        "button.appointments": "Citas",
        "button.refills": "Resurtidos",
        "button.yes": "Sí",
        "button.no": "No",
        # Names the numbers ("Responda 1, 2 o 3."): "número" has a "ú", which is not GSM-7
        # and would make the whole text UCS-2.
        "sms.reply_with_number": "Responda {numbers}.",
        "time.minutes_one": "{count} minuto",
        "time.minutes_other": "{count} minutos",
        "auth.tries_one": "{count} vez más",
        "auth.tries_other": "{count} veces más",
        "appointment.line": "{when} con {provider} ({specialty}) en {location}",
        "appointment.short": "{provider}, {when}",
        "appointment.that_time": "horario que eligió",
        "button.cancel_it": "Sí, cancelarla",
        "button.new_time_instead": "Mejor buscar otra hora",
        "button.keep_it": "Mantenerla",
        "button.none_of_these": "Ninguno de estos",
        "button.book_new_time": "Hacer una nueva cita",
        "billing.due_on": "el {date}",
        "billing.due_now": "ahora",
        "billing.charge_line": "• {date}, {description}: {amount}{insurance}",
        "billing.charge_insurance_paid": " (el seguro pagó {amount})",
        "billing.charge_billed": "{description} del {date}: se cobró {amount}",
        "billing.pending_nothing_due": "{charge}. Su seguro todavía lo está revisando, así que "
                                       "por ahora no debe nada por esto.",
        "billing.pending": ", su seguro todavía lo está revisando",
        "billing.insurance_paid": ", el seguro pagó {amount}",
        "billing.discount": ", descuento de {amount}",
        "billing.your_part": ", su parte es {amount}",
        "billing.share.copay": "porque es el copago de su plan",
        "billing.share.deductible": "porque se aplicó a su deducible del año",
        "billing.share.coinsurance": "porque su plan le pide pagar una parte del costo",
        "billing.share.not_covered": "porque su seguro no lo cubrió",
        "billing.share.self_pay": "porque no se le cobró a ningún seguro",
        "billing.denial.out_of_network": "el proveedor está fuera de la red de su plan",
        "billing.denial.not_medically_necessary": "dijeron que no era médicamente necesario",
        "billing.denial.no_prior_authorization": "necesitaba su aprobación por adelantado",
        "billing.denial.not_a_covered_service": "su plan no cubre este servicio",
        "billing.denial.coverage_inactive": "no tenía cobertura activa con ellos en esa fecha",
        "billing.next.not_covered": "Puede pedirle a su seguro que lo revise, o hablar con "
                                    "nuestro equipo de facturación.",
        "billing.next.self_pay": 'Si tenía seguro en ese momento, dígame "tengo seguro nuevo".',
        "billing.claim.pending": "su seguro todavía lo está revisando",
        "billing.claim.paid": "reclamo pagado",
        "billing.claim.denied": "su seguro negó el reclamo",
        "billing.plan_title": "{months} meses, {monthly} al mes",
        "billing.plan_months": "{months} meses",
        "billing.plan_monthly": "{monthly} al mes durante {months} meses",
        "list.or": "o",
        "billing.policy_line": "• {payer}{plan}, número de miembro {member_id}",
        "billing.claim_line": "• {date}, {description}: el seguro pagó {paid} de {billed} "
                              "({state})",
        "billing.no_claims": "• Todavía no hay reclamos.",
        "button.show_all_charges": "Ver todos mis cargos",
        "button.pay_balance": "Pagar mi saldo",
        "refill.state.submitted": "enviada a {pharmacy}, todavía no está lista",
        "refill.state.renewal_requested": "esperando que su médico la renueve",
        "refill.state.ready": "lista para recoger en {pharmacy}",
        "refill.state.denied": "su médico no la aprobó; nuestro equipo le puede dar más "
                               "detalles",
        "refill.status_line": "• {medication}, pedida el {date}: {state} (ref. {reference})",
        "outreach.reminder": "{clinic}: le recordamos su cita del {when} con {provider} en "
                             "{location}.",
        "outreach.no_show": "{clinic}: lo extrañamos en su cita con {provider} del {when}. "
                            "Esperamos que esté bien. ¿Quiere una nueva cita?",
        "outreach.refill": "{clinic}: su {medicine} {runs}. Le quedan resurtidos.",
        "outreach.renewal": "{clinic}: su {medicine} {runs} y ya no le quedan resurtidos.",
        "outreach.runs.out": "ya se terminó",
        "outreach.runs.on": "se termina el {day}",
        "outreach.runs.low": "se está terminando",
        "outreach.balance": "{clinic}: tiene un saldo en su último estado de cuenta. Puede "
                            "verlo y pagarlo por texto.",
        "outreach.your_doctor": "su médico",
        "outreach.who_is_this": "Le escribe el asistente automático de mensajes de {clinic}. "
                                "Si este mensaje no es para usted, responda NÚMERO EQUIVOCADO "
                                "y no le volveremos a escribir.",
        "outreach.wrong_number": "Disculpe la molestia y gracias por avisarnos. No volveremos "
                                 "a escribir a este número.",
        "button.confirm": "Confirmar",
        "button.reschedule": "Cambiar la cita",
        "button.cancel_visit": "Cancelarla",
        "button.refill_it": "Pedir el resurtido",
        "button.ask_renewal": "Pedir a {doctor} que la renueve",
        "button.see_balance": "Ver mi saldo",
        # With the possessive: "nuestra línea" and "nuestro equipo" differ in gender.
        "team.billing": "nuestro departamento de facturación",
        "team.scheduling": "nuestro equipo de citas",
        "team.pharmacy": "nuestro equipo de farmacia",
        "team.nurse": "nuestra línea de enfermería",
        "team.general": "nuestro equipo de atención al paciente",
        "time.at": "a las {clock}",
        "time.soon": "pronto",
        "time.at_one": "a la {clock}",  # la una
        "time.today_at": "hoy {at}",
        "time.tomorrow_at": "mañana {at}",
        "time.day_at": "el {day} {at}",
    },
}

# Babel writes some spaces as no-break spaces ("10:30\u202fAM", "a.\u202fm."): plain spaces
# read the same, fit GSM-7 and compare as typed.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def without_accents(text: str) -> str:
    """"explíqueme cuánto" -> "expliqueme cuanto": how patients often type, so the words a
    request is matched on are found either way (ñ -> n, ü -> u)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def names_of_day(local: datetime | date) -> set[str]:
    """The day's weekday and month as patients may write them in any language we speak,
    lower case and without accents: {"thursday", "thu", "december", "jueves", "diciembre", ...}."""
    names: set[str] = set()
    for formats in FORMATS.values():
        for pattern in ("EEEE", "EEE", "MMMM"):
            word = format_date(local, pattern, locale=formats.dates).lower().strip(".")
            names.add(without_accents(word))
    return names


def language_or_default(value: Any) -> str:
    """A language we speak: the value when it is one, else English."""
    return value if isinstance(value, str) and value in FORMATS else DEFAULT_LANGUAGE


def words(key: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The words for `key` in `language` (English when that language lacks them), filled."""
    table = WORDS.get(language_or_default(language), {})
    text = table.get(key)
    if text is None:
        text = WORDS[DEFAULT_LANGUAGE][key]  # KeyError: a key no language has is a bug
    return text.format(**values) if values else text


def count_words(key: str, count: int, language: str = DEFAULT_LANGUAGE) -> str:
    """"1 minute", "5 minutos": `key_one`/`key_other` by the language's plural rule."""
    language = language_or_default(language)
    form = Locale.parse(FORMATS[language].numbers).plural_form(count)
    chosen = f"{key}_{form}" if f"{key}_{form}" in WORDS[language] else f"{key}_other"
    return words(chosen, language, count=count)


def either_of(items: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    """"1, 2 or 3" / "1, 2 o 3": a choice among `items`, as the language lists one."""
    return format_list(items, style="or", locale=FORMATS[language_or_default(language)].numbers)


def money(cents: int, language: str = DEFAULT_LANGUAGE) -> str:
    """"$1,234.50" from integer cents, exact at any size, written as the language writes
    US dollars."""
    language = language_or_default(language)
    if language == DEFAULT_LANGUAGE:
        return money_en(cents)
    amount = Decimal(cents).scaleb(-2)
    return format_currency(amount, "USD", locale=FORMATS[language].numbers).translate(_SPACES)


def say_date(day: date, today: date, language: str = DEFAULT_LANGUAGE) -> str:
    """"Dec 13" / "13 de diciembre", with the year only when it is not `today`'s."""
    formats = FORMATS[language_or_default(language)]
    pattern = formats.day if day.year == today.year else formats.day_with_year
    return format_date(day, pattern, locale=formats.dates).translate(_SPACES)


def say_day(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """"Tuesday, Dec 15" / "martes 15 de diciembre": a day the patient named, said back."""
    formats = FORMATS[language_or_default(language)]
    return format_date(day, formats.weekday_day, locale=formats.dates).translate(_SPACES)


def say_full_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """"March 12, 1984" / "12 de marzo de 1984": a date with nothing left to guess."""
    formats = FORMATS[language_or_default(language)]
    return format_date(day, formats.full_date, locale=formats.dates).translate(_SPACES)


def writes_day_first(language: str) -> bool:
    return FORMATS[language_or_default(language)].day_first


def say_moment(local: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """"Thu, Dec 3 at 10:30 AM" / "jueves 3 de diciembre, 10:30 a. m.": `local` as given
    (already in the clinic's time zone)."""
    formats = FORMATS[language_or_default(language)]
    return format_datetime(local, formats.moment, tzinfo=local.tzinfo,
                           locale=formats.dates).translate(_SPACES)


def say_opening(opening: datetime, at: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """When a closed team opens, seen from `at`: "tomorrow at 8 AM", "Monday at 8:30 AM" /
    "mañana a las 8:00 a. m.", "el lunes a la 1:00 p. m.". Both in the clinic's time zone
    (`at` is taken into `opening`'s)."""
    language = language_or_default(language)
    formats = FORMATS[language]
    if language == DEFAULT_LANGUAGE:
        clock = opening.strftime("%-I:%M %p").replace(":00 ", " ")
    else:
        clock = format_datetime(opening, "h:mm a", tzinfo=opening.tzinfo,
                                locale=formats.dates).translate(_SPACES)
    when = words("time.at_one" if opening.hour % 12 == 1 else "time.at", language, clock=clock)
    days = (opening.date() - at.astimezone(opening.tzinfo).date()).days
    if days == 0:
        return words("time.today_at", language, at=when)
    if days == 1:
        return words("time.tomorrow_at", language, at=when)
    day = format_date(opening, "EEEE", locale=formats.dates)
    return words("time.day_at", language, day=day, at=when)
