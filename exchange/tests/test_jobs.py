"""Background jobs that never jam (issue 11, finding 13): the state table, failures at the task
boundary, worker death detected and recovered, progress that stays within 100 %, cancelling a stuck
validation, and no "database is locked" between the worker and the web on SQLite."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from conftest import make_user
from exchange import household_import, jobstates, recovery, tasks
from exchange.models import ExportJob, ImportJob, clamped_percent
from exchange.services import cancel_import, create_import_job, restart_import, start_export
from exchange.tests.test_import import row, write_xlsx
from households.models import Household

IS, ES = ImportJob.Status, ExportJob.Status
LATER = dt.timedelta(minutes=5)


def queued_job(user: Any, tmp_path: Path, rows: int = 3) -> ImportJob:
    """An uploaded file whose validation task has not run yet (its enqueue callback is dropped)."""
    path = write_xlsx(tmp_path / "a.xlsx", [row(600 + n, name="田" + "甲乙丙丁戊己庚辛"[n]) for n in range(rows)])
    return ImportJob.objects.create(
        created_by=user, region_code="610826000000", file_path=str(path), original_name="a.xlsx", mapping={}
    )  # its columns mapped (the catalogue's), the mapping step behind it


def audit_log_with_a_big_batch(small: int = 600, households: int = 10500) -> int:
    """An audit log like the demo's, kept small: `small` ordinary events, then (newest, so read
    first) one village's batch creation event listing `households` households: more lines than
    events, more than 10,000 lines (the export reports progress every 10,000) and more than one
    cursor chunk (500) of events still to read when it does. Returns the number of events."""
    from audit.services import Event, batch_payload, record_many
    from households.writer import BATCH_CREATE

    village = "610826100201"
    record_many(Event("household.update", object_type="households.household", object_id=str(n), region_code=village,
                      after={"n": n}) for n in range(small))  # fmt: skip
    items = [{"id": n, "head_name": "田" + str(n), "village": village} for n in range(households)]
    record_many([Event(BATCH_CREATE, object_type="households.household", region_code=village, after=batch_payload(items))])
    return small + 1


def dies_while_validating(job: ImportJob, monkeypatch: Any) -> None:
    """A validation run whose process is killed halfway (KeyboardInterrupt is what SIGINT raises,
    and it passes the task boundary as a real kill would): the job is left 校验中."""

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(household_import, "run", killed)
        with pytest.raises(KeyboardInterrupt):
            tasks.validate_import.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == IS.VALIDATING and job.attempts == 1


# -- the state table --------------------------------------------------------------------------------


def test_every_status_has_declared_steps_and_finished_ones_lead_nowhere_but_a_restart() -> None:
    assert set(jobstates.IMPORT_STEPS) == set(IS.values)
    assert set(jobstates.EXPORT_STEPS) == set(ES.values)
    assert jobstates.IMPORT_STEPS[IS.DONE] == frozenset() == jobstates.EXPORT_STEPS[ES.DONE]
    for targets in [*jobstates.IMPORT_STEPS.values(), *jobstates.EXPORT_STEPS.values()]:
        assert targets <= set(IS.values) | set(ES.values)


def test_a_step_the_table_does_not_allow_is_not_taken(county_user: Any, tmp_path: Path) -> None:
    job = queued_job(county_user, tmp_path)
    ImportJob.objects.filter(pk=job.pk).update(status=IS.DONE)
    assert not jobstates.move(ImportJob, job.pk, IS.QUEUED)
    assert not jobstates.move(ImportJob, job.pk, IS.IMPORTING)
    job.refresh_from_db()
    assert job.status == IS.DONE


# -- progress ----------------------------------------------------------------------------------------


def test_percent_never_exceeds_100(county_user: Any) -> None:
    assert clamped_percent(7541, 5545) == 99  # the counters of the job that showed 136 %
    assert clamped_percent(5, 0) == 0 and clamped_percent(-3, 10) == 0
    job = ExportJob(created_by=county_user, status=ES.RUNNING, total_rows=5545, processed_rows=7541)
    assert job.percent == 99
    job.status = ES.DONE
    assert job.percent == 100
    imp = ImportJob(created_by=county_user, status=IS.VALIDATING, total_rows=10, processed_rows=30)
    assert imp.percent == 99


@pytest.mark.django_db
def test_audit_export_progress_counts_events_not_lines(monkeypatch: Any) -> None:
    """The cause of 136 %: the total counts audit events, but a village's batch creation event is
    written as one line per household, and the progress counted lines."""
    events = audit_log_with_a_big_batch()
    auditor = make_user("sd_auditor_p", "610826", Role.AUDITOR)
    seen: list[tuple[int, int]] = []
    original = tasks.Pulse.set

    def spy(self: Any, **fields: Any) -> None:
        if "processed_rows" in fields:
            job = ExportJob.objects.get(pk=self.pk)
            seen.append((fields["processed_rows"], fields.get("total_rows", job.total_rows)))
        original(self, **fields)

    monkeypatch.setattr(tasks.Pulse, "set", spy)
    job = start_export(user=auditor, params={}, kind="audit")  # the immediate backend runs it on commit
    tasks.run_export.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == ES.DONE and job.processed_rows > 10000 > events  # lines written, shown when done
    assert any(done > 0 for done, _ in seen)
    assert all(done <= total for done, total in seen), seen


# -- failures at the task boundary -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_marks_the_job_failed_in_chinese_and_the_next_job_runs(settings: Any, monkeypatch: Any) -> None:
    """With the real database backend and worker, in real transactions: the first export's writer
    breaks, the job says why in Chinese, django-tasks' own row is FAILED, and the second export is
    written."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from exchange.exports import KINDS

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    broken = KINDS["households"]

    def explode(path: Path, qs: Any, unmasked: bool, progress: Any) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(KINDS, "broken", dataclasses.replace(broken, write=explode, title="坏", filename="坏"))
    county_user = make_user("sd_county_w", "610826")
    first = start_export(user=county_user, params={}, kind="broken")
    second = start_export(user=county_user, params={})
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test", excluded_queue_names=[]).run()  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ES.FAILED
    assert first.message.startswith("导出失败：程序出错（RuntimeError）")
    assert "disk on fire" not in first.message  # the details stay in the worker's log
    assert second.status == ES.DONE
    results = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
    assert results[str(first.pk)].status == "FAILED"
    assert results[str(first.pk)].exception_class_path == "exchange.tasks.JobFailed"
    assert results[str(second.pk)].status == "SUCCESSFUL"


def test_a_validation_that_breaks_says_why_and_can_be_checked_again(
    county_user: Any, tmp_path: Path, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = queued_job(county_user, tmp_path)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    with monkeypatch.context() as m:
        m.setattr(household_import, "run", broken)
        with pytest.raises(tasks.JobFailed):
            tasks.validate_import.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == IS.FAILED and job.message == "校验时出错：服务器内存不足，请拆分文件或稍后重试。"
    with django_capture_on_commit_callbacks(execute=True):
        restart_import(user=county_user, job=job)
    job.refresh_from_db()
    assert job.status == IS.VALIDATED and job.valid_rows == 3 and job.message == ""


# -- worker death ------------------------------------------------------------------------------------


def test_worker_death_mid_validation_is_detected_and_the_validation_runs_again(
    county_user: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    assert recovery.recover() == []  # its heartbeat is fresh: it may still be working
    assert not recovery.is_stale(job)
    assert recovery.is_stale(job, timezone.now() + LATER)
    lines = recovery.recover(timezone.now() + LATER)  # the immediate backend runs the new validation at once
    assert len(lines) == 1
    job.refresh_from_db()
    assert job.status == IS.VALIDATED and job.attempts == 2
    assert (job.total_rows, job.valid_rows, job.planned_create) == (3, 3, 3)
    event = AuditEvent.objects.filter(verb="import.resume").get()
    assert event.actor_id is None and event.after["by"] == "recovery"
    assert recovery.recover(timezone.now() + LATER) == []  # recovered once, not again


def test_a_job_that_keeps_killing_its_worker_is_failed_with_a_reason(county_user: Any, tmp_path: Path, monkeypatch: Any) -> None:
    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(attempts=recovery.MAX_ATTEMPTS)
    recovery.recover(timezone.now() + LATER)
    job.refresh_from_db()
    assert job.status == IS.FAILED and "中断了 3 次" in job.message


def test_two_sweeps_recover_a_dead_job_once(county_user: Any, tmp_path: Path, monkeypatch: Any) -> None:
    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    stale = recovery._stale(ImportJob, timezone.now() + LATER)[0]
    assert recovery._recover_import(stale) is not None
    assert recovery._recover_import(stale) is None  # the second sweep saw the same heartbeat: no match now


def test_the_dead_runs_task_row_is_marked_failed(county_user: Any, settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    row = DBTaskResult.objects.create(status="RUNNING", args_kwargs={"args": [str(job.pk)], "kwargs": {}},
                                      task_path="exchange.tasks.validate_import", backend_name="default",
                                      run_after=timezone.now())  # fmt: skip
    recovery.recover(timezone.now() + LATER)
    row.refresh_from_db()
    assert row.status == "FAILED" and row.exception_class_path == "exchange.recovery.WorkerDied"


def test_a_run_that_lost_the_job_commits_nothing(county_user: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """An old run that comes back to life after its job was handed to a new run (the other way to
    double counts) cannot commit a chunk: each chunk checks, in its transaction, that the run still
    owns the job."""
    monkeypatch.setattr(household_import, "CHUNK", 2)
    path = write_xlsx(tmp_path / "a.xlsx", [row(700 + n, name="田" + "甲乙丙丁戊"[n]) for n in range(5)])
    job = create_import_job(user=county_user, path=path, original_name="a.xlsx", mapping={})
    tasks.validate_import.call(str(job.pk))
    jobstates.move(ImportJob, job.pk, IS.IMPORTING, only_from=[IS.VALIDATED], confirmed_at=timezone.now(), processed_rows=0)
    original = household_import.job_progress_callbacks

    def taken_over_after_first_chunk(job_id: Any) -> Any:
        commit, beat = original(job_id)

        def commit_then_lose(delta: Any, n: int) -> None:
            commit(delta, n)
            ImportJob.objects.filter(pk=job_id).update(attempts=99)  # a new run claimed it

        return commit_then_lose, beat

    monkeypatch.setattr(household_import, "job_progress_callbacks", taken_over_after_first_chunk)
    tasks.run_import.call(str(job.pk))  # stops quietly: the job is someone else's
    job.refresh_from_db()
    assert job.status == IS.IMPORTING and job.processed_rows == 2
    assert Household.objects.count() == 2


# -- cancel and restart from the import page ---------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_stuck_validation_is_cancelled_from_the_import_page_and_checked_again(
    county_user: Any, tmp_path: Path, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LATER)
    client = _client(county_user)
    page = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert 'id="cancel-btn"' in page and 'id="import-stale"' in page
    cancel = reverse("exchange:import_action", args=[job.pk, "cancel"])
    assert client.get(cancel).status_code == 405  # no GET changes state
    client.post(cancel)
    job.refresh_from_db()
    assert job.status == IS.CANCELLED
    assert AuditEvent.objects.filter(verb="import.cancel", object_id=str(job.pk)).exists()
    assert recovery.recover(timezone.now() + LATER) == []  # a cancelled job is nobody's to recover
    page = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert 'id="restart-btn"' in page and "重新校验" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exchange:import_action", args=[job.pk, "restart"]))
    job.refresh_from_db()
    assert job.status == IS.VALIDATED and job.valid_rows == 3


def test_a_validation_cancelled_while_it_runs_stops_and_stays_cancelled(
    county_user: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    job = queued_job(county_user, tmp_path)
    original = household_import.run

    def cancelled_midway(parsed: Any, **kwargs: Any) -> Any:
        progress = kwargs["on_progress"]

        def cancel_then_report(rows: int) -> None:
            cancel_import(user=county_user, job=ImportJob.objects.get(pk=job.pk))
            progress(rows)

        return original(parsed, **{**kwargs, "on_progress": cancel_then_report})

    monkeypatch.setattr(household_import, "run", cancelled_midway)
    tasks.validate_import.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == IS.CANCELLED and job.valid_rows == 0  # the run did not write its preview over it


def test_another_user_cannot_cancel_or_restart_an_import(
    county_user: Any, neighbour_user: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    job = queued_job(county_user, tmp_path)
    dies_while_validating(job, monkeypatch)
    colleague = make_user("sd_county2", "610826")
    for intruder in (neighbour_user, colleague):
        client = _client(intruder)
        for action in ("cancel", "restart", "resume"):
            assert client.post(reverse("exchange:import_action", args=[job.pk, action])).status_code == 404
    job.refresh_from_db()
    assert job.status == IS.VALIDATING


def test_finished_imports_cannot_be_restarted_or_cancelled(county_user: Any, tmp_path: Path) -> None:
    job = queued_job(county_user, tmp_path)
    ImportJob.objects.filter(pk=job.pk).update(status=IS.DONE)
    client = _client(county_user)
    for action in ("cancel", "restart"):
        response = client.post(reverse("exchange:import_action", args=[job.pk, action]), follow=True)
        assert "不能" in response.content.decode()
    job.refresh_from_db()
    assert job.status == IS.DONE


def test_a_failed_import_resumes_where_it_stopped(
    county_user: Any, tmp_path: Path, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(household_import, "CHUNK", 2)
    path = write_xlsx(tmp_path / "a.xlsx", [row(750 + n, name="田" + "甲乙丙丁戊"[n]) for n in range(5)])
    job = create_import_job(user=county_user, path=path, original_name="a.xlsx", mapping={})
    tasks.validate_import.call(str(job.pk))
    original = household_import.write_plan
    calls = {"n": 0}

    def failing_second(plan: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return original(plan)

    from exchange.services import confirm_import

    monkeypatch.setattr(household_import, "write_plan", failing_second)
    with django_capture_on_commit_callbacks(execute=True):  # the immediate backend keeps the task's exception
        confirm_import(user=county_user, job=ImportJob.objects.get(pk=job.pk))
    job.refresh_from_db()
    assert job.status == IS.FAILED and job.processed_rows == 2 and "No space left on device" in job.message
    monkeypatch.setattr(household_import, "write_plan", original)
    with django_capture_on_commit_callbacks(execute=True):
        restart_import(user=county_user, job=job)
    job.refresh_from_db()
    assert job.status == IS.DONE and job.created == 5 and Household.objects.count() == 5


# -- SQLite: the worker exports while the web is polled ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_export_while_its_progress_page_is_polled_never_meets_a_locked_database() -> None:
    """Finding 13 as reported: the audit log exported while its page is polled (each poll writes
    the session). The export reads through an open cursor; its progress used to be written on that
    connection, which SQLite refuses with "database is locked" once the web has written since."""
    audit_log_with_a_big_batch()
    auditor = make_user("sd_auditor_q", "610826", Role.AUDITOR)
    job = ExportJob.objects.create(created_by=auditor, kind="audit", region_code="610826000000", params={})
    client = _client(auditor)
    url = reverse("exchange:export_detail", args=[job.pk])
    stop = threading.Event()
    polls: list[int] = []
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            while not stop.is_set():
                polls.append(client.get(url, headers={"HX-Request": "true"}).status_code)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        tasks.run_export.call(str(job.pk))
    finally:
        stop.set()
        poller.join()
    job.refresh_from_db()
    assert not errors, errors
    assert job.status == ES.DONE, job.message
    assert len(polls) > 5 and set(polls) == {200}


# -- the production unit -----------------------------------------------------------------------------


def test_the_documented_systemd_unit_restarts_the_worker() -> None:
    unit = (Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "anju-worker.service").read_text()
    assert "Restart=always" in unit and "manage.py run_worker" in unit


@pytest.mark.django_db(transaction=True)
def test_the_workers_sweep_recovers_a_job_left_by_a_dead_worker(tmp_path: Path, monkeypatch: Any) -> None:
    """run_worker's sweep thread (its own connection) finds the job its dead predecessor left 校验中."""
    from exchange.management.commands.run_worker import sweep_forever

    user = make_user("sd_county_s", "610826")
    job = queued_job(user, tmp_path)
    dies_while_validating(job, monkeypatch)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LATER)
    stop = threading.Event()
    stop.set()  # one sweep, then the thread ends
    sweeper = threading.Thread(target=sweep_forever, args=(stop, 0))
    sweeper.start()
    sweeper.join(60)
    job.refresh_from_db()
    assert job.status == IS.VALIDATED and job.attempts == 2
