"""Every write to the archive. Views, the API, the importer and commands all come through here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.services import Event, record, record_many
from codetables.models import Table
from codetables.seed import KEY_GROUPS
from codetables.selectors import items
from core.bulk import insert_instances, row_encoder, update_rows
from core.crypto import blind_index
from core.errors import ConflictError, claim_version
from core.masking import mask_id_number
from households.idnumber import IdNumber
from households.models import House, Household, HouseholdCategory, Member
from households.writer import (
    HOUSE_COLUMNS,
    HOUSE_DEFAULTS,
    HOUSE_FIELDS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_FIELDS,
    Batch,
    Prepared,
    plain_house,
    prepare,
    snapshot_of,
    write_prepared,
)
from regions.models import Level, Region


@dataclass
class MemberInput:
    name: str
    relation: str
    id_number: IdNumber | None = None


@dataclass
class HouseholdInput:
    village_code: str
    head_name: str
    head_id: IdNumber
    fields: dict[str, Any] = field(default_factory=dict)
    categories: list[str] | None = None  # category codes; None leaves them as they are
    category_source: str = ""
    dwelling: dict[str, Any] | None = None  # house fields; None leaves the houses as they are
    members: list[MemberInput] | None = None  # added when the household is created; members are edited one by one
    head_hash: str = ""  # blind index of head_id, when the caller has it already


@dataclass
class Outcome:
    status: str  # created, updated, unchanged, rejected
    household: Household | None = None
    reason: str = ""
    household_id: int | None = None


def key_category_codes() -> frozenset[str]:
    return frozenset(i.code for i in items(Table.HOUSEHOLD_CATEGORY, active_only=False) if i.group in KEY_GROUPS)


def active_categories(household: Household) -> list[HouseholdCategory]:
    return [c for c in household.categories.all() if c.end_date is None]


def houses_in_order(household: Household) -> list[House]:
    """The household's houses, the dwelling first (the first marked one, else the first house)."""
    return sorted(household.houses.all(), key=lambda h: (not h.is_dwelling, h.pk))


def dwelling_of(household: Household) -> House | None:
    houses = houses_in_order(household)
    return houses[0] if houses else None


def snapshot(
    household: Household, *, categories: list[str] | None = None, dwelling: House | dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the audit trail and the change check see of a household: secrets masked, hashes kept apart.
    The dwelling is a house or its field values."""
    values = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    house = _house_values(dwelling) if isinstance(dwelling, House) else dwelling
    return snapshot_of(
        values,
        region_code=household.region_code,
        head_name=household.head_name,
        head_id=household.head_id if household.head_id_enc else "",
        categories=categories,
        dwelling=house,
    )


def _secret_hashes(household: Household) -> tuple[str, str, str]:
    return household.head_id_hash, household.phone_hash, household.bank_account_hash


def villages_by_code(codes: set[str]) -> dict[str, Region]:
    """The villages a batch names, with their edition, in one query."""
    return {r.code: r for r in Region.objects.filter(code__in=codes, level=Level.VILLAGE).select_related("edition")}


def _apply(household: Household, data: HouseholdInput, village: Region) -> None:
    household.village = village
    household.region_code = village.full_code
    household.region_edition = village.edition.name if village.edition_id else ""
    household.head_name = data.head_name
    household.head_id = data.head_id.value
    household.head_sex = data.head_id.sex
    household.head_birth_date = data.head_id.birth_date
    household.id_needs_review = data.head_id.converted_from_15
    for name in HOUSEHOLD_FIELDS:
        if name in data.fields:
            setattr(household, name, data.fields[name])


def _apply_house(house: House, values: dict[str, Any], household: Household) -> None:
    house.household = household
    house.region_code = household.region_code
    for name in HOUSE_FIELDS:
        if name in values:
            setattr(house, name, values[name])


@dataclass
class Plan:
    """What saving a batch of households will do, worked out without writing anything: each row's
    outcome, the new households' rows and the changed households (see `plan_households`)."""

    actor: User | None
    outcomes: list[Outcome]
    to_create: list[Prepared]
    to_update: list[tuple[Household, HouseholdInput, bool, dict[str, Any]]]  # household, input, moved, snapshot before
    key_codes: frozenset[str]
    created: list[Outcome] = field(default_factory=list)  # the outcomes of `to_create`, in its order
    batch: Batch | None = None  # None: outcomes only (a preview); the plan cannot be written

    def create(self, data: HouseholdInput, village: Region, head_hash: str) -> Outcome:
        if self.batch is None:
            return Outcome("created")
        self.to_create.append(prepare(data, village, head_hash, self.batch))
        self.created.append(Outcome("created"))
        return self.created[-1]


def save_households(
    *,
    actor: User | None,
    inputs: list[HouseholdInput],
    allow_update: bool = True,
    village_cache: dict[str, Region] | None = None,
) -> list[Outcome]:
    """Create or update households by head ID number, in one transaction, with one audit event each.

    Rows whose village lies outside the actor's region, or whose ID number is already archived
    outside it, are rejected; rows that change nothing are reported unchanged and write nothing.
    A caller writing many batches passes one `village_cache` so villages are read once.
    """
    with transaction.atomic():
        plan = plan_households(actor=actor, inputs=inputs, allow_update=allow_update, village_cache=village_cache)
        return write_plan(plan)


def archived_hashes(hashes: list[str]) -> set[str]:
    """Which of these head ID blind indexes are archived. On PostgreSQL as one array parameter: a
    2,000-value IN list built by the ORM costs twice as much."""
    if connection.vendor != "postgresql":
        return set(Household.objects.filter(head_id_hash__in=hashes).values_list("head_id_hash", flat=True))
    with connection.cursor() as cur:
        cur.execute(f'SELECT "head_id_hash" FROM "{Household._meta.db_table}" WHERE "head_id_hash" = ANY(%s::text[])',
                    [_text_array(hashes)])  # fmt: skip
        return {row[0] for row in cur.fetchall()}


_HEX_LIST = re.compile(r"(?:[0-9a-f]+,)*[0-9a-f]+")


def _text_array(hashes: list[str]) -> str | list[str]:
    """Blind indexes (hex digests) as one array literal: psycopg's list adapter quotes each item in
    Python (2 % of an import's main thread); anything else is left to the adapter."""
    joined = ",".join(hashes)
    return "{" + joined + "}" if _HEX_LIST.fullmatch(joined) else hashes


SECRET_FIELDS = ("phone", "bank_account")
PLAIN_FIELDS = [f for f in HOUSEHOLD_FIELDS if f not in SECRET_FIELDS]


@dataclass
class Facts:
    """An archived household as the unchanged check sees it, read as plain values: no model
    instances, nothing decrypted (secret numbers are compared by their blind index)."""

    region_code: str
    head_name: str
    values: dict[str, Any]  # PLAIN_FIELDS, and phone_hash and bank_account_hash
    categories: list[str]  # the active ones
    dwelling: dict[str, Any] | None

    def unchanged_by(self, data: HouseholdInput, village: Region) -> bool:
        """True only if saving `data` would change nothing the audit snapshot or the secret numbers
        hold (the same answer as the full check in `_plan_existing`, which decides when in doubt)."""
        if self.region_code != village.full_code or self.head_name != data.head_name:
            return False
        for name, value in data.fields.items():
            if name in SECRET_FIELDS:
                if (blind_index(value) if value else "") != self.values[f"{name}_hash"]:
                    return False
            elif self.values[name] != value:
                return False
        if data.categories is not None and sorted(data.categories) != sorted(self.categories):
            return False
        if data.dwelling is not None:
            if self.dwelling is None or plain_house(self.dwelling | data.dwelling) != plain_house(self.dwelling):
                return False
        return True


def archived_facts(hashes: set[str]) -> dict[str, Facts]:
    """`Facts` of the archived households with these head ID blind indexes, in three queries."""
    rows = Household.objects.filter(head_id_hash__in=hashes).values(
        "id", "head_id_hash", "region_code", "head_name", "phone_hash", "bank_account_hash", *PLAIN_FIELDS
    )
    by_id = {r["id"]: r for r in rows}
    categories: dict[int, list[str]] = {}
    active = HouseholdCategory.objects.filter(household_id__in=by_id, end_date__isnull=True)
    for owner, code in active.values_list("household_id", "code"):
        categories.setdefault(owner, []).append(code)
    dwellings: dict[int, dict[str, Any]] = {}
    houses = House.objects.filter(household_id__in=by_id).order_by("household_id", "-is_dwelling", "id")
    for house in houses.values("household_id", *HOUSE_FIELDS):  # the first of each is its dwelling (houses_in_order)
        dwellings.setdefault(house.pop("household_id"), house)
    return {
        r["head_id_hash"]: Facts(r["region_code"], r["head_name"], r, categories.get(pk, []), dwellings.get(pk))
        for pk, r in by_id.items()
    }


def plan_households(
    *,
    actor: User | None,
    inputs: list[HouseholdInput],
    allow_update: bool = True,
    village_cache: dict[str, Region] | None = None,
    households_needed: bool = True,
    preview: bool = False,
) -> Plan:
    """The reading half of `save_households`: finds the archived households, decides each row's
    outcome and builds the rows to write. Writes nothing, so an import can plan one chunk while the
    previous one is written (the households read are not locked: `write_plan` writes a changed one
    only if it is still at the version read).

    A caller that does not need the unchanged households (an import only counts them) passes
    `households_needed=False`: rows that change nothing are then recognised from plain values
    (`Facts`), and only the others are read whole with their categories and houses. With
    `preview=True` only the outcomes are worked out (an import's preview): no rows are built, and
    the plan cannot be written."""
    villages = village_cache if village_cache is not None else {}
    missing = {i.village_code for i in inputs} - villages.keys()
    if missing:
        villages.update(villages_by_code(missing))
    hashes = [i.head_hash or blind_index(i.head_id.value) for i in inputs]
    found = archived_hashes(hashes)
    facts = archived_facts(found) if found and not households_needed else {}
    key_codes = key_category_codes()
    plan = Plan(actor, [], [], [], key_codes, batch=None if preview else Batch(key_codes, row_encoder()))
    outcomes: list[Outcome | None] = []
    pending: list[tuple[int, HouseholdInput, str, Region]] = []
    seen: set[str] = set()
    for data, hsh in zip(inputs, hashes, strict=False):
        village = villages.get(data.village_code)
        if village is None:
            outcomes.append(Outcome("rejected", reason=_("村级区划代码 %(c)s 不存在") % {"c": data.village_code}))
            continue
        if actor is not None and not actor.covers(village.full_code):
            outcomes.append(Outcome("rejected", reason=_("村 %(v)s 不在您的管辖范围内") % {"v": village.name}))
            continue
        if hsh in seen:
            outcomes.append(Outcome("rejected", reason=_("与本批前面的行身份证号重复")))
            continue
        seen.add(hsh)
        if hsh not in found:
            outcomes.append(plan.create(data, village, hsh))
            continue
        fact = facts.get(hsh)  # rejections and changes are decided below, on the household read whole
        if fact is not None and allow_update and (actor is None or actor.covers(fact.region_code)):
            if fact.unchanged_by(data, village):
                outcomes.append(Outcome("unchanged"))
                continue
        pending.append((len(outcomes), data, hsh, village))
        outcomes.append(None)
    if pending:
        whole = Household.objects.filter(head_id_hash__in=[p[2] for p in pending]).prefetch_related("categories", "houses")
        existing = {h.head_id_hash: h for h in whole}
        for index, data, hsh, village in pending:
            current = existing.get(hsh)
            if current is None:  # deleted since it was found a moment ago
                outcomes[index] = plan.create(data, village, hsh)
                continue
            outcomes[index] = _plan_existing(plan, current, data, village, allow_update)
    plan.outcomes = [o for o in outcomes if o is not None]
    return plan


def _plan_existing(plan: Plan, current: Household, data: HouseholdInput, village: Region, allow_update: bool) -> Outcome:
    """The outcome of a row whose head is archived, read whole; a change joins `plan.to_update`."""
    actor = plan.actor
    if actor is not None and not actor.covers(current.region_code):
        return Outcome("rejected", reason=_("该身份证号已在您管辖范围以外建档，请联系上级部门核实"))
    if not allow_update:
        return Outcome("rejected", current, _("该身份证号已建档（户主 %(n)s）") % {"n": current.head_name})
    cats_before = [c.code for c in active_categories(current)]
    house_before = dwelling_of(current)
    before = snapshot(current, categories=cats_before, dwelling=house_before)
    hashes_before = _secret_hashes(current)
    moved = current.region_code != village.full_code
    _apply(current, data, village)
    after = snapshot(
        current,
        categories=data.categories if data.categories is not None else cats_before,
        dwelling=_preview_house(house_before, data.dwelling),
    )
    if before == after and hashes_before == _secret_hashes(current):
        return Outcome("unchanged", current)
    plan.to_update.append((current, data, moved, before))
    return Outcome("updated", current)


def write_plan(plan: Plan) -> list[Outcome]:
    """The writing half of `save_households`, inside the caller's transaction: the new households,
    the changed ones (ConflictError if one changed since it was planned) and their audit events.
    Returns the plan's outcomes, the created ones now with their household ids."""
    if plan.batch is None:
        raise ValueError("a preview plan has no rows to write")
    events: list[Event] = []
    if plan.to_create:
        ids, created_events = write_prepared(actor=plan.actor, items=plan.to_create)
        events += created_events
        for outcome, pk in zip(plan.created, ids, strict=True):
            outcome.household_id = pk
    afters = update_many([item[:3] for item in plan.to_update], plan.key_codes)
    for item, after in zip(plan.to_update, afters, strict=True):
        events.append(Event("household.update", actor=plan.actor, obj=item[0], before=item[3], after=after))
    if events:
        record_many(events)
    return plan.outcomes


def _new_member(household: Household, data: MemberInput) -> Member:
    member = Member(household=household, region_code=household.region_code, name=data.name, relation=data.relation)
    ident = data.id_number
    member.id_number = ident.value if ident else ""
    member.sex = ident.sex if ident else ""
    member.birth_date = ident.birth_date if ident else None
    member.id_needs_review = bool(ident and ident.converted_from_15)
    return member


def _house_values(house: House) -> dict[str, Any]:
    return {f: getattr(house, f) for f in HOUSE_FIELDS}


def _preview_house(house: House | None, values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The dwelling's field values once `values` are applied (no model instance: this runs per row)."""
    if values is None:
        return _house_values(house) if house is not None else None
    return (_house_values(house) if house is not None else HOUSE_DEFAULTS) | values


# the columns a creation writes, less those a change keeps (ids, the creating event, the creation time)
UPDATED_HOUSEHOLD_COLUMNS = [c for c in HOUSEHOLD_COLUMNS if c not in ("id", "creation_event_id", "created_at")]
UPDATED_HOUSE_COLUMNS = [c for c in HOUSE_COLUMNS if c not in ("id", "household_id")]
UPDATED_CATEGORY_COLUMNS = ["region_code", "source", "end_date"]


def update_many(items: list[tuple[Household, HouseholdInput, bool]], key_codes: frozenset[str]) -> list[dict[str, Any]]:
    """Write changed households (already `_apply`-ed, with categories and houses prefetched; the flag
    says the village changed):
    categories replaced, the dwelling updated or added, versions raised, in a few statements for the
    whole batch. Households and houses are written only if still at the version read, else
    ConflictError (the caller's transaction then rolls back). Returns each household's audit
    snapshot after the change."""
    today = dt.date.today()
    now = timezone.now()
    houses_new: list[House] = []
    houses_old: list[House] = []
    categories_new: list[HouseholdCategory] = []
    categories_old: list[HouseholdCategory] = []
    afters = []
    for household, data, moved in items:
        region = household.region_code
        categories = list(household.categories.all())
        added = []
        if data.categories is not None:
            added = _replace_categories(household, categories, data.categories, data.category_source, today)
        for c in categories:
            c.region_code = region
        if data.categories is not None or moved:  # rows left alone otherwise
            categories_old += categories
        categories_new += added
        codes = sorted({c.code for c in [*categories, *added] if c.end_date is None})
        household.is_key_group = bool(set(codes) & key_codes)
        household.updated_at = now
        houses = houses_in_order(household)
        dwelling = houses[0] if houses else None
        if data.dwelling is not None:
            if dwelling is None:
                dwelling = House(household=household, is_dwelling=True)
                houses_new.append(dwelling)
            _apply_house(dwelling, data.dwelling, household)
            dwelling.is_dwelling = True
            for other in houses[1:]:
                other.is_dwelling = False
        for h in houses:
            h.region_code, h.updated_at = region, now
        if data.dwelling is not None or moved:  # houses left alone (and their versions kept) otherwise
            houses_old += houses
        household.dwelling_structure = dwelling.structure_type if dwelling else ""
        household.dwelling_year_built = dwelling.year_built if dwelling else None
        afters.append(snapshot(household, categories=codes, dwelling=dwelling))
    households = [item[0] for item in items]
    for changed in households:
        changed.version += 1
    for house in houses_old:
        house.version += 1
    written = update_rows(
        Household, UPDATED_HOUSEHOLD_COLUMNS, _versioned(households, UPDATED_HOUSEHOLD_COLUMNS), where=["version"]
    )
    written += update_rows(House, UPDATED_HOUSE_COLUMNS, _versioned(houses_old, UPDATED_HOUSE_COLUMNS), where=["version"])
    if written != len(households) + len(houses_old):
        raise ConflictError(_("导入期间有农户档案被他人修改，本批未保存，请重新导入（已导入的行不会重复）"))
    insert_instances(houses_new)
    update_rows(HouseholdCategory, UPDATED_CATEGORY_COLUMNS,
                ([c.pk, *(getattr(c, f) for f in UPDATED_CATEGORY_COLUMNS)] for c in categories_old))  # fmt: skip
    insert_instances(categories_new)
    for household, _data, was_moved in items:  # members follow their household to another village (rare)
        if was_moved:
            Member.objects.filter(household=household).update(region_code=household.region_code)
    return afters


def _versioned(records: list[Any], columns: list[str]) -> Iterator[list[Any]]:
    """Rows for update_rows: the new values (version already raised), then the version they replace."""
    for r in records:
        yield [r.pk, *(getattr(r, c) for c in columns), r.version - 1]


def _replace_categories(
    household: Household, categories: list[HouseholdCategory], codes: list[str], source: str, today: dt.date
) -> list[HouseholdCategory]:
    """End the active categories not in `codes` and start those missing (a category ended and started
    again on the same day is revived: one row per household, code and start date). Changes the given
    rows in place; returns the new ones."""
    active = {c.code: c for c in categories if c.end_date is None}
    started_today = {c.code: c for c in categories if c.start_date == today}
    new = []
    for code, category in active.items():
        if code not in codes:
            category.end_date = today
    for code in codes:
        if code in active:
            continue
        revived = started_today.get(code)
        if revived is not None:
            revived.end_date, revived.source = None, source
        else:
            new.append(HouseholdCategory(household=household, region_code=household.region_code, code=code,
                                         source=source, start_date=today))  # fmt: skip
    return new


def category_snapshot(category: HouseholdCategory) -> dict[str, Any]:
    return {"code": category.code, "source": category.source, "start_date": category.start_date, "end_date": category.end_date}


@transaction.atomic
def save_category(
    *,
    actor: User,
    household: Household,
    category: HouseholdCategory | None,
    code: str,
    source: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> HouseholdCategory:
    """Add a category to a household, or correct one (source, dates); key-group flag follows."""
    require(actor, Cap.EDIT_ARCHIVE, household.region_code)
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": _("终止日期不能早于起始日期")})
    clash = HouseholdCategory.objects.filter(household=household, code=code, end_date__isnull=True)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if end_date is None and clash.exists():
        raise ValidationError({"code": _("该农户已有此类别（未终止），请编辑原记录")})
    before = category_snapshot(category) if category else None
    category = category or HouseholdCategory(household=household)
    category.region_code = household.region_code
    category.code, category.source, category.start_date, category.end_date = code, source, start_date, end_date
    category.save()
    codes = HouseholdCategory.objects.filter(household=household, end_date__isnull=True).values_list("code", flat=True)
    Household.objects.filter(pk=household.pk).update(is_key_group=bool(set(codes) & key_category_codes()))
    record("category.update" if before else "category.create", actor=actor, obj=household, before=before,
           after=category_snapshot(category), object_label=f"{household} · {code}")  # fmt: skip
    return category


def create_household(*, actor: User, data: HouseholdInput) -> Household:
    require(actor, Cap.EDIT_ARCHIVE, data.village_code.ljust(12, "0"))
    outcome = save_households(actor=actor, inputs=[data], allow_update=False)[0]
    if outcome.status != "created" or outcome.household_id is None:
        raise ValidationError({"head_id": outcome.reason})
    return Household.objects.get(pk=outcome.household_id)


def update_household(*, actor: User, household: Household, data: HouseholdInput, version: int) -> Household:
    require(actor, Cap.EDIT_ARCHIVE, household.region_code)
    require(actor, Cap.EDIT_ARCHIVE, data.village_code.ljust(12, "0"))
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        if locked.version != version:
            raise ConflictError()
        if blind_index(data.head_id.value) != locked.head_id_hash:
            if Household.objects.filter(head_id_hash=blind_index(data.head_id.value)).exists():
                raise ValidationError({"head_id": _("该身份证号已在其他农户档案中使用")})
            record("household.change_head_id", actor=actor, obj=locked, before={"head_id": mask_id_number(locked.head_id)},
                   after={"head_id": mask_id_number(data.head_id.value)})  # fmt: skip
            locked.head_id = data.head_id.value  # so save_households finds it under the new number
            Household.objects.filter(pk=locked.pk).update(head_id_enc=locked.head_id_enc, head_id_hash=locked.head_id_hash)
        outcome = save_households(actor=actor, inputs=[data])[0]
        if outcome.status == "rejected":
            raise ValidationError(outcome.reason)
    assert outcome.household is not None
    return outcome.household


@transaction.atomic
def delete_household(*, actor: User, household: Household) -> None:
    require(actor, Cap.EDIT_ARCHIVE, household.region_code)
    before = snapshot(household, categories=[c.code for c in active_categories(household)], dwelling=dwelling_of(household))
    before["members"] = [m.name for m in household.members.all()]
    record("household.delete", actor=actor, obj=household, before=before)
    _delete(household, _("该农户已有鉴定、改造或拨付记录，不能删除；如需更正请编辑档案。"))


def _delete(obj: Any, refused: str) -> None:
    """Delete a row, or refuse in Chinese when other records still name it (nothing is deleted then)."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError:
        raise ValidationError(refused) from None


def member_snapshot(member: Member) -> dict[str, Any]:
    return {"name": member.name, "relation": member.relation, "id_number": mask_id_number(member.id_number)}


@transaction.atomic
def save_member(
    *,
    actor: User,
    household: Household,
    member: Member | None,
    name: str,
    relation: str,
    id_number: IdNumber | None,
    version: int | None = None,
) -> Member:
    require(actor, Cap.EDIT_ARCHIVE, household.region_code)
    if member is not None:
        claim_version(Member, member.pk, version if version is not None else member.version)
        member.refresh_from_db()
    before = member_snapshot(member) if member else None
    member = member or Member(household=household)
    hsh = blind_index(id_number.value) if id_number else ""
    if hsh and (hsh == household.head_id_hash or Member.objects.filter(id_number_hash=hsh).exclude(pk=member.pk).exists()):
        raise ValidationError({"id_number": _("该身份证号已登记为其他家庭成员或户主")})
    member.region_code = household.region_code
    member.name, member.relation = name, relation
    member.id_number = id_number.value if id_number else ""
    member.sex = id_number.sex if id_number else ""
    member.birth_date = id_number.birth_date if id_number else None
    member.id_needs_review = bool(id_number and id_number.converted_from_15)
    member.save()
    verb = "member.update" if before else "member.create"
    record(verb, actor=actor, obj=member, before=before, after=member_snapshot(member), object_label=f"{household} · {name}")
    return member


@transaction.atomic
@transaction.atomic
def delete_member(*, actor: User, member: Member) -> None:
    require(actor, Cap.EDIT_ARCHIVE, member.region_code)
    record("member.delete", actor=actor, obj=member, before=member_snapshot(member))
    member.delete()


@transaction.atomic
def save_house(
    *, actor: User, household: Household, house: House | None, values: dict[str, Any], version: int | None = None
) -> House:
    require(actor, Cap.EDIT_ARCHIVE, household.region_code)
    if house is not None:
        claim_version(House, house.pk, version if version is not None else house.version)
        house.refresh_from_db()
    before = {f: getattr(house, f) for f in HOUSE_FIELDS} if house else None
    house = house or House(is_dwelling=not household.houses.exists())
    if "is_dwelling" in values:
        house.is_dwelling = bool(values["is_dwelling"])
    _apply_house(house, values, household)
    house.save()
    sync_dwelling(household, prefer=house)
    record(
        "house.update" if before else "house.create",
        actor=actor,
        obj=house,
        before=before,
        after={f: getattr(house, f) for f in HOUSE_FIELDS},
        object_label=f"{household} · {house}",
    )
    return house


@transaction.atomic
@transaction.atomic
def delete_house(*, actor: User, house: House) -> None:
    require(actor, Cap.EDIT_ARCHIVE, house.region_code)
    record("house.delete", actor=actor, obj=house, before={f: getattr(house, f) for f in HOUSE_FIELDS})
    household = house.household
    _delete(house, _("该房屋已有鉴定或改造记录，不能删除。"))
    sync_dwelling(household)


def sync_dwelling(household: Household, *, prefer: House | None = None) -> None:
    """One dwelling per household that has houses, its structure and year mirrored on the household."""
    houses = list(House.objects.filter(household=household).order_by("-is_dwelling", "id"))
    dwelling = prefer if prefer is not None and prefer.is_dwelling else (houses[0] if houses else None)
    if dwelling is not None:
        House.objects.filter(household=household, is_dwelling=True).exclude(pk=dwelling.pk).update(is_dwelling=False)
        if not dwelling.is_dwelling:
            House.objects.filter(pk=dwelling.pk).update(is_dwelling=True)
    structure = dwelling.structure_type if dwelling else ""
    year = dwelling.year_built if dwelling else None
    Household.objects.filter(pk=household.pk).update(dwelling_structure=structure, dwelling_year_built=year)
    household.dwelling_structure, household.dwelling_year_built = structure, year


def reveal(*, actor: User, obj: Household | Member, field_name: str, reason: str) -> str:
    """Show one personal number whole: needs the role, a reason, and leaves an audit event."""
    require(actor, Cap.UNMASK, obj.region_code)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(_("请填写查看完整号码的理由。"))
    value = getattr(obj, field_name)
    record("pii.reveal", actor=actor, obj=obj, after={"field": field_name, "reason": reason[:200]})
    return str(value)
