"""Tables. Current state lives on ``Instance`` rows; history in the append-only ``Event`` table.

Every machine a member moves through is an instance: the pathway (``machine='pathway'``),
one per training module (``training:<code>``), one per milestone (``milestone:<code>``) and
one per award (``award:<code>``). All of them change only through ``pathway.engine.fire``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    locality: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    joined_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)


class Instance(Base):
    """One member in one machine: the current state, guarded by ``version``."""

    __tablename__ = "instances"
    __table_args__ = (
        UniqueConstraint("member_id", "machine"),
        # Reports group current pathway rows by level and status.
        Index("ix_instances_machine_level_status", "machine", "level", "status"),
        # ...joined to members: covering, so the current distribution never reads the rows.
        Index("ix_instances_machine_member_id_level_status", "machine", "member_id", "level",
              "status"),
        # The current distribution as one index-ordered scan, with no join and no sort.
        Index("ix_instances_machine_unit_id_kind_level_status", "machine", "unit_id", "kind",
              "level", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    machine: Mapped[str] = mapped_column(String(96))
    workflow: Mapped[str] = mapped_column(String(96))
    state: Mapped[str] = mapped_column(String(64))
    level: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(16))
    # The member's unit and kind, kept on the pathway row by the engine (set at register,
    # changed only by transfer in the same transaction) so reports need no join.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    definition_version: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """An append-only record of one trigger fired: who, when, why, and what was waived."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq"),
        # Attrition, time in level, voice and the summary pick triggers over a period.
        Index("ix_events_machine_trigger_effective_at", "machine", "trigger", "effective_at"),
        # As-of reads: a member's last pathway event before a moment is one index probe,
        # covering what it reads (state and unit), so PostgreSQL answers it from the index
        # alone instead of one heap page per member (docs/PERFORMANCE.md). A member's events
        # in id order (record, export, erasure) probe it too: sorting a member's few events
        # by id costs nothing, a second index on member_id costs every event written.
        Index("ix_events_pathway_as_of", "member_id", "machine", "effective_at", "seq",
              "to_state", "unit_id"),
        # Only the rows that refer to a move (member_view): every other event is NULL here
        # and costs nothing to write.
        Index("ix_events_refers_to", "refers_to", sqlite_where=text("refers_to IS NOT NULL"),
              postgresql_where=text("refers_to IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    seq: Mapped[int] = mapped_column(Integer)
    machine: Mapped[str] = mapped_column(String(96))
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    # The member's unit after this event: as-of reports count members where they were then.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    actor: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    unmet: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    definition_version: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The member's view of a pathway move: {"agrees", "words", "why_not_asked", "on_behalf"}.
    # Given with the move itself, or later as its own ``member_view`` event that ``refers_to``
    # the move (the move's own event is never rewritten).
    member_view: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    refers_to: Mapped[int | None] = mapped_column(Integer)


class User(Base):
    """Someone who uses the service through a token; the token itself is never stored."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    all_units: Mapped[bool] = mapped_column(Boolean, default=False)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    units: Mapped[list[Unit]] = relationship(secondary="user_units")


class UserUnit(Base):
    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class IdempotentResponse(Base):
    """The first answer to a keyed request, replayed for a repeat with the same body."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (UniqueConstraint("user_id", "key"),
                      Index("ix_idempotent_responses_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessRecord(Base):
    """Who read a member's record, and when ("who looked at my record")."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_member_id_at", "member_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChangeRecord(Base):
    """Who changed a member's or a unit's details, when, which fields and why.

    The values are not kept (a display name is personal data): the fields' names are.
    """

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_member_id_at", "member_id", "at"),
                      Index("ix_change_log_unit_id_at", "unit_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    action: Mapped[str] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


class Login(Base):
    """A user's username and password hash, for signing in to the pages (tokens stay as they are).

    Kept apart from ``users`` so a user may have a token, a password, or both.
    """

    __tablename__ = "logins"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_set_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invitation(Base):
    """A one-time link to set a password; only the link's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """A failed sign-in for a username, counted across workers and restarts (never the password)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInLock(Base):
    """A username locked after too many failures, until ``locked_until``."""

    __tablename__ = "sign_in_locks"

    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DistributionChange(Base):
    """One change to the level distribution on a day (``pathway.store.ledger``).

    A pathway event takes one from the (unit, kind, level, status) group the member leaves and
    adds one to the group they enter, on the event's effective day in the service's zone: a
    backdated event is one more row, never a rewrite. Derived from the events; `pathway check`
    verifies it and `pathway ledger rebuild` remakes it.
    """

    __tablename__ = "distribution_changes"
    __table_args__ = (
        # A day range of changes summed per group, from the index alone (with the id, for
        # the checkpoints' "written up to" bound).
        Index("ix_distribution_changes_day", "day", "unit_id", "kind", "level", "status",
              "delta", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    # No foreign keys on derived rows: a rebuild writes millions, and `pathway check` holds
    # them to the events, which have them.
    unit_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)


class DistributionCheckpoint(Base):
    """A day whose whole distribution is kept in ``distribution_counts``.

    It counts the changes up to ``through_change`` (the highest change id when the checkpoints
    were taken); changes written since are added when read.
    """

    __tablename__ = "distribution_checkpoints"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    through_change: Mapped[int] = mapped_column(Integer)


class DistributionCount(Base):
    """Members in one (unit, kind, level, status) group at the end of a checkpoint day."""

    __tablename__ = "distribution_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    members: Mapped[int] = mapped_column(Integer)


class InvolvementRecord(Base):
    """One piece of paid or voluntary involvement for one member (``pathway.involvement``).

    Its state lives on its ``involvement:<id>`` instance, changed only through
    ``pathway.engine.fire``; the row keeps what was booked. Money is whole pence.
    """

    __tablename__ = "involvement_records"
    __table_args__ = (Index("ix_involvement_records_member_id_held_on", "member_id", "held_on"),
                      Index("ix_involvement_records_held_on_unit_id", "held_on", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    # Where the member was, and what kind, when it was booked: reports count it there.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(32))
    activity: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    payment: Mapped[str] = mapped_column(String(16))
    amount_pence: Mapped[int] = mapped_column(Integer)
    expenses_pence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # The member's informed choice to go over a benefit-safe limit, in their words.
    override_reason: Mapped[str | None] = mapped_column(Text)
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_by_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BenefitLimitSetting(Base):
    """Which benefit-safe limits guard a member's earnings from involvement."""

    __tablename__ = "benefit_limit_settings"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    rules: Mapped[list[str]] = mapped_column(JSON)
    custom_period: Mapped[str | None] = mapped_column(String(8))
    custom_limit_pence: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(120))


class Proposal(Base):
    """A proposed development of the service on the "you said, we did" board.

    Not a member's machine: the service's own, in its own table. ``unit_id`` is None for the
    whole service; ``author_user_id`` is None when raised anonymously, so no author is stored
    at all. The state changes only through ``pathway.people.proposals``, guarded by ``version``.
    """

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_unit_id_updated_at", "unit_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class ProposalEvent(Base):
    """An append-only record of one change to a proposal, or a forum's decision on it."""

    __tablename__ = "proposal_events"
    __table_args__ = (UniqueConstraint("proposal_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # Empty, with no user, for an anonymous raise.
    actor: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A forum's decision (service user and carer forums approve major developments).
    forum: Mapped[str | None] = mapped_column(String(200))
    forum_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
