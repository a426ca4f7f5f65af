"""Writes for dispute mediation: report a dispute, rate its risk, alert, team, visits, outcome.

The event underneath is reported and moved through its workflow by gridgov.events.intake and
gridgov.events.transitions;
every dispute step is also written to the event's timeline (EventStep, actions "dispute_*")
so one timeline tells the whole story, and the audit log records every row written.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.errors import ConflictError
from gridgov.disputes import risk
from gridgov.disputes.access import require_work
from gridgov.disputes.models import (
    RISK_RANK,
    Dispute,
    DisputeType,
    Outcome,
    Party,
    PartyRole,
    RiskLevel,
    TeamRole,
    Visit,
    VisitKind,
)
from gridgov.disputes.parties import clean_parties, create_parties
from gridgov.events.models import (
    Category,
    Event,
    EventStep,
    Organisation,
    OrgKind,
)
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.registry.models import Resident

FOLLOW_UP_DAYS = 30
_RISK_NAMES = dict(RiskLevel.choices)


# ---------------------------------------------------------------------------------------- helpers


def step_fields(
    event: Event,
    *,
    user: Any,
    note: str = "",
    organisation: Organisation | None = None,
    at: datetime | None = None,
    **data: Any,
) -> dict[str, Any]:
    """Everything of a dispute step on the event's timeline but its action (the state does not
    change); callers write `EventStep.objects.create(action="dispute_…", **step_fields(…))`."""
    return {
        "event": event,
        "at": at or timezone.now(),
        "actor": user if getattr(user, "pk", None) else None,
        "organisation": organisation,
        "from_state": event.state,
        "to_state": event.state,
        "note": note,
        "data": data,
    }


def _step(
    event: Event,
    action: str,
    *,
    user: Any,
    note: str = "",
    organisation: Organisation | None = None,
    at: datetime | None = None,
    **data: Any,
) -> EventStep:
    return EventStep.objects.create(
        action=action, **step_fields(event, user=user, note=note, organisation=organisation, at=at, **data)
    )


def township_path(path: str) -> str:
    return paths.at_level(path, Level.TOWNSHIP)


def _notify(users: Iterable[User], event: Event, message: str) -> list[str]:
    """Tell the active ones of these people about the dispute's event; returns their usernames."""
    seen: dict[int, User] = {u.pk: u for u in users if u.is_active}
    notify(seen.values(), message, subject=event)
    return sorted(u.username for u in seen.values())


# ------------------------------------------------------------------------------------------- risk


def _party_identities(dispute: Dispute) -> list[str]:
    return sorted({i for i in dispute.parties.values_list("identity", flat=True) if i})


def earlier_with_same_parties(dispute: Dispute) -> list[str]:
    """Numbers of earlier disputes in the window that involve the same parties (two of them when
    this dispute names two or more known people, otherwise the one)."""
    identities = _party_identities(dispute)
    if not identities:
        return []
    needed = min(2, len(identities))
    since = dispute.created_at - timedelta(days=risk.REPEAT_WINDOW_DAYS)
    shared: dict[int, set[str]] = {}
    rows = (
        Party.objects.filter(
            identity__in=identities,
            dispute__created_at__gte=since,
            dispute__created_at__lte=dispute.created_at,
        )
        .exclude(dispute_id=dispute.pk)
        .values_list("dispute_id", "identity")
    )
    for dispute_id, identity in rows:
        shared.setdefault(dispute_id, set()).add(identity)
    ids = [pk for pk, found in shared.items() if len(found) >= needed]
    return list(
        Dispute.objects.filter(pk__in=ids).order_by("created_at").values_list("event__number", flat=True)
    )


def earlier_at_same_address(dispute: Dispute) -> list[str]:
    if not dispute.address_key:
        return []
    since = dispute.created_at - timedelta(days=risk.REPEAT_WINDOW_DAYS)
    return list(
        Dispute.objects.filter(
            address_key=dispute.address_key, created_at__gte=since, created_at__lte=dispute.created_at
        )
        .exclude(pk=dispute.pk)
        .order_by("created_at")
        .values_list("event__number", flat=True)
    )


def assess(dispute: Dispute) -> tuple[str, list[risk.Signal]]:
    """Gather every signal for `dispute` and combine them (no writes)."""
    residents = Resident.objects.filter(dispute_parties__dispute=dispute).distinct()
    vulnerable = [(r.name, list(r.care_tags or []), r.birth_date) for r in residents]
    signals = [
        risk.threat_signal(dispute.event.description),
        risk.repeat_signal("repeat_parties", earlier_with_same_parties(dispute)),
        risk.repeat_signal("repeat_address", earlier_at_same_address(dispute)),
        risk.vulnerable_signal(vulnerable, timezone.localdate()),
    ]
    return risk.combine([s for s in signals if s is not None])


def _effective(dispute: Dispute) -> str:
    return dispute.risk_override or dispute.computed_risk


def recompute_risk(dispute: Dispute, *, user: Any = None, now: datetime | None = None) -> Dispute:
    """Re-rate from the signals; write the level and reasons, and alert if it rose to high or above."""
    level, signals = assess(dispute)
    reasons = [s.as_dict() for s in signals]
    if level != dispute.computed_risk or reasons != dispute.risk_reasons:
        before = dispute.computed_risk
        dispute.computed_risk = level
        dispute.risk_reasons = reasons
        dispute.risk_level = _effective(dispute)
        dispute.version += 1
        dispute.save()
        _step(
            dispute.event,
            "dispute_risk_assessed",
            user=user,
            at=now,
            note=f"风险研判：{_RISK_NAMES[level]}"
            + (f"（原为{_RISK_NAMES[before]}）" if before != level else ""),
            level=level,
            reasons=reasons,
        )
    alert_if_needed(dispute, user=user, now=now)
    return dispute


def police_stations_for(path: str) -> list[Organisation]:
    """The police station(s) serving the place: the most specific active one whose area covers it."""
    stations = list(
        Organisation.objects.filter(kind=OrgKind.POLICE, active=True, path__in=paths.ancestors(path))
    )
    if not stations:
        return []
    deepest = max(len(s.path) for s in stations)
    return [s for s in stations if len(s.path) == deepest]


def township_recipients(path: str) -> list[User]:
    """The township's administrators and its governance-centre staff."""
    township = township_path(path)
    if not township:
        return []
    admins = User.objects.filter(assignments__role=Role.TOWNSHIP_ADMIN, assignments__node__path=township)
    centre = User.objects.filter(
        org_memberships__organisation__kind=OrgKind.GOVERNANCE_CENTRE,
        org_memberships__organisation__path=township,
        org_memberships__organisation__active=True,
    )
    return list(admins.distinct()) + list(centre.distinct())


def alert_if_needed(dispute: Dispute, *, user: Any = None, now: datetime | None = None) -> list[str]:
    """High and critical risk: notify the township and the police station at once, once per level."""
    level = dispute.risk_level
    if RISK_RANK[level] < RISK_RANK[RiskLevel.HIGH]:
        return []
    if dispute.alerted_level and RISK_RANK[dispute.alerted_level] >= RISK_RANK[level]:
        return []
    event = dispute.event
    stations = police_stations_for(dispute.path)
    police = list(User.objects.filter(org_memberships__organisation__in=stations).distinct())
    reasons = "；".join(r["detail"] for r in dispute.risk_reasons[:2]) or dispute.risk_override_reason
    message = (
        f"【{_RISK_NAMES[level]}矛盾纠纷预警】{event.number} {event.grid.name}"
        f"{('，' + event.address) if event.address else ''}：{reasons}"
    )
    notified = _notify([*township_recipients(dispute.path), *police], event, message)
    dispute.alerted_level = level
    dispute.save(update_fields=["alerted_level", "updated_at"])
    _step(
        event,
        "dispute_alert",
        user=user,
        at=now,
        note=f"{_RISK_NAMES[level]}预警已通知街道和派出所（{len(notified)}人）"
        + ("" if stations else "；未找到服务该区域的派出所"),
        level=level,
        notified=notified,
        police_stations=[s.name for s in stations],
    )
    record(
        Action.UPDATE,
        dispute,
        changes={"alerted_level": [None, level]},
        message=f"risk alert sent to {len(notified)} users",
    )
    return notified


@logs_failures(Action.UPDATE)
@transaction.atomic
def override_risk(
    dispute: Dispute, *, user: Any, level: str, reason: str, now: datetime | None = None
) -> Dispute:
    """Set the level by hand (or clear the override with level=""); the reason is required and logged.

    Anyone working on the dispute may raise it; lowering it below the computed level takes a
    governance centre or the team's mediator or police officer.
    """
    dispute = Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)
    require_work(user, dispute, "调整风险等级")
    reason = (reason or "").strip()
    if level not in ("", *RiskLevel.values):
        raise ValidationError(
            {"level": f"风险等级必须是 {', '.join(RiskLevel.values)} 之一，或留空恢复系统研判"}
        )
    if len(reason) < 4:
        raise ValidationError({"reason": "调整风险等级必须写明理由（至少4个字）"})
    new_level = level or dispute.computed_risk
    if RISK_RANK[new_level] < RISK_RANK[dispute.computed_risk]:
        senior = (
            can(user, Cap.HANDLE_EVENT, dispute.path)
            or dispute.team.filter(user_id=user.pk, role__in=[TeamRole.MEDIATOR, TeamRole.POLICE]).exists()
        )
        if not senior:
            raise PermissionDenied("调低系统研判的风险等级须由综治中心或团队中的调解员、民警决定")
    before = dispute.risk_level
    dispute.risk_override = level
    dispute.risk_override_reason = reason[:500]
    dispute.risk_override_by = user
    dispute.risk_override_at = now or timezone.now()
    dispute.risk_level = new_level
    dispute.version += 1
    dispute.save()
    record(
        Action.UPDATE,
        dispute,
        changes={"risk_level": [before, new_level]},
        message=f"risk override by hand: {reason}"[:500],
    )
    _step(
        dispute.event,
        "dispute_risk_override",
        user=user,
        at=now,
        note=f"人工调整风险等级：{_RISK_NAMES[before]} → {_RISK_NAMES[new_level]}。理由：{reason}",
        before=before,
        after=new_level,
        reason=reason,
    )
    alert_if_needed(dispute, user=user, now=now)
    return dispute


# ---------------------------------------------------------------------------------------- parties


@logs_failures(Action.UPDATE)
@transaction.atomic
def add_parties(dispute: Dispute, *, user: Any, parties: Sequence[dict[str, Any]]) -> list[Party]:
    dispute = Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)
    require_work(user, dispute, "登记当事人")
    if dispute.outcome:
        raise ConflictError("纠纷已有化解结果，不能再增加当事人")
    cleaned = clean_parties(user, parties)
    if not cleaned:
        raise ValidationError({"parties": "请至少填写一位当事人"})
    existing = set(_party_identities(dispute))
    for n, item in enumerate(cleaned, start=1):
        if item["identity"] and item["identity"] in existing:
            raise ValidationError({"parties": f"第{n}位当事人已在本纠纷中"})
    created = create_parties(dispute, cleaned)
    _step(
        dispute.event, "dispute_parties", user=user, note="登记当事人：" + "、".join(p.name for p in created)
    )
    recompute_risk(dispute, user=user)
    return created


# -------------------------------------------------------------------------------------- reporting


def address_key(event: Event, residents: Sequence[Resident]) -> str:
    """Where the dispute happened, for finding repeats: the address reported, else the first
    resident party's household. The events service fills a missing address with the grid's
    name, which says nothing about the place, so that does not count."""
    address = event.address if event.address and event.address != event.grid.name else ""
    if not address:
        address = next((r.household.address for r in residents if r.household is not None), "")
    return risk.normalise_address(address)


# Catalog codes (the part after the last dot) that name a dispute type.
_TYPE_BY_CODE = {
    "neighbour": DisputeType.NEIGHBOUR,
    "family": DisputeType.FAMILY,
    "marriage": DisputeType.FAMILY,
    "property": DisputeType.PROPERTY_MANAGEMENT,
    "property_management": DisputeType.PROPERTY_MANAGEMENT,
    "wage": DisputeType.WAGE_ARREARS,
    "wage_arrears": DisputeType.WAGE_ARREARS,
    "land": DisputeType.LAND,
    "consumer": DisputeType.CONSUMER,
}


def type_for_category(category: Category) -> str:
    return _TYPE_BY_CODE.get(category.code.rsplit(".", 1)[-1], DisputeType.OTHER)


def ensure_dispute(event: Event, *, user: Any = None, dispute_type: str = "") -> Dispute:
    """The dispute record of a dispute-category event, created (and rated) on first need.

    Events of a dispute category reported through other doors (the events API, Open311) get
    theirs here: after commit, or when first opened.
    """
    existing = Dispute.objects.filter(event=event).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        Event.objects.select_for_update().filter(pk=event.pk).first()
        existing = Dispute.objects.filter(event=event).first()
        if existing is not None:
            return existing
        residents = list(event.residents.select_related("household"))
        dispute = Dispute.objects.create(
            event=event,
            path=event.path,
            county_code=event.county_code,
            dispute_type=dispute_type or type_for_category(event.category),
            address_key=address_key(event, residents),
            created_at=event.created_at,
        )
        # Residents named on the event are its parties until someone says who is who.
        create_parties(
            dispute,
            [
                {
                    "resident": r,
                    "name": r.name,
                    "role": PartyRole.OTHER,
                    "note": "",
                    "phone": "",
                    "identity": f"r:{r.pk}",
                }
                for r in residents
            ],
        )
        recompute_risk(dispute, user=user)
        return dispute


def ensure_dispute_after_commit(event_id: int) -> None:
    event = (
        Event.objects.filter(pk=event_id, category__is_dispute=True)
        .select_related("grid", "category")
        .first()
    )
    if event is not None:
        ensure_dispute(event)


@transaction.atomic
def report_dispute(
    *,
    user: Any,
    category: Category | str,
    description: str,
    dispute_type: str,
    parties: Sequence[dict[str, Any]] = (),
    lng: float | None = None,
    lat: float | None = None,
    grid: Node | None = None,
    address: str = "",
    photos: Sequence[Any] = (),
    idempotency_key: str | None = None,
    channel: str = "app",
    body_for_idempotency: Any = None,
    now: datetime | None = None,
) -> tuple[Dispute, bool]:
    """Report a dispute: the event (through the events service) plus parties, type and risk.

    Returns (dispute, created); a retry with the same idempotency key returns the first one.
    """
    from gridgov.events.intake import report_event

    if isinstance(category, str):
        found = Category.objects.filter(code=category, active=True).first()
        if found is None:
            raise ValidationError({"category": f"未知的事件分类 {category!r}"})
        category = found
    if not category.is_dispute:
        raise ValidationError({"category": f"“{category.name}”不是矛盾纠纷类分类"})
    if dispute_type not in DisputeType.values:
        raise ValidationError({"dispute_type": f"纠纷类型必须是 {', '.join(DisputeType.values)} 之一"})
    cleaned = clean_parties(user, parties)
    resident_ids = [item["resident"].pk for item in cleaned if item["resident"] is not None]
    event, created = report_event(
        user=user,
        category=category,
        description=description,
        lng=lng,
        lat=lat,
        grid=grid,
        address=address,
        photos=photos,
        resident_ids=resident_ids,
        idempotency_key=idempotency_key,
        channel=channel,
        body_for_idempotency=body_for_idempotency,
        now=now,
    )
    if not created:
        return ensure_dispute(event, user=user), False
    if Dispute.objects.filter(event=event).exists():
        raise ConflictError("该事件已登记为矛盾纠纷")
    residents = [item["resident"] for item in cleaned if item["resident"] is not None]
    dispute = Dispute.objects.create(
        event=event,
        path=event.path,
        county_code=event.county_code,
        dispute_type=dispute_type,
        address_key=address_key(event, residents),
        created_at=event.created_at,
    )
    if cleaned:
        create_parties(dispute, cleaned)
    _step(
        event,
        "dispute_registered",
        user=user,
        at=event.created_at,
        note=f"登记为{DisputeType(dispute_type).label}，当事人："
        + ("、".join(i["name"] for i in cleaned) or "未登记"),
        dispute_type=dispute_type,
        parties=len(cleaned),
    )
    recompute_risk(dispute, user=user, now=event.created_at)
    return dispute, True


@logs_failures(Action.UPDATE)
@transaction.atomic
def update_dispute_type(dispute: Dispute, *, user: Any, dispute_type: str) -> Dispute:
    dispute = Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)
    require_work(user, dispute, "修改纠纷类型")
    if dispute_type not in DisputeType.values:
        raise ValidationError({"dispute_type": f"纠纷类型必须是 {', '.join(DisputeType.values)} 之一"})
    if dispute_type != dispute.dispute_type:
        before = dispute.dispute_type
        dispute.dispute_type = dispute_type
        dispute.version += 1
        dispute.save()
        _step(
            dispute.event,
            "dispute_type",
            user=user,
            note=f"纠纷类型：{DisputeType(before).label} → {DisputeType(dispute_type).label}",
        )
    return dispute


# ----------------------------------------------------------------------------------------- visits


@logs_failures(Action.UPDATE)
@transaction.atomic
def record_visit(
    dispute: Dispute,
    *,
    user: Any,
    visited_at: datetime,
    visitor_ids: Sequence[int],
    summary: str,
    kind: str = VisitKind.MEDIATION,
    others_present: str = "",
    now: datetime | None = None,
) -> Visit:
    """A joint visit (before the outcome) or a follow-up visit (after it)."""
    dispute = Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)
    require_work(user, dispute, "记录走访")
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": "请填写走访经过与结果"})
    if kind not in VisitKind.values:
        raise ValidationError({"kind": f"走访类型必须是 {', '.join(VisitKind.values)} 之一"})
    if visited_at is None:
        raise ValidationError({"visited_at": "请填写走访时间"})
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    now = now or timezone.now()
    if visited_at > now + timedelta(minutes=10):
        raise ValidationError({"visited_at": "走访时间不能晚于现在"})
    if visited_at < dispute.event.created_at - timedelta(days=1):
        raise ValidationError({"visited_at": "走访时间早于纠纷上报时间"})
    if kind == VisitKind.FOLLOW_UP and not dispute.outcome:
        raise ConflictError("回访在有化解结果之后进行；调解中的走访请选“联合走访调解”")
    if kind == VisitKind.MEDIATION and dispute.outcome:
        raise ConflictError("纠纷已有化解结果，之后的走访请登记为回访")
    ids = {int(i) for i in visitor_ids}
    if not ids:
        raise ValidationError({"visitor_ids": "请选择参加走访的人员"})
    team = {m.user_id: m for m in dispute.team.select_related("user")}
    strangers = ids - set(team)
    if strangers:
        raise ValidationError({"visitor_ids": "参加走访的人员必须是调解团队成员，请先邀请其加入团队"})
    visit = Visit.objects.create(
        dispute=dispute,
        kind=kind,
        visited_at=visited_at,
        summary=summary[:5000],
        others_present=(others_present or "").strip()[:200],
        recorded_by=user,
        recorded_at=now,
    )
    visit.visitors.set(sorted(ids))
    names = "、".join(
        f"{TeamRole(team[i].role).label}{team[i].user.full_name or team[i].user.username}"
        for i in sorted(ids, key=lambda i: (team[i].added_at, i))
    )
    # A follow-up visit fulfils the earliest open date of the plan (if there is one).
    planned = None
    if kind == VisitKind.FOLLOW_UP:
        planned = (
            dispute.follow_ups.select_for_update().filter(done_at__isnull=True).order_by("due_on").first()
        )
        if planned is not None:
            planned.done_at, planned.done_by, planned.visit = now, user, visit
            planned.done_note = summary[:2000]
            planned.save()
    action = "dispute_follow_up" if kind == VisitKind.FOLLOW_UP else "dispute_visit"
    _step(
        dispute.event,
        action,
        user=user,
        at=now,
        note=f"{VisitKind(kind).label}（{timezone.localtime(visited_at):%Y-%m-%d %H:%M}，{names}"
        + (f"，计划于{planned.due_on:%Y-%m-%d}" if planned is not None else "")
        + f"）：{summary[:500]}",
        visit_id=visit.pk,
    )
    return visit


# ---------------------------------------------------------------------------------------- outcome


@logs_failures(Action.UPDATE)
@transaction.atomic
def record_outcome(
    dispute: Dispute,
    *,
    user: Any,
    outcome: str,
    terms: str,
    follow_up_days: int | None = FOLLOW_UP_DAYS,
    follow_up_dates: Sequence[date] | None = None,
    now: datetime | None = None,
) -> Dispute:
    """The end of mediation: an agreement with its terms, a referral, or a withdrawal, and the
    follow-up plan: the dates given, or one date `follow_up_days` from now (None: no plan yet).

    If the user leads the event's handling and it is in progress, the event is marked handled
    with the outcome as its result, so the reporter can confirm it.
    """
    from gridgov.disputes import follow_ups
    from gridgov.events import transitions as event_transitions

    dispute = Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)
    require_work(user, dispute, "登记化解结果")
    if dispute.outcome:
        raise ConflictError(f"已登记化解结果：{dispute.get_outcome_display()}")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"化解结果必须是 {', '.join(Outcome.values)} 之一"})
    terms = (terms or "").strip()
    if outcome == Outcome.AGREEMENT and len(terms) < 4:
        raise ValidationError({"terms": "达成调解协议的，请填写协议内容"})
    if outcome != Outcome.AGREEMENT and not terms:
        raise ValidationError({"terms": "请写明移交去向或撤回原因"})
    now = now or timezone.now()
    today = timezone.localdate(now)
    if follow_up_dates:
        try:
            dates = follow_ups.clean_dates(dispute, follow_up_dates, today)
        except ValidationError as exc:
            raise ValidationError({"follow_up_dates": exc.messages}) from None
    elif follow_up_days is not None:
        if not 1 <= follow_up_days <= 365:
            raise ValidationError({"follow_up_days": "回访间隔应在 1 到 365 天之间"})
        dates = [today + timedelta(days=follow_up_days)]
    else:
        dates = []
    dispute.outcome = outcome
    dispute.outcome_terms = terms[:5000]
    dispute.outcome_at = now
    dispute.outcome_by = user
    dispute.version += 1
    dispute.save()
    follow_ups.create_items(dispute, dates, user=user, purpose="", now=now)
    label = Outcome(outcome).label
    plan = "；回访计划：" + "、".join(f"{d:%Y-%m-%d}" for d in dates) if dates else ""
    _step(
        dispute.event,
        "dispute_outcome",
        user=user,
        at=now,
        note=f"{label}：{terms[:1000]}{plan}",
        outcome=outcome,
        follow_up_dates=[d.isoformat() for d in dates],
    )
    event = Event.objects.get(pk=dispute.event_id)
    if event.state == "in_progress":
        try:
            with transaction.atomic():
                event_transitions.transition(
                    event,
                    "handle",
                    user=user,
                    note=f"{label}：{terms[:1000]}",
                    result=f"{label}：{terms[:1000]}",
                    now=now,
                )
        except (PermissionDenied, ConflictError, ValidationError):
            pass  # the user does not lead the handling: the lead marks it handled in the workflow
    if outcome == Outcome.POLICE:
        stations = police_stations_for(dispute.path)
        police = User.objects.filter(org_memberships__organisation__in=stations).distinct()
        _notify(police, event, f"矛盾纠纷 {event.number} 已移交公安：{terms[:200]}")
    return dispute
