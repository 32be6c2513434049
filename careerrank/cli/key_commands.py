"""``careerrank keys create|list|revoke``: the API's keys, managed from the operator's shell."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from careerrank.settings import Settings
from careerrank.storage import connected
from careerrank.storage.api_keys import ApiKey, Role


def _shown(key: ApiKey) -> dict[str, Any]:
    return {**asdict(key), "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}  # fmt: skip


async def keys_command(
    settings: Settings, action: str, role: Role | None, employer: str | None, name: str, key_id: str | None
) -> int:
    async with connected(settings.postgres.dsn.get_secret_value()) as session:
        if action == "create":
            assert role is not None
            try:
                key, secret = await session.api_keys.create(role, employer, name)
            except ValueError as exc:
                print(json.dumps({"error": str(exc)}))
                return 2
            # The key is printed once, here; only its hash is kept.
            print(json.dumps({**_shown(key), "key": secret}, ensure_ascii=False))
            return 0
        if action == "list":
            print(json.dumps([_shown(k) for k in await session.api_keys.all()], ensure_ascii=False, indent=2))
            return 0
        assert key_id is not None
        revoked = await session.api_keys.revoke(key_id)
        print(json.dumps({"id": key_id, "revoked": revoked}))
        return 0 if revoked else 1
