"""Builders for Discord API v10 wire objects: users, members, guild, channels, messages and
interactions.

Every builder returns a plain ``dict`` shaped like Discord's documented payload, with the
fields discord.py 2.7 reads (several of which it indexes without ``.get``).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Sensible defaults for a single-guild test world. The application id equals the bot user id,
# as it does for every modern Discord application.
BOT_ID = 1_300_000_000_000_000_001
APP_ID = BOT_ID
BOT_NAME = "cotrader"
GUILD_ID = 1_300_000_000_000_000_100
GUILD_NAME = "cotrader-test"
OWNER_ID = 1_300_000_000_000_000_200
OWNER_NAME = "owner"
CHANNEL_ID = 1_300_000_000_000_000_301
CHANNELS: dict[int, str] = {CHANNEL_ID: "general", 1_300_000_000_000_000_302: "trading"}
ROLES: dict[int, str] = {1_300_000_000_000_000_401: "trader"}

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    (1 << 6)  # ADD_REACTIONS
    | (1 << 10)  # VIEW_CHANNEL
    | (1 << 11)  # SEND_MESSAGES
    | (1 << 14)  # EMBED_LINKS
    | (1 << 15)  # ATTACH_FILES
    | (1 << 16)  # READ_MESSAGE_HISTORY
    | (1 << 18)  # USE_EXTERNAL_EMOJIS
    | (1 << 31)  # USE_APPLICATION_COMMANDS
    | (1 << 38)  # SEND_MESSAGES_IN_THREADS
)
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | (1 << 13)  # + MANAGE_MESSAGES

# Message flags / types.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_counter = itertools.count()
_lock = threading.Lock()


def snowflake(at: float | None = None) -> int:
    """A fresh, time-ordered, unique snowflake id."""
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    with _lock:
        inc = next(_counter) & 0x1FFFF
    return (ms << 22) | (1 << 17) | inc


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0000" if bot else "0",
        "global_name": None if bot else name,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "system": False,
    }


def bot_user(user_id: int = BOT_ID, name: str = BOT_NAME) -> dict[str, Any]:
    """The ``GET /users/@me`` shape (a user plus the private fields of the current user)."""
    return {
        **user(user_id, name, bot=True),
        "verified": True,
        "mfa_enabled": False,
        "locale": "en-US",
    }


def member(
    user_payload: Mapping[str, Any],
    role_ids: Iterable[int] = (),
    *,
    joined_at: str | None = None,
    permissions: int | None = None,
) -> dict[str, Any]:
    """A guild member object; ``permissions`` is only present in interaction payloads."""
    out: dict[str, Any] = {
        "user": dict(user_payload),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": joined_at or now_iso(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        out["permissions"] = str(permissions)
    return out


def partial_member(member_payload: Mapping[str, Any]) -> dict[str, Any]:
    """A member as embedded in MESSAGE_CREATE (everything but ``user``)."""
    return {k: v for k, v in member_payload.items() if k not in ("user", "permissions")}


def role(
    role_id: int, name: str, *, permissions: int = 0, position: int = 1, managed: bool = False
) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: int, name: str, guild_id: int, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [dict(recipient)],
    }


def guild(
    guild_id: int,
    name: str,
    owner_id: int,
    *,
    roles: list[dict[str, Any]],
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
    joined_at: str,
    system_channel_id: int | None = None,
) -> dict[str, Any]:
    """A full GUILD_CREATE guild object (member_count == len(members), so no chunking needed)."""
    chans = [{k: v for k, v in c.items() if k != "guild_id"} for c in channels]
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": str(system_channel_id) if system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500_000,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "incidents_data": None,
        # GUILD_CREATE-only fields
        "joined_at": joined_at,
        "large": False,
        "unavailable": False,
        "lazy": True,
        "member_count": len(members),
        "members": members,
        "channels": chans,
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(bot: Mapping[str, Any], owner: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /oauth2/applications/@me``; flags say the privileged intents are enabled."""
    flags = (1 << 15) | (1 << 19) | (1 << 23)  # GUILD_MEMBERS_LIMITED, CONTENT_LIMITED, CMD_BADGE
    return {
        "id": bot["id"],
        "name": bot["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": flags,
        "owner": dict(owner),
        "team": None,
        "bot": dict(bot),
        "rpc_origins": [],
        "redirect_uris": [],
        "tags": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": 1,
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
    }


def message(
    *,
    message_id: int,
    channel_id: int,
    author: Mapping[str, Any],
    content: str = "",
    guild_id: int | None = None,
    member: Mapping[str, Any] | None = None,
    flags: int = 0,
    msg_type: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """A message object; ``extra`` may set embeds, components, attachments, webhook_id, ..."""
    out: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": dict(author),
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "reactions": [],
        "pinned": False,
        "type": msg_type,
        "flags": flags,
    }
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
    if member is not None:
        out["member"] = partial_member(member)
    out.update(extra)
    return out


def interaction(
    *,
    interaction_id: int,
    token: str,
    kind: int,
    data: Mapping[str, Any] | None,
    channel: Mapping[str, Any],
    application_id: int = APP_ID,
    guild_id: int | None = None,
    member: Mapping[str, Any] | None = None,
    user: Mapping[str, Any] | None = None,
    app_permissions: int = BOT_ROLE_PERMISSIONS,
    message: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload: ``member`` for guild interactions, ``user`` for DMs."""
    out: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "channel_id": channel["id"],
        "channel": dict(channel),
        "app_permissions": str(app_permissions),
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if data is not None:
        out["data"] = dict(data)
    if guild_id is not None:
        out.update(
            guild_id=str(guild_id),
            guild={"id": str(guild_id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=dict(member or {}),
            authorizing_integration_owners={"0": str(guild_id)},
            context=0,
        )
    else:
        u = dict(user or {})
        out.update(user=u, authorizing_integration_owners={"1": u.get("id")}, context=1)
    if message is not None:
        out["message"] = dict(message)
    return out


def as_id(value: int | str | Mapping[str, Any]) -> int:
    """Accept a snowflake, its string form or any object with an ``id``."""
    if isinstance(value, Mapping):
        return int(value["id"])
    return int(value)


def mentions(
    content: str, users: Mapping[int, Mapping[str, Any]], members: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    """``mentions``/``mention_roles``/``mention_everyone`` for a message's content; ``members``
    (guild messages only) adds the partial ``member`` Discord embeds in each mention."""
    found = []
    for uid in dict.fromkeys(int(i) for i in re.findall(r"<@!?(\d+)>", content)):
        if uid in users:
            entry = dict(users[uid])
            if uid in members:
                entry["member"] = partial_member(members[uid])
            found.append(entry)
    roles = list(dict.fromkeys(re.findall(r"<@&(\d+)>", content)))
    everyone = "@everyone" in content or "@here" in content
    return {"mentions": found, "mention_roles": roles, "mention_everyone": everyone}


def attachment(
    attachment_id: int,
    filename: str,
    size: int,
    url: str,
    content_type: str,
    entry: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An attachment object; ``entry`` is the client's ``attachments[n]`` (for description)."""
    out = {"id": str(attachment_id), "filename": filename, "size": size, "url": url}
    out.update(proxy_url=url, content_type=content_type)
    if entry and entry.get("description"):
        out["description"] = entry["description"]
    return out
