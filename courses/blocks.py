"""The StreamField blocks a module is made of."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.snippets.blocks import SnippetChooserBlock


class VideoBlock(blocks.StructBlock):
    video = SnippetChooserBlock("videos.Video", label=_("Video"))
    caption = blocks.CharBlock(label=_("Keterangan"), required=False)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "courses/blocks/video_block.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Dokumen"))
    description = blocks.CharBlock(label=_("Keterangan"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Dokumen")
        template = "courses/blocks/document_block.html"


class QuizBlock(blocks.StructBlock):
    quiz = SnippetChooserBlock("assessments.Quiz", label=_("Kuis"))
    required_to_pass = blocks.BooleanBlock(
        label=_("Harus lulus untuk menyelesaikan modul"), required=False, default=True
    )

    class Meta:
        icon = "form"
        label = _("Kuis")
        template = "courses/blocks/quiz_block.html"


class ModuleStreamBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        label=_("Teks"),
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link", "image"],
    )
    video = VideoBlock()
    document = DocumentBlock()
    quiz = QuizBlock()
    embed = EmbedBlock(label=_("Sematan"), icon="code")
