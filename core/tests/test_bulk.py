import gc

from core.bulk import bulk_gc


def test_bulk_gc_collects_rarely_and_restores_the_collector() -> None:
    before = gc.get_threshold()
    with bulk_gc():
        assert gc.get_threshold()[0] == before[0] * 100
        assert gc.get_freeze_count() > 0  # what was alive before is left out of the scans
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_bulk_gc_restores_the_collector_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with bulk_gc():
            raise ValueError
    except ValueError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
