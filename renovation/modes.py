"""The choices of renovation that the workflow and the models both read: modes, build methods, notice levels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    REPAIR = "repair", _("维修加固")
    REBUILD_ONSITE = "rebuild_onsite", _("原址翻建")
    REBUILD_ELSEWHERE = "rebuild_elsewhere", _("异地新建")
    GROUP_BUILD = "group_build", _("统建")
    TURNKEY = "turnkey", _("政府兜底“交钥匙”")
    BUY_SWAP = "buy_swap", _("置换/购置闲置农房")
    RENT = "rent", _("租赁")
    PUBLIC_RENTAL = "public_rental", _("农村集体公租房")
    RELATIVES = "relatives", _("投亲靠友")


NEW_BUILD_MODES = frozenset({Mode.REBUILD_ONSITE, Mode.REBUILD_ELSEWHERE, Mode.GROUP_BUILD, Mode.TURNKEY})
GUARANTEE_MODES = frozenset({Mode.BUY_SWAP, Mode.RENT, Mode.PUBLIC_RENTAL, Mode.RELATIVES})  # no construction


class BuildMethod(models.TextChoices):
    SELF = "self", _("自建")
    ORGANISED = "organised", _("统建")
    AGENCY = "agency", _("代建")


class NoticeLevel(models.TextChoices):
    VILLAGE = "village", _("村级公示")
    TOWN = "town", _("乡镇公示")
    COUNTY = "county", _("县级公示")
