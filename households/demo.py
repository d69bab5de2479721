"""A realistic demo county: names, ID numbers, families, categories and houses of the loess plateau.

Deterministic for a given seed. Written through households.services.save_households, the same path
as the Excel import, in chunks, so it also exercises (and benchmarks) the real write path.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal

from households.idnumber import IdNumber, check_char
from households.services import HouseholdInput, MemberInput, save_households
from regions.models import Level, Region

SURNAMES = "王李张刘高马郝贺白崔霍呼薛任田杨赵冯曹郭闫贾师惠宋苗党胡折艾雷".replace("", " ").split()
GIVEN_MALE = "军平强伟明亮建国华海林斌宏志刚勇东峰俊福生贵文成小虎永旺治富增荣发金锁宝山".replace("", " ").split()
GIVEN_FEMALE = "兰英梅霞芳秀花娟艳丽琴玲萍凤莲翠娥爱珍桂荣小春彩云".replace("", " ").split()

# (category code, share of households) — most are general; a few per cent in each key group.
CATEGORY_SHARES = [
    ("registered_poor", 0.10),
    ("minimum_income", 0.04),
    ("risk_poverty", 0.02),
    ("near_minimum_income", 0.015),
    ("dispersed_destitute", 0.01),
    ("severe_hardship", 0.005),
    ("other_formerly_poor", 0.01),
]
CATEGORY_SOURCE = {
    "registered_poor": "乡村振兴局",
    "risk_poverty": "乡村振兴局",
    "other_formerly_poor": "乡村振兴局",
    "minimum_income": "民政局",
    "near_minimum_income": "民政局",
    "dispersed_destitute": "民政局",
    "severe_hardship": "民政局",
}

# (structure code, share, earliest year, latest year, area range)
STRUCTURES = [
    ("cave_stone", 0.28, 1950, 2005, (45, 110)),
    ("cave_earth", 0.20, 1940, 1995, (35, 90)),
    ("cave_brick", 0.14, 1975, 2012, (50, 120)),
    ("brick_concrete", 0.20, 1988, 2023, (70, 180)),
    ("brick_timber", 0.08, 1965, 2000, (50, 110)),
    ("earth_timber", 0.06, 1945, 1990, (35, 80)),
    ("frame", 0.02, 2005, 2023, (100, 220)),
    ("brick_earth", 0.02, 1955, 1995, (40, 90)),
]
# Counties of Yulin had codes under the old prefecture 6127 before 2000; people born then often still carry them.
OLD_COUNTY_CODES = {
    "610826": "612726",
    "610827": "612727",
    "610828": "612728",
    "610829": "612729",
    "610830": "612730",
    "610831": "612731",
    "610822": "612722",
    "610824": "612724",
    "610825": "612725",
}
BANKS = ["陕西信合", "中国邮政储蓄银行", "中国农业银行", "榆林农商银行"]


class Generator:
    def __init__(self, county: str, seed: int, today: dt.date | None = None) -> None:
        self.rng = random.Random(seed)
        self.county = county
        self.today = today or dt.date.today()
        self.villages = list(Region.objects.under(county).filter(level=Level.VILLAGE).values_list("code", flat=True))
        if not self.villages:
            raise ValueError(f"区划 {county} 下没有村级区划，请先运行 load_regions")
        self.used: set[str] = set()
        self.sequence = 0

    def id_number(self, born: dt.date, male: bool, county: str) -> IdNumber:
        rng = self.rng
        if born.year < 1995 and county in OLD_COUNTY_CODES and rng.random() < 0.6:
            county = OLD_COUNTY_CODES[county]
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{county}{born:%Y%m%d}{seq:03d}"
            value = first17 + check_char(first17)
            if value not in self.used:
                self.used.add(value)
                return IdNumber(value, born, "M" if male else "F")

    def birth(self, age: int) -> dt.date:
        year = self.today.year - age
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(0, 365))

    def person(self, age: int, male: bool, surname: str, county: str) -> tuple[str, IdNumber]:
        given = GIVEN_MALE if male else GIVEN_FEMALE
        name = surname + "".join(self.rng.choice(given) for _ in range(self.rng.choice((1, 2, 2))))
        return name, self.id_number(self.birth(max(0, age)), male, county)

    def household(self) -> HouseholdInput:
        rng = self.rng
        village = rng.choice(self.villages)
        county = village[:6]
        surname = rng.choice(SURNAMES)
        head_age = rng.randint(28, 88)
        head_male = rng.random() < 0.85
        head_name, head_id = self.person(head_age, head_male, surname, county)
        members: list[MemberInput] = []
        if rng.random() < 0.8:
            spouse_surname = rng.choice(SURNAMES)
            name, ident = self.person(head_age + rng.randint(-5, 3), not head_male, spouse_surname, county)
            members.append(MemberInput(name, "spouse", ident))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3)) if head_age < 75 else rng.choice((0, 1))):
            child_age = head_age - rng.randint(20, 36)
            if child_age < 0:
                continue
            male = rng.random() < 0.52
            name, ident = self.person(child_age, male, surname, county)
            members.append(MemberInput(name, "son" if male else "daughter", ident))
        if head_age < 50 and rng.random() < 0.3:
            name, ident = self.person(head_age + rng.randint(22, 32), True, surname, county)
            members.append(MemberInput(name, "parent", ident))
        categories = [code for code, share in CATEGORY_SHARES if rng.random() < share]
        if not categories:
            categories = ["general"]
        structure, _, low, high, (amin, amax) = rng.choices(STRUCTURES, weights=[s[1] for s in STRUCTURES])[0]
        phone = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}" if rng.random() < 0.85 else ""
        bank = f"6230{rng.randint(0, 10**15 - 1):015d}" if rng.random() < 0.7 else ""
        group = f"{rng.randint(1, 8)}组"
        return HouseholdInput(
            village_code=village,
            head_name=head_name,
            head_id=head_id,
            fields={
                "group_name": group,
                "phone": phone,
                "family_size": 1 + len(members),
                "bank_name": rng.choice(BANKS) if bank else "",
                "bank_account": bank,
                "only_house": rng.random() < 0.93,
            },
            categories=categories,
            category_source=CATEGORY_SOURCE.get(categories[0], ""),
            dwelling={
                "structure_type": structure,
                "year_built": rng.randint(low, min(high, self.today.year)),
                "storeys": 1 if structure.startswith("cave") else rng.choice((1, 1, 2)),
                "floor_area": Decimal(rng.randint(amin * 10, amax * 10)) / 10,
                "group_name": group,
                "address": f"{group}{rng.randint(1, 120)}号",
                **self.point(village),
            },
            members=members,
        )

    def point(self, village: str) -> dict[str, Decimal]:
        """A registered point near the village's centre (a fixed spot per village, about 37.5°N 110.25°E)."""
        spot = random.Random(village)
        lat = 37.35 + spot.random() * 0.35 + (self.rng.random() - 0.5) * 0.006
        lng = 110.05 + spot.random() * 0.45 + (self.rng.random() - 0.5) * 0.008
        return {"latitude": Decimal(f"{lat:.6f}"), "longitude": Decimal(f"{lng:.6f}")}

    def households(self, count: int) -> Iterator[HouseholdInput]:
        for _ in range(count):
            yield self.household()


def generate(
    *, county: str, count: int, seed: int = 2026, chunk: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    gen = Generator(county, seed)
    villages: dict[str, Region] = {}
    done = 0
    batch: list[HouseholdInput] = []
    for item in gen.households(count):
        batch.append(item)
        if len(batch) >= chunk:
            save_households(actor=None, inputs=batch, village_cache=villages)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        save_households(actor=None, inputs=batch, village_cache=villages)
        done += len(batch)
        if progress:
            progress(done)
    return done
