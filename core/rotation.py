"""Re-encrypting personal numbers under the current key (`manage.py rotate_field_key`, docs/operations.md).

Every model with SecretFields is walked by primary key (keyset pagination, `batch` rows per read);
each batch's changed ciphertexts are written in one short transaction, and only where the stored
ciphertext is still the one read (a value changed meanwhile was sealed with the current key by its
own write). A ciphertext already version 2 under the current key is skipped, so a run that was
stopped resumes by running again (or from `--after`). Blind indexes are not touched: their key stays
on key 1 (core.crypto). A value that does not open is left as it is and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from core.bulk import update_rows
from core.crypto import SecretField, Undecryptable, decrypt, encrypt, is_current, secret_fields


@dataclass
class Tally:
    rows: int = 0
    rewritten: int = 0  # values sealed again under the current key
    current: int = 0  # values already under the current key
    changed_meanwhile: int = 0  # rewritten by someone else between our read and our write
    stale: int = 0  # with check: values still to be re-encrypted (version 1 or an older key)
    unreadable: list[tuple[str, str, int]] = field(default_factory=list)  # (table, field, row id)


def sealed_models() -> list[tuple[type[models.Model], list[SecretField]]]:
    found = []
    for model in apps.get_models():
        fields = list(secret_fields(model))
        if fields:
            found.append((model, fields))
    return found


def rotate(
    model: type[models.Model],
    fields: Iterable[SecretField],
    *,
    batch: int = 1000,
    after: int = 0,
    check: bool = False,
    on_batch: Callable[[Tally, int], None] | None = None,
) -> Tally:
    """Re-encrypt one model's secrets (with `check`, only open every one and count: nothing written)."""
    fields = list(fields)
    tally = Tally()
    table = model._meta.db_table
    ordered = model._base_manager.order_by("pk")
    last = after
    while True:
        rows = list(ordered.filter(pk__gt=last).values_list("pk", *[f.enc for f in fields])[:batch])
        if not rows:
            return tally
        last = rows[-1][0]
        tally.rows += len(rows)
        changes: dict[str, list[tuple[int, bytes, bytes]]] = {f.enc: [] for f in fields}
        for pk, *blobs in rows:
            for f, stored in zip(fields, blobs, strict=True):
                if not stored:
                    continue
                blob = bytes(stored)
                if is_current(blob) and not check:
                    tally.current += 1
                    continue
                try:
                    value = decrypt(blob, f.ctx, pk, accept_v1=True)
                except Undecryptable:
                    tally.unreadable.append((table, f.name, pk))
                    continue
                if is_current(blob):
                    tally.current += 1
                elif check:
                    tally.stale += 1
                else:
                    changes[f.enc].append((pk, encrypt(value, f.ctx, pk), blob))
        if not check:
            with transaction.atomic():
                for column, items in changes.items():
                    if items:
                        written = update_rows(model, [column], items, where=[column])
                        tally.rewritten += written
                        tally.changed_meanwhile += len(items) - written
        if on_batch is not None:
            on_batch(tally, last)
