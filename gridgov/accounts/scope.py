"""The one door that decides what a user may see and change.

- A `Principal` is who is asking: a user with their role assignments and organisations, read
  once per request (or per bearer token) and immutable afterwards.
- A `Scope` is where a principal holds a capability: the union of the subtrees of the nodes
  where a role assignment grants it.
- `RULES` says, for every scoped model, how its rows are scoped: by their hierarchy path, by
  the owner, or by a rule of its own (events: subtree, dispatch and reporter; disputes: their
  event's rule, the mediation team and police alerts). A new scoped model adds its line there.
- Every read of a scoped model goes through `Model.objects.restrict(who, cap)` (or
  `get_visible_or_404`); single permission checks through `can` / `require`. Pages, the API,
  the admin, exports, search, the worker and Open311 use nothing else: nothing filters by
  hand, so the admin and the API cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from gridgov.accounts.roles import ROLE_CAPS, Cap
from gridgov.hierarchy import paths

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from gridgov.accounts.models import User

M = TypeVar("M", bound=models.Model)


# --- scopes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Subtree roots (hierarchy paths); `everything` for system administrators."""

    roots: tuple[str, ...] = ()
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not self.everything and not self.roots

    def q(self, lookup: str = "path") -> Q:
        if self.everything:
            return Q()
        if not self.roots:
            return Q(pk__in=[])
        query = Q()
        for root in self.roots:
            query |= Q(**{f"{lookup}__under": root})
        return query

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(root) for root in self.roots)


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


# --- who is asking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    role: str
    path: str
    grants_special_groups: bool = False


@dataclass(frozen=True)
class Membership:
    """An active organisation the user belongs to: its id, kind and area path."""

    org_id: int
    kind: str
    path: str


@dataclass(frozen=True)
class Principal:
    """Who is asking, read once: never a user object, so one principal may serve many threads
    (the bearer-token cache shares it) and nothing in it changes during a request."""

    user_id: int | None = None
    username: str = ""
    active: bool = False
    superuser: bool = False
    assignments: tuple[Assignment, ...] = ()
    memberships: tuple[Membership, ...] = ()
    _scopes: dict[str, Scope] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, user: User | AnonymousUser | None) -> Principal:
        """Read a user's assignments and organisations (two queries); anonymous or inactive
        users are nobody."""
        if user is None or not user.is_authenticated or not user.is_active:
            return ANONYMOUS
        return cls(
            user_id=user.pk,
            username=user.username,
            active=True,
            superuser=user.is_superuser,
            assignments=role_assignments(user),
            memberships=memberships_of(user.pk),
        )

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None and self.active

    def scope(self, cap: str = Cap.VIEW) -> Scope:
        """Where this principal holds `cap` (system administrators: everywhere, except the audit
        log, which only auditors read)."""
        found = self._scopes.get(cap)
        if found is None:
            found = self._scopes[cap] = self._scope(cap)
        return found

    def _scope(self, cap: str) -> Scope:
        if not self.active:
            return NOTHING
        if self.superuser and cap != Cap.VIEW_AUDIT:
            return EVERYTHING
        roots = {
            a.path
            for a in self.assignments
            if cap in ROLE_CAPS.get(a.role, set())
            or (cap == Cap.SEE_SPECIAL_GROUPS and a.grants_special_groups)
        }
        return Scope(roots=paths.minimal(roots))

    def has(self, cap: str) -> bool:
        """Whether the principal holds `cap` anywhere."""
        return not self.scope(cap).empty

    def can(self, cap: str, path: str) -> bool:
        return self.scope(cap).covers(path)

    @property
    def org_ids(self) -> tuple[int, ...]:
        return tuple(sorted(m.org_id for m in self.memberships))

    def orgs_of_kind(self, kind: str) -> tuple[Membership, ...]:
        return tuple(m for m in self.memberships if m.kind == kind)


ANONYMOUS = Principal()


def role_assignments(user: User) -> tuple[Assignment, ...]:
    return tuple(
        Assignment(role, path, special)
        for role, path, special in user.assignments.values_list("role", "node__path", "grants_special_groups")
    )


def memberships_of(user_id: int) -> tuple[Membership, ...]:
    """The user's active organisations (departments, utilities, police stations, judicial
    offices): they see what is dispatched to them."""
    org_member = apps.get_model("events", "OrgMember")
    rows = org_member.objects.filter(user_id=user_id, organisation__active=True).values_list(
        "organisation_id", "organisation__kind", "organisation__path"
    )
    return tuple(Membership(pk, kind, path) for pk, kind, path in rows)


# Who is asking: a principal, a user (request.user is a User or an AnonymousUser) or nobody.
Who: TypeAlias = "Principal | User | AnonymousUser | AbstractBaseUser | None"


def principal_of(who: Who) -> Principal:
    """The principal of a user (read once per user object: `User.principal`), or `who` itself."""
    if isinstance(who, Principal):
        return who
    if who is None or not getattr(who, "is_authenticated", False) or not who.is_active:
        return ANONYMOUS
    principal: Principal = cast("User", who).principal  # only our User model logs in
    return principal


def forget_principal(user: Who) -> None:
    """Read a user's roles again at the next check (after they changed in this request)."""
    if user is not None:
        user.__dict__.pop("principal", None)


# --- how each model is scoped --------------------------------------------------------------------


class Rule(Protocol):
    """How one model's rows are scoped: a filter for a principal and a capability."""

    @property
    def default_cap(self) -> str: ...

    @property
    def distinct(self) -> bool: ...

    def q(self, who: Principal, cap: str) -> Q: ...


@dataclass(frozen=True)
class ByPath:
    """Rows in the subtrees where the principal holds the capability; `lookup` reaches the
    row's hierarchy path (through a relation for rows attached to a node or a user)."""

    lookup: str = "path"
    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        return who.scope(cap).q(self.lookup)


@dataclass(frozen=True)
class Own:
    """Rows that belong to the principal themselves (their inbox, their devices, their jobs)."""

    lookup: str = "user"
    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        if who.user_id is None:
            return Q(pk__in=[])
        return Q(**{f"{self.lookup}_id": who.user_id})


@dataclass(frozen=True)
class ByPathOrOwn:
    """Rows in the subtrees where the principal holds the capability, and, for reading (the
    default capability), the principal's own rows: a grid worker reads their own file, grades
    and assessments, which only officials over their place may change."""

    owner: str
    lookup: str = "path"
    default_cap: str = Cap.MANAGE_STAFF
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        scope = who.scope(cap)
        if scope.everything:  # Q() | Q(x) is Q(x): everything would shrink to the own rows
            return Q()
        query = scope.q(self.lookup)
        if cap == self.default_cap and who.user_id is not None:
            query |= Q(**{f"{self.owner}_id": who.user_id})
        return query


# Paths of city (6), county (12) and township (24) nodes: subtrees of thousands of events and more.
LARGE_SUBTREE_PATH = paths.PATH_END["township"]


def subtree_q(path: str, lookup: str = "path") -> Q:
    """Rows under the node with this path, written so the planner picks the right index on a
    large list (events).

    A small subtree (community, grid) is a short range of the path index. A large one (township,
    county, city) is better served by walking a list index in order and testing the path on each
    row until a page is full: a range over hundreds of thousands of paths must be sorted first.
    SQLite's planner cannot tell the two apart (it guesses every prefix range is small), so large
    subtrees use `startswith`, which SQLite cannot answer from the (binary) path index, while
    `under` (GLOB) can; PostgreSQL estimates both from its statistics.
    """
    if len(path) <= LARGE_SUBTREE_PATH:
        return Q(**{f"{lookup}__startswith": path})
    return Q(**{f"{lookup}__under": path})


def subtrees_q(roots: Iterable[str], lookup: str = "path") -> Q:
    """Rows under any of these node paths (none: no row), each written as `subtree_q` does."""
    query = Q(pk__in=[])
    for root in roots:
        query |= subtree_q(root, lookup)
    return query


# A department's few events are named outright (see EventRule).
FEW_EVENTS = 1000


@dataclass(frozen=True)
class EventScope:
    """Where a principal sees events: everything, or the events under `roots`, plus those
    dispatched to `orgs` (outside those roots), plus their own reports."""

    everything: bool = False
    roots: tuple[str, ...] = ()
    orgs: tuple[int, ...] = ()


def event_scope(who: Principal) -> EventScope:
    """Officials (grid staff and the governance centres) see their subtree; department staff see
    what was dispatched to their organisation, not their area's subtree."""
    report_scope, handle_scope = who.scope(Cap.REPORT_EVENT), who.scope(Cap.HANDLE_EVENT)
    if report_scope.everything or handle_scope.everything:
        return EventScope(everything=True)
    roots = paths.minimal(set(report_scope.roots) | set(handle_scope.roots))
    # An organisation's events lie inside its area; where the principal's subtree already covers
    # that area (a centre's administrator), the extra clause would only slow the list down.
    orgs = tuple(
        sorted(m.org_id for m in who.memberships if not any(m.path.startswith(root) for root in roots))
    )
    return EventScope(roots=roots, orgs=orgs)


@dataclass(frozen=True)
class EventRule:
    """Events: the principal's subtree, what is dispatched to their organisations, and what they
    reported themselves. For another capability than VIEW (the admin's HANDLE_EVENT), the
    subtrees where they hold it."""

    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        if not who.active:
            return Q(pk__in=[])
        if cap != Cap.VIEW:
            held = who.scope(cap)
            return Q() if held.everything else subtrees_q(held.roots)
        scope = event_scope(who)
        if scope.everything:
            return Q()
        query = subtrees_q(scope.roots)
        if scope.orgs:
            assignment = apps.get_model("events", "EventAssignment")
            # An IN subquery is evaluated once, not per row as a correlated EXISTS would be.
            assigned: Any = assignment.objects.filter(organisation_id__in=scope.orgs).values("event_id")
            if not scope.roots:
                # Department staff see only what was dispatched to them. A small organisation's
                # few events are named outright: against the subquery, PostgreSQL walked the
                # whole list index (a million events, 0.3 s) looking for the two it had.
                ids = list(assigned.values_list("event_id", flat=True).distinct()[: FEW_EVENTS + 1])
                if len(ids) <= FEW_EVENTS:
                    assigned = ids
            query |= Q(pk__in=assigned)
        return query | Q(reporter_id=who.user_id)


# Risk levels of a dispute that alert the police station of its area.
POLICE_ALERT_LEVELS = ("high", "critical")


@dataclass(frozen=True)
class DisputeRule:
    """Disputes: their event's rule (on the dispute's own path, which is its event's: a subquery
    over every event took 0.2 s at city scale), the mediation team, and for police station
    staff the high-risk disputes of the station's area they were alerted to."""

    default_cap: str = Cap.VIEW
    distinct: bool = True

    def q(self, who: Principal, cap: str) -> Q:
        if not who.active:
            return Q(pk__in=[])
        if cap == Cap.MEDIATE:
            return self.works_on(who)
        if cap != Cap.VIEW:
            return who.scope(cap).q("path")
        scope = event_scope(who)
        if scope.everything:
            return Q()
        query = Q(event__reporter_id=who.user_id) | Q(team__user_id=who.user_id)
        for root in scope.roots:
            query |= Q(path__under=root)
        if scope.orgs:
            assignment = apps.get_model("events", "EventAssignment")
            query |= Q(
                event_id__in=assignment.objects.filter(organisation_id__in=scope.orgs).values("event_id")
            )
        for station in who.orgs_of_kind("police"):
            query |= Q(path__under=station.path, alerted_level__in=POLICE_ALERT_LEVELS)
        return query

    def works_on(self, who: Principal) -> Q:
        """Who works on a dispute: the centres over its place, its reporter, its mediation team
        and the organisations its event is dispatched to (lead or co-handler)."""
        query = who.scope(Cap.HANDLE_EVENT).q("path")
        query |= Q(event__reporter_id=who.user_id) | Q(team__user_id=who.user_id)
        if who.memberships:
            assignment = apps.get_model("events", "EventAssignment")
            dispatched = assignment.objects.filter(active=True, organisation_id__in=who.org_ids)
            query |= Q(event_id__in=dispatched.values("event_id"))
        return query


@dataclass(frozen=True)
class Via:
    """Rows that belong to a scoped parent (a dispute's parties): visible with their parent."""

    parent_lookup: str
    parent_label: str
    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        parent = apps.get_model(self.parent_label)
        return Q(
            **{f"{self.parent_lookup}__in": restrict(parent._default_manager.all(), who, cap).values("pk")}
        )


@dataclass(frozen=True)
class OrganisationRule:
    """Organisations the principal works with: those serving an area inside their subtree, those
    whose area covers it (a county's department serves a community's events), and their own."""

    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        scope = who.scope(cap)
        if scope.everything:
            return Q()
        query = scope.q("path") | Q(pk__in=list(who.org_ids))
        above = {path for root in scope.roots for path in paths.ancestors(root, include_self=False)}
        if above:
            query |= Q(path__in=sorted(above))
        return query


@dataclass(frozen=True)
class BreakGlassRule:
    """Break-the-glass grants: a person's own, and for supervisors those of staff placed in their
    subtree and those opening a search of it."""

    default_cap: str = Cap.MANAGE_STAFF
    distinct: bool = True

    def q(self, who: Principal, cap: str) -> Q:
        scope = who.scope(cap)
        return Q(user_id=who.user_id) | scope.q("path") | scope.q("user__assignments__node__path")


@dataclass(frozen=True)
class InspectionRule:
    """Supervision and inspection (gridgov.inspection): rows in the subtrees where the principal
    holds the capability and, for reading, the rows of the plans that name them as an inspector
    (a county's inspector from one township inspects grids of another). `plan_lookups` reach
    the row's plan id."""

    plan_lookups: tuple[str, ...]
    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        scope = who.scope(cap)
        if scope.everything:
            return Q()
        query = scope.q("path")
        if cap == self.default_cap and who.user_id is not None:
            plan = apps.get_model("inspection", "InspectionPlan")
            # An IN subquery over the plan-inspector table: no join that would repeat rows.
            mine = plan.inspectors.through.objects.filter(user_id=who.user_id).values("inspectionplan_id")
            for lookup in self.plan_lookups:
                query |= Q(**{f"{lookup}__in": mine})
        return query


@dataclass(frozen=True)
class Offered:
    """What a level offers those below it (the academy's courses, sessions, lecturers, cases):
    officials who manage staff over the row's node edit it and see it in any state; everyone at
    or below the node sees it once `published` (a lookup and its value) says it is out."""

    published: str = ""
    published_value: Any = True
    manage_cap: str = Cap.MANAGE_STAFF
    default_cap: str = Cap.VIEW
    distinct: bool = False

    def q(self, who: Principal, cap: str) -> Q:
        if cap != Cap.VIEW:
            return who.scope(cap).q("path")
        managed, view = who.scope(self.manage_cap), who.scope(Cap.VIEW)
        if managed.everything:
            return Q()
        offered = view.q("path")
        above = {path for root in view.roots for path in paths.ancestors(root, include_self=False)}
        if above:
            offered |= Q(path__in=sorted(above))
        if self.published:
            offered &= Q(**{self.published: self.published_value})
        return managed.q("path") | offered


RULES: dict[str, Rule] = {
    "hierarchy.node": ByPath(),
    "hierarchy.policebeat": ByPath(),
    "accounts.user": ByPath("assignments__node__path", distinct=True),
    "accounts.roleassignment": ByPath("node__path"),
    "accounts.device": ByPath("user__assignments__node__path", default_cap=Cap.MANAGE_STAFF, distinct=True),
    "accounts.apitoken": ByPath("user__assignments__node__path", default_cap=Cap.MANAGE_STAFF, distinct=True),
    "registry.household": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "registry.resident": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "registry.lifeevent": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "registry.breakglassgrant": BreakGlassRule(),
    "registry.exportjob": Own("user"),
    "search.searchdoc": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "events.organisation": OrganisationRule(),
    "events.event": EventRule(),
    "disputes.dispute": DisputeRule(),
    "disputes.party": Via("dispute", "disputes.Dispute"),
    "audit.auditentry": ByPath(default_cap=Cap.VIEW_AUDIT),
    "notifications.notice": Own("user"),
    "care.careschedule": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "care.homevisit": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "care.verification": ByPath(default_cap=Cap.VIEW_REGISTRY),
    "workforce.workerfile": ByPathOrOwn("user"),
    "workforce.gradechange": ByPathOrOwn("worker__user"),
    "workforce.rewardsanction": ByPathOrOwn("worker__user"),
    "workforce.promotionline": ByPathOrOwn("worker__user"),
    "workforce.promotionrun": ByPath(default_cap=Cap.MANAGE_STAFF),
    "workforce.payscale": ByPath(),
    "workforce.contributionrates": ByPath(),
    "assessment.assessment": ByPathOrOwn("worker__user"),
    "assessment.assessmentstep": ByPathOrOwn("assessment__worker__user"),
    "assessment.assessmentscheme": ByPath(),
    "patrols.patrol": ByPathOrOwn("worker", default_cap=Cap.VIEW_TRACKS),
    "patrols.checkin": ByPathOrOwn("worker", default_cap=Cap.VIEW_TRACKS),
    "patrols.finding": Via("patrol", "patrols.Patrol", default_cap=Cap.VIEW_TRACKS),
    "patrols.trackpoint": Via("patrol", "patrols.Patrol", default_cap=Cap.VIEW_TRACKS),
    "patrols.buildingcoverage": ByPath(),
    "overview.rollup": ByPath(),
    "overview.displaylink": ByPath(default_cap=Cap.HANDLE_EVENT),
    "overview.monthlyreport": ByPath(default_cap=Cap.HANDLE_EVENT),
    "tasks.task": ByPath(),
    "tasks.taskassignment": ByPath(),
    "screening.screeninground": ByPath(),
    "screening.screeningreturn": ByPath(),
    "worklog.worklognote": ByPath(),
    "inspection.inspectionplan": InspectionRule(("pk",)),
    "inspection.inspectionvisit": InspectionRule(("plan_id",)),
    "inspection.inspectionfinding": InspectionRule(("visit__plan_id",)),
    "inspection.rectification": InspectionRule(("finding__visit__plan_id",)),
    "inspection.inspectionphoto": InspectionRule(
        ("finding__visit__plan_id", "step__rectification__finding__visit__plan_id")
    ),
    "academy.lecturer": Offered(),
    "academy.course": Offered("published"),
    "academy.studysession": Offered("published"),
    "academy.case": Offered("status", "published"),
    "academy.signup": ByPathOrOwn("user"),
    "academy.quizattempt": ByPathOrOwn("user"),
    "academy.credit": ByPathOrOwn("user"),
    "academy.requirement": ByPath(),
}


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return RULES[model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model._meta.label} has no scope rule in gridgov.accounts.scope.RULES") from None


# --- the door ------------------------------------------------------------------------------------


class RestrictedQuerySet(models.QuerySet[M]):
    """The queryset of every scoped model: `Model.objects.restrict(who, cap)`."""

    def restrict(self, who: Who, cap: str | None = None) -> RestrictedQuerySet[M]:
        return restrict(self, who, cap)  # type: ignore[return-value]


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


def restrict(queryset: models.QuerySet[M], who: Who, cap: str | None = None) -> models.QuerySet[M]:
    """The rows of `queryset` that `who` may see (or act on, with `cap`), by the model's rule."""
    rule = rule_for(queryset.model)
    principal = principal_of(who)
    restricted = queryset.filter(rule.q(principal, cap or rule.default_cap))
    return restricted.distinct() if rule.distinct else restricted


def scope_of(who: Who, cap: str = Cap.VIEW) -> Scope:
    return principal_of(who).scope(cap)


def can(who: Who, cap: str, path: str) -> bool:
    return principal_of(who).can(cap, path)


def has(who: Who, cap: str) -> bool:
    """Whether `who` holds `cap` anywhere (what menus and buttons ask)."""
    return principal_of(who).has(cap)


def allows(who: Who, obj: models.Model, cap: str | None = None) -> bool:
    """Whether `obj` is among the rows `who` may see (or act on, with `cap`)."""
    manager = type(obj)._default_manager
    return restrict(manager.filter(pk=obj.pk), who, cap).exists()


def deny(who: Who, message: str, obj: models.Model | None = None, **kwargs: Any) -> None:
    """Log a refused access (Action.DENIED): the one way refusals reach the audit log."""
    from gridgov.audit.services import record_denied

    principal = principal_of(who)
    user = who if principal.authenticated and not isinstance(who, Principal) else None
    record_denied(obj, message=message, user=user, **kwargs)


def get_visible_or_404(queryset: models.QuerySet[M], who: Who, cap: str | None = None, **lookup: Any) -> M:
    """Fetch one object inside `who`'s scope; outside it, log the attempt and answer 404.

    404 rather than 403 so an outsider cannot even learn that the object exists. A lookup value
    that cannot be an id (a word typed into `?node=`) is a 404 too: no object has it.
    """
    try:
        obj = restrict(queryset, who, cap).filter(**lookup).first()
    except (ValueError, TypeError, ValidationError):
        raise Http404("not found") from None
    if obj is not None:
        return obj
    outside = queryset.filter(**lookup).first()
    if outside is not None:
        deny(who, f"out of scope ({cap or rule_for(queryset.model).default_cap})", outside)
    raise Http404("not found")


def require(who: Who, cap: str, path: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied (and log it) unless `who` has `cap` over `path`."""
    if not can(who, cap, path):
        deny(who, f"lacks {cap} on {path}", obj, path=path if obj is None else "")
        raise PermissionDenied(f"no permission: {cap}")
