"""The grading engine against domain 6.1, exhaustively, and the quantitative method against 6.2."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspections import grading, quantitative
from inspections.grading import GradingError

STRUCTURES = [*grading.APPLICABLE, "some_local_type"]
SEVERITY = {"a": 0, "b": 1, "c": 2, "d": 3}
ABSENT = "none"  # "无此构件"
ANSWERS = (None, ABSENT, "a", "b", "c", "d")


def every_combination(structure: str) -> list[dict[str, str | None]]:
    keys = grading.applicable(structure)
    return [dict(zip(keys, values, strict=True)) for values in product(ANSWERS, repeat=len(keys))]


def expected(site_dangerous: bool, components: dict[str, str | None]) -> tuple[str, str]:
    """An independent statement of the rules: the worst graded component decides, the site overrides."""
    if site_dangerous:
        return "D", "R1"
    worst = max(SEVERITY[g] for g in components.values() if g in SEVERITY)
    return "ABCD"[worst], ("R5", "R4", "R3", "R2")[worst]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_combination_of_components_and_site(structure: str) -> None:
    checked = 0
    for components, site in product(every_combination(structure), (False, True)):
        if any(g is None for g in components.values()):
            with pytest.raises(GradingError, match="尚未评定"):
                grading.compute(structure, site, components)
            continue
        if all(g == ABSENT for g in components.values()):
            with pytest.raises(GradingError, match="至少评定一个构件"):
                grading.compute(structure, site, components)
            continue
        result = grading.compute(structure, site, components)
        assert (result.grade, result.rule) == expected(site, components)
        if result.rule in ("R2", "R3", "R4"):
            assert result.deciding and all(components[k] == result.grade.lower() for k in result.deciding)
            assert set(result.deciding) == {k for k, g in components.items() if g == result.grade.lower()}
        checked += 1
    assert checked == 2 * (5 ** len(grading.applicable(structure)) - 1)


def test_an_earth_timber_house_with_only_its_foundation_filled_in_is_not_graded() -> None:
    """The finding of issue 13: the blanks counted as not applicable and the house came out A."""
    with pytest.raises(GradingError) as refused:
        grading.compute("earth_timber", False, {"foundation": "a"})
    assert str(refused.value) == "以下构件尚未评定：承重墙体、木柱梁檩、木屋架、屋面。房屋没有的构件请选“无此构件”"
    with pytest.raises(GradingError, match="承重墙体、木柱梁檩、木屋架、屋面"):  # the web form posts the blanks as None
        grading.compute("earth_timber", False, {"foundation": "a", "walls": None, "timber_frame": None,
                                                "timber_truss": None, "roof": None})  # fmt: skip
    answered = {"foundation": "a", "walls": "c", "timber_frame": "b", "timber_truss": ABSENT, "roof": "b"}
    assert grading.compute("earth_timber", False, answered).grade == "C"


def test_a_local_structure_type_needs_every_component() -> None:
    with pytest.raises(GradingError, match=r"^以下构件尚未评定：混凝土柱梁。"):
        grading.compute("local_code", False, {k: "a" for k in grading.ALL_KEYS if k != "concrete_frame"})
    assert grading.compute("local_code", False, dict.fromkeys(grading.ALL_KEYS, "a") | {"concrete_frame": ABSENT}).grade == "A"


def test_every_component_absent_is_not_a_house() -> None:
    with pytest.raises(GradingError, match=r"^请至少评定一个构件的危险性等级$"):
        grading.compute("cave_earth", True, dict.fromkeys(grading.applicable("cave_earth"), ABSENT))


@given(
    structure=st.sampled_from(STRUCTURES),
    answers=st.dictionaries(st.sampled_from(grading.ALL_KEYS), st.sampled_from(ANSWERS)),
    site=st.booleans(),
)
def test_a_grade_only_from_a_complete_form(structure: str, answers: dict[str, str | None], site: bool) -> None:
    """Whatever is sent: graded only when every applicable component is a–d or absent and one is graded;
    a refusal names exactly the blanks; an absent component never decides."""
    keys = grading.applicable(structure)
    sent = {k: v for k, v in answers.items() if k in keys}
    blank = [k for k in keys if sent.get(k) is None]
    try:
        result = grading.compute(structure, site, sent)
    except GradingError as exc:
        if blank:
            names = "、".join(grading.BY_KEY[k].label for k in blank)
            assert str(exc) == f"以下构件尚未评定：{names}。房屋没有的构件请选“无此构件”"
            assert grading.blanks(structure, sent) == tuple(blank)
        else:
            assert all(sent[k] == ABSENT for k in keys) and "至少评定一个构件" in str(exc)
        return
    assert not blank and any(sent[k] in SEVERITY for k in keys)
    assert (result.grade, result.rule) == expected(site, sent)
    assert all(k == "site" or sent[k] in SEVERITY for k in result.deciding)


def test_components_follow_the_structure() -> None:
    assert "concrete_frame" not in grading.applicable("earth_timber")
    assert "timber_truss" not in grading.applicable("brick_concrete")
    with pytest.raises(GradingError, match="不适用"):
        grading.compute("brick_concrete", False, {"timber_truss": "a"})
    with pytest.raises(GradingError, match="a、b、c、d"):
        grading.compute("earth_timber", False, {"walls": "e"})


def test_explanation_names_the_rule_and_components() -> None:
    complete = {"walls": "c", "roof": "c", "foundation": "b", "timber_frame": "a", "timber_truss": ABSENT}
    result = grading.compute("earth_timber", False, complete)
    assert result.explanation == "R3：有构件评为c级（无d级）（承重墙体、屋面）"
    cave = dict.fromkeys(grading.applicable("cave_earth"), "a")
    assert grading.compute("cave_earth", True, cave).explanation.startswith("R1：场地危险")


def test_stored_answers_read_in_chinese() -> None:
    assert [grading.answer_label(a) for a in (None, "", ABSENT, "c")] == ["未填", "未填", "无此构件", "c"]


@given(
    computed=st.sampled_from(grading.GRADES),
    raised=st.one_of(st.none(), st.sampled_from(grading.GRADES)),
    reason=st.text(max_size=5),
)
def test_a_raise_never_gives_a_lower_grade(computed: str, raised: str | None, reason: str) -> None:
    try:
        final = grading.final_grade(computed, raised, reason)
    except GradingError:
        assert raised is not None and raised != computed
        assert grading.GRADES.index(raised) < grading.GRADES.index(computed) or not reason.strip()
        return
    assert grading.GRADES.index(final) >= grading.GRADES.index(computed)
    if raised and raised != computed:
        assert final == raised and reason.strip()


def test_lowering_is_refused_with_a_reason_in_chinese() -> None:
    with pytest.raises(GradingError, match="不能把按规则评定的 C 级降为 B 级"):
        grading.final_grade("C", "B", "看着还行")
    with pytest.raises(GradingError, match="必须写明理由"):
        grading.final_grade("B", "C", "  ")
    assert grading.final_grade("B", "D", "整体歪闪") == "D"


# --- domain 6.2 -------------------------------------------------------------------------------


def test_worked_checks_of_the_older_method() -> None:
    assert quantitative.assess(Fraction(0), Fraction(10, 100), Fraction(0)).grade == "B"
    assert quantitative.assess(Fraction(0), Fraction(25, 100), Fraction(0)).grade == "C"
    assert quantitative.assess(Fraction(0), Fraction(0), Fraction(0)).grade == "A"


def test_membership_functions() -> None:
    mu = quantitative.membership(Fraction(10, 100))
    assert mu == {"a": 0, "b": Fraction(8, 10), "c": Fraction(2, 10), "d": 0}
    mu = quantitative.membership(Fraction(65, 100))
    assert mu["c"] == Fraction(1, 2) and mu["d"] == Fraction(1, 2)
    assert quantitative.membership(Fraction(1))["d"] == 1


def test_foundation_and_superstructure_thresholds() -> None:
    # μd of the foundation ≥ 0.75 decides D even though the weighted house memberships say otherwise
    found = quantitative.assess(Fraction(85, 100), Fraction(0), Fraction(0))
    assert found.grade == "D" and "地基基础" in found.reason
    sup = quantitative.assess(Fraction(0), Fraction(90, 100), Fraction(0))
    assert sup.grade == "D" and "上部承重结构" in sup.reason


def test_tie_goes_to_the_worse_grade() -> None:
    # superstructure p = 17.5 %: μb = μc = 0.5, both capped at 0.5 by the weight 0.6 → C
    result = quantitative.assess(Fraction(0), Fraction(175, 1000), Fraction(0))
    assert result.house["B"] == result.house["C"] and result.grade == "C"


def test_superstructure_ratio_weights_member_kinds() -> None:
    p = quantitative.superstructure_ratio({"columns": (1, 10), "slabs": (0, 6)})
    assert p == Fraction(24, 10) / (Fraction(24, 10) * 10 + 6)
    with pytest.raises(quantitative.QuantitativeError, match="不能多于"):
        quantitative.superstructure_ratio({"walls": (3, 2)})
    assert quantitative.assess(Fraction(0), p, Fraction(0)).as_dict()["grade"] == "B"


@given(st.fractions(min_value=0, max_value=1), st.fractions(min_value=0, max_value=1), st.fractions(min_value=0, max_value=1))
def test_quantitative_always_grades(f: Fraction, s: Fraction, e: Fraction) -> None:
    result = quantitative.assess(f, s, e)
    assert result.grade in grading.GRADES
    assert all(0 <= m <= 1 for m in result.house.values())
