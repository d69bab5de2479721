"""The access policy table: for every model users reach, which capabilities allow each action, and where.

Roles give capabilities (accounts/roles.py); this table gives capabilities actions on models
(core/policy.py explains the grants and scopes). Read it as: "to *view* a household you need
view_archive, and you see the households under your region". Separation of duties (三权分立)
follows from it: the auditor's only capability (view_audit) appears only on the audit log and its
exports; the administrator's (manage_users, manage_codes) only on accounts and code tables;
tests/test_access_matrix.py checks both, and every route against this table.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.roles import Cap
from core.policy import ANYONE, NOTHING, Scope, grant, in_region, in_region_or_above, register, related

ARCHIVE = (Cap.VIEW_ARCHIVE,)
FUNDS_READ = (Cap.VIEW_FUNDS, Cap.FUNDS, Cap.PAY_MAKE, Cap.PAY_CHECK)
CASE_WORK = (Cap.CASE_APPLY, Cap.CASE_REVIEW, Cap.CASE_APPROVE, Cap.CASE_BUILD, Cap.CASE_ACCEPT)
FIELD_WORK = (Cap.INSPECT, Cap.APPRAISE, Cap.CASE_BUILD, Cap.RESAMPLE)
REVIEWERS = (Cap.CASE_REVIEW, Cap.MANAGE_CAMPAIGNS)


def under_prefix(field: str) -> Scope:
    """Rows whose region *prefix* (not a padded 12-digit code) lies under the user's region."""

    def scope(user: object) -> Q:
        region = getattr(user, "region_id", None) or ""
        return Q(**{f"{field}__startswith": region}) if region else NOTHING

    return scope


def own_upload(user: object) -> Q:
    return in_region()(user) & related("uploaded_by")(user)


def alias_view(user: object) -> Q:
    """Code-table aliases that hold where the user is (everywhere, the user's county) and those set below it."""
    region = getattr(user, "region_id", None) or ""
    if not region:
        return NOTHING
    return Q(region_code="") | Q(region_code=region[:6]) | Q(region_code__startswith=region)


def alias_change(user: object) -> Q:
    """The aliases of the counties under the user's region; those valid everywhere, at province level only (ADR 0030)."""
    region = getattr(user, "region_id", None) or ""
    if not region:
        return NOTHING
    own = Q(region_code__startswith=region) & ~Q(region_code="")
    return own | Q(region_code="") if len(region) == 2 else own


def audit_scope(user: object) -> Q:
    """Events in the auditor's region; events tied to no region (unknown usernames) go to province level."""
    region = getattr(user, "region_id", None) or ""
    below = in_region()(user)
    return below | Q(region_code="") if len(region) == 2 else below


def load() -> None:
    archive = {"view": grant(*ARCHIVE), "change": grant(Cap.EDIT_ARCHIVE), "export": grant(Cap.EXPORT),
               "unmask": grant(Cap.UNMASK)}  # fmt: skip
    for label in ("households.Household", "households.Member", "households.House", "households.HouseholdCategory"):
        register(label, **archive)

    # Inspections and appraisals: read by the archive's readers, written by those who inspect and appraise.
    register("inspections.Campaign", view=grant(*ARCHIVE, scope=in_region_or_above("region_code", padded=True)),
             change=grant(Cap.MANAGE_CAMPAIGNS))  # fmt: skip
    register("inspections.InspectionTask", view=grant(*ARCHIVE), change=grant(Cap.INSPECT))
    register("inspections.Inspection", view=grant(*ARCHIVE), change=grant(Cap.INSPECT))
    register("inspections.AppraisalTask", view=grant(*ARCHIVE), change=grant(Cap.APPRAISE))
    register("inspections.Appraisal",
             view=[grant(*ARCHIVE), grant(Cap.RESAMPLE, scope=related("sample_item__plan__samplers"), distinct=True)],
             change=grant(Cap.APPRAISE))  # fmt: skip
    register("inspections.HouseSafety", view=grant(*ARCHIVE), change=grant(Cap.APPRAISE, Cap.INSPECT), export=grant(Cap.EXPORT))
    # Third-party sampling: the county draws and reads; the firm sees only what is handed to it.
    # "export": the plan's results (the disagreement list, screen and Excel), which the firm does not see.
    register("inspections.SamplingPlan", view=[grant(*ARCHIVE), grant(Cap.RESAMPLE, scope=related("samplers"), distinct=True)],
             change=grant(Cap.MANAGE_CAMPAIGNS), export=grant(*ARCHIVE))  # fmt: skip
    firm = related("plan__samplers")
    register("inspections.SampleItem", view=[grant(*ARCHIVE), grant(Cap.RESAMPLE, scope=firm, distinct=True)],
             change=grant(Cap.RESAMPLE, scope=firm, distinct=True))  # fmt: skip

    # Training ledger: courses held above are visible below.
    trainers = (Cap.VIEW_ARCHIVE, Cap.MANAGE_TRAINING)
    register("training.Trainee", view=grant(*trainers), change=grant(Cap.MANAGE_TRAINING), export=grant(Cap.EXPORT),
             unmask=grant(Cap.UNMASK))  # fmt: skip
    register("training.Course", view=grant(*trainers, scope=in_region_or_above("region_code", padded=True)),
             change=grant(Cap.MANAGE_TRAINING))  # fmt: skip
    register("training.TrainingRecord", view=grant(*trainers), change=grant(Cap.MANAGE_TRAINING))

    # Renovation: each step's own capability is the workflow's guard (renovation/workflow.py).
    register("renovation.Case", view=grant(*ARCHIVE), change=grant(*CASE_WORK), approve=grant(Cap.CASE_APPROVE),
             export=grant(Cap.EXPORT), unmask=grant(Cap.UNMASK))  # fmt: skip
    register("renovation.CaseEvent", view=grant(*ARCHIVE, scope=in_region("case__region_code")))
    register("renovation.Notice", view=grant(*ARCHIVE), change=grant(Cap.CASE_REVIEW))
    register("renovation.Objection", view=grant(*ARCHIVE), change=grant(Cap.CASE_REVIEW))
    register("renovation.ProgressReport", view=grant(*ARCHIVE), change=grant(Cap.CASE_APPROVE))

    # Funds: standards and allocations published above are visible below, never a neighbour's.
    register("funds.SubsidyStandard", view=grant(*FUNDS_READ, scope=in_region_or_above("region_prefix", padded=False)),
             change=grant(Cap.FUNDS, scope=under_prefix("region_prefix")))  # fmt: skip
    register("funds.Allocation", view=grant(*FUNDS_READ, scope=in_region_or_above("region_code", padded=True)),
             change=grant(Cap.FUNDS))  # fmt: skip
    register("funds.DisbursementBatch", view=grant(*FUNDS_READ), change=grant(Cap.PAY_MAKE),
             approve=grant(Cap.PAY_CHECK), export=grant(Cap.PAY_MAKE))  # fmt: skip
    register("funds.Payment", view=grant(*FUNDS_READ), change=grant(Cap.PAY_MAKE), export=grant(Cap.PAY_MAKE))
    register("funds.BankReturn", view=grant(*FUNDS_READ, scope=in_region("batch__region_code")),
             change=grant(Cap.PAY_MAKE, scope=in_region("batch__region_code")))  # fmt: skip
    # An amount above the standard: requested by whoever agrees the subsidy, approved by a checker (funds.standards).
    register("funds.SubsidyException", view=grant(*FUNDS_READ, Cap.CASE_APPROVE), change=grant(Cap.CASE_APPROVE),
             approve=grant(Cap.PAY_CHECK))  # fmt: skip
    register("funds.BatchExclusion", view=grant(*FUNDS_READ))

    # Imports are the region's; an export is its requester's alone (it may hold unmasked numbers).
    mine = related("created_by")
    register("exchange.ImportJob", view=grant(Cap.IMPORT, scope=mine), change=grant(Cap.IMPORT, scope=mine))
    own_export = grant(Cap.EXPORT, Cap.VIEW_AUDIT, scope=mine)
    register("exchange.ExportJob", view=own_export, change=own_export, export=own_export)

    # Field app: photos and records from the field; conflicts and evidence flags decided by the town.
    # The field app itself (its configuration and the sync of records; each record's own service checks its kind).
    register("field.Sync", view=grant(*FIELD_WORK), change=grant(*FIELD_WORK))
    # A photo is added to by the worker who declared it, and read in the region.
    register("field.Photo", view=grant(*ARCHIVE), change=grant(*FIELD_WORK, scope=own_upload))
    register("field.EvidenceFlag", view=grant(*REVIEWERS), change=grant(*REVIEWERS))
    # A stage without a located photo goes on only on a reviewer's recorded reason (field.overrides: town level only).
    register("field.EvidenceOverride", view=grant(*ARCHIVE), change=grant(Cap.CASE_REVIEW))
    register("field.Conflict", view=[grant(*REVIEWERS), grant(*FIELD_WORK, scope=related("worker"))],
             change=grant(*REVIEWERS))  # fmt: skip

    # The audit log is the auditor's alone; accounts and code tables the administrator's alone.
    register("audit.AuditEvent", view=grant(Cap.VIEW_AUDIT, scope=audit_scope), export=grant(Cap.VIEW_AUDIT, scope=audit_scope))
    users = in_region("region__full_code")
    register("accounts.User", view=grant(Cap.MANAGE_USERS, scope=users), change=grant(Cap.MANAGE_USERS, scope=users))
    register("codetables.CodeItem", view=grant(Cap.MANAGE_CODES, scope=lambda user: Q()),
             change=grant(Cap.MANAGE_CODES, scope=lambda user: Q()))  # fmt: skip
    # A county's own names for its villages (regions.aliases, ADR 0029): its administrator keeps them;
    # those who import see what their files will be matched with.
    register("regions.RegionAlias", view=grant(Cap.MANAGE_CODES, Cap.IMPORT, scope=under_prefix("county")),
             change=grant(Cap.MANAGE_CODES, scope=under_prefix("county")))  # fmt: skip
    # A county's own spellings of code-table entries: its administrator's (ADR 0030).
    register("codetables.CodeAlias", view=grant(Cap.MANAGE_CODES, scope=alias_view),
             change=grant(Cap.MANAGE_CODES, scope=alias_change))  # fmt: skip
    # Region codes are public reference data: anyone signed in reads them.
    register("regions.Region", view=grant(ANYONE, scope=lambda user: Q()))
