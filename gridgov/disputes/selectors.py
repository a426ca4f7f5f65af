"""Reads for dispute mediation: who sees which dispute, the parties masked by role (reads of
clear phones audited), and the early-warning list."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, require
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.crypto import decrypt
from gridgov.disputes import risk
from gridgov.disputes.access import can_work_on
from gridgov.disputes.models import RISK_RANK, Dispute, FollowUp, Party, RiskLevel
from gridgov.events.models import Event, EventStep, Severity, State
from gridgov.registry.masking import mask_phone
from gridgov.registry.pii import resident_phone_of

FINAL_STATES = (State.CLOSED, State.MERGED)
_RISK_NAMES = dict(RiskLevel.choices)


def disputes_for(user: Any) -> QuerySet[Dispute]:
    """Disputes the user may see (the door's rule for disputes)."""
    return Dispute.objects.restrict(user)


def ordered(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Most serious first, then open before settled, then newest."""
    rank = Case(
        *[When(risk_level=level, then=Value(n)) for level, n in RISK_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return queryset.annotate(risk_order=rank).order_by("-risk_order", "outcome", "-created_at", "-pk")


@dataclass(frozen=True)
class DisputeFilter:
    state: str = "open"  # "open" (the event not closed or merged), "done", or "all"
    risks: tuple[str, ...] = ()
    dispute_type: str = ""
    category: str = ""  # the event's category code
    node_id: int | None = None
    # Local dates (inclusive) of the registration, or of the outcome when `date_field` is "outcome".
    date_from: date | None = None
    date_to: date | None = None
    date_field: str = "created"
    outcome: str = ""
    follow_up_due: bool = False  # a planned follow-up visit due by today and not done
    overdue: bool = False


def filter_disputes(queryset: QuerySet[Dispute], filters: DisputeFilter, user: Any) -> QuerySet[Dispute]:
    if filters.state == "open":
        queryset = queryset.exclude(event__state__in=FINAL_STATES)
    elif filters.state == "done":
        queryset = queryset.filter(event__state__in=FINAL_STATES)
    if filters.risks:
        queryset = queryset.filter(risk_level__in=filters.risks)
    if filters.dispute_type:
        queryset = queryset.filter(dispute_type=filters.dispute_type)
    if filters.category:
        queryset = queryset.filter(event__category__code=filters.category)
    if filters.outcome:
        queryset = queryset.filter(outcome=filters.outcome)
    if filters.overdue:
        queryset = queryset.filter(event__is_open=True, event__overdue=True)
    if filters.node_id is not None:
        from gridgov.hierarchy.models import Node

        node = get_visible_or_404(Node.objects.defer("boundary"), user, pk=filters.node_id)
        queryset = queryset.filter(path__under=node.path)
    if filters.follow_up_due:
        due = FollowUp.objects.filter(done_at__isnull=True, due_on__lte=timezone.localdate())
        queryset = queryset.filter(pk__in=due.values("dispute_id"))
    field_name = "outcome_at" if filters.date_field == "outcome" else "created_at"
    if filters.date_from is not None:
        queryset = queryset.filter(**{f"{field_name}__gte": _day_start(filters.date_from)})
    if filters.date_to is not None:
        queryset = queryset.filter(**{f"{field_name}__lt": _day_start(filters.date_to + timedelta(days=1))})
    return queryset


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def get_dispute_or_404(user: Any, dispute_id: int) -> Dispute:
    """One dispute the user may see; otherwise the attempt is logged and the answer is 404."""
    queryset = Dispute.objects.select_related("event", "event__grid", "event__category")
    return get_visible_or_404(queryset, user, pk=dispute_id)


@dataclass
class PartyView:
    id: int
    name: str
    role: str
    role_label: str
    resident_id: int | None
    phone: str
    phone_masked: bool
    note: str


def parties_of(dispute: Dispute, user: Any, reveal: bool = False) -> list[PartyView]:
    """Parties with phones masked, as everywhere: a full phone only through an explicit reveal
    (`reveal=True`, the "显示" button or `?reveal=phone`) by a user who may see it over the
    dispute's place; anyone else asking for it is refused.

    Every look at a dispute's parties is written to the audit log (dispute parties are sensitive
    personal data); the row says whether clear phones were shown.
    """
    if reveal:
        require(user, Cap.SEE_PII, dispute.path, dispute)
    full = reveal
    views, clear_shown = [], []
    for party in dispute.parties.select_related("resident").order_by("pk"):
        if party.resident_id and party.resident is not None:
            phone = resident_phone_of(party.resident) if party.resident.phone_enc else ""
        else:
            phone = decrypt(party.phone_enc, Party.PHONE_CONTEXT) if party.phone_enc else ""
        if phone and full:
            clear_shown.append(party.pk)
        views.append(
            PartyView(
                id=party.pk,
                name=party.name,
                role=party.role,
                role_label=party.get_role_display(),
                resident_id=party.resident_id,
                phone=phone if full else mask_phone(phone),
                phone_masked=bool(phone) and not full,
                note=party.note,
            )
        )
    if views:
        record(
            Action.READ_SENSITIVE,
            dispute,
            changes={"parties": [v.id for v in views], "clear_phones": clear_shown},
            message="dispute parties viewed" + (" with clear phones" if clear_shown else " (phones masked)"),
        )
    return views


def timeline_of(dispute: Dispute) -> QuerySet[EventStep]:
    return dispute.event.steps.select_related("actor", "organisation").order_by("at", "pk")


def follow_ups_of(dispute: Dispute) -> list[FollowUp]:
    """The plan, by date (done ones too: what was found stays on the record)."""
    return list(dispute.follow_ups.select_related("done_by").order_by("due_on", "pk"))


def with_follow_ups(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Each dispute with its next open follow-up date and how many open dates have passed."""
    open_q = Q(follow_ups__done_at__isnull=True)
    return queryset.annotate(
        next_follow_up=Min("follow_ups__due_on", filter=open_q),
        follow_ups_overdue=Count(
            "follow_ups", filter=open_q & Q(follow_ups__due_on__lt=timezone.localdate()), distinct=True
        ),
    )


def team_of(dispute: Dispute) -> list[Any]:
    return list(dispute.team.select_related("user", "organisation").order_by("added_at", "pk"))


def visits_of(dispute: Dispute) -> list[Any]:
    return list(
        dispute.visits.prefetch_related("visitors").select_related("recorded_by").order_by("visited_at", "pk")
    )


def user_can_work_on(user: Any, dispute: Dispute) -> bool:
    return can_work_on(user, dispute)


# -------------------------------------------------------------------------------- early warning


@dataclass
class Warning:
    kind: str  # event (flags say why) | hotspot_address | hotspot_parties
    risk: str
    title: str
    detail: str
    flags: list[str] = field(default_factory=list)
    event_id: int | None = None
    event_number: str = ""
    dispute_id: int | None = None
    url: str = ""
    at: datetime | None = None
    numbers: list[str] = field(default_factory=list)

    @property
    def risk_label(self) -> str:
        return str(_RISK_NAMES.get(self.risk, self.risk))

    @property
    def rank(self) -> int:
        return RISK_RANK.get(self.risk, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "risk": self.risk,
            "risk_label": self.risk_label,
            "title": self.title,
            "detail": self.detail,
            "flags": self.flags,
            "event_id": self.event_id,
            "event_number": self.event_number,
            "dispute_id": self.dispute_id,
            "url": self.url,
            "at": self.at.isoformat() if self.at else None,
            "numbers": self.numbers,
        }


FLAG_LABELS = {
    "high_risk": "高风险纠纷",
    "overdue": "已超期",
    "reopened": "重办",
    "follow_up_overdue": "回访逾期",
    "follow_up_due": "今日回访",
}
_SEVERITY_AS_RISK = {
    Severity.LOW: RiskLevel.LOW,
    Severity.MEDIUM: RiskLevel.MEDIUM,
    Severity.HIGH: RiskLevel.HIGH,
    Severity.CRITICAL: RiskLevel.CRITICAL,
}


def warnings_for(user: Any, *, under_path: str = "", limit: int = 200) -> list[Warning]:
    """The early-warning list of the user's scope (optionally a subtree of it), most serious first:
    open high-risk disputes, repeated hotspots (same address or same parties within the repeat
    window), overdue and reopened events, and follow-up visits that are due."""
    now = timezone.now()
    events = Event.objects.restrict(user)
    disputes = Dispute.objects.restrict(user)
    if under_path:
        events = events.filter(path__under=under_path)
        disputes = disputes.filter(path__under=under_path)
    by_event: dict[int, Warning] = {}

    def entry(event: Event, dispute: Dispute | None) -> Warning:
        item = by_event.get(event.pk)
        if item is None:
            level: str = _SEVERITY_AS_RISK.get(Severity(event.severity), RiskLevel.LOW)
            if dispute is not None and RISK_RANK[dispute.risk_level] > RISK_RANK[level]:
                level = dispute.risk_level
            url = (
                reverse("disputes:detail", args=[dispute.pk])
                if dispute is not None
                else f"/events/{event.pk}/"
            )
            item = Warning(
                kind="event",
                risk=level,
                title=f"{event.number} {event.category.name}",
                detail=event.description[:120],
                event_id=event.pk,
                event_number=event.number,
                dispute_id=dispute.pk if dispute is not None else None,
                url=url,
                at=event.due_at or event.created_at,
            )
            by_event[event.pk] = item
        return item

    open_disputes = disputes.exclude(event__state__in=FINAL_STATES).select_related("event", "event__category")
    for dispute in open_disputes.filter(risk_level__in=[RiskLevel.HIGH, RiskLevel.CRITICAL], outcome="")[
        :limit
    ]:
        item = entry(dispute.event, dispute)
        item.flags.append("high_risk")
        reasons = "；".join(r["detail"] for r in dispute.risk_reasons[:2])
        if dispute.risk_override:
            reasons = f"人工调整：{dispute.risk_override_reason}" + (f"；{reasons}" if reasons else "")
        item.detail = reasons or item.detail
    # Overdue first by how long overdue, then reopened: each list bounded before its disputes are looked up.
    # (is_open, overdue, due_at, id) is the events list index: both walk it and stop at `limit`.
    overdue = list(
        events.filter(is_open=True, overdue=True)
        .select_related("category")
        .order_by("-is_open", "-overdue", "due_at", "-id")[:limit]
    )
    reopened = list(
        events.filter(is_open=True, reopen_count__gt=0)
        .select_related("category")
        .order_by("-is_open", "-overdue", "due_at", "-id")[:limit]
    )
    ids = {e.pk for e in overdue} | {e.pk for e in reopened}
    dispute_by_event = {d.event_id: d for d in Dispute.objects.filter(event_id__in=ids)}
    for event in overdue:
        entry(event, dispute_by_event.get(event.pk)).flags.append("overdue")
    for event in reopened:
        entry(event, dispute_by_event.get(event.pk)).flags.append("reopened")
    today = timezone.localdate()
    open_items = (
        FollowUp.objects.filter(dispute__in=disputes.values("pk"), done_at__isnull=True, due_on__lte=today)
        .select_related("dispute__event__category")
        .order_by("due_on", "pk")[:limit]
    )
    late_by_dispute: dict[int, list[FollowUp]] = {}
    for follow_up in open_items:
        late_by_dispute.setdefault(follow_up.dispute_id, []).append(follow_up)
    for late in late_by_dispute.values():
        dispute = late[0].dispute
        item = entry(dispute.event, dispute)
        first = late[0]
        passed = first.due_on < today
        item.flags.append("follow_up_overdue" if passed else "follow_up_due")
        item.detail = ("回访逾期：" if passed else "今日回访：") + "、".join(
            f"{f.due_on:%Y-%m-%d}" for f in late[:3]
        )
    items = list(by_event.values())

    since = now - timedelta(days=risk.REPEAT_WINDOW_DAYS)
    recent = disputes.filter(created_at__gte=since)
    places = (
        recent.exclude(address_key="")
        .values("address_key")
        .annotate(n=Count("pk", distinct=True), last=Max("created_at"))
        .filter(n__gte=2)
        .order_by("-n", "-last")[:limit]
    )
    for row in places:
        group = list(
            recent.filter(address_key=row["address_key"]).select_related("event").order_by("created_at")
        )
        numbers = [d.event.number for d in group]
        address = next((d.event.address for d in reversed(group) if d.event.address), row["address_key"])
        items.append(
            Warning(
                kind="hotspot_address",
                risk=RiskLevel.HIGH if row["n"] >= 3 else RiskLevel.MEDIUM,
                title=f"重复纠纷地点：{address}",
                detail=f"{risk.REPEAT_WINDOW_DAYS}天内{row['n']}起纠纷",
                at=row["last"],
                numbers=numbers,
                dispute_id=group[-1].pk,
                url=reverse("disputes:detail", args=[group[-1].pk]),
            )
        )
    people = (
        Party.objects.filter(dispute__in=recent.values("pk"))
        .exclude(identity="")
        .values("identity")
        .annotate(n=Count("dispute", distinct=True), last=Max("dispute__created_at"))
        .filter(n__gte=2)
        .order_by("-n", "-last")[:limit]
    )
    for row in people:
        group_parties = list(
            Party.objects.filter(identity=row["identity"], dispute__in=recent.values("pk"))
            .select_related("dispute__event")
            .order_by("dispute__created_at")
        )
        numbers = sorted({p.dispute.event.number for p in group_parties})
        last = group_parties[-1].dispute
        items.append(
            Warning(
                kind="hotspot_parties",
                risk=RiskLevel.HIGH if row["n"] >= 3 else RiskLevel.MEDIUM,
                title=f"反复涉纠当事人：{group_parties[-1].name}",
                detail=f"{risk.REPEAT_WINDOW_DAYS}天内涉及{row['n']}起纠纷",
                at=row["last"],
                numbers=numbers,
                dispute_id=last.pk,
                url=reverse("disputes:detail", args=[last.pk]),
            )
        )
    for item in items:
        item.flags.sort(key=list(FLAG_LABELS).index)
    items.sort(key=lambda w: (-w.rank, -len(w.flags), w.at or now))
    return items[:limit]
