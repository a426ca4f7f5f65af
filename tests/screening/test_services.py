"""Screening rounds: a township opens one for its grids; each grid answers with findings or a nil
return, once; leaders see which grids have not answered."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.core.errors import ConflictError
from gridgov.screening import selectors, services
from gridgov.screening.models import ScreeningReturn


def _open(user, node, **kwargs):
    return services.open_round(
        user=user,
        node=node,
        title="十二月矛盾纠纷排查",
        deadline=timezone.localdate() + timedelta(days=5),
        **kwargs,
    )


def test_a_round_asks_every_grid_and_shows_who_has_not_answered(user, node):
    round_ = _open(user("zhaowuda_admin"), node("昭乌达南路街道"))
    returns = ScreeningReturn.objects.filter(round=round_)
    assert returns.count() == 6
    grid_return = returns.get(grid=node("惠民社区第一网格"))
    services.answer_round(user=user("gaobo"), answer=grid_return, nil=True)
    summary = selectors.summary(user("zhaowuda_admin"), round_)
    assert (summary.grids, summary.answered, summary.nil, summary.pending) == (6, 1, 1, 5)
    pending = {
        p["answer"].grid.name for p in selectors.returns(user("zhaowuda_admin"), round_, pending_only=True)
    }
    assert "惠民社区第一网格" not in pending
    assert len(pending) == 5
    with pytest.raises(ConflictError):
        services.answer_round(user=user("gaobo"), answer=grid_return, nil=True)


def test_findings_are_counted_and_checked(user, node):
    round_ = _open(user("zhaowuda_admin"), node("昭乌达南路街道"))
    answer = ScreeningReturn.objects.get(round=round_, grid=node("惠民社区第一网格"))
    for kwargs, name in [
        ({"nil": False, "findings": []}, "findings"),
        ({"nil": True, "findings": [{"kind": "hazard", "description": "x"}]}, "nil"),
        ({"nil": False, "findings": [{"kind": "other", "description": "x"}]}, "findings"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.answer_round(user=user("gaobo"), answer=answer, **kwargs)
        assert name in caught.value.message_dict
    done = services.answer_round(
        user=user("gaobo"),
        answer=answer,
        nil=False,
        findings=[
            {"kind": "dispute", "description": "邻里噪音纠纷"},
            {"kind": "hazard", "description": "楼道堆物"},
        ],
    )
    assert (done.disputes, done.hazards, done.state) == (1, 1, "findings")


def test_only_townships_and_counties_open_rounds_and_only_their_grids_answer(user, node):
    with pytest.raises(ValidationError):
        _open(user("huimin_admin"), node("惠民社区"))
    with pytest.raises(PermissionDenied):
        _open(user("gaobo"), node("昭乌达南路街道"))
    round_ = _open(user("zhaowuda_admin"), node("昭乌达南路街道"))
    answer = ScreeningReturn.objects.get(round=round_, grid=node("惠民社区第一网格"))
    with pytest.raises(PermissionDenied):
        services.answer_round(user=user("laogangfang_worker"), answer=answer, nil=True)
    assert answer.pk in {r.pk for r in selectors.my_returns(user("gaobo"))}
