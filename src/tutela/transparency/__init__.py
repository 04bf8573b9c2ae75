"""Transparency: the privacy notice and the records of processing, generated from the data map."""

from tutela.transparency.notice import SUPPORTED_LANGUAGES, Notice, build_notice, require_language
from tutela.transparency.ropa import Ropa, RopaActivity, build_ropa
from tutela.transparency.service import (
    PublishedNotice,
    notice_versions,
    publish_notice,
    stored_notice,
)

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Notice",
    "PublishedNotice",
    "Ropa",
    "RopaActivity",
    "build_notice",
    "build_ropa",
    "notice_versions",
    "publish_notice",
    "require_language",
    "stored_notice",
]
