"""The printable application form (申报书, ``/funding/<pk>/form.pdf``): a valid PDF with the embedded CJK
font, the case, the amounts in figures and capitals, the explanation, the pledge and the signature boxes;
an individual's ID number masked."""

import io

import pdfplumber
import pytest

from funding.pdf import application_form_pdf, mask_id
from tests import factories
from tests.clients import page_client
from tests.funding.helpers import step, subsidy_app

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "".join((page.extract_text() or "") for page in pdf.pages).replace("\n", "").replace(" ", "")


def _compact(text: str) -> str:
    return text.replace(" ", "")


def test_the_form_is_a_valid_pdf_with_everything_to_sign(world):
    app = step(subsidy_app(world, fees="3000.00"), "submit", world.applicant1, data={"pledge_accepted": True})
    response = page_client(world.applicant1).get(f"/funding/{app.pk}/form.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF")
    text = _text(content)
    for expected in ("专利资助申报书", app.case_no, world.enterprise1.name, world.enterprise1.credit_code, app.title,
                     "1,000.00元", "壹仟元整", "1件国内发明专利×1,000.00元=1,000.00元", "诚信承诺书",
                     "申请单位（盖章）", "法定代表人（签字）", "日期"):
        assert _compact(expected) in text, expected
    assert "3年内不得申报巫山县知识产权专项资金项目" in text  # the pledge, with the program's ban_years


def test_the_form_embeds_a_cjk_truetype_subset(world):
    with pdfplumber.open(io.BytesIO(application_form_pdf(subsidy_app(world)))) as pdf:
        fonts = {char["fontname"] for char in pdf.pages[0].chars}
    assert fonts and all("+" in name and "STSong" not in name for name in fonts), fonts


def test_an_individuals_id_number_is_masked(world):
    inventor = factories.IndividualFactory(region=world.region, resident_id="500237199001011234")
    user = factories.UserFactory(username="inventor", role="applicant", region=world.region, applicant=inventor)
    app = subsidy_app(world, user)
    text = _text(page_client(user).get(f"/funding/{app.pk}/form.pdf").content)
    assert "5002**********1234" in text and "500237199001011234" not in text
    assert "申请人（签字）" in text and "申请单位（盖章）" not in text
    assert "（提交后生成）" in text  # a draft has no case number yet


def test_the_form_is_for_whoever_sees_the_case(world):
    app = step(subsidy_app(world), "submit", world.applicant1)
    assert page_client(world.clerk).get(f"/funding/{app.pk}/form.pdf").status_code == 200
    assert page_client(world.applicant2).get(f"/funding/{app.pk}/form.pdf").status_code == 404
    assert page_client().get(f"/funding/{app.pk}/form.pdf").status_code == 302  # to the login


@pytest.mark.parametrize(("number", "masked"), [
    ("500237199001011234", "5002**********1234"), ("11010519491231002X", "1101**********002X"), ("", ""),
    ("1234567", "*******"),
])
def test_mask_id_keeps_four_at_each_end(number, masked):
    assert mask_id(number) == masked
