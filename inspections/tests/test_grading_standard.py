"""The grading engine against the 2019 national guideline 农村住房安全性鉴定技术导则 (domain 6.1).

Every expectation here is written out from the guideline, never taken from inspections.grading: the
components of each structure type, their Chinese names, the house grade order A < B < C < D and the
rules R1–R5 with their wording. A change to the module's tables that the guideline does not make
(dropping 承重墙体 from a brick-concrete house, swapping C and D) fails here.
"""

from __future__ import annotations

from itertools import product

import pytest

from inspections import grading
from inspections.grading import GradingError

# The components of the national form, in the form's order, with their names on the form.
LABELS = {
    "foundation": "地基基础",
    "walls": "承重墙体",
    "timber_frame": "木柱梁檩",
    "timber_truss": "木屋架",
    "concrete_frame": "混凝土柱梁",
    "roof": "屋面",
}
EVERY_COMPONENT = ("foundation", "walls", "timber_frame", "timber_truss", "concrete_frame", "roof")

# Which components the guideline appraises for each structure type: masonry and earth walls under a
# timber roof (土木、砖木、砖土、石木) carry walls, timber posts and beams and a truss; a timber house
# stands on its posts (its walls only enclose); a brick-concrete house has walls and concrete members
# but no timber; a concrete frame has neither load-bearing walls nor timber; a cave dwelling 窑洞 is
# its foundation, its piers and side walls (承重墙体) and its vault (屋面).
MASONRY_TIMBER = ("foundation", "walls", "timber_frame", "timber_truss", "roof")
COMPONENTS_BY_STRUCTURE = {
    "earth_timber": MASONRY_TIMBER,
    "brick_timber": MASONRY_TIMBER,
    "brick_earth": MASONRY_TIMBER,
    "stone_timber": MASONRY_TIMBER,
    "timber": ("foundation", "timber_frame", "timber_truss", "roof"),
    "brick_concrete": ("foundation", "walls", "concrete_frame", "roof"),
    "frame": ("foundation", "concrete_frame", "roof"),
    "cave_earth": ("foundation", "walls", "roof"),
    "cave_stone": ("foundation", "walls", "roof"),
    "cave_brick": ("foundation", "walls", "roof"),
}

# The form's answers for one component: a grade a–d, or "无此构件" when the house has none (stored as
# "none"); a blank (None, or the key missing) is no answer at all (ADR 0031).
ABSENT = "none"
HOUSE_GRADES = "ABCD"  # A safe < B < C partly dangerous < D wholly dangerous
RULE_TEXT = {
    "R1": "场地危险，直接评定为D级",
    "R2": "有构件评为d级",
    "R3": "有构件评为c级（无d级）",
    "R4": "有构件评为b级（无c、d级）",
    "R5": "所有构件均为a级",
}


def by_the_guideline(site_dangerous: bool, components: dict[str, str | None]) -> tuple[str, str, tuple[str, ...]]:
    """Grade, rule and deciding components, stated from the guideline's rules in their order (a complete form)."""
    if site_dangerous:
        return "D", "R1", ("site",)
    for component_grade, house_grade, rule in (("d", "D", "R2"), ("c", "C", "R3"), ("b", "B", "R4")):
        deciding = tuple(k for k, g in components.items() if g == component_grade)
        if deciding:
            return house_grade, rule, deciding
    return "A", "R5", ()


@pytest.mark.parametrize("structure, expected", sorted(COMPONENTS_BY_STRUCTURE.items()))
def test_each_structure_type_is_appraised_on_the_guideline_components(structure: str, expected: tuple[str, ...]) -> None:
    assert grading.applicable(structure) == expected


def test_a_structure_type_the_guideline_does_not_name_gets_every_component() -> None:
    assert grading.applicable("some_local_type") == EVERY_COMPONENT
    assert grading.applicable("") == EVERY_COMPONENT


@pytest.mark.parametrize("key, label", LABELS.items())
def test_components_carry_the_names_of_the_national_form(key: str, label: str) -> None:
    assert grading.BY_KEY[key].label == label
    assert set(grading.BY_KEY[key].criteria) == {"a", "b", "c", "d"}
    assert all(text.strip() for text in grading.BY_KEY[key].criteria.values())


@pytest.mark.parametrize("structure", [*sorted(COMPONENTS_BY_STRUCTURE), "some_local_type"])
def test_every_combination_grades_as_the_guideline_says(structure: str) -> None:
    keys = COMPONENTS_BY_STRUCTURE.get(structure, EVERY_COMPONENT)
    graded = 0
    for values in product((None, ABSENT, "a", "b", "c", "d"), repeat=len(keys)):
        components = dict(zip(keys, values, strict=True))
        for site in (False, True):
            blank = [LABELS[k] for k, v in components.items() if v is None]
            if blank:  # not even a dangerous site grades a form with blanks
                with pytest.raises(GradingError) as refused:
                    grading.compute(structure, site, components)
                assert str(refused.value) == f"以下构件尚未评定：{'、'.join(blank)}。房屋没有的构件请选“无此构件”"
                continue
            if all(v == ABSENT for v in values):
                with pytest.raises(GradingError, match=r"^请至少评定一个构件的危险性等级$"):
                    grading.compute(structure, site, components)
                continue
            result = grading.compute(structure, site, components)
            assert (result.grade, result.rule, result.deciding) == by_the_guideline(site, components), components
            graded += 1
    assert graded == 2 * (5 ** len(keys) - 1)  # a–d or absent for each, not all absent; both sites


@pytest.mark.parametrize("structure, expected", sorted(COMPONENTS_BY_STRUCTURE.items()))
def test_a_component_the_structure_lacks_is_refused_by_its_name(structure: str, expected: tuple[str, ...]) -> None:
    for key in EVERY_COMPONENT:
        if key in expected:
            continue
        with pytest.raises(GradingError) as refused:
            grading.compute(structure, False, {key: "a"})
        assert str(refused.value) == f"“{LABELS[key]}”不适用于该结构形式"
        with pytest.raises(GradingError):  # even with a dangerous site: the form is wrong
            grading.compute(structure, True, {key: None})


def test_an_unknown_component_is_refused_by_its_key() -> None:
    with pytest.raises(GradingError) as refused:
        grading.compute("brick_concrete", False, {"chimney": "a"})
    assert str(refused.value) == "“chimney”不适用于该结构形式"


@pytest.mark.parametrize("bad", ["e", "A", "D", "", " a", "ab", "1", "无此构件", "None", "NONE", "null"])
def test_only_the_four_component_grades_or_absent_are_accepted(bad: str) -> None:
    with pytest.raises(GradingError) as refused:
        grading.compute("earth_timber", False, {"walls": bad, "roof": "a"})
    assert str(refused.value) == f"构件等级只能是 a、b、c、d 或“无此构件”，不能是“{bad}”"
    with pytest.raises(GradingError):
        grading.compute("earth_timber", True, {"walls": bad})


def test_a_dangerous_site_decides_alone_on_a_complete_form() -> None:
    result = grading.compute("cave_earth", True, {"foundation": "a", "walls": "a", "roof": "a"})
    assert (result.grade, result.rule, result.deciding) == ("D", "R1", ("site",))
    assert result.explanation == "R1：场地危险，直接评定为D级（场地）"
    with pytest.raises(GradingError, match=r"^以下构件尚未评定：地基基础、承重墙体、屋面。"):
        grading.compute("cave_earth", True, {})


EARTH_TIMBER_A = dict.fromkeys(MASONRY_TIMBER, "a")


@pytest.mark.parametrize(
    "components, explanation",
    [
        (EARTH_TIMBER_A | {"walls": "d", "roof": "c"}, "R2：有构件评为d级（承重墙体）"),
        (EARTH_TIMBER_A | {"walls": "c", "roof": "c", "foundation": "b"}, "R3：有构件评为c级（无d级）（承重墙体、屋面）"),
        (EARTH_TIMBER_A | {"foundation": "b", "timber_truss": "b"}, "R4：有构件评为b级（无c、d级）（地基基础、木屋架）"),
        (EARTH_TIMBER_A | {"timber_truss": ABSENT, "walls": ABSENT}, "R5：所有构件均为a级"),
    ],
)
def test_the_explanation_quotes_the_rule_and_names_the_deciding_components(components: dict, explanation: str) -> None:
    assert grading.compute("earth_timber", False, components).explanation == explanation


def test_the_deciding_components_follow_the_form_order_not_the_entry_order() -> None:
    result = grading.compute("brick_concrete", False, {"roof": "c", "concrete_frame": "c", "walls": "a", "foundation": "c"})
    assert result.deciding == ("foundation", "concrete_frame", "roof")


REASONS = ("", "   ", "墙体多处裂缝，整体判断偏危险")


@pytest.mark.parametrize("computed", list(HOUSE_GRADES))
@pytest.mark.parametrize("raised", [None, "", *HOUSE_GRADES])
@pytest.mark.parametrize("reason", REASONS)
def test_a_grade_may_be_raised_with_a_reason_and_never_lowered(computed: str, raised: str | None, reason: str) -> None:
    if not raised or raised == computed:
        assert grading.final_grade(computed, raised, reason) == computed
        return
    if HOUSE_GRADES.index(raised) < HOUSE_GRADES.index(computed):
        with pytest.raises(GradingError) as refused:
            grading.final_grade(computed, raised, reason)
        assert str(refused.value) == f"不能把按规则评定的 {computed} 级降为 {raised} 级；如需改变，请重新鉴定"
        return
    if not reason.strip():
        with pytest.raises(GradingError) as refused:
            grading.final_grade(computed, raised, reason)
        assert str(refused.value) == f"把 {computed} 级调高为 {raised} 级，必须写明理由"
        return
    assert grading.final_grade(computed, raised, reason) == raised


@pytest.mark.parametrize("bad", ["E", "a", "AB", "甲"])
def test_a_raise_to_a_grade_that_does_not_exist_is_refused(bad: str) -> None:
    with pytest.raises(GradingError) as refused:
        grading.final_grade("B", bad, "理由")
    assert str(refused.value) == f"等级只能是 A、B、C、D，不能是“{bad}”"


@pytest.mark.parametrize("a, b", list(product(HOUSE_GRADES, repeat=2)))
def test_worse_follows_the_grade_order(a: str, b: str) -> None:
    assert grading.is_worse(a, b) is (HOUSE_GRADES.index(a) > HOUSE_GRADES.index(b))


def test_the_browser_and_phone_get_the_guideline_tables() -> None:
    payload = grading.rules_payload()
    assert payload["grades"] == ["A", "B", "C", "D"]
    assert payload["rules"] == RULE_TEXT
    assert payload["all"] == list(EVERY_COMPONENT)
    assert payload["applicable"] == COMPONENTS_BY_STRUCTURE
    assert payload["absent"] == ABSENT
    components = payload["components"]
    assert isinstance(components, list)
    assert [(c["key"], c["label"]) for c in components] == list(LABELS.items())
    assert all(set(c["criteria"]) == {"a", "b", "c", "d"} for c in components)
