"""Who hears of a notification, and on which channels: pure rules, no store."""

from coaching.domain import Role
from coaching.notifications import (
    Member,
    Preference,
    channels_for,
    delivery_key,
    recipients,
    webhook_wants,
)

ADMIN = Member("a1", "admin@x.org", Role.ADMIN)
SECOND_ADMIN = Member("a2", "second@x.org", Role.ADMIN)
MANAGER = Member("m1", "manager@x.org", Role.PROGRAM_MANAGER)
LEFT = Member("m2", "left@x.org", Role.PROGRAM_MANAGER, is_active=False)
TEAM = [ADMIN, SECOND_ADMIN, MANAGER, LEFT]


def test_the_named_user_while_an_active_member() -> None:
    assert [r.user_id for r in recipients("m1", None, TEAM)] == ["m1"]
    assert all(r.stand_in is None for r in recipients("m1", None, TEAM))


def test_admins_stand_in_for_a_user_who_left_or_was_never_there() -> None:
    for gone in ("m2", "nobody"):
        told = recipients(gone, None, TEAM)
        assert [r.user_id for r in told] == ["a1", "a2"]
        assert {r.stand_in for r in told} == {"the recipient left the organization"}


def test_a_role_reaches_every_active_holder_or_the_admins() -> None:
    assert [r.user_id for r in recipients(None, Role.PROGRAM_MANAGER, TEAM)] == ["m1"]
    empty = recipients(None, Role.CONTENT_SPECIALIST, TEAM)
    assert [r.user_id for r in empty] == ["a1", "a2"]
    assert empty[0].stand_in == "the organization has no active content_specialist"
    assert recipients("m1", None, [LEFT]) == []  # nobody to tell: no admin either


def test_preferences_pick_channels_or_mute() -> None:
    assert channels_for("bulk_opt_out", {}) == ("inbox", "email")
    chosen = {"bulk_opt_out": Preference(("email",))}
    assert channels_for("bulk_opt_out", chosen) == ("email",)
    assert channels_for("wellbeing_decline", chosen) == ("inbox", "email")
    assert channels_for("bulk_opt_out", {"bulk_opt_out": Preference(("inbox",), True)}) == ()
    # A user cannot choose the organization's webhook as a personal channel.
    assert channels_for("x", {"x": Preference(("webhook", "inbox"))}) == ("inbox",)


def test_webhooks_take_the_kinds_they_list_or_all() -> None:
    assert webhook_wants([], "anything")
    assert webhook_wants(["bulk_opt_out"], "bulk_opt_out")
    assert not webhook_wants(["bulk_opt_out"], "quota_warning")


def test_delivery_keys_differ_by_channel_and_recipient() -> None:
    keys = {delivery_key("k", c, r) for c in ("inbox", "email") for r in ("u1", "u2")}
    assert len(keys) == 4
