"""Writes to the hierarchy: create, rename, move, set boundaries. Views and commands call these."""

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Max, Value
from django.db.models.functions import Concat, Length, Substr

from gridgov.accounts import access
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.errors import PreconditionFailed
from gridgov.hierarchy import paths
from gridgov.hierarchy.geo import GridLocator, parse_boundary
from gridgov.hierarchy.models import (
    DERIVED_LEVELS,
    DedicatedKind,
    GridKind,
    Level,
    Node,
    ScopedModel,
    child_level,
    parent_level,
)
from gridgov.hierarchy.paths import CODE_LENGTH
from gridgov.hierarchy.signals import subtree_moved

# How many leading digits of a real administrative code repeat its parent's code.
_PARENT_PREFIX: dict[str, int] = {Level.COUNTY: 4, Level.TOWNSHIP: 6, Level.COMMUNITY: 9}
_LEVEL_NAMES = dict(Level.choices)


class StaleNode(PreconditionFailed, ValidationError):  # type: ignore[misc]  # both declare `message` (a str here)
    """The node changed since the client read it: HTTP 412 on the API (a PreconditionFailed, like
    the registry's StaleVersion, with both versions), and still a ValidationError on `version`,
    so the edit page shows it on the form and `logs_failures` logs the refused write."""

    def __init__(self, current: Node, seen: int) -> None:
        message = f"该节点已被他人修改（您看到的是第 {seen} 版，现在是第 {current.version} 版），请刷新后重试"
        # ConflictError sets `message` and `extra` (the 412 body); then the error is put on `version`.
        PreconditionFailed.__init__(self, message, current_version=current.version, seen_version=seen)
        ValidationError.__init__(self, {"version": [message]})
        self.current = current
        self.seen = seen


def inherited_prefix(level: str) -> int:
    """How many leading digits of a `level` node's code its children's codes repeat."""
    child = child_level(level)
    if child is None:
        return 0
    return CODE_LENGTH[level] if child in DERIVED_LEVELS else _PARENT_PREFIX.get(child, 0)


county_code_of = paths.county_code_of


def next_child_code(parent: Node, level: str) -> str:
    """Derived code: the parent's code plus the next free three-digit number."""
    width = CODE_LENGTH[level]
    last = Node.objects.filter(code__startswith=parent.code, level=level).aggregate(m=Max("code"))["m"]
    seq = int(last[len(parent.code) :]) + 1 if last and len(last) == width else 1
    if seq > 999:
        raise ValidationError({"code": f"{parent.name} 下的{_LEVEL_NAMES[level]}编号已用尽（最多 999 个）"})
    return f"{parent.code}{seq:03d}"


def _check_code(level: str, code: str, parent: Node | None, exclude_pk: int | None = None) -> None:
    width = CODE_LENGTH[level]
    if not code.isdigit() or len(code) != width:
        raise ValidationError({"code": f"{_LEVEL_NAMES[level]}代码必须是 {width} 位数字，收到 {code!r}"})
    if parent is not None:
        prefix = _PARENT_PREFIX.get(level, len(parent.code) if level in DERIVED_LEVELS else 0)
        if prefix and code[:prefix] != parent.code[:prefix]:
            raise ValidationError(
                {"code": f"代码 {code} 与上级 {parent.name}（{parent.code}）不一致：前 {prefix} 位应相同"}
            )
    clash = Node.objects.filter(code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": f"代码 {code} 已被使用"})


def _check_grid_fields(level: str, grid_kind: str, dedicated_kind: str) -> None:
    if level != Level.GRID:
        if grid_kind or dedicated_kind:
            raise ValidationError({"grid_kind": "只有网格才有网格类型"})
        return
    if grid_kind not in GridKind.values:
        raise ValidationError({"grid_kind": f"网格类型必须是 {', '.join(GridKind.values)} 之一"})
    if grid_kind == GridKind.DEDICATED and dedicated_kind not in DedicatedKind.values:
        raise ValidationError({"dedicated_kind": f"专属网格必须指定类别：{', '.join(DedicatedKind.values)}"})
    if grid_kind == GridKind.BASIC and dedicated_kind:
        raise ValidationError({"dedicated_kind": "基础网格不设专属类别"})


def _check_parent(level: str, parent: Node | None) -> None:
    if level not in Level.values:
        raise ValidationError({"level": f"未知层级 {level!r}"})
    expected = parent_level(level)
    if expected is None:
        if parent is not None:
            raise ValidationError({"parent": "市级节点没有上级"})
        return
    if parent is None:
        raise ValidationError({"parent": f"{_LEVEL_NAMES[level]}必须有上级（{_LEVEL_NAMES[expected]}）"})
    if parent.level != expected:
        raise ValidationError(
            {
                "parent": f"{_LEVEL_NAMES[level]}只能建在{_LEVEL_NAMES[expected]}下，"
                f"而 {parent.name} 是{_LEVEL_NAMES[parent.level]}"
            }
        )


@logs_failures(Action.CREATE)
@transaction.atomic
def create_node(
    *,
    user: Any,
    level: str,
    name: str,
    parent: Node | None = None,
    code: str = "",
    grid_kind: str = "",
    dedicated_kind: str = "",
    boundary: Any = None,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
) -> Node:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "名称不能为空"})
    _check_parent(level, parent)
    if parent is not None:
        require(user, Cap.MANAGE_HIERARCHY, parent.path, parent)
    elif not getattr(user, "is_superuser", False):
        raise PermissionDenied("只有系统管理员可以新建市级节点")
    if level == Level.GRID and not grid_kind:
        grid_kind = GridKind.BASIC
    _check_grid_fields(level, grid_kind, dedicated_kind)
    if parent is not None and level in DERIVED_LEVELS and not code:
        code = next_child_code(parent, level)
    _check_code(level, code, parent)
    if boundary is not None:
        geometry = parse_boundary(boundary)
        if lng is None or lat is None:
            centre = geometry.representative_point()
            lng, lat = centre.x, centre.y
    path = (parent.path if parent else "") + code
    try:
        with transaction.atomic():
            node = Node.objects.create(
                level=level,
                code=code,
                name=name,
                parent=parent,
                path=path,
                county_code=county_code_of(path),
                grid_kind=grid_kind,
                dedicated_kind=dedicated_kind,
                boundary=boundary,
                lng=lng,
                lat=lat,
                address=address,
            )
    except IntegrityError:
        # Another request took the same (derived) code between our check and our insert.
        raise ValidationError({"code": f"代码 {code} 刚被占用，请重试"}) from None
    if boundary is not None:
        transaction.on_commit(GridLocator.invalidate)
    return node


@logs_failures(Action.UPDATE)
@transaction.atomic
def update_node(node: Node, *, user: Any, version: int | None = None, **changes: Any) -> Node:
    """Rename or edit a node's attributes (not its place in the tree: see move_node)."""
    require(user, Cap.MANAGE_HIERARCHY, node.path, node)
    node = Node.objects.select_for_update().get(pk=node.pk)
    if version is not None and version != node.version:
        raise StaleNode(node, version)
    allowed = {"name", "grid_kind", "dedicated_kind", "boundary", "lng", "lat", "address"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "该字段不能在此修改"})
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError({"name": "名称不能为空"})
    _check_grid_fields(
        node.level,
        changes.get("grid_kind", node.grid_kind),
        changes.get("dedicated_kind", node.dedicated_kind),
    )
    if "boundary" in changes and changes["boundary"] is None and node.boundary:
        # A grid without its polygon stops receiving reports (nothing locates into it), so a
        # boundary is replaced, never erased.
        raise ValidationError({"boundary": "边界不能清空（没有边界的网格收不到上报）；要修改请提交新的边界"})
    if changes.get("boundary") is not None:
        geometry = parse_boundary(changes["boundary"])
        centre = geometry.representative_point()
        changes.setdefault("lng", centre.x)
        changes.setdefault("lat", centre.y)
        transaction.on_commit(GridLocator.invalidate)
    for key, value in changes.items():
        setattr(node, key, value)
    node.version += 1
    node.save()
    return node


def scoped_models() -> list[type[ScopedModel]]:
    return [m for m in apps.get_models() if issubclass(m, ScopedModel)]


@logs_failures(Action.MOVE)
@transaction.atomic
def move_node(node: Node, new_parent: Node, *, user: Any, new_code: str = "") -> Node:
    """Move a node (and its subtree) under another parent of the right level.

    Derived codes (grid, building) are re-derived under the new parent; every descendant's
    path and county code, and those of every scoped row in any app, are rewritten.
    """
    node = Node.objects.select_for_update().get(pk=node.pk)
    new_parent = Node.objects.get(pk=new_parent.pk)
    if new_parent.path.startswith(node.path):
        raise ValidationError(
            {"parent": f"不能把 {node.name} 移到它自己或它的下级 {new_parent.name} 之下（会形成环）"}
        )
    _check_parent(node.level, new_parent)
    require(user, Cap.MANAGE_HIERARCHY, node.path, node)
    require(user, Cap.MANAGE_HIERARCHY, new_parent.path, new_parent)
    if new_parent.pk == node.parent_id and not new_code:
        return node
    old_path, old_code = node.path, node.code
    if node.level in DERIVED_LEVELS:
        code = new_code or next_child_code(new_parent, node.level)
    else:
        code = new_code or node.code
    # Always: a real code kept across a move must still agree with the new parent's prefix
    # (a township moved to another county needs that county's code).
    try:
        _check_code(node.level, code, new_parent, exclude_pk=node.pk)
    except ValidationError as exc:
        if not new_code and node.level not in DERIVED_LEVELS:
            raise ValidationError(
                {"code": f"{exc.message_dict['code'][0]}；移到 {new_parent.name} 下需要提供新的代码"}
            ) from None
        raise
    new_path = new_parent.path + code
    county = county_code_of(new_path)
    # Descendants' codes repeat the first k digits of this node's code (all of a grid's or a
    # community's, the first 9 of a township's, a county's 6); a new code renames them too.
    below = child_level(node.level)
    k = inherited_prefix(node.level)
    old_prefix, new_prefix = old_code[:k], code[:k]
    rename = bool(k) and old_prefix != new_prefix
    descendants = Node.objects.filter(path__under=old_path).exclude(pk=node.pk)
    if rename:
        if descendants.exclude(code__startswith=old_prefix).exists():
            raise ValidationError({"code": f"{node.name} 下有代码不以 {old_prefix} 开头的节点，无法整体改码"})
        try:
            with transaction.atomic():
                descendants.update(
                    code=Concat(Value(new_prefix), Substr("code", k + 1), output_field=CharField())
                )
        except IntegrityError:
            raise ValidationError({"code": f"以 {new_prefix} 开头的下级代码已被其他节点使用"}) from None
    moved = 0
    for model in scoped_models():
        rows = model._default_manager.filter(path__under=old_path)
        if not rename:
            moved += rows.update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=CharField()),
                county_code=county,
            )
            continue
        # A path is its codes side by side, so each level's segment below the node is renamed:
        # the rows of one depth at a time (a path's length tells its depth).
        moved += rows.filter(path=old_path).update(path=new_path, county_code=county)
        pieces: list[Any] = [Value(new_path)]
        offset, level = len(old_path), below
        while level is not None:
            width = CODE_LENGTH[level]
            pieces += [Value(new_prefix), Substr("path", offset + k + 1, width - k)]
            offset += width
            moved += (
                rows.annotate(path_length=Length("path"))
                .filter(path_length=offset)
                .update(path=Concat(*pieces, output_field=CharField()), county_code=county)
            )
            level = child_level(level)
    before = {"parent": node.parent_id, "code": old_code, "path": old_path}
    subtree_moved.send(sender=Node, old_path=old_path, new_path=new_path)
    Node.objects.filter(pk=node.pk).update(parent=new_parent, code=code, version=node.version + 1)
    node.refresh_from_db()
    # Role assignments under the subtree now lie at new paths: cached roles are read again.
    access.bump()
    record(
        Action.MOVE,
        node,
        changes={
            key: [before[key], value]
            for key, value in {"parent": new_parent.pk, "code": code, "path": new_path}.items()
        },
        message=f"moved with {moved - 1} descendant rows",
    )
    transaction.on_commit(GridLocator.invalidate)
    return node
