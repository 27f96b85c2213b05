"""Schemathesis against the OpenAPI schema that /api/schema/ serves: every operation, as a
learner and as a BKPSDM auditor, with generated valid and invalid input. No answer may be a
5xx, and every answer must match what the schema promises (status, content type, body).

The number of examples per operation is bounded (SINAU_SCHEMATHESIS_EXAMPLES, default 15)
so the run stays short in `make test`; raise it locally to fuzz harder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.reports.conftest import compliance  # noqa: F401  (fixture: a Pemda with hours)

EXAMPLES = int(os.environ.get("SINAU_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


# Loaded from the app, as a client would (a GET of /api/schema/ through the WSGI handler,
# no database needed): what is tested is what is served. Requests go to the same handler.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _connection_kept_open() -> Iterator[None]:
    """The real WSGI handler closes the database connection after each request; inside the
    test's transaction that would lose the data, so (as Django's test client does) the
    connection stays open for the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def token_header(employee: Any) -> dict[str, str]:
    _token, key = AuthToken.objects.create(user=employee)
    return {"Authorization": f"Token {key}"}


@pytest.fixture
def learner(compliance: dict[str, Any]) -> dict[str, str]:  # noqa: F811
    return token_header(compliance["learner"])


@pytest.fixture
def auditor(compliance: dict[str, Any]) -> dict[str, str]:  # noqa: F811
    return token_header(compliance["auditor"])


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a red CI run reproduces locally
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_api_as_a_learner(case: Any, learner: dict[str, str]) -> None:
    case.call_and_validate(headers=learner, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_an_auditor(case: Any, auditor: dict[str, str]) -> None:
    case.call_and_validate(headers=auditor, checks=CHECKS)
