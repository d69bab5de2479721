"""The declared state machine engine: declarations are checked, moves only leave from a step's sources."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.statemachine import Machine, Step


def _machine(**kw: object) -> Machine:
    steps = kw.pop("steps", (Step("go", "前进", ("a",), "b"), Step("end", "结束", ("b",), "c")))
    states = {"a": "甲", "b": "乙", "c": "丙"}
    return Machine("test.toy", model="x.Y", states=states, steps=steps, initial="a", final=("c",), register=False)  # type: ignore[arg-type]


def test_a_step_to_an_undeclared_state_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="unknown states"):
        _machine(steps=(Step("go", "前进", ("a",), "zz"),))


def test_a_repeated_action_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError):
        _machine(steps=(Step("go", "前进", ("a",), "b"), Step("go", "再进", ("b",), "c")))


def test_reasons_name_the_current_state_and_the_step_in_chinese() -> None:
    machine = _machine()

    class Obj:
        state = "a"

    assert machine.reasons(Obj(), machine.step("go")) == []
    assert machine.reasons(Obj(), machine.step("end")) == ["当前状态为“甲”，不能进行“结束”"]
    with pytest.raises(ValidationError):
        machine.step("fly")


def test_guards_give_their_reasons_in_order() -> None:
    machine = _machine(steps=(Step("go", "前进", ("a",), "b", guards=(lambda o: "一", lambda o: None, lambda o: "三")),))

    class Obj:
        state = "a"

    assert machine.reasons(Obj(), machine.step("go")) == ["一", "三"]


def test_declarations_for_models() -> None:
    machine = _machine()
    assert machine.choices == [("a", "甲"), ("b", "乙"), ("c", "丙")]
    assert machine.open_states == {"a", "b"}
    assert machine.sources_of("b") == ("a",)
    assert machine.label("zz") == "zz"
    assert "state__in" in str(machine.constraint("toy_state_known").condition)
