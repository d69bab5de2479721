"""REST API of disbursement batches, payments and bank files (same services and scope as the pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.inputs import IdListField
from core.masking import mask_bank_account
from core.uploads import save_upload, send_temporary, temp_path, temporary, uploaded_file
from core.views import user_of
from core.viewsets import PersonalDataMixin, PolicyViewSet
from funds import services, standards
from funds.models import BatchExclusion, DisbursementBatch, Payment, Stage, SubsidyException


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisbursementBatch
        fields = [
            "id",
            "region_code",
            "year",
            "number",
            "name",
            "status",
            "made_by",
            "checked_by",
            "approved_at",
            "total",
            "count",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    account = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "batch",
            "case",
            "household",
            "region_code",
            "stage",
            "amount",
            "reference",
            "payee_name",
            "account",
            "bank_name",
            "status",
            "bank_message",
            "confirmed_on",
            "retry_of",
        ]

    def get_account(self, obj: Payment) -> str:
        return mask_bank_account(obj.account)


class ExclusionSerializer(serializers.ModelSerializer):
    class Meta:
        model = BatchExclusion
        fields = ["case", "payee_name", "region_code", "reason"]


class DecideLineSerializer(serializers.Serializer):
    return_id = serializers.IntegerField(min_value=1, error_messages={"invalid": _("请填写回盘文件编号。")})
    line = serializers.IntegerField(min_value=1, error_messages={"invalid": _("请填写回盘文件中的行号。")})
    decision = serializers.ChoiceField(choices=[("paid", _("已到账")), ("failed", _("失败"))])
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class BatchCreateSerializer(serializers.Serializer):
    county = serializers.RegexField(r"^[0-9]{6}$", error_messages={"invalid": _("请填写县级区划代码（6 位数字）。")})
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.FINAL)
    cases = IdListField(required=False, allow_null=True)


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PersonalDataMixin, PolicyViewSet):
    """POST {county, year, stage?, cases?} builds a batch; then approve (another person), bank-file, bank-return."""

    policy_model = "funds.DisbursementBatch"
    policy_actions = {"approve": "approve", "payments": "view", "bank_file": "export", "issue_bank_file": "export",
                      "bank_return": "change", "exclusions": "view", "decide_line": "change", "cancel": "change"}  # fmt: skip
    personal_actions = ("payments",)
    personal_fields = ("payee_name", "account")
    serializer_class = BatchSerializer
    queryset = DisbursementBatch.objects.none()

    def base_queryset(self) -> QuerySet[DisbursementBatch]:
        return DisbursementBatch.objects.order_by("-year", "-number")

    @extend_schema(request=BatchCreateSerializer, responses={201: BatchSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = BatchCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        plan = services.build_batch(
            actor=user_of(request), county=d["county"], year=d["year"], stage=d["stage"], case_ids=d.get("cases") or None
        )
        skipped: list[Any] = [{"case": k, "reason": v} for k, v in plan.skipped.items()]
        if plan.batch is None:
            raise ApiValidationError({"detail": "没有可以拨付的改造户。", "skipped": skipped})
        return Response({**BatchSerializer(plan.batch).data, "skipped": skipped}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ExclusionSerializer(many=True)})
    @action(detail=True)
    def exclusions(self, request: Request, pk: str) -> Response:
        """Every case the batch left out, and why."""
        rows = self.get_object().exclusions.order_by("region_code", "case_id")
        page = self.paginate_queryset(self.restricted(rows, "view"))
        return self.get_paginated_response(ExclusionSerializer(page, many=True).data)

    @extend_schema(request=DecideLineSerializer, responses={200: PaymentSerializer})
    @action(detail=True, methods=["post"], url_path="decide-line")
    def decide_line(self, request: Request, pk: str) -> Response:
        """A person decides a return line left unmatched (paid or failed, with the reason)."""
        batch = self.get_object()
        ser = DecideLineSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        bank_return = batch.returns.filter(pk=d["return_id"]).first()
        if bank_return is None:
            raise ApiValidationError({"return_id": "该批次没有这份回盘文件。"})
        payment = services.decide_line(
            actor=user_of(request), return_id=bank_return.pk, line=d["line"], paid=d["decision"] == "paid", reason=d["reason"]
        )
        return Response(PaymentSerializer(payment).data)

    @extend_schema(request=None, responses={200: BatchSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return Response(BatchSerializer(services.approve_batch(actor=user_of(request), batch_id=self.get_object().pk)).data)

    @extend_schema(request=DecisionSerializer, responses={200: BatchSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a draft batch, {note: the reason}; its lines are released for a new batch."""
        ser = DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        batch = services.cancel_batch(actor=user_of(request), batch_id=self.get_object().pk, reason=ser.validated_data["note"])
        return Response(BatchSerializer(batch).data)

    @extend_schema(responses={200: PaymentSerializer(many=True)})
    @action(detail=True)
    def payments(self, request: Request, pk: str) -> Response:
        page = self.paginate_queryset(self.restricted(self.get_object().payments.order_by("id"), "view"))
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)

    @extend_schema(parameters=[], responses={200: bytes})
    @action(detail=True, methods=["get"], url_path="bank-file")
    def bank_file(self, request: Request, pk: str) -> FileResponse:
        """GET downloads the file of a batch already issued (POST to the same address issues it)."""
        suffix = ".csv" if request.query_params.get("as") == "csv" else ".xlsx"  # ?format= is DRF's renderer switch
        path = temp_path(suffix)  # full ID and account numbers: deleted as soon as it is sent (or refused)
        try:
            services.bank_file(actor=user_of(request), batch_id=self.get_object().pk, path=path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return send_temporary(path, f"bank{suffix}")

    @extend_schema(request=None, responses={200: BatchSerializer})
    @bank_file.mapping.post
    def issue_bank_file(self, request: Request, pk: str) -> Response:
        """POST issues the approved batch to the bank (it becomes "sent"); then GET downloads the file."""
        batch = services.issue_bank_file(actor=user_of(request), batch_id=self.get_object().pk)
        return Response(BatchSerializer(batch).data)

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
        responses={200: dict},
    )
    @action(detail=True, methods=["post"], url_path="bank-return", parser_classes=[MultiPartParser])
    def bank_return(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        upload = uploaded_file(request, "file")
        if upload is None:
            raise ApiValidationError({"file": "请上传银行回盘文件（.xlsx 或 .csv）。"})
        name = upload.name or "return.csv"
        with temporary(Path(name).suffix.lower()) as path:
            save_upload(upload, path)
            result = services.import_return(actor=user_of(request), batch_id=batch.pk, path=path, original_name=name)
        r = result.bank_return
        return Response(
            {
                "already_imported": result.already,
                "id": r.pk,
                "lines": r.lines,
                "paid": r.paid,
                "failed": r.failed,
                "waiting": r.waiting,
                "unmatched": r.unmatched,
            }
        )


class ExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubsidyException
        fields = ["id", "case", "region_code", "mode", "amount", "standard_amount", "reason", "document_no", "state",
                  "requested_by",
                  "requested_at", "decided_by", "decided_at", "decision_note"]  # fmt: skip
        read_only_fields = fields


class ExceptionRequestSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1)
    mode = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    reason = serializers.CharField(max_length=300, allow_blank=True)
    document_no = serializers.CharField(max_length=100, allow_blank=True)


class SubsidyExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PolicyViewSet):
    """Amounts above the standard: POST {case, amount, reason, document_no} requests; approve / refuse by a
    second person at county level (funds.standards)."""

    policy_model = "funds.SubsidyException"
    policy_actions = {"approve": "approve", "refuse": "approve"}
    serializer_class = ExceptionSerializer
    queryset = SubsidyException.objects.none()

    def base_queryset(self) -> QuerySet[SubsidyException]:
        return SubsidyException.objects.order_by("-requested_at", "-id")

    @extend_schema(request=ExceptionRequestSerializer, responses={201: ExceptionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ExceptionRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        exc = standards.request_exception(
            actor=user_of(request),
            case_id=d["case"],
            amount=d["amount"],
            reason=d["reason"],
            document_no=d["document_no"],
            mode=d["mode"],
        )
        return Response(ExceptionSerializer(exc).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, approve: bool) -> Response:
        ser = DecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        exc = standards.decide_exception(
            actor=user_of(request), exception_id=self.get_object().pk, approve=approve, note=ser.validated_data["note"]
        )
        return Response(ExceptionSerializer(exc).data)

    @extend_schema(request=DecisionSerializer, responses={200: ExceptionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses={200: ExceptionSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        return self._decide(request, False)
