"""Issue #13, item 8: the admin site speaks Chinese. Every model and every concrete field of our apps
has a Chinese verbose name, and every page of every registered model renders for a superuser in
zh-hans: the list, the add page where adding is allowed, the change page of a real row."""

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import timezone, translation

from api.models import ApiToken
from applicants.models import RegionYearStats, Role
from core.models import CalendarDay
from funding import clawbacks, services
from funding.models import Document
from funding.program_rules import program_update
from pledges import services as pledge_services
from pledges.models import IdempotencyRecord
from tests.clients import page_client
from tests.factories import UserFactory
from tests.funding.helpers import industrialization_app, step, subsidy_app, to_approved
from tests.pledges.helpers import IN_TERM, compensated, register

OUR_APPS = ("core", "applicants", "funding", "pledges", "reports", "api", "ops", "devtools")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _our_models():
    for label in OUR_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        yield from config.get_models()


def test_every_model_and_concrete_field_of_our_apps_has_a_chinese_label():
    missing = []
    with translation.override("zh-hans"):
        for model in _our_models():
            for what in ("verbose_name", "verbose_name_plural"):
                if not CJK.search(str(getattr(model._meta, what))):
                    missing.append(f"{model.__name__} ({what})")
            for field in model._meta.get_fields():
                if (field.auto_created and not field.concrete) or field.name == "id":
                    continue
                if not CJK.search(str(getattr(field, "verbose_name", ""))):
                    missing.append(f"{model.__name__}.{field.name}")
    assert not missing, "no Chinese verbose_name: " + ", ".join(missing)


def test_every_list_column_of_our_admin_pages_has_a_chinese_heading():
    missing = []
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label not in OUR_APPS:
                continue
            for name in model_admin.list_display:
                if not isinstance(name, str) or name in ("__str__", "id"):
                    continue
                if not CJK.search(str(label_for_field(name, model, model_admin))):
                    missing.append(f"{model.__name__}: {name}")
    assert not missing, missing


@pytest.fixture
def rows(world):
    """A row of as many of our models as the services make in a few steps."""
    app = to_approved(world, subsidy_app(world))
    app = step(app, "disburse", world.finance, data={"amount": "1000.00", "voucher_no": "PZ-1"})
    loan = compensated(world)
    pledge_services.recovery_record(by=world.bank1_user, loan_id=loan.pk,
                                    **{"date": timezone.localdate().isoformat(), "amount": "1000.00"})
    repaid = register(world.bank1_user)
    pledge_services.repayment_record(by=world.bank1_user, loan_id=repaid.pk,
                                     **{"date": IN_TERM, "principal": "1000.00", "interest": "100.00"})
    project = industrialization_app(world)
    step(project, "submit", world.applicant1)
    step(project, "accept", world.clerk)
    step(project, "send_to_review", world.clerk)
    services.review_submit(application_id=project.pk, by=world.experts[0], score=80,
                           recommended_amount=Decimal("200000.00"))
    program_update(by=world.admin, program=world.programs["industrialization"], changes={"ban_years": 5},
                   reason="年度调整")
    Document.objects.create(application=app, kind="专利证书", file=f"applications/{app.pk}/x", original_name="证书.pdf",
                            content_type="application/pdf", size=1, uploaded_by=world.applicant1)
    IdempotencyRecord.objects.create(bank=world.bank1, key="k-1", request_hash="0" * 64, method="POST",
                                     path="/api/v1/loans/", response_status=201, response_body={})
    RegionYearStats.objects.create(region=world.region, year=2024, resident_population=450000, market_entities=30000)
    ApiToken.issue(world.admin, name="对账")
    # Last: fraud bars the applicant from further applications.
    clawbacks.clawback_record(by=world.finance, application_id=app.pk, amount="100.00",
                              date=timezone.localdate(), voucher_no="ZH-1", reason="重复资助", fraud=True)
    CalendarDay.objects.create(date=timezone.localdate().replace(month=10, day=1), name="国庆节")
    return world


@pytest.mark.django_db
def test_every_admin_page_of_our_models_renders_in_chinese(admin_client, rows):
    request = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").wsgi_request
    failures, seen = [], 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        seen += 1
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{name}_changelist")]
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{name}_add"))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            urls.append(reverse(f"{name}_change", args=[row.pk]))
        for url in urls:
            response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
            elif 'lang="zh-hans"' not in response.content.decode():
                failures.append(f"{url}: not in zh-hans")
    assert seen >= 25
    assert not failures, failures


# --- the admin site in the menu ---------------------------------------------------------------------

def _nav_labels(user) -> dict[str, str]:
    response = page_client(user).get(reverse("home"))
    assert response.status_code == 200
    return {str(item["label"]): item["url"] for item in response.context["nav_items"]}


@pytest.mark.django_db
def test_the_fund_administrator_finds_the_admin_site_in_the_menu(world):
    assert _nav_labels(world.admin).get("管理后台") == reverse("admin:index")
    response = page_client(world.admin).get(reverse("home"))
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


@pytest.mark.django_db
def test_a_staff_fund_administrator_who_is_not_superuser_finds_it_and_gets_in(world):
    user = UserFactory(username="admin2", role=Role.ADMIN, region=world.region, is_staff=True)
    assert _nav_labels(user).get("管理后台") == reverse("admin:index")
    assert page_client(user).get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["finance", "clerk", "fincenter", "applicant1", "bank1"])
def test_other_roles_have_no_admin_entry(world, username):
    user = next(u for u in [world.finance, world.clerk, world.fincenter, world.applicant1, world.bank1_user]
                if u.username == username)
    assert "管理后台" not in _nav_labels(user)


@pytest.mark.django_db
def test_no_entry_where_the_admin_site_would_not_let_the_user_in(world):
    # The Django admin admits active staff accounts only; a link that leads to its login page is not shown.
    user = UserFactory(username="admin3", role=Role.ADMIN, region=world.region, is_staff=False)
    assert "管理后台" not in _nav_labels(user)
