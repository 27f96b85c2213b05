"""Protected playback on local storage: who may fetch playlists, posters and segments,
how playlists are rewritten, signed tokens, X-Accel-Redirect, and bounded query counts.

The ladders here are files written the way ffmpeg writes them (a master playlist with
relative variant URIs, rung playlists with relative segment names); the tests at the end
play a ladder that ffmpeg really made (``ready_video``).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupPagePermission

from courses.models import CoursePage, ModulePage
from lms.learning import services
from lms.learning.models import Enrolment
from lms.people.models import Employee
from lms.videos import playback
from lms.videos.models import Rendition, Video
from lms.videos.selectors import may_watch, watch_access
from lms.videos.storage import HLS_ROOT, video_storage
from tests.factories import EmployeeFactory
from tests.support import BUCKET

# --- a ladder in storage, as ffmpeg writes it ------------------------------------------

RUNGS = [(240, 426, 400_000), (360, 640, 800_000)]
SEGMENTS = 3


def master_text() -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for height, width, bitrate in RUNGS:
        lines += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={bitrate + 128_000},RESOLUTION={width}x{height},"
            'CODECS="avc1.64001e,mp4a.40.2"',
            f"{height}p/index.m3u8",
        ]
    return "\n".join(lines) + "\n\n"


def media_text(segments: list[str] | None = None) -> str:
    segments = segments or [f"seg_{i:05d}.ts" for i in range(SEGMENTS)]
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:6",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for name in segments:
        lines += ["#EXTINF:6.000000,", name]
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def write_ladder(video: Video) -> Video:
    """Write a two-rung ladder with a poster into the default storage and point the
    video at it, as the transcoder does when a job finishes."""
    storage = video_storage()
    prefix = f"{HLS_ROOT}/{video.pk}/{uuid.uuid4().hex}/"
    storage.save(f"{prefix}master.m3u8", ContentFile(master_text().encode()))
    for height, width, bitrate in RUNGS:
        storage.save(f"{prefix}{height}p/index.m3u8", ContentFile(media_text().encode()))
        for i in range(SEGMENTS):
            body = f"segment {height}p {i} ".encode() * 50 + bytes(range(256))
            storage.save(f"{prefix}{height}p/seg_{i:05d}.ts", ContentFile(body))
        Rendition.objects.create(
            video=video, height=height, width=width, bitrate=bitrate,
            playlist_path=f"{prefix}{height}p/index.m3u8",
        )  # fmt: skip
    storage.save(f"{prefix}poster.jpg", ContentFile(b"\xff\xd8\xff\xe0 poster \xff\xd9"))
    Video.objects.filter(pk=video.pk).update(
        hls_prefix=prefix, poster=f"{prefix}poster.jpg", status=Video.Status.READY
    )
    video.refresh_from_db()
    return video


def show_in_module(module: ModulePage, video: Video, *, publish: bool = True) -> ModulePage:
    """Put a video block into a module's body (through a revision, as an editor would)."""
    module.body = [("video", {"video": video, "caption": "Materi"})]
    revision = module.save_revision()
    if publish:
        revision.publish()
    module.refresh_from_db()
    return module


def stored(name: str) -> bytes:
    with video_storage().open(name, "rb") as fh:
        return bytes(fh.read())


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def file_name_of(url: str) -> str:
    """The storage name in a local signed URL: /video/berkas/<token>/<name>."""
    match = re.fullmatch(r"/video/berkas/([^/]+)/(.+)", url)
    assert match, url
    return unquote(match.group(2))


# --- the scene: a live course, a video in its first module, people around it -----------


@dataclass
class Scene:
    course: CoursePage
    module: ModulePage
    video: Video
    learner: Employee

    def urls(self) -> dict[str, str]:
        kw = {"video_id": self.video.pk}
        return {
            "master": reverse("videos:master", kwargs=kw),
            "rung": reverse("videos:rendition_playlist", kwargs={**kw, "height": 240}),
            "poster": reverse("videos:poster", kwargs=kw),
        }


def client_for(user: Employee | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def courses(home: Any) -> dict[str, CoursePage]:
    return {c.slug: c for c in CoursePage.objects.all()}


@pytest.fixture
def owner(db: None) -> Employee:
    return EmployeeFactory.create(full_name="Pengunggah Video")


def make_scene(courses: dict[str, CoursePage], owner: Employee) -> Scene:
    """The ladder goes into whatever the default storage is when this runs."""
    course = courses["integritas-asn"]
    module = ModulePage.objects.child_of(course).order_by("path").first()
    assert module is not None
    video = write_ladder(Video.objects.create(title="Kuliah integritas", owner=owner))
    show_in_module(module, video)
    learner = EmployeeFactory.create(full_name="Peserta Terdaftar")
    services.enrolment_request(actor=learner, course=course)
    return Scene(course=course, module=module, video=video, learner=learner)


@pytest.fixture
def scene(courses: dict[str, CoursePage], owner: Employee) -> Scene:
    return make_scene(courses, owner)


@pytest.fixture
def s3_scene(on_s3: Any, courses: dict[str, CoursePage], owner: Employee) -> Scene:
    return make_scene(courses, owner)


# --- who may watch ---------------------------------------------------------------------


def test_reference_index_knows_the_published_module(scene: Scene) -> None:
    access = watch_access(viewer=scene.learner, video=scene.video)
    assert access.allowed
    assert not access.is_preview
    [use] = access.uses
    assert use.module.pk == scene.module.pk
    assert use.enrolment.course_id == scene.course.pk
    assert use.enrolment.status == Enrolment.Status.ACTIVE


def test_enrolled_learner_plays_master_rung_and_segments(scene: Scene) -> None:
    client = client_for(scene.learner)
    response = client.get(scene.urls()["master"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    master = response.content.decode()
    assert master.startswith("#EXTM3U\n")
    assert uris(master) == [
        reverse("videos:rendition_playlist", kwargs={"video_id": scene.video.pk, "height": h})
        for h, _w, _b in RUNGS
    ]
    assert 'RESOLUTION=426x240,CODECS="avc1.64001e,mp4a.40.2"' in master
    assert "index.m3u8" not in master
    assert HLS_ROOT not in master

    for (height, _w, _b), rung_url in zip(RUNGS, uris(master), strict=True):
        response = client.get(rung_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.apple.mpegurl"
        assert "no-store" in response["Cache-Control"]
        playlist = response.content.decode()
        assert "#EXT-X-ENDLIST" in playlist
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
        segment_urls = uris(playlist)
        assert len(segment_urls) == SEGMENTS
        for i, url in enumerate(segment_urls):
            name = file_name_of(url)
            assert name == f"{scene.video.hls_prefix}{height}p/seg_{i:05d}.ts"
            # Anyone holding the URL gets the file (like a presigned URL): no session needed.
            fetched = Client().get(url)
            assert fetched.status_code == 200
            assert fetched["Content-Type"] == "video/mp2t"
            assert body_of(fetched) == stored(name)

    poster = client.get(scene.urls()["poster"])
    assert poster.status_code == 302
    assert "no-store" in poster["Cache-Control"]
    image = Client().get(poster["Location"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert body_of(image) == stored(scene.video.poster)

    assert client.head(scene.urls()["master"]).status_code == 200
    assert client.post(scene.urls()["master"]).status_code == 405

    # A finished course stays open for review.
    enrolment = Enrolment.objects.get(employee=scene.learner)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    assert client.get(scene.urls()["master"]).status_code == 200


def test_others_get_404_for_playlists_and_poster(
    scene: Scene, courses: dict[str, CoursePage], pemda: dict[str, Any]
) -> None:
    stranger = EmployeeFactory.create(full_name="Bukan peserta")
    # The same video in an approval course: a request there waits for the OPD admin.
    approval = courses["pelayanan-publik-prima"]
    show_in_module(ModulePage.objects.child_of(approval).first(), scene.video)
    pending = EmployeeFactory.create(full_name="Menunggu", org_unit=pemda["unit_a"])
    assert services.enrolment_request(actor=pending, course=approval).status == "pending"
    withdrawn = EmployeeFactory.create(full_name="Mundur")
    services.enrolment_withdraw(
        actor=withdrawn,
        enrolment=services.enrolment_request(actor=withdrawn, course=scene.course),
    )
    rejected = EmployeeFactory.create(full_name="Ditolak")
    Enrolment.objects.create(
        employee=rejected, course=scene.course, source="self", status="rejected"
    )
    inactive = EmployeeFactory.create(full_name="Nonaktif", is_active=False)
    services.enrolment_request(actor=inactive, course=scene.course)
    missing = reverse("videos:master", kwargs={"video_id": 999_999})

    for user in (None, stranger, pending, withdrawn, rejected, inactive):
        assert not may_watch(user, scene.video), user
        client = client_for(user)
        for url in scene.urls().values():
            assert client.get(url).status_code == 404, (user, url)
        # The answer a video that does not exist gets: nothing leaks.
        assert client.get(missing).status_code == 404
    # Neither an OPD admin nor an auditor watches a course's videos by their role alone.
    for user in (pemda["admin_a"], pemda["auditor"]):
        assert not may_watch(user, scene.video)


def test_unpublished_module_course_or_another_course_gives_nothing(
    scene: Scene, courses: dict[str, CoursePage]
) -> None:
    other = write_ladder(Video.objects.create(title="Video lain"))
    # In a never-published module of the learner's own course (its row holds the block).
    draft = ModulePage(title="Modul draf", slug="modul-draf", live=False)
    draft.body = [("video", {"video": other, "caption": ""})]
    scene.course.add_child(instance=draft)
    assert not may_watch(scene.learner, other)
    # In a live module of a course the learner is not enrolled in.
    elsewhere = ModulePage.objects.child_of(courses["tata-naskah-dinas-elektronik"]).first()
    show_in_module(elsewhere, other)
    assert not may_watch(scene.learner, other)
    client = client_for(scene.learner)
    assert client.get(reverse("videos:master", kwargs={"video_id": other.pk})).status_code == 404
    # Added in a draft revision of the learner's live module: not until it is published.
    show_in_module(scene.module, other, publish=False)
    assert not may_watch(scene.learner, other)
    assert may_watch(scene.learner, scene.video)  # the published body still shows this one
    ModulePage.objects.get(pk=scene.module.pk).get_latest_revision().publish()
    assert may_watch(scene.learner, other)
    assert not may_watch(scene.learner, scene.video)
    # The whole course taken offline.
    scene.course.unpublish()
    assert not may_watch(scene.learner, other)
    assert client.get(reverse("videos:master", kwargs={"video_id": other.pk})).status_code == 404


def test_instructor_editor_superuser_owner_and_video_editors_may_watch(
    scene: Scene, pemda: dict[str, Any], owner: Employee
) -> None:
    instructor = EmployeeFactory.create(full_name="Widyaiswara")
    scene.course.instructors.add(instructor)
    scene.course.save()

    editor = EmployeeFactory.create(full_name="Penyunting kursus")
    group = Group.objects.create(name="Penyunting uji")
    GroupPagePermission.objects.create(
        group=group, page=scene.course, permission=Permission.objects.get(codename="change_page")
    )
    editor.groups.add(group)

    video_editor = EmployeeFactory.create(full_name="Pengelola video")
    video_editor.user_permissions.add(Permission.objects.get(codename="change_video"))

    for user in (instructor, editor, pemda["superuser"], owner, video_editor):
        access = watch_access(viewer=user, video=scene.video)
        assert access.is_preview, user
        client = client_for(user)
        assert client.get(scene.urls()["master"]).status_code == 200
        assert client.get(scene.urls()["rung"]).status_code == 200
        assert client.get(scene.urls()["poster"]).status_code == 302

    # Authors preview a video in a module no learner sees yet; learners do not.
    other = write_ladder(Video.objects.create(title="Video draf"))
    draft = ModulePage(title="Modul draf", slug="modul-draf", live=False)
    draft.body = [("video", {"video": other, "caption": ""})]
    scene.course.add_child(instance=draft)
    assert may_watch(instructor, other)
    assert may_watch(editor, other)
    assert not may_watch(scene.learner, other)


# --- broken ladders: 404 and a log line, never a 500 ------------------------------------


def test_broken_or_missing_ladders_are_404(scene: Scene, pemda: dict[str, Any]) -> None:
    storage = video_storage()
    client = client_for(scene.learner)
    urls = scene.urls()
    rung = f"{scene.video.hls_prefix}240p/index.m3u8"
    for segment in [
        "../../../sources/1/clip.mp4",
        "/etc/passwd",
        "http://evil.example/seg.ts",
        "../index.m3u8",
        "seg.ts?x=1",
        "kunci.key",
    ]:
        storage.delete(rung)
        storage.save(rung, ContentFile(media_text(["seg_00000.ts", segment]).encode()))
        assert client.get(urls["rung"]).status_code == 404, segment

    assert client.get(urls["master"]).status_code == 200
    master = f"{scene.video.hls_prefix}master.m3u8"
    storage.delete(master)
    storage.save(master, ContentFile(b"\xff\xfe not a playlist"))
    assert client.get(urls["master"]).status_code == 404
    storage.delete(master)
    assert client.get(urls["master"]).status_code == 404

    Rendition.objects.filter(video=scene.video, height=360).update(
        playlist_path="videos/sources/1/index.m3u8"
    )
    url = reverse("videos:rendition_playlist", kwargs={"video_id": scene.video.pk, "height": 360})
    assert client.get(url).status_code == 404
    url = reverse("videos:rendition_playlist", kwargs={"video_id": scene.video.pk, "height": 1080})
    assert client.get(url).status_code == 404

    Video.objects.filter(pk=scene.video.pk).update(poster="")
    assert client.get(urls["poster"]).status_code == 404
    Video.objects.filter(pk=scene.video.pk).update(poster="videos/sources/1/clip.mp4")
    assert client.get(urls["poster"]).status_code == 404

    # No ladder playing (a first transcode still queued): nothing, even for BKPSDM.
    Video.objects.filter(pk=scene.video.pk).update(hls_prefix="", status=Video.Status.QUEUED)
    admin = client_for(pemda["superuser"])
    for url in urls.values():
        assert admin.get(url).status_code == 404


# --- signed file URLs (no database: the token is the permission) ----------------------

SEGMENT = f"{HLS_ROOT}/7/0123abcd/240p/seg_00000.ts"


@pytest.fixture
def segment_file() -> bytes:
    data = b"G" + bytes(range(256)) * 4
    video_storage().save(SEGMENT, ContentFile(data))
    return data


def test_signed_url_serves_the_file(segment_file: bytes) -> None:
    url = playback.signed_url(SEGMENT, expires_in=60)
    assert file_name_of(url) == SEGMENT
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp2t"
    assert body_of(response) == segment_file


def test_tampered_tokens_are_403(segment_file: bytes) -> None:
    token = playback.file_token(SEGMENT, expires_in=60)
    stamp, sig = token.split(".", 1)
    other = SEGMENT.replace("seg_00000", "seg_00001")
    video_storage().save(other, ContentFile(b"G other"))
    bad = [
        f"/video/berkas/{stamp}.{sig[:-2]}xx/{SEGMENT}",  # signature changed
        f"/video/berkas/{stamp[:-1]}z.{sig}/{SEGMENT}",  # expiry changed
        f"/video/berkas/{token}/{other}",  # another file
        f"/video/berkas/{sig}/{SEGMENT}",  # no expiry
        f"/video/berkas/!!!.{sig}/{SEGMENT}",  # not base62
        f"/video/berkas/{'9' * 40}.{sig}/{SEGMENT}",  # absurd expiry
        f"/video/berkas/./{SEGMENT}",
    ]
    for url in bad:
        assert Client().get(url).status_code == 403, url
    assert Client().get(f"/video/berkas/{token}/{SEGMENT}").status_code == 200


def test_expired_token_is_403(segment_file: bytes) -> None:
    token = playback.file_token(SEGMENT, expires_in=60, now=time.time() - 3600)
    response = Client().get(reverse("videos:segment", kwargs={"token": token, "name": SEGMENT}))
    assert response.status_code == 403
    assert not playback.file_token_valid(token, SEGMENT)
    fresh = playback.file_token(SEGMENT, expires_in=60)
    assert playback.file_token_valid(fresh, SEGMENT)


@pytest.mark.parametrize(
    "name",
    [
        "videos/hls/1/a/../../../sources/1/clip.mp4",
        "videos/hls/1/a/%2e%2e/%2e%2e/%2e%2e/sources/1/clip.mp4",
        "videos/sources/1/clip.mp4",
        "videos/uploads/abc.part",
        "videos/hls/1/a/master.m3u8",
        "videos/hls/1/a/240p/index.m3u8",
        "videos/hls//1/seg.ts",
        "videos/hls/1/./seg.ts",
        "/videos/hls/1/seg.ts",
        "videos/hls/1/seg.py",
        "documents/rahasia.pdf",
    ],
)
def test_signed_urls_only_open_ladder_media(db: None, name: str) -> None:
    """Even a correctly signed token opens nothing outside the ladders, nor a raw playlist
    (tokens are never issued for those; this is the second lock)."""
    video_storage().save("videos/sources/1/clip.mp4", ContentFile(b"source"))
    token = playback.file_token(name, expires_in=60)
    response = Client().get(f"/video/berkas/{token}/{name}")
    assert response.status_code in (403, 404)
    if "%" not in name:  # the one the URL decodes into ".." is a harmless name as such
        assert playback.safe_file_name(name) is None


def test_signed_url_for_a_missing_file_is_404(db: None) -> None:  # the 404 page reads the db
    token = playback.file_token(SEGMENT, expires_in=60)
    assert Client().get(f"/video/berkas/{token}/{SEGMENT}").status_code == 404


def test_x_accel_redirect_hands_the_file_to_nginx(segment_file: bytes, settings: Any) -> None:
    settings.SINAU_X_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    url = playback.signed_url(SEGMENT, expires_in=60)
    response = Client().get(url)
    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{SEGMENT}"
    assert response["Content-Type"] == "video/mp2t"
    poster = f"{HLS_ROOT}/7/0123abcd/poster.jpg"
    response = Client().get(playback.signed_url(poster, expires_in=60))
    assert response["X-Accel-Redirect"] == f"/protected-media/{poster}"
    assert response["Content-Type"] == "image/jpeg"
    # A bad token never reaches nginx.
    bad = Client().get(url.replace("/berkas/", "/berkas/x"))
    assert bad.status_code == 403
    assert "X-Accel-Redirect" not in bad


def test_token_lifetime_covers_the_segment_start(scene: Scene, settings: Any) -> None:
    """hls.js loads a VOD playlist once: the third segment (starting at 12 s) must stay
    valid 12 s longer than the first."""
    settings.SINAU_VIDEO_URL_TTL = 100
    now = time.time()
    playlist = playback.media_playlist(
        scene.video, Rendition.objects.get(video=scene.video, height=240)
    )
    tokens = [re.match(r"/video/berkas/([^/]+)/", u).group(1) for u in uris(playlist)]  # type: ignore[union-attr]
    names = [file_name_of(u) for u in uris(playlist)]
    expires = [signing.b62_decode(t.split(".")[0]) for t in tokens]
    assert [e - expires[0] for e in expires] == [0, 6, 12]
    assert now + 99 <= expires[0] <= now + 102
    assert playback.file_token_valid(tokens[2], names[2], now=expires[2] - 1)
    assert not playback.file_token_valid(tokens[2], names[2], now=expires[2] + 1)


# --- playlist rewriting ----------------------------------------------------------------


def test_rewrite_drops_a_variant_without_a_rung_and_rewrites_uri_attributes() -> None:
    text = (
        "#EXTM3U\n#EXT-X-VERSION:6\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="id",URI="audio/index.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=426x240,AUDIO="a"\n240p/index.m3u8\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=2,RESOLUTION=1920x1080\n1080p/index.m3u8\n"
    )
    mapping = {"240p/index.m3u8": "/r/240", "audio/index.m3u8": "/r/audio"}
    out = playback.rewrite_playlist(text, lambda uri, _start: mapping.get(uri))
    assert out == (
        "#EXTM3U\n#EXT-X-VERSION:6\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="id",URI="/r/audio"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=426x240,AUDIO="a"\n/r/240\n'
    )


def test_rewrite_passes_segment_start_times() -> None:
    text = "#EXTM3U\n#EXTINF:6.0,\na.ts\n#EXTINF:4.5,\nb.ts\n#EXTINF:bogus,\nc.ts\nd.ts\n"
    starts: list[tuple[str, float]] = []

    def resolve(uri: str, start: float) -> str:
        starts.append((uri, start))
        return uri.upper()

    out = playback.rewrite_playlist(text, resolve)
    assert starts == [("a.ts", 0.0), ("b.ts", 6.0), ("c.ts", 10.5), ("d.ts", 10.5)]
    assert uris(out) == ["A.TS", "B.TS", "C.TS", "D.TS"]


def test_rewrite_refuses_what_is_not_a_playlist() -> None:
    with pytest.raises(playback.PlaylistError):
        playback.rewrite_playlist("<html>", lambda uri, _s: uri)


# --- query counts ----------------------------------------------------------------------


def test_query_counts_are_bounded(
    scene: Scene, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    client = client_for(scene.learner)
    segment_url = uris(client.get(scene.urls()["rung"]).content.decode())[0]
    # session, user, video, modules (reference index), enrolments, renditions
    with django_assert_max_num_queries(6):
        assert client.get(scene.urls()["master"]).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(scene.urls()["rung"]).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(scene.urls()["poster"]).status_code == 302
    # The token is the permission: a segment costs no query at all.
    with django_assert_max_num_queries(0):
        assert Client().get(segment_url).status_code == 200


def test_query_counts_do_not_grow_with_courses_learners_or_modules(
    scene: Scene,
    courses: dict[str, CoursePage],
    pemda: dict[str, Any],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    # The video in every module of every course, many learners enrolled.
    for course in courses.values():
        for module in ModulePage.objects.child_of(course):
            show_in_module(module, scene.video)
    for i in range(5):
        services.enrolment_request(
            actor=EmployeeFactory.create(full_name=f"Peserta {i}"), course=scene.course
        )
    stranger = EmployeeFactory.create(full_name="Orang lain")
    for user, limit, status in [
        (scene.learner, 6, 200),
        # not enrolled: also courses, instructors, page and model permissions, and the
        # site's 404 page (Wagtail's site and redirect lookups, the menu's roles)
        (stranger, 13, 404),
        (pemda["superuser"], 6, 200),
    ]:
        client = client_for(user)
        with django_assert_max_num_queries(limit):
            assert client.get(scene.urls()["master"]).status_code == status


# --- a ladder ffmpeg really made -------------------------------------------------------


def test_learner_plays_a_real_transcode(ready_video: Video, courses: dict[str, CoursePage]) -> None:
    course = courses["integritas-asn"]
    module = ModulePage.objects.child_of(course).first()
    assert module is not None
    show_in_module(module, ready_video)
    learner = EmployeeFactory.create(full_name="Peserta")
    services.enrolment_request(actor=learner, course=course)
    client = client_for(learner)

    master = client.get(reverse("videos:master", kwargs={"video_id": ready_video.pk}))
    assert master.status_code == 200
    variants = uris(master.content.decode())
    heights = sorted(ready_video.renditions.values_list("height", flat=True))
    assert heights
    assert variants == [
        reverse("videos:rendition_playlist", kwargs={"video_id": ready_video.pk, "height": h})
        for h in heights
    ]
    for url in variants:
        playlist = client.get(url).content.decode()
        segments = uris(playlist)
        assert segments
        assert "#EXT-X-ENDLIST" in playlist
        for segment in segments:
            fetched = Client().get(segment)
            assert fetched.status_code == 200
            data = body_of(fetched)
            assert data == stored(file_name_of(segment))
            assert data[0] == 0x47  # an MPEG-TS sync byte
    poster = client.get(reverse("videos:poster", kwargs={"video_id": ready_video.pk}))
    image = body_of(Client().get(poster["Location"]))
    assert image[:2] == b"\xff\xd8"

    stranger = client_for(EmployeeFactory.create(full_name="Bukan peserta"))
    assert stranger.get(variants[0]).status_code == 404


# --- on S3 (moto's server): presigned URLs, bytes straight from the bucket -------------


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our moto
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _expiry(url: str) -> int:
    """The absolute expiry of a presigned URL (SigV2 "Expires", or SigV4 date + seconds)."""
    query = parse_qs(urlsplit(url).query)
    if "Expires" in query:
        return int(query["Expires"][0])
    signed_at = dt.datetime.strptime(f"{query['X-Amz-Date'][0]}+0000", "%Y%m%dT%H%M%SZ%z")
    return int(signed_at.timestamp()) + int(query["X-Amz-Expires"][0])


def test_s3_rung_playlist_holds_presigned_bucket_urls(
    s3_scene: Scene, s3_endpoint: str, on_s3: Any, settings: Any
) -> None:
    settings.SINAU_VIDEO_URL_TTL = 120
    client = client_for(s3_scene.learner)
    master = client.get(s3_scene.urls()["master"])
    assert master.status_code == 200
    assert uris(master.content.decode())[0] == s3_scene.urls()["rung"]
    playlist = client.get(s3_scene.urls()["rung"]).content.decode()
    urls = uris(playlist)
    assert len(urls) == SEGMENTS
    for i, url in enumerate(urls):
        key = f"{s3_scene.video.hls_prefix}240p/seg_{i:05d}.ts"
        assert url.startswith(f"{s3_endpoint}/{BUCKET}/{key}?")
        query = parse_qs(urlsplit(url).query)
        assert {"Signature", "X-Amz-Signature"} & set(query), url
        status, data = _fetch(url)
        assert status == 200
        assert data == on_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        # Without its signature the object is refused: the bucket is private. (moto checks
        # that a request is signed and the object private; it does not recompute the
        # signature itself, so a forged one is AWS's to refuse, not this test's.)
        assert _fetch(url.split("?", 1)[0])[0] == 403
    expiries = [_expiry(u) for u in urls]
    assert [e - expiries[0] for e in expiries] == [0, 6, 12]
    assert time.time() + 110 <= expiries[0] <= time.time() + 130

    poster = client.get(s3_scene.urls()["poster"])
    assert poster.status_code == 302
    assert poster["Location"].startswith(f"{s3_endpoint}/{BUCKET}/{s3_scene.video.poster}?")
    assert _fetch(poster["Location"]) == (200, stored(s3_scene.video.poster))

    # Strangers still get nothing from Django, and no URL to guess at the bucket.
    stranger = client_for(EmployeeFactory.create(full_name="Bukan peserta"))
    for url in s3_scene.urls().values():
        assert stranger.get(url).status_code == 404


def test_s3_query_counts_match_local(
    s3_scene: Scene, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    client = client_for(s3_scene.learner)
    for name, limit in [("master", 6), ("rung", 6), ("poster", 5)]:
        with django_assert_max_num_queries(limit):
            assert client.get(s3_scene.urls()[name]).status_code in (200, 302)


def test_s3_token_url_redirects_to_the_bucket(s3_scene: Scene) -> None:
    """A local token URL handed out before a move to S3 still plays, from the bucket."""
    name = f"{s3_scene.video.hls_prefix}240p/seg_00000.ts"
    token = playback.file_token(name, expires_in=60)
    response = Client().get(reverse("videos:segment", kwargs={"token": token, "name": name}))
    assert response.status_code == 302
    assert _fetch(response["Location"]) == (200, stored(name))


def test_learner_plays_a_real_transcode_from_s3(
    on_s3: Any, ready_video: Video, courses: dict[str, CoursePage], s3_endpoint: str
) -> None:
    course = courses["integritas-asn"]
    show_in_module(ModulePage.objects.child_of(course).first(), ready_video)
    learner = EmployeeFactory.create(full_name="Peserta")
    services.enrolment_request(actor=learner, course=course)
    client = client_for(learner)
    master = client.get(reverse("videos:master", kwargs={"video_id": ready_video.pk}))
    assert master.status_code == 200
    for url in uris(master.content.decode()):
        segments = uris(client.get(url).content.decode())
        assert segments
        for segment in segments:
            assert segment.startswith(f"{s3_endpoint}/{BUCKET}/{ready_video.hls_prefix}")
            status, data = _fetch(segment)
            assert status == 200
            assert data[0] == 0x47  # an MPEG-TS sync byte
