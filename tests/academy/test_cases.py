"""The case library: a settled dispute drafted anonymised, edited, submitted, approved by a second
person and only then seen by learners; a text with personal data typed back is refused."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from gridgov.academy import cases, selectors
from gridgov.academy.models import Case, CaseStatus
from gridgov.core.errors import ConflictError
from gridgov.disputes.models import Dispute, Outcome


@pytest.fixture
def settled(node: Any) -> Dispute:
    return (
        Dispute.objects.filter(outcome=Outcome.AGREEMENT, path__startswith=node("惠民社区").path)
        .order_by("pk")
        .first()
    )


def test_draft_is_anonymised_from_the_registry(settled: Dispute, user: Any) -> None:
    case = cases.draft_case(user=user("saihan_admin"), dispute_id=settled.pk)
    known = cases.known_of(settled)
    assert known.people
    assert known.phones
    for person in known.people:
        assert person.name not in case.body
    for phone in known.phones:
        assert phone not in case.body
    assert "3号楼" not in case.body
    assert "惠民社区3号楼2单元" not in case.body
    assert case.replaced["name"] >= 1
    assert case.status == CaseStatus.DRAFT


def test_two_people_publish_and_learners_see_only_published(settled: Dispute, user: Any) -> None:
    editor, approver, learner = user("saihan_admin"), user("city_admin"), user("gaobo")
    case = cases.draft_case(user=editor, dispute_id=settled.pk)
    assert not selectors.cases_for(learner).filter(pk=case.pk).exists()
    case = cases.submit_case(user=editor, case=case)
    with pytest.raises(ConflictError, match="另一人"):
        cases.approve_case(user=editor, case=case)
    assert not selectors.cases_for(learner).filter(pk=case.pk).exists()
    case = cases.approve_case(user=approver, case=case)
    assert case.status == CaseStatus.PUBLISHED
    assert case.approved_by == approver
    assert selectors.cases_for(learner).filter(pk=case.pk).exists()
    assert not selectors.cases_for(user("laogangfang_worker")).filter(pk=case.pk).exists()
    cases.withdraw_case(user=approver, case=case)
    assert not selectors.cases_for(learner).filter(pk=case.pk).exists()


def test_personal_data_typed_back_is_refused(settled: Dispute, user: Any) -> None:
    editor = user("saihan_admin")
    case = cases.draft_case(user=editor, dispute_id=settled.pk)
    name = cases.known_of(settled).people[0].name
    for typed in (f"当事人甲即{name}", "联系电话 139 0471 5821", "住3号楼2单元501", "证件150105198503071234"):
        case = cases.edit_case(user=editor, case=case, lessons=typed)
        with pytest.raises(ValidationError) as refused:
            cases.submit_case(user=editor, case=case)
        assert "body" in refused.value.message_dict
    case = cases.edit_case(user=editor, case=case, lessons="及早介入，联合调解。")
    assert cases.submit_case(user=editor, case=case).status == CaseStatus.SUBMITTED


def test_only_disputes_settled_by_agreement_inside_scope(settled: Dispute, user: Any) -> None:
    other = Dispute.objects.exclude(outcome=Outcome.AGREEMENT).first()
    with pytest.raises(ValidationError) as refused:
        cases.draft_case(user=user("saihan_admin"), dispute_id=other.pk)
    assert "dispute_id" in refused.value.message_dict
    with pytest.raises(ValidationError):
        cases.draft_case(user=user("laogangfang_worker"), dispute_id=settled.pk)
    assert Case.objects.filter(dispute=settled, created_by=user("laogangfang_worker")).count() == 0


def test_returned_case_goes_back_to_the_editor(settled: Dispute, user: Any) -> None:
    editor = user("saihan_admin")
    case = cases.submit_case(user=editor, case=cases.draft_case(user=editor, dispute_id=settled.pk))
    case = cases.return_case(user=user("city_admin"), case=case, note="请补充经验启示")
    assert case.status == CaseStatus.DRAFT
    assert case.review_note == "请补充经验启示"
