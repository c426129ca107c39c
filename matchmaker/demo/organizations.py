"""Eight local groups and the organizers who run them (fictional, in real places)."""

from __future__ import annotations

from dataclasses import dataclass

from matchmaker.demo.places import BY_ZIP


@dataclass(frozen=True)
class DemoPerson:
    display_name: str
    email: str


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    zip_code: str
    summary: str
    description: str
    #: The causes (matchmaker.vocab.CAUSES keys) the group's opportunities serve.
    causes: tuple[str, ...]
    verified: bool
    owner: DemoPerson
    co_organizer: DemoPerson | None = None
    website: str = ""

    @property
    def area(self) -> str:
        place = BY_ZIP[self.zip_code]
        return f"{place.name}, {place.borough}"

    @property
    def contact_email(self) -> str:
        return self.owner.email


ORGANIZATIONS: tuple[DemoOrganization, ...] = (
    DemoOrganization(
        slug="park-slope-community-pantry",
        name="Park Slope Community Pantry",
        zip_code="11215",
        summary="A church-basement food pantry serving about 300 households a week. "
                "Sort donations, pack bags, or greet people at the door.",
        description=(
            "We hand out groceries every Tuesday evening and Saturday morning from the "
            "basement of a church on 7th Avenue. No experience needed: a regular shows you "
            "the ropes on your first shift. Sorting can be done seated; packing means "
            "some lifting. Spanish and Mandarin speakers are especially welcome at the door."
        ),
        causes=("food-security", "homelessness", "neighbourhood"),
        verified=True,
        owner=DemoPerson("Denise Okafor", "denise.okafor@example.org"),
        co_organizer=DemoPerson("Luis Ramirez", "luis.ramirez@example.org"),
        website="https://pantry.example.org",
    ),
    DemoOrganization(
        slug="prospect-heights-community-garden",
        name="Prospect Heights Community Garden",
        zip_code="11238",
        summary="A members' garden on a corner lot: raised beds, a compost system and a "
                "children's plot. Drop in on workdays.",
        description=(
            "Forty raised beds, three compost bays and a small orchard on a lot neighbours "
            "rescued in the 1980s. Saturday workdays are sociable and unhurried; weekday "
            "watering is a quiet half hour on your own. We lend gloves and tools."
        ),
        causes=("environment", "neighbourhood", "children-youth"),
        verified=True,
        owner=DemoPerson("Grace Whitfield", "grace.whitfield@example.org"),
    ),
    DemoOrganization(
        slug="astoria-friendly-visitors",
        name="Astoria Friendly Visitors",
        zip_code="11102",
        summary="Weekly visits and phone calls with older neighbours who live alone. "
                "The same volunteer, the same time, every week.",
        description=(
            "We pair a volunteer with an older neighbour for an hour a week: a chat, a walk "
            "to the park, help with a letter. Continuity matters more than anything, so we "
            "ask for a few months. Phone companions can help from anywhere. Greek, Spanish "
            "and Bengali speakers are in demand."
        ),
        causes=("older-people", "mental-health", "neighbourhood"),
        verified=True,
        owner=DemoPerson("Eleni Papadakis", "eleni.papadakis@example.org"),
        co_organizer=DemoPerson("Tanvir Rahman", "tanvir.rahman@example.org"),
    ),
    DemoOrganization(
        slug="lic-library-literacy-circle",
        name="Long Island City Library Literacy Circle",
        zip_code="11101",
        summary="Conversation groups for adults learning English, homework help and "
                "story time, run with the neighbourhood library branch.",
        description=(
            "Volunteers lead small English conversation tables, help children with homework "
            "after school and read at Saturday story time. You do not need to be a teacher: "
            "patience and a friendly face are the skills that count. Materials provided."
        ),
        causes=("education-literacy", "refugees-newcomers", "children-youth"),
        verified=True,
        owner=DemoPerson("Priya Raman", "priya.raman@example.org"),
    ),
    DemoOrganization(
        slug="north-brooklyn-animal-rescue",
        name="North Brooklyn Animal Rescue",
        zip_code="11211",
        summary="A small foster-based rescue for cats and dogs. Walk dogs, socialise shy "
                "cats, or help at weekend adoption events.",
        description=(
            "We have no big shelter building: animals live with foster families and meet "
            "adopters at weekend events in Williamsburg and Greenpoint. Dog walkers need a "
            "short orientation first. Photographers and good writers help animals find homes."
        ),
        causes=("animals",),
        verified=False,
        owner=DemoPerson("Jake Kowalski", "jake.kowalski@example.org"),
    ),
    DemoOrganization(
        slug="fort-greene-park-crew",
        name="Fort Greene Park Volunteer Crew",
        zip_code="11205",
        summary="Litter picks, mulching and planting in the park, plus a monthly "
                "tree-care morning. Gloves, tools and coffee provided.",
        description=(
            "Our crew meets by the visitor centre on Saturday mornings and one weekday "
            "evening in summer. Big groups welcome, and so is anyone who wants to come once "
            "and see. Some tasks involve bending and lifting; we always have seated jobs too."
        ),
        causes=("environment", "sports-recreation", "neighbourhood"),
        verified=True,
        owner=DemoPerson("Marcus Bell", "marcus.bell@example.org"),
        co_organizer=DemoPerson("Aisha Mohammed", "aisha.mohammed@example.org"),
    ),
    DemoOrganization(
        slug="jackson-heights-welcome-circle",
        name="Jackson Heights Welcome Circle",
        zip_code="11372",
        summary="Neighbours helping newly arrived families settle in: school enrolment, "
                "clinic visits, a friendly face and a warm coat.",
        description=(
            "We match volunteers with families who arrived in the past year. Help ranges "
            "from a ten-minute welcome card to going along to a school meeting. Translators "
            "(Spanish, French, Pashto, Dari, Arabic, Russian) are always needed, in person "
            "or by phone."
        ),
        causes=("refugees-newcomers", "children-youth", "health"),
        verified=False,
        owner=DemoPerson("Sofia Hernandez", "sofia.hernandez@example.org"),
    ),
    DemoOrganization(
        slug="crown-heights-tenants-association",
        name="Crown Heights Tenants' Association",
        zip_code="11213",
        summary="Tenants helping tenants: know-your-rights clinics, building meetings "
                "and checking on neighbours during heat waves.",
        description=(
            "We are volunteers from twenty buildings. We run a monthly rights clinic, help "
            "neighbours file repair complaints, and in summer and winter we phone older "
            "tenants to check they are safe. Flyering and door-knocking go better in pairs."
        ),
        causes=("civic", "neighbourhood", "disaster-readiness"),
        verified=False,
        owner=DemoPerson("Andre Baptiste", "andre.baptiste@example.org"),
    ),
)

BY_SLUG: dict[str, DemoOrganization] = {o.slug: o for o in ORGANIZATIONS}

#: The platform admin of the demo. Their account is also the marker that demo data exists.
DEMO_ADMIN = DemoPerson("Robin Castillo", "demo.admin@example.org")


def organizer_people() -> list[DemoPerson]:
    """Every organizer account of the demo: owners first, then co-organizers."""
    owners = [o.owner for o in ORGANIZATIONS]
    co = [o.co_organizer for o in ORGANIZATIONS if o.co_organizer is not None]
    return owners + co
