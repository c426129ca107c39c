"""About sixty demo opportunities, as plain data.

:mod:`matchmaker.demo.opportunity_rows` turns these definitions into published
opportunities. Every value uses the project's vocabularies, so they can be
inserted as they are:

* ``org`` is a slug from :mod:`matchmaker.demo.organizations`;
* ``cause`` a key of ``vocab.CAUSES``; ``skills`` keys of ``vocab.SKILLS``;
* ``format`` a key of ``vocab.SOCIAL_FORMATS`` (never ``any``);
* ``access`` the access needs (``vocab.ACCESS_NEEDS``) the opportunity can meet.

When it happens: a shift or recurring group names a ``weekday`` (0 = Monday) and a
local ``start`` time in America/New_York; a one-off happens ``in_days`` after the
day the demo is seeded; a ten-minute small act can be done whenever suits.
"""

from __future__ import annotations

from dataclasses import dataclass

#: kind -> label. Small acts take about ten minutes and count as much as a shift.
KINDS: dict[str, str] = {
    "one_off": "One-off",
    "shift": "Shift",
    "recurring_group": "Recurring group",
    "small_act": "Ten-minute act",
}

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class DemoOpportunity:
    key: str
    org: str
    title: str
    cause: str
    kind: str
    duration_minutes: int
    #: People needed each time; None: as many as like (small acts).
    capacity: int | None
    format: str
    first_timer_friendly: bool
    remote: bool = False
    skills: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    weekday: int | None = None
    #: Local start time, "HH:MM".
    start: str | None = None
    in_days: int | None = None
    description: str = ""


def _o(key, org, title, cause, kind, minutes, capacity, fmt, first_timer, **extra):
    return DemoOpportunity(key, org, title, cause, kind, minutes, capacity, fmt, first_timer,
                           **extra)


PANTRY = "park-slope-community-pantry"
GARDEN = "prospect-heights-community-garden"
VISITORS = "astoria-friendly-visitors"
LITERACY = "lic-library-literacy-circle"
ANIMALS = "north-brooklyn-animal-rescue"
PARK = "fort-greene-park-crew"
WELCOME = "jackson-heights-welcome-circle"
TENANTS = "crown-heights-tenants-association"

OPPORTUNITIES: tuple[DemoOpportunity, ...] = (
    # --- Park Slope Community Pantry -----------------------------------------------
    _o("pantry-saturday-distribution", PANTRY, "Saturday morning food distribution",
       "food-security", "shift", 180, 12, "small_group", True, skills=("lifting",),
       weekday=SAT, start="09:00",
       description="Hand out groceries with a friendly crew. A regular shows you around."),
    _o("pantry-tuesday-packing", PANTRY, "Tuesday evening bag packing", "food-security",
       "shift", 120, 10, "small_group", True, access=("step-free",), weekday=TUE,
       start="17:30", description="Pack grocery bags for Wednesday's deliveries."),
    _o("pantry-seated-sorting", PANTRY, "Sort donated cans and packets (seated)",
       "food-security", "shift", 90, 6, "small_group", True,
       access=("seated", "step-free", "no-heavy-lifting"), weekday=WED, start="10:00",
       description="Check dates and sort donations at a table. Good company, no lifting."),
    _o("pantry-door-greeter", PANTRY, "Welcome people at the door", "food-security", "shift",
       120, 2, "one_on_one", True, skills=("listening", "languages"),
       access=("step-free", "no-heavy-lifting"), weekday=SAT, start="08:45",
       description="A warm hello and a number for the line. Spanish or Mandarin a plus."),
    _o("pantry-delivery-driver", PANTRY, "Drive grocery bags to homebound neighbours",
       "food-security", "shift", 120, 4, "one_on_one", False, skills=("driving",),
       weekday=THU, start="13:00", description="Your own car and a clean licence needed."),
    _o("pantry-food-drive", PANTRY, "Thanksgiving food drive collection", "food-security",
       "one_off", 240, 30, "big_group", True, in_days=20,
       description="Collect donations outside three supermarkets on one busy Saturday."),
    _o("pantry-saturday-crew", PANTRY, "The Saturday crew: same team every week",
       "food-security", "recurring_group", 180, 8, "small_group", False,
       skills=("organising",), weekday=SAT, start="09:00",
       description="For people who have done a shift or two and want to be regulars."),
    _o("pantry-thank-donor", PANTRY, "Write a thank-you note to a food donor", "food-security",
       "small_act", 10, None, "solo_remote", True, remote=True, skills=("writing",),
       access=("seated", "no-heavy-lifting"),
       description="We send you a name and a few words about what they gave."),
    # --- Prospect Heights Community Garden -------------------------------------------
    _o("garden-saturday-workday", GARDEN, "Saturday garden workday", "environment",
       "recurring_group", 150, 15, "small_group", True, skills=("gardening",), weekday=SAT,
       start="10:00", description="Weeding, planting, coffee. Come once or every week."),
    _o("garden-weekday-watering", GARDEN, "Water the raised beds on a weekday evening",
       "environment", "shift", 30, 2, "solo_remote", True, access=("step-free",),
       weekday=TUE, start="19:00", description="Half an hour with a hose, on your own."),
    _o("garden-compost", GARDEN, "Turn the compost bays", "environment", "shift", 60, 4,
       "small_group", False, skills=("lifting", "gardening"), weekday=SUN, start="09:00",
       description="Hard work with pitchforks; rewarding. Boots recommended."),
    _o("garden-kids-plot", GARDEN, "Help at the children's plot", "children-youth",
       "recurring_group", 90, 4, "small_group", True, skills=("gardening", "teaching"),
       weekday=SUN, start="11:00", description="Show local kids how to sow and harvest."),
    _o("garden-seed-swap", GARDEN, "Run the spring seed swap table", "environment", "one_off",
       180, 6, "small_group", True, skills=("organising",), access=("seated",), in_days=35,
       description="Help neighbours swap seeds and advice at the garden gate."),
    _o("garden-seed-packets", GARDEN, "Fold and label seed packets at home", "environment",
       "small_act", 10, None, "solo_remote", True, remote=True, skills=("crafts",),
       access=("seated", "no-heavy-lifting"),
       description="We drop off a stack of paper and a stamp; ten minutes makes a dozen."),
    _o("garden-orchard-pruning", GARDEN, "Fruit tree pruning morning with an arborist",
       "environment", "one_off", 180, 8, "small_group", True, skills=("gardening",),
       in_days=12, description="Learn to prune apple and pear trees properly."),
    # --- Astoria Friendly Visitors ---------------------------------------------------
    _o("visitors-weekly-visit", VISITORS, "Weekly visit with an older neighbour",
       "older-people", "recurring_group", 60, 1, "one_on_one", False,
       skills=("listening",), access=("no-heavy-lifting",), weekday=WED, start="14:00",
       description="The same person, the same time each week. We ask for three months."),
    _o("visitors-phone-companion", VISITORS, "Phone companion: one call a week",
       "mental-health", "recurring_group", 30, 1, "one_on_one", True, remote=True,
       skills=("listening",), access=("seated", "step-free", "no-heavy-lifting"),
       weekday=THU, start="11:00", description="A regular chat with someone who lives alone."),
    _o("visitors-ten-minute-call", VISITORS, "Call an isolated neighbour for ten minutes",
       "older-people", "small_act", 10, None, "one_on_one", True, remote=True,
       skills=("listening",), access=("seated", "step-free", "no-heavy-lifting"),
       description="A short, cheerful check-in call. We give you a name and a number."),
    _o("visitors-park-walk", VISITORS, "Walk to Astoria Park with an older neighbour",
       "older-people", "recurring_group", 60, 1, "one_on_one", True, weekday=SAT,
       start="11:00", description="An arm to lean on and someone to talk to."),
    _o("visitors-tea-social", VISITORS, "Friday afternoon tea social", "older-people",
       "recurring_group", 90, 8, "small_group", True, skills=("cooking", "music"),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=FRI, start="14:00",
       description="Pour tea, play cards, sometimes sing. The regulars love new faces."),
    _o("visitors-letter-help", VISITORS, "Help with a letter or a form", "older-people",
       "shift", 60, 2, "one_on_one", False, skills=("languages", "writing"),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=TUE, start="10:00",
       description="Greek, Spanish or Bengali speakers especially welcome."),
    _o("visitors-birthday-card", VISITORS, "Write a birthday card to an older neighbour",
       "older-people", "small_act", 10, None, "solo_remote", True, remote=True,
       skills=("writing", "crafts"), access=("seated", "no-heavy-lifting"),
       description="A few warm lines make someone's day."),
    _o("visitors-medical-ride", VISITORS, "Drive a neighbour to a medical appointment",
       "health", "one_off", 150, 1, "one_on_one", False, skills=("driving",), in_days=6,
       description="Drop off, wait with a book, drive home."),
    # --- Long Island City Library Literacy Circle ------------------------------------
    _o("literacy-conversation-table", LITERACY, "English conversation table",
       "education-literacy", "recurring_group", 90, 3, "small_group", True,
       skills=("teaching", "listening"), access=("seated", "step-free", "no-heavy-lifting"),
       weekday=TUE, start="18:30", description="Chat with four or five adult learners."),
    _o("literacy-homework-help", LITERACY, "After-school homework help", "children-youth",
       "recurring_group", 90, 6, "small_group", False, skills=("teaching",),
       access=("seated", "step-free"), weekday=WED, start="15:30",
       description="Maths and reading with children aged 8 to 12. Background check needed."),
    _o("literacy-story-time", LITERACY, "Saturday story time reader", "children-youth",
       "shift", 60, 2, "big_group", True, skills=("teaching", "music"),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=SAT, start="11:00",
       description="Read picture books to a room of toddlers and their grown-ups."),
    _o("literacy-digital-help", LITERACY, "Digital help desk: phones and email",
       "technology", "shift", 120, 3, "one_on_one", True, skills=("computers",),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=THU, start="14:00",
       description="Help beginners with video calls, email and online forms."),
    _o("literacy-citizenship-practice", LITERACY, "Citizenship test practice partner",
       "refugees-newcomers", "recurring_group", 60, 4, "one_on_one", False,
       skills=("teaching",), access=("seated", "step-free"), weekday=MON, start="18:00",
       description="Practise the civics questions with one learner, weekly."),
    _o("literacy-audio-story", LITERACY, "Record a short story for the audio shelf",
       "education-literacy", "small_act", 10, None, "solo_remote", True, remote=True,
       access=("seated", "step-free", "no-heavy-lifting"),
       description="Read a five-minute story into your phone and upload it."),
    _o("literacy-book-sale", LITERACY, "Book sale set-up and tidy-up", "education-literacy",
       "one_off", 240, 15, "big_group", True, skills=("lifting",), in_days=27,
       description="Carry boxes, arrange tables, chat with bargain hunters."),
    _o("literacy-newsletter-proofread", LITERACY, "Proofread the branch newsletter",
       "education-literacy", "small_act", 10, None, "solo_remote", True, remote=True,
       skills=("writing",), access=("seated", "no-heavy-lifting"),
       description="One page, sent by email, back by the evening."),
    # --- North Brooklyn Animal Rescue ------------------------------------------------
    _o("animals-dog-walk", ANIMALS, "Midday walk for a foster dog", "animals", "shift", 45, 2,
       "solo_remote", False, weekday=MON, start="12:00",
       description="After a short orientation, walk the same dog weekly."),
    _o("animals-shy-cats", ANIMALS, "Keep shy foster cats company", "animals",
       "recurring_group", 60, 2, "one_on_one", True,
       access=("seated", "no-heavy-lifting"), weekday=THU, start="18:00",
       description="Sit quietly, read aloud, let the cats come to you."),
    _o("animals-adoption-event", ANIMALS, "Weekend adoption event helper", "animals", "shift",
       180, 8, "big_group", True, skills=("lifting",), weekday=SAT, start="11:00",
       description="Set up pens, talk to visitors, walk dogs between meetings."),
    _o("animals-photography", ANIMALS, "Photograph adoptable animals", "animals", "one_off",
       120, 2, "one_on_one", False, skills=("photography",), in_days=9,
       description="Good photos double adoption rates. Bring your own camera."),
    _o("animals-vet-transport", ANIMALS, "Drive a cat to the vet", "animals", "one_off", 90, 1,
       "one_on_one", True, skills=("driving",), in_days=4,
       description="Pick up from a foster home in Greenpoint and back again."),
    _o("animals-share-post", ANIMALS, "Share an adoptable pet with your neighbours",
       "animals", "small_act", 10, None, "solo_remote", True, remote=True,
       access=("seated", "step-free", "no-heavy-lifting"),
       description="Post one of our pets in your building or block chat."),
    _o("animals-adoption-profile", ANIMALS, "Write a pet's adoption profile", "animals",
       "one_off", 45, 3, "solo_remote", True, remote=True, skills=("writing",),
       access=("seated", "no-heavy-lifting"), in_days=3,
       description="Turn a foster family's notes into a profile that finds a home."),
    # --- Fort Greene Park Volunteer Crew ---------------------------------------------
    _o("park-saturday-litter-pick", PARK, "Saturday litter pick", "environment",
       "recurring_group", 120, 30, "big_group", True, weekday=SAT, start="09:30",
       description="Grabbers, bags and gloves provided. Families welcome."),
    _o("park-mulching", PARK, "Mulch the tree beds", "environment", "one_off", 180, 20,
       "big_group", True, skills=("lifting",), in_days=13,
       description="Spread wood chips around young trees before the winter."),
    _o("park-tree-care", PARK, "Monthly tree-care morning", "environment", "recurring_group",
       180, 12, "small_group", False, skills=("gardening",), weekday=SUN, start="09:00",
       description="Loosen soil, prune, and learn the park's trees with our arborist."),
    _o("park-evening-weeding", PARK, "Summer evening weeding", "environment", "shift", 90,
       10, "small_group", True, skills=("gardening",), weekday=WED, start="18:00",
       description="An hour and a half in the flower beds as the heat goes out of the day."),
    _o("park-own-block", PARK, "Pick up litter on your own block", "neighbourhood",
       "small_act", 10, None, "solo_remote", True,
       description="Ten minutes with a bag on your way home. Tell us how it went."),
    _o("park-checkin-table", PARK, "Check-in table at the volunteer tent", "environment",
       "shift", 120, 2, "small_group", True, skills=("organising",),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=SAT, start="09:00",
       description="Sign people in, hand out gloves, answer questions. Seated."),
    _o("park-kids-nature-walk", PARK, "Lead a children's nature walk", "children-youth",
       "one_off", 90, 3, "big_group", True, skills=("teaching",), in_days=18,
       description="Look for birds, bugs and leaves with a class of seven-year-olds."),
    _o("park-snow-stoops", PARK, "Clear snow from older neighbours' stoops",
       "disaster-readiness", "one_off", 120, 15, "small_group", True,
       skills=("lifting",), in_days=40, description="After the first big snowfall."),
    # --- Jackson Heights Welcome Circle ----------------------------------------------
    _o("welcome-school-interpreter", WELCOME, "Interpret at a school enrolment meeting",
       "refugees-newcomers", "one_off", 90, 1, "one_on_one", False, skills=("languages",),
       access=("seated", "step-free", "no-heavy-lifting"), in_days=5,
       description="Go along with a parent and help them be understood."),
    _o("welcome-card", WELCOME, "Write a welcome card to a newly arrived family",
       "refugees-newcomers", "small_act", 10, None, "solo_remote", True, remote=True,
       skills=("writing",), access=("seated", "step-free", "no-heavy-lifting"),
       description="A few kind words, in any language. We deliver it with a food box."),
    _o("welcome-coat-drive", WELCOME, "Sort the winter coat drive", "refugees-newcomers",
       "shift", 120, 10, "small_group", True, skills=("lifting",), weekday=SAT,
       start="13:00", description="Sort coats by size and pair them with families."),
    _o("welcome-phone-interpreter", WELCOME, "Phone interpreter on call",
       "refugees-newcomers", "shift", 60, 3, "one_on_one", False, remote=True,
       skills=("languages",), access=("seated", "step-free", "no-heavy-lifting"),
       weekday=MON, start="10:00",
       description="Spanish, French, Dari or Pashto: be the voice on the speakerphone."),
    _o("welcome-family-buddy", WELCOME, "Weekly family buddy", "refugees-newcomers",
       "recurring_group", 90, 1, "one_on_one", False, skills=("listening",), weekday=SUN,
       start="14:00", description="Meet the same family weekly: the subway, the market, a chat."),
    _o("welcome-potluck", WELCOME, "Welcome potluck dinner", "refugees-newcomers", "one_off",
       150, 25, "big_group", True, skills=("cooking",), access=("step-free",), in_days=16,
       description="Bring a dish from home and sit with new neighbours."),
    _o("welcome-clinic-visit", WELCOME, "Go along to a clinic visit", "health", "one_off",
       120, 1, "one_on_one", False, skills=("languages", "listening"), in_days=8,
       description="Keep someone company at a first doctor's appointment."),
    # --- Crown Heights Tenants' Association --------------------------------------------
    _o("tenants-rights-clinic", TENANTS, "Know-your-rights clinic helper", "civic",
       "recurring_group", 120, 4, "small_group", False, skills=("admin", "listening"),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=THU, start="18:30",
       description="Monthly. Take notes, find forms, keep the queue moving."),
    _o("tenants-heat-check-calls", TENANTS, "Heat-wave check-in calls", "disaster-readiness",
       "shift", 60, 10, "one_on_one", True, remote=True, skills=("listening",),
       access=("seated", "step-free", "no-heavy-lifting"), weekday=SAT, start="10:00",
       description="Phone older tenants on a list and check they are cool and well."),
    _o("tenants-flyering", TENANTS, "Flyer a building with a partner", "neighbourhood",
       "one_off", 60, 6, "small_group", True, in_days=3,
       description="Slip meeting notices under doors, two by two."),
    _o("tenants-repair-complaint", TENANTS, "Help a neighbour file a repair complaint",
       "civic", "one_off", 45, 1, "one_on_one", False, remote=True,
       skills=("computers", "admin"), access=("seated", "no-heavy-lifting"), in_days=7,
       description="Walk someone through the city's online form, by phone or in person."),
    _o("tenants-meeting-notes", TENANTS, "Take notes at the building meeting", "civic",
       "one_off", 90, 1, "small_group", True, skills=("writing",),
       access=("seated", "no-heavy-lifting"), in_days=11,
       description="Write down decisions and who does what next."),
    _o("tenants-translate-flyer", TENANTS, "Translate a meeting flyer", "civic", "one_off",
       45, 2, "solo_remote", False, remote=True, skills=("languages", "writing"),
       access=("seated", "step-free", "no-heavy-lifting"), in_days=2,
       description="Spanish or Haitian Creole; half a page."),
    _o("tenants-group-chat-reminder", TENANTS, "Remind your building about the meeting",
       "neighbourhood", "small_act", 10, None, "solo_remote", True, remote=True,
       access=("seated", "step-free", "no-heavy-lifting"),
       description="One message in your building's group chat or a note in the lobby."),
    _o("tenants-go-bag-workshop", TENANTS, "Emergency go-bag workshop", "disaster-readiness",
       "one_off", 120, 20, "big_group", True, skills=("first-aid", "organising"),
       access=("step-free",), in_days=22,
       description="Help neighbours pack a go-bag and make a family plan."),
)

BY_KEY: dict[str, DemoOpportunity] = {o.key: o for o in OPPORTUNITIES}
