"""Personal data in call text: found by `find_pii`, replaced by typed placeholders by a `Redactor`.

Analysis runs on the raw transcript; redaction is applied to what is shown or published (`redact_result`).
Submodules are imported by name so that reading the entity types (`entities`) stays cheap.
"""
