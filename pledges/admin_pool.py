"""The risk pool in the admin (风险补偿资金池): its limits and its funders inline, shares and loss ratios
in percent. The forms only read what was typed; ``pledges.pool`` validates (the shares sum to
exactly 100%, the warning not above the breaker) and ``pool_save`` writes the pool and its funders
in one transaction. The funders' parts of payouts and recoveries are listed read-only."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnly
from core.errors import DomainError, Invalid
from core.forms import FractionField, MoneyField, PercentField
from core.money import ZERO, format_money, format_percent

from . import pool
from .models_pool import RiskPool, RiskPoolChange, RiskPoolFunder, RiskPoolShare


def _add_errors(form: forms.BaseForm, error: Invalid, prefix: str = "") -> None:
    for name, messages in error.as_field_errors().items():
        field = name.removeprefix(prefix).rpartition(".")[2] if prefix else name
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class RiskPoolForm(forms.ModelForm):
    leverage = FractionField(label=_("放大倍数"), places=2, high=pool.MAX_LEVERAGE, low_open=True,
                             what=_("放大倍数"),
                             help_text=_("纳入补偿范围的贷款余额合计不超过资金池规模（各出资方出资之和）的这一倍数，如 10"))
    loss_breaker = PercentField(label=_("熔断损失率"), low_open=True, what=_("熔断损失率"),
                                help_text=_("累计补偿（已批准及已拨付）占纳入贷款本金的比例达到此值后，新违约不予补偿。"
                                            "以百分数填写，如 30%"))
    loss_warning = PercentField(label=_("预警损失率"), low_open=True, what=_("预警损失率"),
                                help_text=_("达到此值时提醒金融服务中心和财政局，不高于熔断损失率。以百分数填写，如 24%"))

    class Meta:
        model = RiskPool
        fields = ["region", "name", "leverage", "loss_breaker", "loss_warning"]

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned.get(name) for name in ("name", "leverage", "loss_breaker", "loss_warning")}
        if all(value is not None for value in values.values()):
            try:
                pool.clean_pool(**values)
            except Invalid as exc:
                _add_errors(self, exc)
        return cleaned


class FunderForm(forms.ModelForm):
    share = PercentField(label=_("分担比例"), low_open=True, what=_("分担比例"),
                         help_text=_("补偿和回收按此比例在出资方之间分担；各出资方之和须为 100%"))
    contribution = MoneyField(label=_("出资金额"), allow_zero=True, help_text=_("资金池规模为各出资方出资之和"))

    class Meta:
        model = RiskPoolFunder
        fields = ["name", "share", "contribution"]


class FunderFormSet(BaseInlineFormSet):
    """The funders the pool keeps, checked together by ``pledges.pool`` (shares summing to 100%)."""

    def clean(self):
        super().clean()
        self.rows: list[dict] = []
        if any(self.errors):
            return
        kept = [form for form in self.forms if form.has_changed() or form.instance.pk]
        kept = [form for form in kept if not self._should_delete_form(form)]
        self.rows = [{"id": form.instance.pk, "name": form.cleaned_data.get("name"),
                      "share": form.cleaned_data.get("share"), "contribution": form.cleaned_data.get("contribution")}
                     for form in kept]
        try:
            pool.clean_funders(self.rows)
            pool.check_removals(self.instance.pk, {row["id"] for row in self.rows if row["id"]})
            pool.check_untampered(self.instance.pk)  # a save would seal an SQL edit: refused, said why
        except DomainError as exc:
            raise forms.ValidationError([m for messages in exc.as_field_errors().values() for m in messages]) \
                from None


class FunderInline(admin.TabularInline):
    model = RiskPoolFunder
    form = FunderForm
    formset = FunderFormSet
    extra = 0
    min_num = 1
    fields = ["name", "share", "contribution"]


@admin.register(RiskPool)
class RiskPoolAdmin(admin.ModelAdmin):
    form = RiskPoolForm
    inlines = [FunderInline]
    list_display = ["name", "region", "leverage", "breaker_shown", "warning_shown", "size_shown", "ratio_shown"]
    list_select_related = ["region"]

    def get_readonly_fields(self, request, obj=None):
        return ["region"] if obj is not None else []  # a pool belongs to its region for good

    @admin.display(description=_("熔断损失率"), ordering="loss_breaker")
    def breaker_shown(self, row: RiskPool) -> str:
        return format_percent(row.loss_breaker)

    @admin.display(description=_("预警损失率"), ordering="loss_warning")
    def warning_shown(self, row: RiskPool) -> str:
        return format_percent(row.loss_warning)

    @admin.display(description=_("资金池规模"))
    def size_shown(self, row: RiskPool) -> str:
        return format_money(pool.pool_size(row))

    @admin.display(description=_("当前损失率"))
    def ratio_shown(self, row: RiskPool) -> str:
        return pool.shown(pool.status_of(row).loss_ratio)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # loans refer to it

    def save_model(self, request, obj, form, change):
        """Nothing here: the pool is written with its funders, through the service, in ``save_related``."""

    def save_related(self, request, form, formsets, change):
        rows = next((getattr(formset, "rows", []) for formset in formsets if isinstance(formset, FunderFormSet)), [])
        obj = form.instance
        saved = pool.pool_save(by=request.user, region=obj.region, name=obj.name, leverage=obj.leverage,
                               loss_breaker=obj.loss_breaker, loss_warning=obj.loss_warning, funders=rows,
                               pool_id=obj.pk if change else None)
        obj.pk = saved.pk

    def construct_change_message(self, request, form, formsets, add=False):
        # The funders were written by the service, not by the formsets: the log names the pool's fields.
        return super().construct_change_message(request, form, [], add)


@admin.register(RiskPoolShare)
class RiskPoolShareAdmin(ReadOnly, admin.ModelAdmin):
    """Written by the payments and recoveries only: read-only, never added or deleted."""

    list_display = ["at", "funder", "application", "recovery", "amount_shown"]
    list_select_related = ["funder", "application", "recovery"]
    readonly_fields = ["funder", "application", "recovery", "amount", "at"]

    @admin.display(description=_("金额"), ordering="amount")
    def amount_shown(self, row: RiskPoolShare) -> str:
        return format_money(row.amount or ZERO)


@admin.register(RiskPoolChange)
class RiskPoolChangeAdmin(ReadOnly, admin.ModelAdmin):
    """The chained record of each save of a pool (``pool_save``): what verify_audit compares with."""

    list_display = ["at", "pool", "by", "summary"]
    list_select_related = ["pool", "by"]
    list_filter = ["pool"]
    readonly_fields = ["pool", "state", "by", "at", "seq", "hash"]

    @admin.display(description=_("设置"))
    def summary(self, row: RiskPoolChange) -> str:
        return pool.state_summary(row.state)
