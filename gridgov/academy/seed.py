"""The demo academy: the city's 枫桥经验宣讲团 and a county lecturer; courses (a document with a
quiz, a document, links); a past learning-and-exchange session in 惠民社区 with attendance and an
upcoming one open for sign-up; the counties' minimum hours; hours for the demo's workers (some
below the minimum, so the report has something to show); and the article's case, anonymised,
edited and approved by a second person, in the case library.

Only at the demo scale: the city seed's workers start the year with no hours.
"""

import datetime
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from gridgov.academy import cases, services, sessions
from gridgov.academy.models import Credit, CreditSource, Requirement, Signup, SignupState
from gridgov.accounts.models import User
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.seeding import SeedContext
from gridgov.disputes.models import Dispute, Outcome
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.models import WorkerFile, WorkerStatus

LECTURERS = [
    (
        "陈立新",
        "市委政法委 枫桥经验宣讲团团长",
        "长期从事基层社会治理研究，讲授“枫桥经验”在城市社区的实践。",
        True,
    ),
    ("苏雅琴", "市司法局 人民调解指导科", "二十年人民调解工作经验，擅长邻里、婚姻家庭纠纷调解。", True),
    ("巴特尔", "赛罕区综治中心", "网格化管理业务骨干，负责全区网格员业务培训。", False),
]
QUESTIONS = [
    (
        "专职网格员的十项工作职责由谁确定并可维护？",
        ["网格员自定", "管理员按清单维护", "任何部门可随时增加"],
        2,
    ),
    ("发现矛盾纠纷苗头后，网格员首先应当？", ["等待当事人报警", "及时上报并开展首次劝解", "不予理会"], 2),
    ("群众个人信息在系统中应当？", ["随意转发", "按权限查看并全程留痕", "打印张贴"], 2),
]


def minimal_pdf(title: str) -> bytes:
    """A one-page PDF (ASCII title) for the demo's document course."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    if ctx.is_city:
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "city_admin",
                "saihan_admin",
                "huimin_admin",
                "gaobo",
                "huimin_volunteer",
                "huimin_chief",
            ]
        )
    }
    city = Node.objects.get(level=Level.CITY)
    saihan, huimin = Node.objects.get(name="赛罕区"), Node.objects.get(name="惠民社区")
    city_admin, saihan_admin, huimin_admin = users["city_admin"], users["saihan_admin"], users["huimin_admin"]

    team = [
        services.save_lecturer(
            user=city_admin, node=city, name=n, title=t, bio=b, fengqiao_team="1" if f else ""
        )
        for n, t, b, f in LECTURERS[:2]
    ]
    local = services.save_lecturer(
        user=saihan_admin, node=saihan, name=LECTURERS[2][0], title=LECTURERS[2][1], bio=LECTURERS[2][2]
    )
    duties = services.create_course(
        user=saihan_admin,
        node=saihan,
        upload=SimpleUploadedFile(
            "duties.pdf", minimal_pdf("Ten duties of a grid worker"), "application/pdf"
        ),
        kind="document",
        title="专职网格员十项工作职责解读",
        summary="逐条讲解十项工作职责的内容、边界和常见问题，“轻装上阵”不越界。",
        hours="2",
        lecturer_id=local.pk,
        published="1",
    )
    for text, choices, answer in QUESTIONS:
        services.add_question(
            user=saihan_admin, course=duties, text_value=text, choices=choices, answer=answer
        )
    fengqiao = services.create_course(
        user=city_admin,
        node=city,
        upload=SimpleUploadedFile("fengqiao.pdf", minimal_pdf("Fengqiao experience"), "application/pdf"),
        kind="document",
        title="新时代“枫桥经验”与矛盾纠纷化解",
        summary="枫桥经验宣讲团专题课：小事不出网格、矛盾不上交。",
        hours="3",
        lecturer_id=team[0].pk,
        published="1",
    )
    services.create_course(
        user=city_admin,
        node=city,
        kind="link",
        url="https://www.chinapeace.gov.cn/",
        title="平安建设政策文件选读",
        hours="1",
        published="1",
    )
    services.create_course(
        user=saihan_admin,
        node=saihan,
        kind="link",
        url="https://www.moj.gov.cn/",
        title="人民调解法律法规学习（草稿）",
        hours="1.5",
    )

    now = timezone.now()
    past_start = (now - datetime.timedelta(days=7)).replace(hour=6, minute=0, second=0, microsecond=0)
    past = sessions.create_session(
        user=huimin_admin,
        node=huimin,
        title="惠民社区网格员学习交流会：邻里纠纷调解实务",
        summary="结合本社区案例交流调解经验。",
        lecturer_id=team[1].pk,
        place="惠民社区党群服务中心二楼会议室",
        starts_at=past_start,
        ends_at=past_start + datetime.timedelta(hours=2),
        capacity="30",
        hours="2",
    )
    upcoming_start = (now + datetime.timedelta(days=7)).replace(hour=6, minute=30, second=0, microsecond=0)
    sessions.create_session(
        user=saihan_admin,
        node=saihan,
        title="赛罕区“枫桥经验”宣讲会",
        lecturer_id=team[0].pk,
        place="赛罕区综治中心报告厅",
        starts_at=upcoming_start,
        ends_at=upcoming_start + datetime.timedelta(hours=3),
        capacity="120",
        hours="3",
    )
    # Attendance of the past session, as its organiser recorded it (their scans are in the tests).
    for username in ("gaobo", "huimin_volunteer", "huimin_chief"):
        person = users[username]
        path, county = WorkerFile.objects.filter(user=person).values_list("path", "county_code").first() or (
            person.assignments.values_list("node__path", "node__county_code").first()
        )
        attended = username != "huimin_chief"
        Signup.objects.create(
            session=past,
            user=person,
            path=path,
            county_code=county,
            state=SignupState.ATTENDED if attended else SignupState.SIGNED_UP,
            attended_at=past.starts_at + datetime.timedelta(minutes=5) if attended else None,
        )
        if attended:
            services.credit(
                user=person,
                hours=past.hours,
                source=CreditSource.SESSION,
                session=past,
                on=timezone.localtime(past.starts_at).date(),
                by=huimin_admin,
            )
    services.submit_quiz(user=users["gaobo"], course=duties, answers=[1, 1, 1], key="demo-quiz-gaobo")
    services.complete_course(user=users["gaobo"], course=fengqiao)

    year = timezone.localdate().year
    for county in Node.objects.filter(level=Level.COUNTY):
        Requirement.objects.create(
            county=county,
            path=county.path,
            county_code=county.county_code,
            year=year,
            min_hours=Decimal("40")
            if county.county_code in {"150102", "150103", "150104", "150105"}
            else Decimal("32"),
        )
    _hours_for_workers(ctx, year, users)
    _case(users)
    ctx.say("[green]Academy:[/green] lecturers, courses, sessions, hours and one published case")


def _hours_for_workers(ctx: SeedContext, year: int, users: dict[str, User]) -> None:
    """Offline training hours for the demo's workers: about a third below the minimum."""
    rows = []
    workers = WorkerFile.objects.filter(status=WorkerStatus.ACTIVE).exclude(user=users["gaobo"])
    for _worker_pk, user_id, path, county in workers.values_list("pk", "user_id", "path", "county_code"):
        total = ctx.rng.choice([8, 16, 24, 36, 40, 44, 48])
        for n, hours in enumerate((total // 2, total - total // 2)):
            if hours:
                rows.append(
                    Credit(
                        user_id=user_id,
                        year=year,
                        hours=Decimal(hours),
                        source=CreditSource.MANUAL,
                        note=("上半年" if n == 0 else "下半年") + "集中培训",
                        path=path,
                        county_code=county,
                    )
                )
    Credit.objects.bulk_create(rows, batch_size=2000)
    record(Action.COMMAND, object_type="academy.credit", message=f"seed: {len(rows)} training credits")


def _case(users: dict[str, User]) -> None:
    dispute = (
        Dispute.objects.filter(
            outcome=Outcome.AGREEMENT, path__startswith=Node.objects.get(name="惠民社区").path
        )
        .order_by("pk")
        .first()
    )
    if dispute is None:
        return
    saihan_admin, city_admin = users["saihan_admin"], users["city_admin"]
    case = cases.draft_case(user=saihan_admin, dispute_id=dispute.pk)
    case = cases.edit_case(
        user=saihan_admin,
        case=case,
        title="业主群口角升级为人身威胁：多方联合化解邻里漏水纠纷",
        lessons="一、网格员发现苗头第一时间上报、当天入户；二、司法所调解员和包联律师联合走访，"
        "以法释理；三、请物业出具漏水原因说明，以事实为依据；四、协议履行后持续回访。",
    )
    cases.submit_case(user=saihan_admin, case=case)
    cases.approve_case(user=city_admin, case=case)
