"""Documents attached to applications: type checked by magic bytes, size limited, name sanitized."""

import os
import re

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from applicants.errors import Conflict, Invalid, NotAllowed, NotFound
from applicants.models import User

from .conditions import COMPLETION_REPORT
from .models import Application, Document
from .selectors import is_visible
from .workflow import State, Transition, may_take

MAGIC = ((b"%PDF-", "application/pdf", ".pdf"), (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
         (b"\x89PNG\r\n\x1a\n", "image/png", ".png"))


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in MAGIC:
        if head.startswith(magic):
            return content_type, ext
    return None


def safe_name(name: str, ext: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", stem).strip("._")[:80] or "document"
    return f"{stem}{ext}"


def may_attach(app: Application, user: User, kind: str | None = None) -> bool:
    """The claimant attaches documents to a draft or a returned case, and the completion report
    (验收报告) to an approved project paid in tranches. ``kind`` None: may attach some document."""
    if not may_take(Transition.SUBMIT, app, user):
        return False
    if app.state in (State.DRAFT, State.RETURNED):
        return True
    completion = app.state == State.APPROVED and app.rules.first_tranche_share < 1
    return completion and kind in (None, COMPLETION_REPORT)


def document_attach(*, application_id: int, by: User, kind: str, uploaded_file) -> Document:
    kind = (kind or "").strip()
    if not kind or len(kind) > 40:
        raise Invalid(_("请填写材料类型（最多 40 个字符）"), field="kind")
    if uploaded_file is None:
        raise Invalid(_("请选择文件"), field="file")
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("program").filter(pk=application_id).first()
        if app is None or not is_visible(by, app):
            raise NotFound(_("申请不存在"))
        if not may_take(Transition.SUBMIT, app, by):
            raise NotAllowed(_("只有申请人可以上传材料"))
        if not may_attach(app, by, kind):
            raise Conflict(_("只有草稿或退回补正的申请可以上传材料；已批准的项目可上传「%(kind)s」")
                           % {"kind": COMPLETION_REPORT}, code="invalid_state")
        size = uploaded_file.size or 0
        if size > settings.IPFUND_UPLOAD_MAX_BYTES:
            raise Invalid(_("文件过大：最大 %(mb)s MB") % {"mb": settings.IPFUND_UPLOAD_MAX_BYTES // (1024 * 1024)},
                          field="file")
        if size == 0:
            raise Invalid(_("文件为空"), field="file")
        uploaded_file.seek(0)
        found = sniff(uploaded_file.read(16))
        uploaded_file.seek(0)
        if found is None:
            raise Invalid(_("只接受 PDF、JPG 或 PNG 文件"), field="file")
        content_type, ext = found
        doc = Document(application=app, kind=kind, original_name=safe_name(uploaded_file.name, ext),
                       content_type=content_type, size=size, uploaded_by=by)
        doc.file.save(doc.original_name, uploaded_file, save=False)
        doc.save()
        return doc


def may_remove(app: Application, user: User) -> bool:
    """The claimant removes documents while the case is a draft or returned for revision."""
    return may_take(Transition.SUBMIT, app, user) and app.state in (State.DRAFT, State.RETURNED)


def document_remove(*, by: User, application_id: int, document_id: int) -> None:
    """Remove a document of a draft or returned case (the claimant only: 403; another state: 409);
    the file leaves the storage once the removal has committed."""
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("program").filter(pk=application_id).first()
        if app is None or not is_visible(by, app):
            raise NotFound(_("申请不存在"))
        doc = Document.objects.filter(application=app, pk=document_id).first()
        if doc is None:
            raise NotFound(_("材料不存在"))
        if not may_take(Transition.SUBMIT, app, by):
            raise NotAllowed(_("只有申请人可以删除材料"))
        if not may_remove(app, by):
            raise Conflict(_("只有草稿或退回补正的申请可以删除材料"), code="invalid_state")
        storage, name = doc.file.storage, doc.file.name
        doc.delete()
        transaction.on_commit(lambda: storage.delete(name))
