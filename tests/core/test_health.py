from __future__ import annotations

from typing import Any

from django.test import Client


def test_healthz_reports_every_dependency(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_503_when_the_broker_is_down(
    client: Client, db: None, settings: Any
) -> None:
    # A real unreachable broker (nothing listens on port 1), not a mock.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_answers_503_when_media_is_not_writable(
    client: Client, db: None, settings: Any, tmp_path: Any
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("media cannot live under a file")
    missing = blocker / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(missing)},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


def test_healthz_query_count(client: Client, db: None, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(1):
        client.get("/healthz")
