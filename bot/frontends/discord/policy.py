"""Who may ask what, where: the bot's refusal rules as small functions of the settings.

Each returns the polite text a user sees, or None when the question may go ahead.
"""

from __future__ import annotations

from typing import Any

from ...retrieval.filters import SearchFilters
from ...language.dates import parse_user_date
from ...settings import Settings
from .ratelimit import BUSY_TEXT, ConcurrencyGate, RateLimiter

DM_REFUSAL = "I only answer questions in the server, not in direct messages."
CHANNEL_REFUSAL = "I don't answer questions in this channel."
ADMIN_REFUSAL = "Only server admins (Manage Server, or an admin role) can re-ingest the coverage."
STORE_DOWN_TEXT = ("The news store is unavailable right now, so I can't look anything up. "
                   "Please try again in a few minutes.")


def location_refusal(settings: Settings, guild: Any, channel: Any) -> str | None:
    """Why the bot doesn't answer here (DMs disabled, guild or channel not allowed), or None."""
    if guild is None:
        return None if settings.discord_allow_dms else DM_REFUSAL
    if settings.discord_guilds and guild.id not in settings.discord_guilds:
        return CHANNEL_REFUSAL
    ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}  # a thread counts as its channel
    if settings.discord_channels and not ids & set(settings.discord_channels):
        return CHANNEL_REFUSAL
    return None


def question_refusal(settings: Settings, question: str) -> str | None:
    """Why a question is refused (empty or too long), or None."""
    if not question.strip():
        return "Please ask a question, for example: *How much is the winter access fund?*"
    limit = settings.max_question_chars
    if len(question) > limit:
        return f"Questions can be up to {limit} characters (yours has {len(question)}); please shorten it."
    return None


def admission_refusal(gate: ConcurrencyGate, limiter: RateLimiter, user_id: int) -> str | None:
    """Busy, or this user is over the rate limit (a question let in counts towards it), or None."""
    import math

    if gate.full:
        return BUSY_TEXT
    wait = limiter.check(user_id)
    if wait:
        return f"You're asking quickly; try again in {math.ceil(wait)} s."
    return None


def is_admin(settings: Settings, user: Any) -> bool:
    """Manage Server permission, or a role named (or with an id) in NEWSDESK_DISCORD_ADMIN_ROLES."""
    perms = getattr(user, "guild_permissions", None)
    if perms is None:
        return False
    if perms.manage_guild or perms.administrator:
        return True
    wanted = {r.strip().lower() for r in settings.discord_admin_roles if r.strip()}
    return any(str(role.id) in wanted or role.name.lower() in wanted for role in getattr(user, "roles", []))


def make_filters(since: str | None, until: str | None, include_comments: bool = True) -> SearchFilters | None:
    """`/ask` options as search filters (None when nothing is filtered); ValueError with a friendly text."""
    dates = []
    for name, value in (("since", since), ("until", until)):
        try:
            dates.append(parse_user_date(value))
        except ValueError:
            raise ValueError(f"I couldn't read `{name}` ({value!r}); please give a date as YYYY-MM-DD.") from None
    start, end = dates
    if start and end and start > end:
        raise ValueError("`since` is after `until`; nothing could match.")
    kinds = None if include_comments else ("article",)
    if not (start or end or kinds):
        return None
    return SearchFilters(since=start, until=end, kinds=kinds, sources=None)
