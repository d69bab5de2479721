from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from codetables.models import CodeItem
from codetables.selectors import invalidate

PROVINCE_CODE_LENGTH = 2
FIELDS = ("table", "code", "name", "group", "sort_order", "is_active", "note")


@transaction.atomic
def save_item(*, actor: User, item: CodeItem) -> CodeItem:
    if not actor.can(Cap.MANAGE_CODES):
        raise PermissionDenied(_("您的角色无权维护代码表。"))
    if len(actor.region_id or "") > PROVINCE_CODE_LENGTH:
        # code tables serve the whole installation, so one level owns them
        raise PermissionDenied(_("代码表由省级系统管理员维护，请联系省级管理员。"))
    before = None
    if item.pk:
        old = CodeItem.objects.get(pk=item.pk)
        if old.is_national and (old.code != item.code or old.table != item.table):
            raise PermissionDenied(_("国家标准代码不能修改代码值，只能停用。"))
        before = {f: getattr(old, f) for f in FIELDS}
    item.save()
    invalidate(item.table)
    record(
        "codeitem.update" if before else "codeitem.create",
        actor=actor,
        obj=item,
        before=before,
        after={f: getattr(item, f) for f in FIELDS},
    )
    return item
