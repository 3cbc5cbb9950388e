"""The integrity pledge (诚信承诺书) an applicant accepts when submitting a case.

One text, versioned: the submit audit row records the version in force and whether the claimant
accepted it (``funding.effects._prepare_submit``); the confirmation page, the printable form and
the receipt show the same paragraphs. Change the wording only with a new ``VERSION``.
"""

from django.utils.translation import gettext as _

VERSION = "2026.1"


def title() -> str:
    return _("诚信承诺书")


def paragraphs(application) -> list[str]:
    """The pledge for ``application``: its applicant, program and region, and the bar its rules set."""
    program = application.program
    values = {"applicant": application.applicant.name, "region": program.region.name, "program": program.name_zh,
              "years": application.rules.ban_years}
    if application.rules.ban_years:
        consequence = _("三、本单位（本人）知悉并同意：如有弄虚作假、重复申报、骗取或套取财政资金等行为，主管部门将撤销资助、"
                        "追回已拨付资金，并将本单位（本人）列入失信名单，%(years)s 年内不得申报%(region)s知识产权专项资金项目；"
                        "涉嫌违法犯罪的，依法移送有关机关处理。") % values
    else:
        consequence = _("三、本单位（本人）知悉并同意：如有弄虚作假、重复申报、骗取或套取财政资金等行为，主管部门将撤销资助、"
                        "追回已拨付资金，并记入失信记录；涉嫌违法犯罪的，依法移送有关机关处理。") % values
    return [
        _("本单位（本人）%(applicant)s 申报%(region)s“%(program)s”，郑重承诺：") % values,
        _("一、所提交的申报书及全部材料（包括知识产权权属、费用票据、财务数据和项目情况）真实、准确、完整、合法，"
          "不存在虚报、伪造、变造或隐瞒；同一专利或项目未就同一事项重复申报或重复获得财政资金支持。"),
        _("二、自愿接受知识产权管理部门、财政部门及其委托机构的审查、核实、抽查和绩效评价，如实提供有关情况和证明材料，"
          "并对公示期间的异议作出说明。"),
        consequence,
        _("四、获得的资金按规定用途专款专用，接受监督检查。"),
        _("本承诺自提交申报之时起生效（承诺书版本 %(version)s）。") % {"version": VERSION},
    ]
