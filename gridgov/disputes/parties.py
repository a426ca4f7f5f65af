"""Parties of a dispute: input checked before anything is written, then stored (phones only
encrypted, with a blind index that finds the same person across disputes)."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError

from gridgov.accounts.roles import Cap
from gridgov.core.crypto import encrypt
from gridgov.disputes.models import Dispute, Party, PartyRole
from gridgov.registry.models import Resident
from gridgov.registry.pii import phone_hash
from gridgov.registry.validation import parse_phone

MAX_PARTIES = 20


def clean_parties(user: Any, parties: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate party input before anything is written."""
    if len(parties) > MAX_PARTIES:
        raise ValidationError({"parties": f"当事人最多 {MAX_PARTIES} 人"})
    cleaned = []
    seen: set[str] = set()
    for n, raw in enumerate(parties, start=1):
        resident_id = raw.get("resident_id")
        role = raw.get("role") or PartyRole.OTHER
        if role not in PartyRole.values:
            raise ValidationError(
                {"parties": f"第{n}位当事人的身份必须是 {', '.join(PartyRole.values)} 之一"}
            )
        note = (raw.get("note") or "").strip()[:200]
        phone = (raw.get("phone") or "").strip()
        if resident_id:
            resident = Resident.objects.all().restrict(user, Cap.VIEW_REGISTRY).filter(pk=resident_id).first()
            if resident is None:
                raise ValidationError(
                    {"parties": f"第{n}位当事人：居民 #{resident_id} 不存在或不在您的辖区内"}
                )
            identity = f"r:{resident.pk}"
            item = {
                "resident": resident,
                "name": resident.name,
                "role": role,
                "note": note,
                "phone": "",
                "identity": identity,
            }
        else:
            name = (raw.get("name") or "").strip()
            if not name:
                raise ValidationError({"parties": f"第{n}位当事人：请选择登记居民，或填写姓名"})
            if len(name) > 50:
                raise ValidationError({"parties": f"第{n}位当事人：姓名不超过50个字"})
            parsed = None
            if phone:
                try:
                    parsed = parse_phone(phone)
                except ValidationError as exc:
                    raise ValidationError({"parties": f"第{n}位当事人：{exc.messages[0]}"}) from None
            identity = f"p:{phone_hash(parsed.digits)}" if parsed else ""
            item = {
                "resident": None,
                "name": name,
                "role": role,
                "note": note,
                "identity": identity,
                "phone": parsed.display if parsed else "",
                "phone_hash": phone_hash(parsed.digits) if parsed else "",
            }
        if identity and identity in seen:
            raise ValidationError({"parties": f"第{n}位当事人重复登记"})
        if identity:
            seen.add(identity)
        cleaned.append(item)
    return cleaned


def create_parties(dispute: Dispute, cleaned: list[dict[str, Any]]) -> list[Party]:
    created = []
    for item in cleaned:
        phone = item["phone"]
        created.append(
            Party.objects.create(
                dispute=dispute,
                path=dispute.path,
                county_code=dispute.county_code,
                resident=item["resident"],
                name=item["name"],
                role=item["role"],
                note=item["note"],
                identity=item["identity"],
                phone_enc=encrypt(phone, Party.PHONE_CONTEXT) if phone else None,
                phone_hash=item.get("phone_hash", ""),
            )
        )
    return created
