"""What the Discord front end needs from the settings, and who may decide trades."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class ApproverPolicy:
    """Approvers are the listed roles and users; with neither listed, the guild's owner."""

    role_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()

    def allows(self, user_id: int, role_ids: frozenset[int], guild_owner_id: int | None) -> bool:
        if user_id in self.user_ids or role_ids & self.role_ids:
            return True
        if not self.role_ids and not self.user_ids:
            return guild_owner_id is not None and user_id == guild_owner_id
        return False

    def describe(self) -> str:
        if not self.role_ids and not self.user_ids:
            return "the server owner"
        parts = [f"<@&{r}>" for r in sorted(self.role_ids)]
        parts += [f"<@{u}>" for u in sorted(self.user_ids)]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    guild_id: int | None
    chat_channel_ids: frozenset[int]
    alert_channel_id: int | None
    approvers: ApproverPolicy
    message_content: bool
    api_base: str | None

    @classmethod
    def of(cls, s: Settings) -> DiscordConfig:
        return cls(
            guild_id=s.discord_guild_id,
            chat_channel_ids=frozenset(s.chat_channel_ids),
            alert_channel_id=s.alert_channel_id,
            approvers=ApproverPolicy(
                frozenset(s.approver_role_ids), frozenset(s.approver_user_ids)
            ),
            message_content=s.discord_message_content,
            api_base=s.discord_api_base,
        )
