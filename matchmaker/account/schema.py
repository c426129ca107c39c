"""Which columns hold a person's id: found by walking ``Base.metadata``, not listed by hand.

The export and the deletion both declare, per column, what they do with it; the
tests compare those declarations with this walk, so a new table that stores a
user id cannot ship without a decision about downloading and deleting it.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData

#: The table every person column leads back to.
PEOPLE = ("users", "id")


def _refers_to(column: Column, targets: set[tuple[str, str]]) -> bool:
    return any((fk.column.table.name, fk.column.name) in targets for fk in column.foreign_keys)


def person_columns(metadata: MetaData) -> set[tuple[str, str]]:
    """Every (table, column) whose value is a user id, ``users.id`` itself included.

    A column counts when it is a foreign key to ``users.id`` or to a column that
    is one (``profile_tags.user_id`` points at ``profiles.user_id``), followed
    until nothing new turns up.
    """
    found = {PEOPLE}
    while True:
        more = {(table.name, column.name) for table in metadata.tables.values()
                for column in table.columns
                if (table.name, column.name) not in found and _refers_to(column, found)}
        if not more:
            return found
        found |= more


# --- recorded jobs (queued_jobs) whose arguments name a person ---------------------------------

#: func -> (what the argument is, its position). A pending row naming the person is
#: part of their data (exported) and is cancelled when they delete their account.
PERSON_JOB_ARGS: dict[str, tuple[str, int]] = {
    "workers.jobs.send_account_email": ("user", 1),
    "workers.matching_jobs.rematch_resident": ("user", 0),
    "workers.jobs.send_signup_email": ("signup", 0),
}

#: Jobs whose arguments name something else; each says why no person is in it.
IMPERSONAL_JOBS: dict[str, str] = {
    "workers.jobs.send_invitation_email": "an invitation id; invitations to the person are deleted",
    "workers.jobs.send_roster_message": "a message id; the person's recipient rows are deleted",
    "workers.jobs.send_cancellation_emails": "an opportunity id",
    "workers.jobs.import_opportunities": "an import id",
    "workers.matching_jobs.match_opportunity": "an opportunity id",
}


def job_names_person(func: str, args: list, user_id: int, signup_ids: set[int]) -> bool:
    """Does a recorded job ``func(*args)`` concern this person?"""
    spec = PERSON_JOB_ARGS.get(func)
    if spec is None or len(args) <= spec[1]:
        return False
    value = args[spec[1]]
    return value == user_id if spec[0] == "user" else value in signup_ids
