"""Keyword search over residents and households: one box, ranked, paged, scoped, masked.

`search(user, q, page)` is what the page, the API and the benchmark call. It reads the query
(gridgov.search.tokens), looks each interpretation up in the index tier by tier (exact, prefix,
substring, then one-letter pinyin typos) until one page and one more hit are found — never
counting every match; identical names come from the user's own grid first, then the recently
updated — and shows
each hit as the user may see it: ID numbers and phones masked, special-population tags only for
users granted them. The scope is the user's own (`gridgov.accounts.scope`) plus any unexpired
break-the-glass grant; searches that use a grant are written to the audit log.
"""

import datetime
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import Scope, scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.crypto import decrypt
from gridgov.registry import pii
from gridgov.registry.choices import (
    CareTag,
    HouseholdKind,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
    Sex,
    SpecialTag,
)
from gridgov.registry.masking import mask_id_number, mask_phone
from gridgov.registry.models import BreakGlassGrant, GrantStatus, Household, Resident
from gridgov.registry.rules import ACTIVE_STATUSES
from gridgov.registry.validation import convert_15_to_18
from gridgov.search import index
from gridgov.search.models import HOUSEHOLD, RESIDENT, household_doc_id, resident_doc_id, split_doc_id
from gridgov.search.pinyin import clean_name, pattern_matches, read_name
from gridgov.search.tokens import (
    EXACT,
    MAX_QUERY_LENGTH,
    Alternative,
    ParsedQuery,
    normalize_query,
    parse_query,
    typo_alternatives,
)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
# Deep pages cost more (each is found by walking the ones before it); past this, refine the query.
MAX_PAGE = 50
# Hits of one alternative ranked by where and when (see find_hits); checked alternatives (long
# names, typed mixes, place text) look at most CHECK_BUDGET candidates.
RANK_WINDOW = 100
CHECK_BUDGET = 400
CARE_LABELS = dict(CareTag.choices)
SPECIAL_LABELS = dict(SpecialTag.choices)


@dataclass
class SearchPage:
    query: str
    page: int
    page_size: int
    has_next: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # how the query was read: name, pinyin, phone_tail, …
    grants: list[BreakGlassGrant] = field(default_factory=list)


# --- scope ------------------------------------------------------------------------------------


def active_grants(user: Any) -> list[BreakGlassGrant]:
    """The user's unexpired break-the-glass grants."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        BreakGlassGrant.objects.filter(
            user=user, status=GrantStatus.APPROVED, expires_at__gt=timezone.now()
        ).order_by("-granted_at")
    )


def _has_active_grant(user: Any) -> bool:
    """Cheap check run on every search (plain SQL: no ORM compile on the hot path)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    table = BreakGlassGrant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE user_id = %s AND status = %s AND expires_at > %s LIMIT 1",  # noqa: S608
            [user.pk, GrantStatus.APPROVED.value, timezone.now()],
        )
        return cursor.fetchone() is not None


def search_scope(user: Any) -> tuple[Scope, list[BreakGlassGrant]]:
    """The user's search scope: their own view scope widened by their active grants."""
    base = scope_of(user, Cap.VIEW_REGISTRY)
    grants = active_grants(user) if not base.everything and _has_active_grant(user) else []
    if not grants:
        return base, []
    roots = set(base.roots) | {g.path for g in grants}
    ordered = sorted(roots, key=len)
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return Scope(roots=tuple(sorted(kept))), grants


# --- the search -------------------------------------------------------------------------------


def clean_query(q: Any) -> str:
    text = "" if q is None else str(q)
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError({"q": f"q too long：检索词最多 {MAX_QUERY_LENGTH} 个字符"})
    return text


def clean_page(page: Any, page_size: Any) -> tuple[int, int]:
    try:
        page = 1 if page in (None, "") else int(page)
        page_size = PAGE_SIZE if page_size in (None, "") else int(page_size)
    except (TypeError, ValueError):
        raise ValidationError({"page": "页码必须是数字"}) from None
    if page < 1 or page > MAX_PAGE:
        raise ValidationError({"page": f"页码应在 1 到 {MAX_PAGE} 之间；结果太多时请输入更具体的检索词"})
    if page_size < 1 or page_size > MAX_PAGE_SIZE:
        raise ValidationError({"page_size": f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间"})
    return page, page_size


def search(user: Any, q: Any, page: Any = 1, page_size: Any = PAGE_SIZE) -> SearchPage:
    """One page of residents and households matching `q`, ranked exact → prefix → substring."""
    text = clean_query(q)
    page, page_size = clean_page(page, page_size)
    parsed = parse_query(text)
    result = SearchPage(
        query=text.strip(),
        page=page,
        page_size=page_size,
        kinds=sorted({alt.kind for alt in parsed.alternatives}),
    )
    if parsed.empty:
        return result
    scope, grants = search_scope(user)
    result.grants = grants
    if scope.empty:
        return result
    want = page * page_size + 1
    hits = find_hits(parsed, scope, want, home_scope(user))
    result.has_next = len(hits) > page * page_size
    result.kinds = sorted(set(result.kinds) | {kind for _doc, _tier, kind in hits})
    window = hits[(page - 1) * page_size : page * page_size]
    result.results = present(window, user, scope)
    if grants:
        _audit_grant_search(user, grants, parsed, result)
    return result


def home_scope(user: Any) -> Scope:
    """Where the user works, whose hits come first: their grids if they work in grids, else their
    whole own scope (never a break-the-glass grant)."""
    base = scope_of(user, Cap.VIEW_REGISTRY)
    grids = tuple(root for root in base.roots if len(root) >= index.PATH_LENGTH["grid"])
    return Scope(roots=grids) if grids else base


def find_hits(
    parsed: ParsedQuery, scope: Scope, want: int, home: Scope | None = None
) -> list[tuple[int, int, str]]:
    """[(document id, tier, kind)] in rank order, at most `want`: exact registry lookups first,
    then each alternative of the query in tier order until enough are found.

    Within one alternative (identical names, one surname), hits under `home` come first, then the
    recently updated: among the first RANK_WINDOW the index gives, so the order does not depend on
    the page asked for. When `home` is narrower than the scope (a grant widens it), it is looked
    up first."""
    plan = index.ScopePlan(everything=scope.everything, roots=scope.roots)
    plans = [plan]
    if home is not None and not home.empty and home != scope:
        plans.insert(0, index.ScopePlan(everything=home.everything, roots=home.roots))
    hits: dict[int, tuple[int, str]] = {}

    def add(doc_ids: Iterable[int], tier: int, kind: str) -> None:
        for doc_id in doc_ids:
            if doc_id not in hits:
                hits[doc_id] = (tier, kind)

    for doc_ids, kind in _exact_lookups(parsed, scope, want):
        add(doc_ids, EXACT, kind)
    for alt in itertools.chain(parsed.alternatives, _Later(parsed)):
        if len(hits) >= want:
            break
        limit = max(want, RANK_WINDOW)
        if alt.checked:
            limit = max(limit, min(want * 8, CHECK_BUDGET))
        for lookup in plans:
            found = [d for d in index.find(alt, lookup, limit) if d not in hits]
            facts = _facts(found) if len(found) > 1 or alt.checked else {}
            if alt.checked:
                found = [d for d in found if d in facts and _confirm(alt, d, facts[d])]
            add(_ranked(found, facts, home), alt.tier, alt.kind)
            if len(hits) >= want:
                break
    ordered = sorted(hits.items(), key=lambda item: item[1][0])  # stable: rank order within a tier
    return [(doc_id, tier, kind) for doc_id, (tier, kind) in ordered[:want]]


class _Later:
    """Typo readings of the query, made only when the page is not full without them."""

    def __init__(self, parsed: ParsedQuery) -> None:
        self.parsed = parsed

    def __iter__(self) -> Iterator[Alternative]:
        return iter(typo_alternatives(self.parsed))


def _facts(doc_ids: list[int]) -> dict[int, tuple[str, Any, str]]:
    """{document id: (path, updated_at, name or address)} in two plain queries."""
    out: dict[int, tuple[str, Any, str]] = {}
    for what, table, column in (
        (RESIDENT, Resident._meta.db_table, "name"),
        (HOUSEHOLD, Household._meta.db_table, "address"),
    ):
        pks = [pk for kind, pk in map(split_doc_id, doc_ids) if kind == what]
        if not pks:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, path, updated_at, {column} FROM {table} WHERE id IN ({_in(pks)})",  # noqa: S608
                pks,
            )
            for pk, path, updated_at, text in cursor.fetchall():
                out[2 * pk + what] = (path, updated_at, text or "")
    return out


def _ranked(doc_ids: list[int], facts: dict[int, tuple[str, Any, str]], home: Scope | None) -> list[int]:
    """The first RANK_WINDOW hits: under home first, then the recently updated; the rest as found."""
    if len(doc_ids) <= 1:
        return doc_ids
    window = [d for d in doc_ids[:RANK_WINDOW] if d in facts]
    window.sort(key=lambda d: (str(facts[d][1]), d), reverse=True)
    if home is not None:
        window.sort(key=lambda d: not home.covers(facts[d][0]))
    return window + doc_ids[RANK_WINDOW:]


def _confirm(alt: Alternative, doc_id: int, fact: tuple[str, Any, str]) -> bool:
    """Whether the hit's name / address really is what the tokens over-approximate."""
    text = fact[2]
    if alt.name_contains or alt.patterns:
        if doc_id % 2 != RESIDENT:
            return False
        if alt.name_contains and clean_name(alt.name_contains) not in clean_name(text):
            return False
        if alt.patterns:
            reading = read_name(text)
            return any(pattern_matches(units, reading, alt.longer) for units in alt.patterns)
        return True
    return doc_id % 2 == HOUSEHOLD and alt.address_contains in normalize_query(text)


def _exact_lookups(parsed: ParsedQuery, scope: Scope, want: int) -> list[tuple[list[int], str]]:
    """Full ID numbers and phones through the registry's own blind indexes; household numbers
    through its unique index. None of these is in the keyword index."""
    out: list[tuple[list[int], str]] = []
    where = scope.q("path")
    if parsed.full_id:
        value = convert_15_to_18(parsed.full_id) if len(parsed.full_id) == 15 else parsed.full_id
        pks = Resident.objects.filter(where, id_number_hash=pii.id_number_hash(value)).values_list(
            "pk", flat=True
        )
        out.append(([resident_doc_id(pk) for pk in pks[:want]], "id_number"))
    if parsed.full_phone:
        digest = pii.phone_hash(parsed.full_phone)
        residents = (
            Resident.objects.filter(where, phone_hash=digest).order_by("pk").values_list("pk", flat=True)
        )
        households = (
            Household.objects.filter(where, phone_hash=digest).order_by("pk").values_list("pk", flat=True)
        )
        out.append(
            (
                [resident_doc_id(pk) for pk in residents[:want]]
                + [household_doc_id(pk) for pk in households[:want]],
                "phone",
            )
        )
    if (
        parsed.number
        and any(c.isdigit() for c in parsed.number)
        and (len(parsed.number) >= 7 or "-" in parsed.number)
    ):
        numbers = {parsed.number, parsed.number.lower()}
        numbered = Household.objects.filter(where, number__in=numbers).values_list("pk", flat=True)
        out.append(([household_doc_id(pk) for pk in numbered[:want]], "number"))
    return out


# --- presenting hits --------------------------------------------------------------------------


def _age(birth: datetime.date | None, today: datetime.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


_SEX = dict(Sex.choices)
_RELATION = dict(Relation.choices)
_RESIDENCE = dict(ResidenceStatus.choices)
_HOUSEHOLD_KIND = dict(HouseholdKind.choices)
_HOUSEHOLD_STATUS = dict(HouseholdStatus.choices)


def _in(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


def _date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _load_residents(pks: list[int]) -> dict[int, dict[str, Any]]:
    """The columns a hit shows, in one plain query (the ORM's compile time would dominate a search)."""
    if not pks:
        return {}
    r, h = Resident._meta.db_table, Household._meta.db_table
    # Table names from model metadata; every value is a parameter.
    sql = (
        f"SELECT r.id, r.path, r.name, r.sex, r.birth_date, r.ethnicity, r.relation, r.status, r.household_id, "  # noqa: S608
        f"r.id_number_enc, r.phone_enc, r.care_tags, r.special_tags, h.address FROM {r} r "
        f"LEFT JOIN {h} h ON h.id = r.household_id WHERE r.id IN ({_in(pks)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, pks)
        keys = (
            "id",
            "path",
            "name",
            "sex",
            "birth_date",
            "ethnicity",
            "relation",
            "status",
            "household_id",
            "id_number_enc",
            "phone_enc",
            "care_tags",
            "special_tags",
            "address",
        )
        return {row[0]: dict(zip(keys, row, strict=True)) for row in cursor.fetchall()}


def _load_households(pks: list[int]) -> dict[int, dict[str, Any]]:
    if not pks:
        return {}
    r, h = Resident._meta.db_table, Household._meta.db_table
    statuses = [str(status) for status in ACTIVE_STATUSES]
    sql = (
        f"SELECT h.id, h.path, h.number, h.address, h.kind, h.status, h.phone_enc, head.name, "  # noqa: S608
        f"(SELECT count(*) FROM {r} m WHERE m.household_id = h.id AND m.status IN ({_in(statuses)})) "
        f"FROM {h} h LEFT JOIN {r} head ON head.id = h.head_id WHERE h.id IN ({_in(pks)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statuses, *pks])
        keys = ("id", "path", "number", "address", "kind", "status", "phone_enc", "head_name", "members")
        return {row[0]: dict(zip(keys, row, strict=True)) for row in cursor.fetchall()}


def present(hits: list[tuple[int, int, str]], user: Any, scope: Scope) -> list[dict[str, Any]]:
    """Hits as the user may see them (masked; special tags only where granted), in rank order."""
    resident_pks = [doc // 2 for doc, _t, _k in hits if doc % 2 == RESIDENT]
    household_pks = [doc // 2 for doc, _t, _k in hits if doc % 2 == HOUSEHOLD]
    residents = _load_residents(resident_pks)
    households = _load_households(household_pks)
    home = scope_of(user, Cap.VIEW_REGISTRY)
    special = scope_of(user, Cap.SEE_SPECIAL_GROUPS)
    today = timezone.localdate()
    out: list[dict[str, Any]] = []
    for doc_id, tier, kind in hits:
        what, pk = split_doc_id(doc_id)
        row = residents.get(pk) if what == RESIDENT else households.get(pk)
        if row is None or not scope.covers(row["path"]):
            continue
        outside = not home.covers(row["path"])
        if what == RESIDENT:
            out.append(_resident_row(row, tier, kind, today, outside, special.covers(row["path"])))
        else:
            out.append(_household_row(row, tier, kind, outside))
    return out


def _resident_row(
    r: dict[str, Any], tier: int, kind: str, today: datetime.date, outside: bool, may_see_special: bool
) -> dict[str, Any]:
    id_number = decrypt(r["id_number_enc"], pii.ID_NUMBER_CONTEXT) if r["id_number_enc"] else ""
    phone = decrypt(r["phone_enc"], pii.RESIDENT_PHONE_CONTEXT) if r["phone_enc"] else ""
    care = _json_list(r["care_tags"])
    row: dict[str, Any] = {
        "type": "resident",
        "id": r["id"],
        "url": f"/registry/residents/{r['id']}/",
        "tier": tier,
        "match": kind,
        "outside_scope": outside,
        "name": r["name"],
        "sex": r["sex"],
        "sex_label": str(_SEX.get(r["sex"], "")),
        "age": _age(_date(r["birth_date"]), today),
        "ethnicity": r["ethnicity"],
        "id_number": mask_id_number(id_number),
        "phone": mask_phone(phone),
        "relation_label": str(_RELATION.get(r["relation"], r["relation"])),
        "status": r["status"],
        "status_label": str(_RESIDENCE.get(r["status"], r["status"])),
        "household_id": r["household_id"],
        "household_url": f"/registry/households/{r['household_id']}/" if r["household_id"] else "",
        "address": r["address"] or "",
        "care_tags": care,
        "care_labels": [str(CARE_LABELS.get(t, t)) for t in care],
    }
    if may_see_special:
        tags = _json_list(r["special_tags"])
        row["special_tags"] = tags
        row["special_labels"] = [str(SPECIAL_LABELS.get(t, t)) for t in tags]
    return row


def _household_row(h: dict[str, Any], tier: int, kind: str, outside: bool) -> dict[str, Any]:
    phone = decrypt(h["phone_enc"], pii.HOUSEHOLD_PHONE_CONTEXT) if h["phone_enc"] else ""
    return {
        "type": "household",
        "id": h["id"],
        "url": f"/registry/households/{h['id']}/",
        "tier": tier,
        "match": kind,
        "outside_scope": outside,
        "number": h["number"],
        "address": h["address"],
        "kind": h["kind"],
        "kind_label": str(_HOUSEHOLD_KIND.get(h["kind"], h["kind"])),
        "status": h["status"],
        "status_label": str(_HOUSEHOLD_STATUS.get(h["status"], h["status"])),
        "head_name": h["head_name"] or "",
        "phone": mask_phone(phone),
        "member_count": h["members"],
    }


def _audit_grant_search(
    user: Any, grants: list[BreakGlassGrant], parsed: ParsedQuery, page: SearchPage
) -> None:
    """A search made while a break-the-glass grant widens the scope is always logged."""
    shown = mask_query(parsed.text)
    outside = sum(1 for r in page.results if r["outside_scope"])
    grant = grants[0]
    record(
        Action.BREAK_GLASS,
        grant,
        user=user,
        changes={
            "query": shown,
            "grants": [g.pk for g in grants],
            "results": len(page.results),
            "outside_scope": outside,
            "page": page.page,
        },
        message=f"search under break-the-glass grant: {shown}",
    )


def mask_query(text: str) -> str:
    """A query as the audit log keeps it: digits beyond the last four masked (IDs, phones)."""
    digits = sum(c.isdigit() for c in text)
    if digits <= 4:
        return text
    out, seen = [], 0
    for c in text:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)
