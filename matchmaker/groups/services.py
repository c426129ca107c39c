"""Group rules: creating and archiving groups, joining and leaving, who counts as a regular.

Functions take the session and plain values, change rows and flush; the caller
commits. A problem the person can fix raises :class:`GroupError`, with the form
field it belongs to when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.models import (
    Group,
    GroupMember,
    Occurrence,
    Opportunity,
    OpportunityStatus,
    Organization,
    Signup,
    SignupStatus,
    User,
)
from matchmaker.orgs.services import clean_description, slugify

#: A member is a *regular* once they hold a confirmed place at this many of the
#: group's meetups (past or upcoming). Attendance tracking comes later; when it
#: does, "confirmed" becomes "attended" and this stays the one place to change.
REGULAR_MIN_MEETUPS = 3
#: How many upcoming meetups the group page lists.
NEXT_MEETUPS = 5
#: Slugs that would be shadowed by fixed pages under /organizations/<slug>/groups/.
RESERVED_SLUGS = frozenset({"new"})


class GroupError(Exception):
    """A problem the person can fix; ``str(exc)`` is shown next to ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- reading ------------------------------------------------------------------------------

def get_by_slug(session: Session, org: Organization, slug: str) -> Group | None:
    return session.scalar(select(Group).where(Group.organization_id == org.id,
                                              Group.slug == slug))


def groups_of(session: Session, org: Organization, include_archived: bool = False) -> list[Group]:
    """The organization's groups by name; archived ones only when asked for."""
    stmt = select(Group).where(Group.organization_id == org.id)
    if not include_archived:
        stmt = stmt.where(Group.archived_at.is_(None))
    return list(session.scalars(stmt.order_by(func.lower(Group.name), Group.id)))


def group_choices(session: Session, org_id: int) -> list[tuple[int, str]]:
    """(id, name) of an organization's active groups, for an opportunity form's select."""
    return list(session.execute(
        select(Group.id, Group.name).where(Group.organization_id == org_id,
                                           Group.archived_at.is_(None))
        .order_by(func.lower(Group.name), Group.id)).tuples())


def membership(session: Session, group: Group, user: User | None) -> GroupMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(select(GroupMember).where(GroupMember.group_id == group.id,
                                                    GroupMember.user_id == user.id))


def member_count(session: Session, group: Group) -> int:
    return session.scalar(select(func.count()).select_from(GroupMember)
                          .where(GroupMember.group_id == group.id)) or 0


def member_names(session: Session, group: Group) -> list[str]:
    """Display names only, in the order people joined (never emails)."""
    return list(session.scalars(
        select(User.display_name).join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group.id)
        .order_by(GroupMember.joined_at, GroupMember.id)))


def regular_count(session: Session, group: Group) -> int:
    """Members holding a confirmed place at REGULAR_MIN_MEETUPS or more of its meetups."""
    per_member = (
        select(Signup.user_id)
        .join(Occurrence, Signup.occurrence_id == Occurrence.id)
        .join(Opportunity, Occurrence.opportunity_id == Opportunity.id)
        .join(GroupMember, (GroupMember.user_id == Signup.user_id)
              & (GroupMember.group_id == group.id))
        .where(Opportunity.group_id == group.id, Signup.status == SignupStatus.CONFIRMED,
               Occurrence.cancelled_at.is_(None))
        .group_by(Signup.user_id)
        .having(func.count(func.distinct(Signup.occurrence_id)) >= REGULAR_MIN_MEETUPS)
    ).subquery()
    return session.scalar(select(func.count()).select_from(per_member)) or 0


@dataclass(frozen=True)
class Meetup:
    occurrence: Occurrence
    opportunity: Opportunity


def next_meetups(session: Session, group: Group, now: datetime | None = None,
                 limit: int = NEXT_MEETUPS) -> list[Meetup]:
    """Upcoming, not cancelled occurrences of the group's published opportunities."""
    now = now or utcnow()
    rows = session.execute(
        select(Occurrence, Opportunity).join(Occurrence.opportunity)
        .where(Opportunity.group_id == group.id,
               Opportunity.status == OpportunityStatus.PUBLISHED,
               Occurrence.cancelled_at.is_(None), Occurrence.ends_at > now)
        .order_by(Occurrence.starts_at, Occurrence.id).limit(limit))
    return [Meetup(occ, opp) for occ, opp in rows]


# --- organizers: creating, editing, archiving ---------------------------------------------------

def _unique_slug(session: Session, org: Organization, name: str) -> str:
    base = slugify(name)
    if base == "organization":  # slugify's fallback name reads oddly for a group
        base = "group"
    taken = set(session.scalars(select(Group.slug).where(
        Group.organization_id == org.id, Group.slug.like(f"{base}%"))))
    taken |= RESERVED_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_name(session: Session, org: Organization, name: str, except_id: int | None) -> str:
    name = " ".join(name.split())
    stmt = select(Group.id).where(Group.organization_id == org.id,
                                  func.lower(Group.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Group.id != except_id)
    if session.scalar(stmt) is not None:
        raise GroupError(f"{org.name} already has a group called “{name}”. "
                         "Please choose another name.", field="name")
    return name


def create_group(session: Session, org: Organization, *, name: str,
                 description: str = "") -> Group:
    """A new active group. Raises GroupError(field="name") when the name is taken."""
    name = _check_name(session, org, name, None)
    group = Group(organization_id=org.id, name=name, slug=_unique_slug(session, org, name),
                  description=clean_description(description))
    session.add(group)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise GroupError("Someone created a group with this name a moment ago. "
                         "Please choose another name.", field="name") from None
    return group


def update_group(session: Session, group: Group, *, name: str, description: str = "") -> Group:
    """Change name and description. The slug stays, so links people saved keep working."""
    group.name = _check_name(session, group.organization, name, group.id)
    group.description = clean_description(description)
    session.flush()
    return group


def archive_group(session: Session, group: Group) -> bool:
    """Hide the group from the organization's page and stop new members. False if it already was."""
    if group.archived_at is not None:
        return False
    group.archived_at = utcnow()
    session.flush()
    return True


def restore_group(session: Session, group: Group) -> bool:
    if group.archived_at is None:
        return False
    group.archived_at = None
    session.flush()
    return True


# --- residents: joining and leaving --------------------------------------------------------------

def join(session: Session, group: Group, user: User) -> bool:
    """Join at once. Returns False if already a member (a second click changes nothing).

    Raises GroupError for an archived group.
    """
    if group.archived_at is not None:
        raise GroupError("This group has stopped meeting, so it is not taking new members.")
    if membership(session, group, user) is not None:
        return False
    session.add(GroupMember(group_id=group.id, user_id=user.id))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same person, a moment ago, in another request
        return False
    return True


def leave(session: Session, group: Group, user: User) -> bool:
    """Leave at once. Returns False if not a member. Sign-ups to meetups stay as they are."""
    member = membership(session, group, user)
    if member is None:
        return False
    session.delete(member)
    session.flush()
    return True
