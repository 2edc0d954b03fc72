"""The FHIR R4 adapter of the back office (see adapter.py), its client and its tools."""
