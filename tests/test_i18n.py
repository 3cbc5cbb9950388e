"""The language pass: complete catalogues, Chinese by default, English through the switch, readable
labels instead of raw keys, and tables that scroll on a phone instead of widening the page."""

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from funding import services
from funding.workflow import State, Transition
from tests import factories
from tests.clients import page_client

LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _unquote(text: str) -> str:
    return bytes(text.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file (the header left out): msgid, msgstr(s), flags, and the source line."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set(), "strings": {}, "line": block.strip().splitlines()[0] if block.strip() else ""}
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry["strings"][key] += _unquote(line)
            else:
                key, _space, value = line.partition(" ")
                entry["strings"][key] = _unquote(value)
        if entry["strings"].get("msgid"):
            entries.append(entry)
    return entries


def test_both_catalogues_exist():
    assert {p.parent.parent.name for p in CATALOGUES} == {"en", "zh_Hans"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogue_has_no_empty_msgstr(po):
    empty = [e["strings"]["msgid"] for e in parse_po(po)
             if any(v == "" for k, v in e["strings"].items() if k.startswith("msgstr"))]
    assert not empty, f"{len(empty)} untranslated in {po}: {empty[:10]}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogue_has_no_fuzzy_entry(po):
    fuzzy = [e["strings"]["msgid"] for e in parse_po(po) if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy in {po}: {fuzzy[:10]}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_translations_keep_their_placeholders(po):
    wrong = [e["strings"]["msgid"] for e in parse_po(po)
             if sorted(PLACEHOLDER.findall(e["strings"].get("msgstr", e["strings"]["msgid"])))
             != sorted(PLACEHOLDER.findall(e["strings"]["msgid"]))]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_compiled_catalogue_matches_its_source(po):
    """The committed .mo says what the .po says (a bare machine has no msgfmt to recompile)."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run `manage.py compilemessages --ignore=.venv`"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [e["strings"]["msgid"] for e in parse_po(po) if "msgstr" in e["strings"]
             and "msgctxt" not in e["strings"] and compiled.gettext(e["strings"]["msgid"]) != e["strings"]["msgstr"]]
    assert not stale, f"{mo} is stale, recompile: {stale[:5]}"


def test_english_catalogue_translates_chinese_python_msgids():
    with translation.override("en"):
        assert str(State.RETURNED.label) == "Returned for revision"
        assert str(Transition.SEND_TO_REVIEW.label) == "Send to expert review"
        assert translation.gettext("预算已用尽：可用余额 0 元") == "Budget exhausted: 0 yuan available"


def test_chinese_catalogue_translates_english_template_msgids():
    with translation.override("zh-hans"):
        assert translation.gettext("Public notice of proposed funding") == "拟资助项目公示"
        assert translation.gettext("Budget overview") == "预算总览"


@pytest.mark.django_db
def test_login_page_is_chinese_by_default():
    body = Client().get("/accounts/login/").content.decode()
    assert "登录" in body
    assert "Sign in" not in body


@pytest.mark.django_db
def test_login_page_is_english_with_accept_language():
    body = Client(headers={"accept-language": "en"}).get("/accounts/login/").content.decode()
    assert "Sign in" in body
    assert "登录" not in body


@pytest.fixture
def on_notice(world):
    return factories.ApplicationFactory(program=world.programs["application_subsidy"], applicant=world.enterprise1,
                                        title="公示测试项目", state=State.PUBLICITY,
                                        publicity_started_on=timezone.localdate())


def _notice(app) -> str:
    return f"/funding/notices/{app.program.region.code}/{app.program.code}/{app.fiscal_year}/"


def test_public_notice_page_is_chinese_by_default(on_notice):
    assert "拟资助项目公示" in Client().get("/funding/notices/").content.decode()
    body = Client().get(_notice(on_notice)).content.decode()
    assert "拟资助项目的公示" in body and "公示测试项目" in body
    assert "projects proposed for funding" not in body


def test_public_notice_page_is_english_with_accept_language(on_notice):
    body = Client(headers={"accept-language": "en"}).get(_notice(on_notice)).content.decode()
    assert "projects proposed for funding" in body
    assert on_notice.program.name_en in body  # the program's English name
    assert "拟资助项目的公示" not in body


def test_public_notice_page_is_english_with_the_language_cookie(on_notice):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/funding/notices/").content.decode()
    assert "Public notices of proposed funding" in body


def test_language_switch_sets_english(on_notice):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/funding/notices/"})
    assert "Public notices of proposed funding" in client.get("/funding/notices/").content.decode()


def _detail_page(world, language: str):
    patent = factories.PatentFactory(owner=world.enterprise1, granted_on=timezone.localdate().replace(
        year=world.year - 1, month=6, day=1))
    app = services.application_create(by=world.applicant1, program_code="application_subsidy", title="标签测试",
                                      requested_amount=None, details={"patents": [patent.number],
                                                                      "official_fees_paid": "3000.00"})
    services.application_transition(application_id=app.pk, name=Transition.SUBMIT, by=world.applicant1, comment="")
    client = page_client(world.applicant1, headers={"accept-language": language})
    response = client.get(f"/funding/{app.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_application_detail_shows_labels_not_raw_keys(world):
    body = _detail_page(world, "zh-hans")
    assert "已缴官费" in body and "申请所涉专利" in body
    assert "official_fees_paid" not in body
    assert "草稿 → 已提交" in body
    assert "draft → submitted" not in body


def test_application_detail_labels_are_english_in_english(world):
    body = _detail_page(world, "en")
    assert "Official fees paid" in body
    assert "Draft → Submitted" in body


class _TableFinder(HTMLParser):
    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.bare: list[int] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if tag == "table" and not any("table-responsive" in cls for _tag, cls in self.stack):
            self.bare.append(self.getpos()[0])
        self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_table_scrolls_inside_table_responsive(template):
    finder = _TableFinder()
    finder.feed(re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", template.read_text(encoding="utf-8"), flags=re.S))
    assert not finder.bare, f"{template}: <table> without a .table-responsive wrapper (lines {finder.bare})"


def test_base_template_links_a_favicon_that_exists():
    assert "favicon.svg" in (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert (Path(settings.BASE_DIR) / "static" / "favicon.svg").exists()
