from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from codetables.models import Table
from codetables.selectors import choices
from core.widgets import DateInput
from households import validation as v
from households.idnumber import IdNumber, parse
from households.models import House, Household
from households.services import HouseholdInput
from regions.models import Level, Region
from regions.selectors import options as region_options


class HouseholdForm(forms.Form):
    village = forms.CharField(label=_("村"), max_length=12)
    group_name = forms.CharField(label=_("组"), max_length=50, required=False)
    archive_no = forms.CharField(label=_("档案编号"), max_length=40, required=False)
    head_name = forms.CharField(label=_("户主姓名"), max_length=50)
    head_id = forms.CharField(label=_("户主身份证号"), max_length=30)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    family_size = forms.CharField(label=_("家庭人口"), max_length=3, initial="1")
    categories = forms.MultipleChoiceField(label=_("农户类别"), required=False, widget=forms.CheckboxSelectMultiple)
    category_source = forms.CharField(
        label=_("类别认定部门"), max_length=60, required=False, help_text=_("如：民政局、乡村振兴局、残联")
    )
    bank_name = forms.CharField(label=_("开户银行"), max_length=60, required=False)
    bank_account = forms.CharField(label=_("银行账号（一卡通）"), max_length=40, required=False)
    only_house = forms.BooleanField(label=_("一户一宅"), required=False, initial=True)
    structure_type = forms.ChoiceField(label=_("结构形式"), required=False)
    year_built = forms.CharField(label=_("建造年份"), max_length=20, required=False)
    storeys = forms.CharField(label=_("层数"), max_length=2, required=False)
    floor_area = forms.CharField(label=_("建筑面积（㎡）"), max_length=10, required=False)
    address = forms.CharField(label=_("房屋详细地址"), max_length=200, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, household: Household | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.household = household
        cast(forms.ChoiceField, self.fields["categories"]).choices = choices(Table.HOUSEHOLD_CATEGORY)
        cast(forms.ChoiceField, self.fields["structure_type"]).choices = [("", "—"), *choices(Table.STRUCTURE_TYPE)]
        villages = region_options(user.region_id or "", (Level.VILLAGE,))
        if villages is not None:
            self.fields["village"] = forms.ChoiceField(label=_("村"), choices=[("", "—"), *villages])
        else:
            self.fields["village"].help_text = _("填写 12 位村级区划代码")
        if household is not None:
            for name in ("head_id", "phone", "bank_account"):
                self.fields[name].required = False
                self.fields[name].help_text = _("已登记，如需更改请填写新号码，留空则保持不变")

    def _clean_with(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_village(self) -> str:
        code = v.compact(self.cleaned_data["village"])
        region = Region.objects.filter(code=code, level=Level.VILLAGE).first()
        if region is None or not self.user.covers(region.full_code):
            raise forms.ValidationError(_("村区划代码不存在或不在您的管辖范围内"))
        return code

    def clean_head_name(self) -> str:
        return self._clean_with(v.name, self.cleaned_data["head_name"], "head_name", "户主姓名")

    def clean_head_id(self) -> IdNumber | None:
        raw = self.cleaned_data["head_id"]
        if not raw and self.household is not None:
            return None
        return self._clean_with(v.id_number, raw)

    def clean_phone(self) -> str | None:
        raw = self.cleaned_data["phone"]
        if not raw and self.household is not None:
            return None
        return self._clean_with(v.phone, raw)

    def clean_bank_account(self) -> str | None:
        raw = self.cleaned_data["bank_account"]
        if not raw and self.household is not None:
            return None
        return self._clean_with(v.bank_account, raw)

    def clean_family_size(self) -> int:
        return self._clean_with(v.family_size, self.cleaned_data["family_size"])

    def clean_year_built(self) -> int | None:
        return self._clean_with(v.year_built, self.cleaned_data["year_built"])

    def clean_storeys(self) -> int | None:
        return self._clean_with(v.integer, self.cleaned_data["storeys"], "storeys", "层数", 1, 10)

    def clean_floor_area(self) -> Any:
        return self._clean_with(
            v.decimal, self.cleaned_data["floor_area"], "floor_area", "建筑面积", v.Decimal("1"), v.Decimal("5000")
        )

    def to_input(self) -> HouseholdInput:
        d = self.cleaned_data
        hh = self.household
        head_id = d["head_id"] or (parse(hh.head_id) if hh else None)
        assert head_id is not None
        fields = {k: d[k] for k in ("group_name", "archive_no", "family_size", "bank_name", "only_house", "note")}
        fields["phone"] = d["phone"] if d["phone"] is not None else (hh.phone if hh else "")
        fields["bank_account"] = d["bank_account"] if d["bank_account"] is not None else (hh.bank_account if hh else "")
        dwelling = {k: d[k] for k in ("structure_type", "year_built", "storeys", "floor_area", "address")}
        dwelling["group_name"] = d["group_name"]
        return HouseholdInput(
            village_code=d["village"],
            head_name=d["head_name"],
            head_id=head_id,
            fields=fields,
            categories=list(d["categories"]),
            category_source=d["category_source"],
            dwelling=dwelling,
        )


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与户主关系"))
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["relation"]).choices = [c for c in choices(Table.RELATION) if c[0] != "head"]

    def clean_name(self) -> str:
        try:
            return v.name(self.cleaned_data["name"], "name", "姓名")
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_id_number(self) -> IdNumber | None:
        raw = self.cleaned_data["id_number"]
        if not raw:
            return None
        try:
            return v.id_number(raw, "id_number")
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("head_id", "head_id"), ("phone", "phone"), ("bank_account", "bank_account"), ("id_number", "id_number")]
    )
    reason = forms.CharField(label=_("查看理由"), max_length=200)
    member = forms.IntegerField(required=False)


class HouseForm(forms.ModelForm):
    class Meta:
        model = House
        fields = [
            "is_dwelling",
            "group_name",
            "address",
            "latitude",
            "longitude",
            "year_built",
            "structure_type",
            "storeys",
            "bays",
            "floor_area",
            "wall_front",
            "wall_back",
            "wall_gable",
            "wall_inner",
            "roof_form",
            "roof_covering",
            "seismic_intensity",
            "site_hazards",
            "use",
            "is_occupied",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure_type"] = forms.ChoiceField(
            label=_("结构形式"), required=False, choices=[("", "—"), *choices(Table.STRUCTURE_TYPE)]
        )
        self.fields["roof_form"] = forms.ChoiceField(
            label=_("屋顶形式"), required=False, choices=[("", "—"), *choices(Table.ROOF_FORM)]
        )
        self.fields["use"] = forms.ChoiceField(label=_("用途"), choices=choices(Table.HOUSE_USE))
        # written as clerks write it (2021, 2021.5, 2021年5月): households.validation keeps the year
        self.fields["year_built"] = forms.CharField(label=_("建造年份"), max_length=20, required=False)

    def clean_year_built(self) -> int | None:
        try:
            return v.year_built(self.cleaned_data["year_built"])
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None


class CategoryForm(forms.Form):
    code = forms.ChoiceField(label=_("类别"))
    source = forms.CharField(label=_("认定部门"), max_length=60, required=False, help_text=_("如：民政局、乡村振兴局、残联"))
    start_date = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    end_date = forms.DateField(
        label=_("终止日期"),
        required=False,
        widget=DateInput(),
        help_text=_("类别失效时填写，如脱离低保的日期"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = choices(Table.HOUSEHOLD_CATEGORY)
