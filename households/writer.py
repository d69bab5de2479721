"""The fast path for creating many households at once (imports, demo data).

Rows are built as tuples and written with core.bulk (COPY on PostgreSQL), with no model instance
per row; the audit snapshot is built from the same values as `services.snapshot` builds from a
saved household, so a later update's "before" matches this "after".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db.models import DecimalField
from django.utils import timezone

from audit.services import Event, batch_payload, batch_text, canonical_text, reserve_ids
from core.bulk import Encoder, allocate_ids, insert_encoded, tail_encoder
from core.crypto import blind_index
from core.masking import mask_bank_account, mask_id_number, mask_phone
from households.models import House, Household, HouseholdCategory, Member
from regions.models import Region

BATCH_CREATE = "household.create_batch"  # one event for the households of a village created together
HOUSEHOLD_FIELDS = ("group_name", "archive_no", "phone", "family_size", "bank_name", "bank_account", "only_house", "note")
HOUSE_FIELDS = (
    "group_name", "address", "latitude", "longitude", "year_built", "structure_type", "storeys", "bays", "floor_area",
    "wall_front", "wall_back", "wall_gable", "wall_inner", "roof_form", "roof_covering", "seismic_intensity",
    "site_hazards", "use", "is_occupied",
)  # fmt: skip


def _default(model: Any, name: str) -> Any:
    return model._meta.get_field(name).get_default()


HOUSEHOLD_DEFAULTS = {"phone": "", "bank_account": ""} | {
    f: _default(Household, f) for f in HOUSEHOLD_FIELDS if f not in ("phone", "bank_account")
}
HOUSE_DEFAULTS = {f: _default(House, f) for f in HOUSE_FIELDS}

# Ids lead each column list: prepared rows (see Prepared) take them as a prefix.
# The ciphertexts follow the ids: they are sealed to the row's id (core.crypto) when it is known, at write time.
HOUSEHOLD_COLUMNS = [
    "id", "creation_event_id", "head_id_enc", "phone_enc", "bank_account_enc", "region_code", "village_id",
    "region_edition", "group_name", "archive_no", "head_name", "head_id_hash", "head_sex", "head_birth_date",
    "id_needs_review", "phone_hash", "family_size", "bank_name", "bank_account_hash", "only_house", "is_key_group",
    "dwelling_structure", "dwelling_year_built", "note", "version", "created_at", "updated_at",
]  # fmt: skip
HOUSE_COLUMNS = ["id", "household_id", "region_code", "is_dwelling", *HOUSE_FIELDS, "version", "updated_at"]
CATEGORY_COLUMNS = ["id", "household_id", "region_code", "code", "source", "start_date", "end_date"]
MEMBER_COLUMNS = ["id", "household_id", "id_number_enc", "region_code", "name", "id_number_hash", "sex", "birth_date",
                  "relation", "id_needs_review", "version"]  # fmt: skip


# Decimal house fields at their stored precision, so a value typed as 85 and one read back as 85.00 agree
_DECIMAL_STEP = {f: Decimal(1).scaleb(-House._meta.get_field(f).decimal_places) for f in HOUSE_FIELDS  # type: ignore[union-attr]
                 if isinstance(House._meta.get_field(f), DecimalField)}  # fmt: skip


_QUANTIZED: dict[tuple[str, type, Any], str] = {}  # (field, type, value) -> its text; areas repeat in a file


def _decimal_text(name: str, value: Any) -> str:
    key = (name, type(value), value)
    try:
        return _QUANTIZED[key]
    except KeyError:
        text = str(Decimal(str(value)).quantize(_DECIMAL_STEP[name]))
        if len(_QUANTIZED) >= 4096:
            _QUANTIZED.clear()
        _QUANTIZED[key] = text
        return text


def plain_house(dwelling: dict[str, Any]) -> dict[str, Any]:
    """The house fields as JSON values: decimals as text at their stored precision."""
    data = {f: dwelling[f] for f in HOUSE_FIELDS}
    for f in _DECIMAL_STEP:
        if data[f] is not None:
            data[f] = _decimal_text(f, data[f])
    return data


_house_values = itemgetter(*HOUSE_FIELDS)  # a dwelling's values in HOUSE_FIELDS order, as a tuple
_DECIMAL_AT = [(i, f) for i, f in enumerate(HOUSE_FIELDS) if f in _DECIMAL_STEP]


def _plain_values(values: tuple[Any, ...]) -> list[Any]:
    """`plain_house`'s values in HOUSE_FIELDS order (a batch event's nested row), from `_house_values`."""
    plain = list(values)
    for i, f in _DECIMAL_AT:
        if plain[i] is not None:
            plain[i] = _decimal_text(f, plain[i])
    return plain


def snapshot_of(
    values: dict[str, Any],
    *,
    region_code: str,
    head_name: str,
    head_id: str,
    categories: list[str] | None,
    dwelling: dict[str, Any] | None,
) -> dict[str, Any]:
    """The audit view of a household: plain JSON values (decimals as text), personal numbers masked."""
    data: dict[str, Any] = {
        "village": region_code,
        "head_name": head_name,
        "head_id": mask_id_number(head_id),
        "group_name": values["group_name"],
        "archive_no": values["archive_no"],
        "phone": mask_phone(values["phone"]),
        "family_size": values["family_size"],
        "bank_name": values["bank_name"],
        "bank_account": mask_bank_account(values["bank_account"]),
        "only_house": values["only_house"],
        "note": values["note"],
    }
    if categories is not None:
        data["categories"] = sorted(categories)
    if dwelling is not None:
        data["dwelling"] = plain_house(dwelling)
    return data


# the keys of a new household's snapshot (`snapshot_of` with categories, without and with a dwelling)
SNAPSHOT_KEYS = ("village", "head_name", "head_id", "group_name", "archive_no", "phone", "family_size", "bank_name",
                 "bank_account", "only_house", "note", "categories")  # fmt: skip
SNAPSHOT_WITH_DWELLING = (*SNAPSHOT_KEYS, "dwelling")


def _hash(value: str) -> str:
    return blind_index(value) if value else ""


HEAD_ID, PHONE, BANK_ACCOUNT, MEMBER_ID = Household.head_id, Household.phone, Household.bank_account, Member.id_number


def _bytea(blob: bytes) -> bytes:
    """A bytea value in COPY text format (hex form, its backslash escaped)."""
    return b"\\\\x" + blob.hex().encode()


def _sealed(secrets: tuple[bytes, ...], rest: Any) -> Any:
    """A prepared row's ciphertexts put in front of the rest, in the rest's encoding (core.bulk.row_encoder)."""
    if isinstance(rest, bytes | bytearray):  # COPY text
        return b"\t".join([*map(_bytea, secrets), rest])
    return (*secrets, *rest)


def _nested(shape: tuple[str, ...]) -> dict[str, list[str]]:
    """The nested columns of a batch of snapshots with these keys (see audit.services.batch_payload)."""
    return {"dwelling": list(HOUSE_FIELDS)} if "dwelling" in shape else {}


def creation_events(actor: Any, created: list[tuple[int, Prepared]], event_of: dict[str, int]) -> list[Event]:
    """The audit events of newly created households, one per village (in the order villages first
    appear): a lone household gets its own `household.create` event; several households of one
    village share one `household.create_batch` event listing each with its snapshot
    (`audit.services.batch_payload`; read back with `batch_items`), its JSON put together from the
    rows `prepare` encoded. `event_of` gives each village code its event's id (villages go by code:
    hashing a model instance is slow)."""
    events = []
    groups: dict[str, list[tuple[int, Prepared]]] = {}
    for item in created:
        groups.setdefault(item[1].village.code, []).append(item)
    for code, group in groups.items():
        village, event_id = group[0][1].village, event_of[code]
        if len(group) == 1:
            pk, only = group[0]
            snap = only.snapshot
            events.append(Event(
                "household.create", actor=actor, object_type="households.household", object_id=str(pk),
                object_label=f"{snap['head_name']}户", archive_id=pk, region_code=village.full_code, after=snap,
                plain=True, id=event_id,
            ))  # fmt: skip
            continue
        events.append(Event(
            BATCH_CREATE, actor=actor, object_type="households.household",
            object_label=f"{village.name} {len(group)} 户", region_code=village.full_code, plain=True, id=event_id,
            after=_batch_after(group),
        ))  # fmt: skip
    return events


def _batch_after(group: list[tuple[int, Prepared]]) -> Any:
    shape = group[0][1].shape
    if all(p.shape == shape for _, p in group):
        return batch_text(["id", *shape], _nested(shape), [(pk, p.batch_row) for pk, p in group])
    return batch_payload([{"id": pk, **p.snapshot} for pk, p in group])  # snapshots of differing kinds


@dataclass
class Prepared:
    """A new household's rows without their ids, built with no database access (so an import can
    build them while the previous chunk is written). Columns follow the *_COLUMNS lists after
    their leading ids and ciphertexts; each row as a `core.bulk.row_encoder` made it (COPY text on
    PostgreSQL). The personal numbers wait in clear, in memory, until `write_prepared` knows the
    rows' ids and seals them to those ids."""

    village: Region
    household: Any
    secrets: tuple[str, str, str]  # head ID, phone, bank account
    house: Any | None
    categories: list[Any]
    members: list[tuple[str, Any]]  # each member's ID number ("" for none) and the rest of its row
    values: list[Any]  # the audit snapshot's values under `shape`, the dwelling as its HOUSE_FIELDS values
    shape: tuple[str, ...]  # the snapshot's keys
    batch_row: str  # the snapshot as a row of a batch event (audit.services.batch_row)

    @property
    def snapshot(self) -> dict[str, Any]:
        """The audit snapshot (`snapshot_of`) as a dict."""
        snap = dict(zip(self.shape, self.values, strict=True))
        snap["categories"] = list(snap["categories"])
        if "dwelling" in snap:
            snap["dwelling"] = dict(zip(HOUSE_FIELDS, snap["dwelling"], strict=True))
        return snap


@dataclass(frozen=True)
class Batch:
    """What households prepared together share: the key-group category codes, how rows are encoded
    (`core.bulk.row_encoder`) and the time they are created at."""

    key_codes: frozenset[str]
    encode: Encoder = tuple
    now: dt.datetime = field(default_factory=timezone.now)
    # the process runs in TIME_ZONE (Django sets TZ); timezone.localdate costs ~10 µs
    today: dt.date = field(default_factory=dt.date.today)
    # the rows' encoders, their common last columns encoded once (version, times; core.bulk.tail_encoder)
    household_row: Encoder = field(init=False)
    house_row: Encoder = field(init=False)
    category_row: Encoder = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "household_row", tail_encoder(self.encode, (1, self.now, self.now)))
        object.__setattr__(self, "house_row", tail_encoder(self.encode, (1, self.now)))
        object.__setattr__(self, "category_row", tail_encoder(self.encode, (self.today, None)))


def prepare(data: Any, village: Region, head_hash: str, batch: Batch) -> Prepared:
    """The rows of one new household (its dwelling, categories, members) from a HouseholdInput."""
    encode = batch.encode
    values = HOUSEHOLD_DEFAULTS | data.fields
    region = village.full_code
    head = data.head_id
    phone, bank = values["phone"], values["bank_account"]
    codes = list(data.categories or [])
    dwelling = HOUSE_DEFAULTS | data.dwelling if data.dwelling is not None else None
    household = (
        region, village.code, village.edition.name, values["group_name"], values["archive_no"], data.head_name,
        head_hash, head.sex, head.birth_date, head.converted_from_15, _hash(phone), values["family_size"],
        values["bank_name"], _hash(bank), values["only_house"], bool(set(codes) & batch.key_codes),
        dwelling["structure_type"] if dwelling else "", dwelling["year_built"] if dwelling else None, values["note"],
    )  # fmt: skip
    # (then version, created_at and updated_at: Batch.household_row)
    house_values = _house_values(dwelling) if dwelling is not None else None
    house = batch.house_row((region, True, *house_values)) if house_values is not None else None
    category_row, source = batch.category_row, data.category_source
    categories = [category_row((region, code, source)) for code in codes]
    members = []
    for m in data.members or []:
        ident = m.id_number
        number = ident.value if ident else ""
        members.append((number, encode((region, m.name, _hash(number), ident.sex if ident else "",
                                        ident.birth_date if ident else None, m.relation,
                                        bool(ident and ident.converted_from_15), 1))))  # fmt: skip
    # the snapshot as its batch row: the values `snapshot_of` gives, in its key order, with no dict
    # (`Prepared.snapshot` builds the dict when an event needs one)
    snap: list[Any] = [
        region, data.head_name, mask_id_number(head.value), values["group_name"], values["archive_no"], mask_phone(phone),
        values["family_size"], values["bank_name"], mask_bank_account(bank), values["only_house"], values["note"],
        sorted(codes),
    ]  # fmt: skip
    shape: tuple[str, ...] = SNAPSHOT_KEYS
    if dwelling is not None:
        snap.append(_plain_values(house_values))  # type: ignore[arg-type]
        shape = SNAPSHOT_WITH_DWELLING
    row = canonical_text(snap)[1:-1]  # = batch_row(snapshot, shape, _nested(shape))
    secrets = (head.value, phone, bank)
    return Prepared(village, batch.household_row(household), secrets, house, categories, members, snap, shape, row)


def write_prepared(*, actor: Any, items: list[Prepared]) -> tuple[list[int], list[Event]]:
    """Insert prepared households with their ids; returns the ids and the audit events (one per
    village, see `creation_events`), whose ids are reserved here so each household names its event."""
    ids = allocate_ids(Household, len(items))
    villages = list(dict.fromkeys(p.village.code for p in items))  # in order of first appearance
    event_of = dict(zip(villages, reserve_ids(len(villages)), strict=True))
    owners = list(zip(ids, items, strict=True))
    head_id, phone, bank = HEAD_ID.seal, PHONE.seal, BANK_ACCOUNT.seal
    insert_encoded(Household, HOUSEHOLD_COLUMNS, (
        ((pk, event_of[p.village.code]), _sealed((head_id(p.secrets[0], pk), phone(p.secrets[1], pk),
                                                  bank(p.secrets[2], pk)), p.household))
        for pk, p in owners
    ))  # fmt: skip
    for model, columns, rows in (
        (House, HOUSE_COLUMNS, [(pk, p.house) for pk, p in owners if p.house is not None]),
        (HouseholdCategory, CATEGORY_COLUMNS, [(pk, row) for pk, p in owners for row in p.categories]),
    ):
        new_ids = allocate_ids(model, len(rows))
        insert_encoded(model, columns, (((pk, owner), row) for pk, (owner, row) in zip(new_ids, rows, strict=True)))
    members = [(pk, m) for pk, p in owners for m in p.members]
    member_id = MEMBER_ID.seal
    insert_encoded(Member, MEMBER_COLUMNS, (
        ((pk, owner), _sealed((member_id(number, pk),), rest))
        for pk, (owner, (number, rest)) in zip(allocate_ids(Member, len(members)), members, strict=True)
    ))  # fmt: skip
    return ids, creation_events(actor, owners, event_of)
