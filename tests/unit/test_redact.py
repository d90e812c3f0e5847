"""support/redact: the one redaction policy (known tokens, then anything JWT- or bearer-shaped) and the Secrets
object the backend, the CLI and the console share."""

from __future__ import annotations

import logging

import pytest

from tursotui.support.redact import Secrets, mask, redact

KNOWN = "plain-api-token-0123456789"
JWT = "eyJhbGciOiJFZERTQSJ9.eyJhIjoicnciLCJpZCI6ImFwcCJ9.c2lnbmF0dXJlLW5vdC1yZWFs"


def test_known_tokens_jwts_and_bearer_credentials_are_masked() -> None:
    secrets = Secrets([KNOWN, None, ""])
    text = secrets.scrub(f"api {KNOWN}; minted {JWT}; Authorization: Bearer opaque-credential-1")
    assert KNOWN not in text and JWT not in text and "opaque-credential-1" not in text
    assert mask(KNOWN) in text and mask(JWT) in text and "Bearer opaq…(19 chars)" in text
    assert secrets.scrub(text) == text  # masking twice changes nothing
    assert redact(f"x {KNOWN} {JWT}", [KNOWN]) == f"x {mask(KNOWN)} {mask(JWT)}"


def test_secrets_are_added_once_shared_and_never_shown_by_repr() -> None:
    secrets = Secrets()
    shared = secrets  # the backend's object, held by the context and the services alike
    shared.add(KNOWN, KNOWN, None)
    assert list(secrets) == [KNOWN] and len(secrets) == 1 and KNOWN in secrets
    assert repr(secrets) == "Secrets(1 known)" and KNOWN not in repr(secrets)


def test_json_output_is_scrubbed_except_the_token_revealed_on_purpose() -> None:
    secrets = Secrets([KNOWN])
    data = {"token": JWT, "notes": [f"made with {KNOWN}", 3, None], "nested": {"jwt": JWT}}
    assert secrets.scrub_json(data) == {
        "token": mask(JWT),
        "notes": [f"made with {mask(KNOWN)}", 3, None],
        "nested": {"jwt": mask(JWT)},
    }
    shown = secrets.scrub_json(data, reveal=JWT)
    assert shown["token"] == JWT and shown["nested"]["jwt"] == JWT
    assert shown["notes"][0] == f"made with {mask(KNOWN)}"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_log_records_are_scrubbed_with_their_arguments_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = Secrets([KNOWN])
    logger = logging.getLogger("tursotui.test_redact")
    handler = _Collect()
    handler.addFilter(secrets.log_filter())
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.WARNING, logger="tursotui.test_redact"):
            try:
                raise RuntimeError(f"failed with {JWT}")
            except RuntimeError:
                logger.warning("calling with %s", KNOWN, exc_info=True)
    finally:
        logger.removeHandler(handler)
    [record] = caplog.records
    assert record.getMessage() == f"calling with {mask(KNOWN)}"
    assert record.exc_text is not None and mask(JWT) in record.exc_text
    assert KNOWN not in caplog.text and JWT not in caplog.text
    assert handler.lines[0].startswith(f"calling with {mask(KNOWN)}\nTraceback")
    assert JWT not in handler.lines[0] and mask(JWT) in handler.lines[0]
