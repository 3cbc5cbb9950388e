"""批量导入 (issue #13 item 7): loans from an .xlsx sheet, checked row by row through the service,
stored in one transaction, or only the rows without errors when the bank chooses so."""

import datetime as dt
import zipfile
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from pledges import batch_read
from pledges.models import LoanEvent, PledgedRight, PledgeLoan
from tests.clients import page_client
from tests.factories import make_credit_code, make_patent_number
from tests.pledges.bank_pages import forms_of
from tests.pledges.helpers import THIS_YEAR, register

pytestmark = pytest.mark.django_db
IMPORT = "/pledges/import/"
HEADERS = [column.header for column in batch_read.COLUMNS]
_serial = iter(range(1, 100_000))


def loan_row(**values) -> dict:
    n = next(_serial)
    row = {"合同编号": f"XLS-{THIS_YEAR}-{n:04d}", "借款企业统一社会信用代码": make_credit_code(),
           "借款企业名称": f"巫山县导入测试{n}有限公司", "贷款本金（元）": "1000000.00", "年利率": "0.0385",
           "放款日": f"{THIS_YEAR - 1}-03-01", "到期日": f"{THIS_YEAR + 1}-02-28", "质押登记号": "2026500000123",
           "权利类型": "专利", "权利号码": make_patent_number(year=THIS_YEAR - 2), "评估价值（元）": "2000000.00"}
    row.update(values)
    return row


def xlsx(rows: list[dict], headers=None, *, title: str = "质押贷款") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    headers = HEADERS if headers is None else headers
    if headers:
        sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("loans.xlsx", buffer.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def upload(client, file):
    return client.post(IMPORT, {"file": file})


def second_post(client, response, mode: str | None = None, *, follow: bool = False, **extra):
    payload = next(f for f in forms_of(response.content.decode()) if "payload" in f)["payload"]
    data = {"payload": payload, **({"mode": mode} if mode else {}), **extra}
    return client.post(IMPORT, data, follow=follow)


def problems(response) -> list[tuple[int, str, str]]:
    return [(p.row, p.header, p.message) for p in response.context["checked"].problems]


def refusal(response) -> list[str]:
    assert response.status_code == 200
    return response.context["form"].errors["file"]


# --- the template ---------------------------------------------------------------------------

def test_template_has_the_headers_an_example_and_notes(world):
    response = page_client(world.bank1_user).get("/pledges/import/template/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["质押贷款", "填写说明"]
    rows = list(workbook["质押贷款"].iter_rows(values_only=True, max_row=3))
    assert list(rows[0]) == HEADERS
    assert rows[1][0] == batch_read.EXAMPLE_CONTRACT and rows[1][4] == 0.0385  # a fraction, shown as 3.85%
    assert rows[2][8] == "商标"  # the example loan's second right, on its own row
    notes = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True, min_row=2) if row[0]]
    assert all(header in notes for header in HEADERS)


def test_the_template_uploaded_as_it_is_is_refused_by_row(world):
    client = page_client(world.bank1_user)
    template = client.get("/pledges/import/template/").content
    response = upload(client, SimpleUploadedFile("template.xlsx", template))
    assert {(row, header) for row, header, _m in problems(response)} == {(2, "合同编号"), (3, "合同编号")}
    assert "示例行" in problems(response)[0][2]


# --- happy path -------------------------------------------------------------------------------

def test_a_clean_sheet_is_previewed_then_stored_in_one_go(world):
    client = page_client(world.bank1_user)
    first, second = loan_row(), loan_row()
    further = {"合同编号": second["合同编号"], "权利类型": "商标", "权利号码": "12345678", "评估价值（元）": "300000"}
    events = LoanEvent.objects.count()
    preview = upload(client, xlsx([first, second, further]))
    assert preview.status_code == 200 and problems(preview) == []
    assert [loan.rows.__len__() for loan in preview.context["checked"].loans] == [1, 2]
    assert "贰佰万元整" in preview.content.decode()  # the total principal in capitals
    assert PledgeLoan.objects.count() == 0 and LoanEvent.objects.count() == events  # the preview stored nothing

    done = second_post(client, preview, "all")
    assert done.status_code == 302 and done["Location"] == "/pledges/"
    loans = {loan.contract_no: loan for loan in PledgeLoan.objects.filter(bank=world.bank1)}
    assert set(loans) == {first["合同编号"], second["合同编号"]}
    assert loans[second["合同编号"]].rights.count() == 2
    assert loans[first["合同编号"]].annual_rate == Decimal("0.0385")


def test_a_double_submit_of_the_sheet_registers_once(world):
    client = page_client(world.bank1_user)
    preview = upload(client, xlsx([loan_row(), loan_row()]))
    second_post(client, preview, "all")
    again = second_post(client, preview, "all")
    assert again.status_code == 302
    assert PledgeLoan.objects.count() == 2


def test_excel_numbers_and_dates_are_read_exactly(world):
    row = loan_row(**{"贷款本金（元）": 3000000.0, "年利率": 0.0385, "评估价值（元）": 4500000.5,
                      "放款日": dt.datetime(THIS_YEAR - 1, 3, 1), "到期日": f"{THIS_YEAR + 1}-02-28",
                      "质押登记号": 2015990000410, "权利类型": "商标", "权利号码": 12345678.0})
    percent = loan_row(**{"年利率": "4.35%", "放款日": dt.date(THIS_YEAR - 1, 5, 1)})
    client = page_client(world.bank1_user)
    preview = upload(client, xlsx([row, percent]))
    assert problems(preview) == []
    second_post(client, preview, "all")
    loan = PledgeLoan.objects.get(contract_no=row["合同编号"])
    assert loan.principal == Decimal("3000000.00") and loan.annual_rate == Decimal("0.0385")
    assert loan.start_date == dt.date(THIS_YEAR - 1, 3, 1) and loan.pledge_registration_no == "2015990000410"
    right = loan.rights.get()
    assert (right.number, right.valuation) == ("12345678", Decimal("4500000.50"))
    assert PledgeLoan.objects.get(contract_no=percent["合同编号"]).annual_rate == Decimal("0.0435")


def _rewritten(file: SimpleUploadedFile, old: str, new: str) -> SimpleUploadedFile:
    """The .xlsx with a cell's stored text changed (openpyxl writes 3000000.0 as "3000000"; other
    producers write the float)."""
    source, target = zipfile.ZipFile(BytesIO(file.read())), BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            out.writestr(info, data)
    return SimpleUploadedFile("loans.xlsx", target.getvalue())


def test_a_cell_stored_as_the_float_3000000_0_is_three_million(world):
    row = loan_row(**{"贷款本金（元）": 3000000, "评估价值（元）": 4500000})
    file = _rewritten(xlsx([row]), "<v>3000000</v>", "<v>3000000.0</v>")
    client = page_client(world.bank1_user)
    preview = upload(client, file)
    assert problems(preview) == []
    second_post(client, preview, "all")
    assert PledgeLoan.objects.get().principal == Decimal("3000000.00")


@pytest.mark.parametrize(("cell", "text"), [
    (3000000.0, "3000000"), (0.0385, "0.0385"), (4500000.5, "4500000.5"), (1e-05, "0.00001"),
    (0.1 + 0.2, "0.3"), (1234.5600000000001, "1234.56"),  # as Excel shows them: 15 significant digits
    (1234.567, "1234.567"),  # three places: the service's error, not a rounding
    (dt.datetime(2026, 3, 1, 0, 0), "2026-03-01"), (dt.date(2026, 3, 1), "2026-03-01"), ("  x ", "x"), ("   ", None),
    (True, "TRUE"), (None, None), (12345678, "12345678"),
])
def test_cells_are_read_as_the_text_the_services_parse(cell, text):
    assert batch_read.cell_text(cell) == text


def test_a_formulas_binary_artefact_reads_as_excel_shows_it(world):
    row = loan_row(**{"评估价值（元）": 0.25})
    file = _rewritten(xlsx([row]), "<v>0.25</v>", "<v>1234.5600000000001</v>")
    client = page_client(world.bank1_user)
    preview = upload(client, file)
    assert problems(preview) == []
    second_post(client, preview, "all")
    assert PledgedRight.objects.get().valuation == Decimal("1234.56")


def test_three_places_are_an_error_not_a_rounding(world):
    response = upload(page_client(world.bank1_user), xlsx([loan_row(**{"评估价值（元）": 1234.567})]))
    assert problems(response) == [(2, "评估价值（元）", "金额最多保留 2 位小数（到分）")]


# --- errors -------------------------------------------------------------------------------------

def _sheet_with_errors():
    good1, good2 = loan_row(), loan_row()
    bad_rate = loan_row(**{"年利率": "3.85"})
    bad_right = loan_row(**{"权利号码": "ZL201710601862.4"})  # wrong check digit
    bad_date = loan_row(**{"放款日": "2025/03/01"})
    return [good1, bad_rate, good2, bad_right, bad_date], (good1, good2)


def test_a_sheet_with_errors_stores_nothing_and_names_row_and_column(world):
    client = page_client(world.bank1_user)
    rows, _good = _sheet_with_errors()
    preview = upload(client, xlsx(rows))
    found = problems(preview)
    assert [(row, header) for row, header, _m in found] == [(3, "年利率"), (5, "权利号码"), (6, "放款日")]
    assert found[0][2] == "年利率应为小数，例如 0.0385，而不是 3.85"
    assert "校验码应为 3" in found[1][2]
    assert "2025/03/01" in found[2][2]
    assert PledgeLoan.objects.count() == 0
    refused = second_post(client, preview, "all", follow=True)  # not offered: only by a forged post
    assert PledgeLoan.objects.count() == 0
    assert "表格有错误" in refused.content.decode()


def test_keep_the_good_rows_stores_only_those(world):
    client = page_client(world.bank1_user)
    rows, good = _sheet_with_errors()
    preview = upload(client, xlsx(rows))
    assert len(preview.context["good"]) == 2
    done = second_post(client, preview, "good")
    assert done.status_code == 302
    assert set(PledgeLoan.objects.values_list("contract_no", flat=True)) == {row["合同编号"] for row in good}


def test_the_error_report_downloads_as_xlsx(world):
    client = page_client(world.bank1_user)
    rows, _good = _sheet_with_errors()
    preview = upload(client, xlsx(rows))
    report = second_post(client, preview, report="1")
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    lines = list(load_workbook(BytesIO(report.content)).active.iter_rows(values_only=True))
    assert lines[0] == ("行号", "列", "合同编号", "错误说明")
    assert [(line[0], line[1], line[2]) for line in lines[1:]] == [
        (3, "年利率", rows[1]["合同编号"]), (5, "权利号码", rows[3]["合同编号"]), (6, "放款日", rows[4]["合同编号"])]
    assert PledgeLoan.objects.count() == 0


def test_duplicates_within_the_sheet_and_with_the_bank_are_errors(world):
    existing = register(world.bank1_user)
    first = loan_row()
    same_contract = loan_row(**{"合同编号": first["合同编号"], "贷款本金（元）": "5.00"})  # not the same loan
    same_right = loan_row(**{"权利号码": first["权利号码"]})
    known = loan_row(**{"合同编号": existing.contract_no})
    response = upload(page_client(world.bank1_user), xlsx([first, same_contract, same_right, known]))
    found = {(row, header): message for row, header, message in problems(response)}
    assert "与第 2 行（同一合同编号）的贷款信息不一致" in found[(3, "贷款本金（元）")]
    assert "已在其他有效质押贷款中质押" in found[(4, "权利号码")]
    assert found[(5, "合同编号")] == f"本行已登记合同编号为 {existing.contract_no} 的贷款"


def test_a_loan_whose_right_row_fails_is_not_kept(world):
    first = loan_row()
    further = {"合同编号": first["合同编号"], "权利类型": "版权", "权利号码": "1", "评估价值（元）": "1"}
    client = page_client(world.bank1_user)
    preview = upload(client, xlsx([first, further]))
    assert [(row, header) for row, header, _m in problems(preview)] == [(3, "权利类型")]
    assert preview.context["good"] == []
    assert "btn-warning" not in preview.content.decode()  # nothing to keep


def test_a_change_since_the_preview_stores_nothing_and_shows_it(world):
    client = page_client(world.bank1_user)
    first, second = loan_row(), loan_row()
    preview = upload(client, xlsx([first, second]))
    register(world.bank1_user, contract_no=second["合同编号"])  # registered meanwhile (the API)
    response = second_post(client, preview, "all")
    assert response.status_code == 200
    assert [(row, header) for row, header, _m in problems(response)] == [(3, "合同编号")]
    assert not PledgeLoan.objects.filter(contract_no=first["合同编号"]).exists()  # one transaction: none kept


def test_a_forged_or_stale_preview_is_refused(world):
    client = page_client(world.bank1_user)
    response = client.post(IMPORT, {"payload": "not-signed", "mode": "all"}, follow=True)
    assert "导入预览已失效" in response.content.decode()
    assert PledgeLoan.objects.count() == 0


# --- files refused with a message -----------------------------------------------------------------

def test_a_file_that_is_not_xlsx(world):
    file = SimpleUploadedFile("loans.csv", "合同编号\nX\n".encode())
    assert "请上传 .xlsx 格式的 Excel 文件" in refusal(upload(page_client(world.bank1_user), file))[0]


def test_a_corrupt_file(world):
    client = page_client(world.bank1_user)
    assert "文件无法读取" in refusal(upload(client, SimpleUploadedFile("loans.xlsx", b"\x00garbage" * 100)))[0]
    good = xlsx([loan_row()]).read()
    truncated = SimpleUploadedFile("loans.xlsx", good[: len(good) // 2])
    assert "文件无法读取" in refusal(upload(client, truncated))[0]


def test_a_file_above_2_mb(world):
    big = SimpleUploadedFile("loans.xlsx", b"PK\x03\x04" + b"0" * (2 * 1024 * 1024))
    assert refusal(upload(page_client(world.bank1_user), big)) == ["文件过大：最大 2 MB"]


def test_more_than_1000_rows(world):
    rows = [loan_row() for _ in range(batch_read.MAX_ROWS + 1)]
    assert refusal(upload(page_client(world.bank1_user), xlsx(rows))) == ["数据超过 1000 行，请分成多个文件上传"]


def test_an_empty_sheet_and_a_sheet_of_headers_only(world):
    client = page_client(world.bank1_user)
    assert "是空的" in refusal(upload(client, xlsx([], headers=[])))[0]
    assert "没有数据" in refusal(upload(client, xlsx([])))[0]


def test_missing_and_extra_columns(world):
    client = page_client(world.bank1_user)
    missing = [h for h in HEADERS if h != "年利率"]
    assert "缺少列：年利率" in refusal(upload(client, xlsx([loan_row()], headers=missing)))[0]
    extra = [*HEADERS, "备注"]
    assert "多出的列：备注" in refusal(upload(client, xlsx([loan_row(备注="x")], headers=extra)))[0]
    stray = loan_row()
    file = xlsx([stray], headers=HEADERS)
    workbook = load_workbook(BytesIO(file.read()))
    workbook.active.cell(row=2, column=len(HEADERS) + 2, value="多余")
    buffer = BytesIO()
    workbook.save(buffer)
    message = refusal(upload(client, SimpleUploadedFile("loans.xlsx", buffer.getvalue())))[0]
    assert message == "第 2 行 O 列有内容，但该列没有列标题；请删除多出的列"  # two columns after the last header
    assert PledgeLoan.objects.count() == 0


def test_no_file_at_all(world):
    response = page_client(world.bank1_user).post(IMPORT, {})
    assert response.status_code == 200 and response.context["form"].errors["file"]


# --- who may, and how many queries -----------------------------------------------------------------

@pytest.mark.parametrize("who", ["fincenter", "finance", "admin", "applicant1"])
def test_only_bank_users_may_import(world, who):
    client = page_client(getattr(world, who))
    assert client.get(IMPORT).status_code == 403
    assert client.get("/pledges/import/template/").status_code == 403
    assert upload(client, xlsx([loan_row()])).status_code == 403
    assert PledgeLoan.objects.count() == 0


def test_a_preview_is_good_for_the_user_who_uploaded_it_only(world):
    preview = upload(page_client(world.bank1_user), xlsx([loan_row()]))
    response = second_post(page_client(world.bank2_user), preview, "all", follow=True)
    assert "导入预览已失效" in response.content.decode()
    assert PledgeLoan.objects.count() == 0


def test_the_preview_costs_the_same_queries_per_loan(world):
    client = page_client(world.bank1_user)
    client.get(IMPORT)

    def count(n: int) -> int:
        file = xlsx([loan_row() for _ in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            assert upload(client, file).status_code == 200
        return len(ctx)

    one, three, five = count(1), count(3), count(5)
    assert three - one == five - three  # the page lists the rows without a query per row
    assert PledgedRight.objects.count() == 0
