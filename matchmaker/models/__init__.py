"""Typed SQLAlchemy models, one module per aggregate.

Importing this package registers every table on ``Base.metadata`` (alembic's
autogenerate and the tests rely on that).
"""

from matchmaker.models.digest import DigestKind, DigestOutbox, DigestStatus
from matchmaker.models.followthrough_after import BuddyIntro, MilestoneAward, Reflection
from matchmaker.models.geocode import GeocodeCacheEntry
from matchmaker.models.jobs import QueuedJob, SendHold
from matchmaker.models.operations import CronRun
from matchmaker.models.opportunity import (
    Group,
    GroupMember,
    ImportRun,
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    OpportunityTag,
    Signup,
    SignupStatus,
)
from matchmaker.models.organization import Invitation, Membership, Organization
from matchmaker.models.profile import AvailabilityWindow, Profile, ProfileTag
from matchmaker.models.recommendation import MatchAlert, Recommendation
from matchmaker.models.roster import RosterMessage, RosterMessageRecipient
from matchmaker.models.user import ApiToken, LoginSession, Role, User

__all__ = [
    "ApiToken",
    "AvailabilityWindow",
    "BuddyIntro",
    "CronRun",
    "DigestKind",
    "DigestOutbox",
    "DigestStatus",
    "GeocodeCacheEntry",
    "Group",
    "GroupMember",
    "ImportRun",
    "Invitation",
    "LoginSession",
    "MatchAlert",
    "Membership",
    "MilestoneAward",
    "Occurrence",
    "Opportunity",
    "OpportunityKind",
    "OpportunityStatus",
    "OpportunityTag",
    "Organization",
    "Profile",
    "ProfileTag",
    "QueuedJob",
    "Recommendation",
    "Reflection",
    "Role",
    "RosterMessage",
    "RosterMessageRecipient",
    "SendHold",
    "Signup",
    "SignupStatus",
    "User",
]
