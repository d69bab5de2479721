"""Roles and what each may do: the one table of permissions (scope is decided by core.scoping)."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", _("省市监管人员")
    COUNTY_STAFF = "county_staff", _("县住建局工作人员")
    TOWN_STAFF = "town_staff", _("乡镇工作人员")
    VILLAGE_CADRE = "village_cadre", _("村干部")
    APPRAISER = "appraiser", _("鉴定人员")
    SAMPLER = "sampler", _("第三方抽查机构")
    AUDITOR = "auditor", _("审计员")
    ADMIN = "admin", _("系统管理员")


class Cap(StrEnum):
    VIEW_ARCHIVE = "view_archive"
    EDIT_ARCHIVE = "edit_archive"
    IMPORT = "import"
    EXPORT = "export"
    UNMASK = "unmask"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_CODES = "manage_codes"
    MANAGE_TRAINING = "manage_training"
    MANAGE_CAMPAIGNS = "manage_campaigns"  # start inspection campaigns, draw samples
    INSPECT = "inspect"  # record inspections
    APPRAISE = "appraise"  # record appraisals
    RESAMPLE = "resample"  # third-party re-appraisal of sampled houses
    CASE_APPLY = "case_apply"  # open renovation cases
    CASE_REVIEW = "case_review"  # village review, town review, notices at one's level
    CASE_APPROVE = "case_approve"  # county approval, agreements, guarantee routes, archiving
    CASE_BUILD = "case_build"  # construction progress and evidence, demolition
    CASE_ACCEPT = "case_accept"  # completion acceptance
    FUNDS = "funds"  # subsidy standards, allocations, fund ledger
    PAY_MAKE = "pay_make"  # build disbursement batches, import bank returns
    PAY_CHECK = "pay_check"  # approve a batch someone else made
    VIEW_FUNDS = "view_funds"  # read batches, payments, allocations and the fund ledger


ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.SUPERVISOR: frozenset({Cap.VIEW_ARCHIVE, Cap.EXPORT, Cap.VIEW_FUNDS}),
    Role.COUNTY_STAFF: frozenset(
        {
            Cap.VIEW_ARCHIVE,
            Cap.EDIT_ARCHIVE,
            Cap.IMPORT,
            Cap.EXPORT,
            Cap.UNMASK,
            Cap.MANAGE_TRAINING,
            Cap.MANAGE_CAMPAIGNS,
            Cap.INSPECT,
            Cap.CASE_APPLY,
            Cap.CASE_REVIEW,
            Cap.CASE_APPROVE,
            Cap.CASE_ACCEPT,
            Cap.FUNDS,
            Cap.PAY_MAKE,
            Cap.PAY_CHECK,
            Cap.VIEW_FUNDS,
        }
    ),
    Role.TOWN_STAFF: frozenset(
        {
            Cap.VIEW_ARCHIVE,
            Cap.EDIT_ARCHIVE,
            Cap.IMPORT,
            Cap.EXPORT,
            Cap.UNMASK,
            Cap.MANAGE_TRAINING,
            Cap.MANAGE_CAMPAIGNS,
            Cap.INSPECT,
            Cap.CASE_APPLY,
            Cap.CASE_REVIEW,
            Cap.CASE_BUILD,
            Cap.CASE_ACCEPT,
            Cap.VIEW_FUNDS,
        }
    ),
    Role.VILLAGE_CADRE: frozenset(
        {Cap.VIEW_ARCHIVE, Cap.EDIT_ARCHIVE, Cap.EXPORT, Cap.INSPECT, Cap.CASE_APPLY, Cap.CASE_REVIEW, Cap.CASE_BUILD}
    ),
    Role.APPRAISER: frozenset({Cap.VIEW_ARCHIVE, Cap.APPRAISE, Cap.INSPECT}),
    # A sampling firm sees the houses of its sample only (inspections.selectors) and re-appraises them.
    Role.SAMPLER: frozenset({Cap.RESAMPLE}),
    # The auditor reads the trail and changes no business data.
    Role.AUDITOR: frozenset({Cap.VIEW_AUDIT}),
    # The administrator manages accounts and code tables, and does not administer the audit log.
    Role.ADMIN: frozenset({Cap.MANAGE_USERS, Cap.MANAGE_CODES}),
}
