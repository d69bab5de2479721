"""Import and export jobs as declared machines: the steps ADR 0022 describes, and a database that
refuses a status neither machine declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from core.statemachine import REGISTRY
from exchange import jobstates
from exchange.models import ExportJob, ImportJob

# Written from ADR 0022 and the import pipeline (docs/architecture.md), not read from the module:
# status -> where it may go next.
IMPORT_TABLE = {
    "queued": {"validating", "failed", "cancelled", "queued"},
    # queued: its worker died while validating; mapping: the header read, the columns wait for the uploader
    "validating": {"mapping", "validated", "failed", "cancelled", "queued"},
    "mapping": {"queued", "cancelled"},  # queued: the mapping confirmed, the check runs with it (ADR 0033)
    "validated": {"importing", "cancelled", "mapping"},  # mapping: back from the preview (修改列对应)
    "importing": {"done", "failed", "importing"},  # importing again: resumed after the last committed chunk
    "failed": {"queued", "importing"},  # a failed validation starts over; a failed import resumes
    "cancelled": {"queued"},
    "done": set(),
}
EXPORT_TABLE = {
    "queued": {"running", "failed", "queued"},
    "running": {"done", "failed", "queued"},
    "failed": {"queued"},
    "done": set(),
}


def test_the_machines_take_exactly_the_declared_steps() -> None:
    assert REGISTRY["exchange.import_job"] is jobstates.IMPORT and REGISTRY["exchange.export_job"] is jobstates.EXPORT
    for machine, table in ((jobstates.IMPORT, IMPORT_TABLE), (jobstates.EXPORT, EXPORT_TABLE)):
        assert {state: {s.target for s in machine.steps_from(state)} for state in machine.states} == table
    assert jobstates.IMPORT.label("validated") == "待确认" and jobstates.EXPORT.label("running") == "生成中"


@pytest.mark.parametrize("model", [ImportJob, ExportJob])
def test_the_database_refuses_an_undeclared_status(model: Any, county_user: Any, tmp_path: Path) -> None:
    job = model.objects.create(created_by=county_user, region_code="610826000000", **(
        {"file_path": str(tmp_path / "a.xlsx"), "original_name": "a.xlsx"} if model is ImportJob else {}))  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=job.pk).update(status="paused")
    job.refresh_from_db()
    assert job.status == "queued"


def test_move_writes_through_the_machine_and_only_from_a_source(county_user: Any, tmp_path: Path) -> None:
    job = ImportJob.objects.create(created_by=county_user, region_code="610826000000", file_path=str(tmp_path / "a.xlsx"),
                                   original_name="a.xlsx")  # fmt: skip
    assert not jobstates.move(ImportJob, job.pk, "done")  # queued cannot finish
    assert jobstates.move(ImportJob, job.pk, "validating", attempts=1)
    assert not jobstates.move(ImportJob, job.pk, "validated", where_attempts=2)  # not the run that owns it
    assert jobstates.move(ImportJob, job.pk, "cancelled", only_from=["validating"])
    job.refresh_from_db()
    assert job.status == "cancelled" and job.finished_at is not None
