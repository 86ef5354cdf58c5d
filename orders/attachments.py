"""Uploads (取引時確認記録登録申込書): only the listed extensions, size-limited, the content checked
against the extension by its file signature (pure Python, no system library), stored outside the
web root and served only to operators and the owning organisation."""

import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from orders.models import Attachment, Draft
from portal import clock

MAX_BYTES = 10 * 1024 * 1024
ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES = {
    ".xlsx": ZIP, ".xlsm": ZIP, ".docx": ZIP, ".pptx": ZIP, ".zip": ZIP,
    ".xls": OLE, ".doc": OLE, ".ppt": OLE,
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
}
EXTENSIONS = tuple(SIGNATURES)


def upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(attachment: Attachment) -> Path:
    return upload_dir() / attachment.pk.hex


def attachment_check(upload: UploadedFile) -> str:
    """The extension, or ValidationError with a Japanese message."""
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower()
    if extension == ".jpeg":
        extension = ".jpg"
    if extension not in SIGNATURES:
        raise ValidationError(_("アップロードできるファイルの種類は %(ext)s のみです。") % {
            "ext": " ".join(EXTENSIONS)})
    if upload.size > MAX_BYTES:
        raise ValidationError(_("ファイルサイズは10MBまでです。"))
    if upload.size == 0:
        raise ValidationError(_("ファイルが空です。"))
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in SIGNATURES[extension]):
        raise ValidationError(_("ファイルの内容が拡張子（%(ext)s）と一致しません。") % {"ext": extension})
    return extension


def attachment_store(*, upload: UploadedFile, draft: Draft | None, user,
                     replaces: Attachment | None = None) -> Attachment:
    """The checked upload, stored for the draft (or, from the API, for the user's organisation
    until an order takes it); the file it replaces (a re-upload) is deleted."""
    attachment_check(upload)
    digest = hashlib.sha256()
    attachment = Attachment(organisation=draft.organisation if draft else user.organisation, draft=draft,
                            original_name=Path(upload.name).name[:200],
                            size=upload.size, sha256="", uploaded_at=clock.now(), uploaded_by=user)
    path = stored_path(attachment)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    attachment.sha256 = digest.hexdigest()
    attachment.save()
    if replaces is not None and replaces.order_id is None:
        attachments_delete(Attachment.objects.filter(pk=replaces.pk, order__isnull=True))
    return attachment


def attachments_delete(attachments) -> int:
    """Rows and files: the rows now, the files once the transaction has committed (a rollback keeps
    both)."""
    paths = [stored_path(a) for a in attachments.only("pk")]
    deleted, _ = attachments.delete()
    transaction.on_commit(lambda: [path.unlink(missing_ok=True) for path in paths])
    return deleted


def draft_attachments_delete(drafts) -> int:
    """What unfinished drafts uploaded (a discarded or expired draft): no order holds it."""
    return attachments_delete(Attachment.objects.filter(draft__in=drafts, order__isnull=True))


ORPHAN_AGE = dt.timedelta(hours=1)


def attachments_sweep() -> int:
    """Files with neither draft nor order (a draft deleted some other way, a crash between file and
    row): rows without both, and files without a row, older than an hour (never one being
    uploaded right now). Run by beat."""
    cutoff = clock.now() - ORPHAN_AGE
    deleted = attachments_delete(Attachment.objects.filter(draft__isnull=True, order__isnull=True,
                                                           uploaded_at__lt=cutoff))
    known = {pk.hex for pk in Attachment.objects.values_list("pk", flat=True)}
    for path in upload_dir().iterdir():
        if path.name not in known and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
