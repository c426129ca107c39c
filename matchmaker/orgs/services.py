"""Organization rules: creating, editing, membership, invitations, verification.

Functions take the session and plain values, change rows and flush; the caller
commits. A problem the person can fix raises :class:`OrgError` (with the form
field it belongs to, when there is one); a bad invitation link raises
:class:`InvitationProblem` with the HTTP status the page should answer with.
Query helpers return a ``Select`` so the caller can paginate it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.models import Invitation, Membership, Organization, Role, User
from matchmaker.models.organization import name_key
from matchmaker.tokens import fingerprint, make_token, read_token

OWNER = "owner"
ORGANIZER = "organizer"

#: How long an invitation link works.
INVITATION_DAYS = 7
#: Pending invitations one organization may have at once (a brake on misuse).
MAX_PENDING_INVITATIONS = 25
#: Slugs that would be shadowed by fixed pages under /organizations/.
RESERVED_SLUGS = frozenset({"mine", "new", "invitations", "page"})

#: The token's signature is only a tamper check; the row's ``expires_at`` decides.
_TOKEN_MAX_AGE = 366 * 24 * 3600


class OrgError(Exception):
    """A problem the person can fix; ``str(exc)`` is shown next to ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvitationProblem(Exception):
    """An invitation link that cannot be used. ``status`` is 400, 403 or 410."""

    def __init__(self, title: str, message: str, status: int,
                 invitation: Invitation | None = None) -> None:
        super().__init__(message)
        self.title = title
        self.status = status
        self.invitation = invitation


# --- values --------------------------------------------------------------------------

#: Latin letters that Unicode does not decompose into an ASCII letter plus accents.
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
    "ı": "i",
})


def slugify(name: str) -> str:
    """'Café Brooklyn Pantry!' -> 'cafe-brooklyn-pantry'.

    Non-ASCII punctuation separates words ('Ages 8–12' -> 'ages-8-12', not
    'ages-812'); letters with no ASCII form are dropped, and a name with none
    left becomes 'organization' (callers add -2, -3, … to keep slugs unique).
    """
    name = "".join(
        " " if unicodedata.category(ch)[0] in "PSZ" and not ch.isascii() else ch
        for ch in name.translate(_TRANSLITERATE)
    )
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:120].rstrip("-") or "organization"


def normalize_email(email: str) -> str:
    return email.strip().lower()


_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$"
)
_BARE_DOMAIN_RE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63}(?:[/?#].*)?$",
                             re.IGNORECASE)


def normalize_website(value: str) -> str:
    """A clean http(s) URL, or '' for no website. Raises ValueError with a message.

    'example.org' becomes 'https://example.org' (people type it that way);
    anything else must be a full http:// or https:// address. Addresses with a
    user name in them (``https://bank.com@evil.example``) are refused: they are a
    classic way to disguise where a link goes.
    """
    value = value.strip()
    if not value:
        return ""
    if any(ch.isspace() for ch in value):
        raise ValueError("A web address cannot contain spaces.")
    if "://" not in value and _BARE_DOMAIN_RE.match(value):
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("Please give a web address starting with https:// or http://.")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except (UnicodeError, ValueError):
        raise ValueError("That web address does not look right. Please check it.") from None
    if parts.username is not None or parts.password is not None:
        raise ValueError("Please give the address without a user name or password in it.")
    if not _DOMAIN_RE.match(host.lower()):
        raise ValueError("That web address does not look right. Please check it, "
                         "for example https://example.org.")
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


_STREET_RE = re.compile(
    r"\b\d+[a-z]?(?:-\d+)?,?\s+(?:[\w.'-]+\s+){0,4}?"
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|place|pl|court|ct"
    r"|terrace|ter|close|crescent|parkway|pkwy|highway|hwy|square|sq)\b\.?"
    r"|\b(?:apt|apartment|suite|unit|flat|floor)\b\.?\s*#?\s*\d"
    r"|#\s*\d",
    re.IGNORECASE,
)


def looks_like_street_address(area: str) -> bool:
    """'12 Main Street' or 'Apt 4' is a street address; 'Park Slope, Brooklyn' is not."""
    return bool(_STREET_RE.search(area))


def clean_description(text: str) -> str:
    """Plain text with Unix newlines, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def description_paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (split on blank lines), each a list of lines, for escaped display."""
    return [para.split("\n") for para in clean_description(text).split("\n\n") if para.strip()]


# --- reading ---------------------------------------------------------------------------

def get_by_slug(session: Session, slug: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.slug == slug))


def membership_of(session: Session, org: Organization, user: User | None) -> Membership | None:
    """The user's membership of ``org``, or None (also for anonymous visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(select(Membership).where(
        Membership.organization_id == org.id, Membership.user_id == user.id))


def public_list() -> Select:
    """Every organization for the public list: verified first, then by name."""
    return select(Organization).order_by(
        Organization.verified_at.is_(None), Organization.name_key, Organization.id)


def admin_list(show: str = "all") -> Select:
    """For platform admins: waiting ones first (oldest first), or only those."""
    stmt = select(Organization)
    if show == "unverified":
        stmt = stmt.where(Organization.verified_at.is_(None))
    return stmt.order_by(
        Organization.verified_at.is_not(None), Organization.created_at, Organization.id)


def memberships_of_user(user: User) -> Select:
    """The user's memberships with their organizations, by organization name."""
    return (select(Membership).join(Membership.organization)
            .where(Membership.user_id == user.id)
            .order_by(Organization.name_key))


def members(session: Session, org: Organization) -> list[Membership]:
    """Owners first, then co-organizers in the order they joined."""
    return list(session.scalars(
        select(Membership).where(Membership.organization_id == org.id)
        .order_by((Membership.role != OWNER), Membership.created_at, Membership.id)))


def owners_of(session: Session, org_ids: list[int]) -> dict[int, list[User]]:
    """{organization id: its owners}, in one query (for lists of organizations)."""
    out: dict[int, list[User]] = {org_id: [] for org_id in org_ids}
    if org_ids:
        rows = session.execute(
            select(Membership.organization_id, User).join(User, Membership.user_id == User.id)
            .where(Membership.organization_id.in_(org_ids), Membership.role == OWNER)
            .order_by(Membership.created_at))
        for org_id, user in rows:
            out[org_id].append(user)
    return out


def pending_invitations(session: Session, org: Organization) -> list[Invitation]:
    now = utcnow()
    return list(session.scalars(
        select(Invitation).where(
            Invitation.organization_id == org.id,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        ).order_by(Invitation.created_at, Invitation.id)))


def invitations_for_email(session: Session, email: str) -> list[Invitation]:
    """Pending invitations addressed to ``email`` (shown on "My organizations")."""
    now = utcnow()
    return list(session.scalars(
        select(Invitation).where(
            Invitation.email == normalize_email(email),
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        ).order_by(Invitation.created_at)))


@dataclass
class Page:
    """One page of a query's results, with what a pager needs to link around."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, stmt: Select, page: int, per_page: int) -> Page | None:
    """Page ``page`` (from 1) of ``stmt``; None when that page does not exist.

    Page 1 always exists, even when it is empty.
    """
    if page < 1:
        return None
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if page > 1 and (page - 1) * per_page >= total:
        return None
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


# --- creating and editing -----------------------------------------------------------------

def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    stmt = select(Organization.id).where(Organization.name_key == name_key(name))
    if except_id is not None:
        stmt = stmt.where(Organization.id != except_id)
    return session.scalar(stmt) is not None


_NAME_TAKEN = ("There is already an organization called {name!r} on matchmaker. If it is yours, "
               "ask its organizers to invite you; otherwise please choose a different name.")


def unique_slug(session: Session, name: str) -> str:
    """slugify(name), with -2, -3, … added when that is taken or reserved."""
    base = slugify(name)
    taken = set(session.scalars(select(Organization.slug).where(
        (Organization.slug == base) | Organization.slug.like(f"{base}-%"))))
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _flush_unique(session: Session, name: str) -> None:
    """Flush, turning a lost race on the unique name into the same OrgError."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise OrgError(_NAME_TAKEN.format(name=name), field="name") from None


def _promote(user: User) -> None:
    if user.role == Role.RESIDENT:
        user.role = Role.ORGANIZER


def _demote_if_no_memberships(session: Session, user: User) -> None:
    """An organizer who no longer runs anything is a resident again (admins stay admins)."""
    if user.role != Role.ORGANIZER:
        return
    left = session.scalar(select(func.count()).select_from(Membership)
                          .where(Membership.user_id == user.id))
    if not left:
        user.role = Role.RESIDENT


def create_organization(
    session: Session, owner: User, *, name: str, summary: str, area: str,
    description: str = "", website: str = "", contact_email: str = "",
) -> Organization:
    """Create an organization with ``owner`` as its owner.

    Raises OrgError(field="name") when the name is taken in any case or spacing.
    """
    name = " ".join(name.split())
    if _name_taken(session, name):
        raise OrgError(_NAME_TAKEN.format(name=name), field="name")
    org = Organization(
        name=name, slug=unique_slug(session, name), summary=summary.strip(),
        description=clean_description(description), website=normalize_website(website),
        contact_email=normalize_email(contact_email), area=" ".join(area.split()),
    )
    session.add(org)
    session.add(Membership(organization=org, user=owner, role=OWNER))
    _promote(owner)
    _flush_unique(session, name)
    return org


def update_organization(
    session: Session, org: Organization, *, name: str, summary: str, area: str,
    description: str = "", website: str = "", contact_email: str = "",
) -> Organization:
    """Change the public page. The slug stays, so old links keep working."""
    name = " ".join(name.split())
    if _name_taken(session, name, except_id=org.id):
        raise OrgError(_NAME_TAKEN.format(name=name), field="name")
    org.name = name
    org.summary = summary.strip()
    org.description = clean_description(description)
    org.website = normalize_website(website)
    org.contact_email = normalize_email(contact_email)
    org.area = " ".join(area.split())
    _flush_unique(session, name)
    return org


def update_follow_through(org: Organization, *, buddy_enabled: bool, reminder_early_hours: int,
                          reminder_late_minutes: int) -> Organization:
    """When reminders go out (0 switches one off) and whether first-timers meet a regular."""
    org.buddy_enabled = buddy_enabled
    org.reminder_early_hours = reminder_early_hours
    org.reminder_late_minutes = reminder_late_minutes
    return org


# --- members ------------------------------------------------------------------------------

def _owner_count(session: Session, org: Organization) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organization_id == org.id, Membership.role == OWNER)) or 0


def remove_member(session: Session, org: Organization, membership: Membership,
                  by: Membership) -> User:
    """An owner removes a co-organizer. Returns the removed person.

    Raises OrgError when ``by`` is not an owner or ``membership`` is an owner's.
    """
    if membership.organization_id != org.id:
        raise OrgError("That person is not part of this organization.")
    if not by.is_owner:
        raise OrgError("Only the owner can remove co-organizers.")
    if membership.is_owner:
        raise OrgError("The owner of an organization cannot be removed.")
    user = membership.user
    session.delete(membership)
    session.flush()
    _demote_if_no_memberships(session, user)
    session.flush()
    return user


def leave(session: Session, org: Organization, membership: Membership) -> None:
    """Stop helping to run ``org``. The last owner cannot leave (someone must own it)."""
    if membership.is_owner and _owner_count(session, org) <= 1:
        raise OrgError("You are the owner, so you cannot leave: every organization needs "
                       "someone responsible for it.")
    user = membership.user
    session.delete(membership)
    session.flush()
    _demote_if_no_memberships(session, user)
    session.flush()


# --- invitations --------------------------------------------------------------------------

def invite(session: Session, org: Organization, inviter: User, email: str) -> Invitation:
    """Invite ``email`` to co-organize ``org``; the caller enqueues the email after commit.

    Raises OrgError(field="email") when the person is already a member, already has
    a pending invitation, or the organization has too many pending invitations.
    """
    email = normalize_email(email)
    already = session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org.id, User.email == email))
    if already is not None:
        who = "You already help" if already.id == inviter.id else f"{email} already helps"
        raise OrgError(f"{who} to run {org.name}.", field="email")
    pending = pending_invitations(session, org)
    for inv in pending:
        if inv.email == email:
            raise OrgError(
                f"{email} already has an invitation waiting (it works until "
                f"{format_date(inv.expires_at)}). You can send it again from the list below.",
                field="email")
    if len(pending) >= MAX_PENDING_INVITATIONS:
        raise OrgError(f"{org.name} has {len(pending)} invitations waiting. Please withdraw "
                       "some before sending more.", field="email")
    inv = Invitation(organization=org, email=email, invited_by=inviter,
                     expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
    session.add(inv)
    session.flush()
    return inv


def invitation_token(inv: Invitation) -> str:
    """The signed token in the emailed link. It names the row; the row holds the state."""
    return make_token("org-invite", {"inv": inv.id, "org": inv.organization_id,
                                     "fp": fingerprint(inv.email)})


def invitation_from_token(session: Session, token: str) -> Invitation:
    """The pending invitation a link names. Raises InvitationProblem otherwise.

    400 for a link that was not made by us (or was cut short), 410 for one that
    was good but is used, withdrawn or out of date.
    """
    data = read_token("org-invite", token, _TOKEN_MAX_AGE)
    if not data or not isinstance(data.get("inv"), int):
        raise InvitationProblem(
            "This invitation link does not work",
            "The link may have been cut short when it was copied. Please open it straight "
            "from the email, or ask the organizer to send it again.", 400)
    inv = session.get(Invitation, data["inv"])
    if inv is None or inv.organization_id != data.get("org") or (
            data.get("fp") != fingerprint(inv.email)):
        raise InvitationProblem(
            "This invitation no longer exists",
            "The organization that sent it may have closed. Please ask the organizer "
            "for a new invitation.", 410)
    org_name = inv.organization.name
    if inv.accepted_at is not None:
        raise InvitationProblem(
            "This invitation has already been used",
            f"Each invitation link works once, and this one was accepted on "
            f"{format_date(inv.accepted_at)}. If you need to help run {org_name}, "
            "ask one of its organizers for a new invitation.", 410, inv)
    if inv.revoked_at is not None:
        raise InvitationProblem(
            "This invitation was withdrawn",
            f"The organizers of {org_name} withdrew this invitation. If you think that is "
            "a mistake, please ask them to invite you again.", 410, inv)
    if inv.expires_at <= utcnow():
        raise InvitationProblem(
            "This invitation has expired",
            f"Invitation links work for {INVITATION_DAYS} days, and this one ended on "
            f"{format_date(inv.expires_at)}. Please ask the organizers of {org_name} "
            "to send you a new one.", 410, inv)
    return inv


def mask_email(email: str) -> str:
    """'jane@example.org' -> 'j•••@example.org': enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def check_invitee(inv: Invitation, user: User) -> None:
    """Raises InvitationProblem(403) unless ``user`` is signed in with the invited address."""
    if normalize_email(user.email) != inv.email:
        raise InvitationProblem(
            "Please sign in with the invited email address",
            f"This invitation was sent to {mask_email(inv.email)}, but you are signed in as "
            f"{user.email}. Please sign out, then sign in (or create an account) with the "
            "email address the invitation was sent to, and open the link again.", 403, inv)


def accept_invitation(session: Session, token: str, user: User) -> Membership:
    """Make ``user`` a co-organizer through the invitation in ``token``. Single use.

    Raises InvitationProblem when the link is bad, used, withdrawn, expired, or was
    sent to another address.
    """
    inv = invitation_from_token(session, token)
    check_invitee(inv, user)
    now = utcnow()
    membership = membership_of(session, inv.organization, user)
    if membership is None:
        membership = Membership(organization=inv.organization, user=user, role=ORGANIZER)
        session.add(membership)
    _promote(user)
    # The link went to this mailbox, so following it confirms the address, as a
    # password reset link does.
    if user.email_verified_at is None:
        user.email_verified_at = now
    inv.accepted_at = now
    inv.accepted_by = user
    session.flush()
    return membership


def _own_invitation(org: Organization, inv: Invitation | None) -> Invitation:
    if inv is None or inv.organization_id != org.id:
        raise OrgError("That invitation is not one of this organization's.")
    return inv


def revoke_invitation(session: Session, org: Organization, inv: Invitation | None) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    inv = _own_invitation(org, inv)
    if not inv.is_pending():
        raise OrgError(f"The invitation to {inv.email} is no longer waiting, "
                       "so there is nothing to withdraw.")
    inv.revoked_at = utcnow()
    session.flush()
    return inv


def resend_invitation(session: Session, org: Organization, inv: Invitation | None) -> Invitation:
    """Send a pending invitation again, with a fresh seven days; the caller enqueues it."""
    inv = _own_invitation(org, inv)
    if not inv.is_pending():
        raise OrgError(f"The invitation to {inv.email} is no longer waiting. "
                       "Please invite them again instead.")
    inv.expires_at = utcnow() + timedelta(days=INVITATION_DAYS)
    inv.sent_at = None
    session.flush()
    return inv


# --- verification (platform admins) ---------------------------------------------------------

def verify(session: Session, org: Organization, admin: User) -> bool:
    """Mark ``org`` checked by ``admin``. Returns False if it already was (kept as it was)."""
    if org.verified_at is not None:
        return False
    org.verified_at = utcnow()
    org.verified_by_id = admin.id
    session.flush()
    return True


def unverify(session: Session, org: Organization) -> bool:
    """Take the verified badge away. Returns False if it was not verified."""
    if org.verified_at is None:
        return False
    org.verified_at = None
    org.verified_by_id = None
    session.flush()
    return True


def format_date(moment: datetime) -> str:
    """'28 November 2026' (UTC): dates in messages, with no ambiguity about day and month."""
    return f"{moment.day} {moment:%B %Y}"
