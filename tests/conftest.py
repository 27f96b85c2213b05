from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.factories import EmployeeFactory, OrgUnitFactory, make_pemda
from tests.support import BUCKET, moto_server, s3_storage


@pytest.fixture(autouse=True)
def _forgetful_cache() -> None:
    """Each test starts with an empty cache: what a test leaves there (rate limits, watched
    ranges) is keyed by ids that the next test database hands out again. The suite's Redis
    database is its own (CI puts the broker in another)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_files(settings: Any, tmp_path: Path) -> None:
    """Each test writes its files into its own MEDIA_ROOT; static files come from finders."""
    (tmp_path / "media").mkdir()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The HR file drop (lms.interop) writes there when a delivery runs (eager tasks).
    settings.SINAU_HR_DROP_DIR = str(tmp_path / "hr-drop")
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hash passwords cheaply in tests: the hasher is not what is under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pemda(db: None) -> dict[str, Any]:
    return make_pemda()


def ensure_wagtail_root() -> None:
    """Wagtail's migrations create its locale and root page; a transactional test's flush
    removes them, so tests that build pages after one put them back."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Collection, Locale, Page

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    if Page.get_first_root_node() is None:
        locale, _created = Locale.objects.get_or_create(language_code="id")
        Page.add_root(
            instance=Page(
                title="Root", slug="root", locale=locale,
                content_type=ContentType.objects.get_for_model(Page),
            )
        )  # fmt: skip


@pytest.fixture
def home(db: None) -> Any:
    """The Wagtail home page, catalogue and sample course of the demo."""
    from courses.demo import seed_demo_catalogue

    ensure_wagtail_root()
    return seed_demo_catalogue()


@pytest.fixture
def employee_factory(db: None) -> type[EmployeeFactory]:
    return EmployeeFactory


@pytest.fixture
def org_unit_factory(db: None) -> type[OrgUnitFactory]:
    return OrgUnitFactory


def publish(module: Any, body: list[tuple[str, Any]]) -> Any:
    """Give a module page this body and publish it (which fills Wagtail's reference index,
    through which videos and quizzes find the modules that show them)."""
    module.body = body
    module.save_revision().publish()
    module.refresh_from_db()
    return module


@pytest.fixture
def catalogue(db: None) -> Any:
    """Home and an empty catalogue as the site's root (the demo's four courses cost time)."""
    return make_catalogue()


def make_catalogue() -> Any:
    from wagtail.models import Page, Site

    from courses.models import CatalogueIndexPage, HomePage

    ensure_wagtail_root()
    home = HomePage(title="Sinau", slug="sinau-uji")
    Page.get_first_root_node().add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    catalogue = CatalogueIndexPage(title="Katalog kursus", slug="katalog")
    home.add_child(instance=catalogue)
    return catalogue


@pytest.fixture
def course_with(catalogue: Any) -> Callable[..., Any]:
    """A live course whose modules have the given bodies (``course_with(body1, body2,
    title=..., **course fields)``)."""
    from courses.models import CoursePage, ModulePage

    def make(*bodies: list[tuple[str, Any]], title: str = "Kursus Video", **fields: Any) -> Any:
        slug = title.lower().replace(" ", "-")
        course = CoursePage(
            title=title, slug=slug, summary="Ringkasan", jp_credited=Decimal("2"), **fields
        )
        catalogue.add_child(instance=course)
        for number, body in enumerate(bodies, start=1):
            module = ModulePage(title=f"Modul {number}", slug=f"modul-{number}")
            course.add_child(instance=module)
            publish(module, body)
        return course

    return make


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def on_s3(s3_endpoint: str, settings: Any) -> Any:
    """The default storage on S3 (moto's server); returns a boto3 client for checking."""
    import boto3

    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(s3_endpoint)}
    return client
