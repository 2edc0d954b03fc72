"""Builds the back office the settings ask for: the one place that knows every adapter.

It sits above the port and the adapters (each adapter imports the port's types), so choosing
an adapter never makes the port import what implements it.
"""

from __future__ import annotations

from bot.backoffice import reference
from bot.backoffice.fhir.adapter import FhirBackOffice
from bot.backoffice.fhir.client import client_from_settings
from bot.backoffice.port import BackOffice, Domain, Source, sources_from
from bot.settings import Settings


def build_backoffice(settings: Settings) -> BackOffice:
    """The adapters the settings ask for; one FHIR client shared by the FHIR domains."""
    sources = sources_from(settings)
    ref = reference.ReferenceBackOffice()
    fhir = None
    if Source.fhir in sources.values():
        fhir = FhirBackOffice(client_from_settings(settings), settings)

    def pick(domain: Domain) -> object:
        if sources[domain] is Source.fhir:
            assert fhir is not None
            return fhir.for_domain(domain)
        return ref

    return BackOffice(
        identity=pick(Domain.identity),  # type: ignore[arg-type]
        scheduling=pick(Domain.scheduling),  # type: ignore[arg-type]
        pharmacy=pick(Domain.pharmacy),  # type: ignore[arg-type]
        insurance=pick(Domain.insurance),  # type: ignore[arg-type]
        billing=pick(Domain.billing),  # type: ignore[arg-type]
        consent=pick(Domain.consent),  # type: ignore[arg-type]
        sources=sources,
    )


_CACHE: dict[tuple[object, ...], BackOffice] = {}


def get_backoffice(settings: Settings) -> BackOffice:
    """One back office per configuration for the process (the FHIR client keeps its token,
    its connections and what the server said it can do)."""
    key = (tuple(sources_from(settings).items()), settings.fhir_base_url,
           settings.fhir_client_id, settings.fhir_profile, settings.fhir_mrn_system,
           settings.fhir_refill_owner, settings.fhir_private_key_file)
    backoffice = _CACHE.get(key)
    if backoffice is None:
        backoffice = _CACHE[key] = build_backoffice(settings)
    return backoffice


def clear_backoffice_cache() -> None:
    for backoffice in _CACHE.values():
        close = getattr(backoffice.scheduling, "close", None)
        if close is not None:
            close()
    _CACHE.clear()
