"""Sealing and opening field tokens, key rotation's key list, and the lookup hash."""

import pytest

from coaching.field_crypto import FieldKeyError, FieldKeys, is_token, token_key_id

OLD = "old field key material, at least thirty-two characters"
NEW = "new field key material, at least thirty-two characters"
LOOKUP = "lookup secret material, at least thirty-two characters"
PHONE = "+254700000001"


def test_a_sealed_value_opens_to_itself_and_shows_nothing_of_it() -> None:
    keys = FieldKeys([OLD], LOOKUP)
    token = keys.seal(PHONE, "workers.phone_e164")
    assert is_token(token) and PHONE not in token and "254700000001" not in token
    assert keys.open(token, "workers.phone_e164") == PHONE
    assert keys.seal(PHONE, "workers.phone_e164") != token  # a fresh nonce every time


def test_a_token_opens_only_in_its_own_column() -> None:
    keys = FieldKeys([OLD], LOOKUP)
    token = keys.seal("I feel tired", "message_events.body")
    with pytest.raises(FieldKeyError, match=r"outbox\.body"):
        keys.open(token, "outbox.body")


def test_an_altered_token_is_refused() -> None:
    keys = FieldKeys([OLD], LOOKUP)
    token = keys.seal(PHONE, "workers.phone_e164")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(FieldKeyError, match="altered or truncated"):
        keys.open(flipped, "workers.phone_e164")
    with pytest.raises(FieldKeyError, match="altered or truncated"):
        keys.open(token[:30], "workers.phone_e164")


def test_the_first_key_seals_and_every_listed_key_opens() -> None:
    before = FieldKeys([OLD], LOOKUP)
    during = FieldKeys([NEW, OLD], LOOKUP)
    after = FieldKeys([NEW], LOOKUP)
    old_token = before.seal(PHONE, "workers.phone_e164")
    new_token = during.seal(PHONE, "workers.phone_e164")
    assert token_key_id(new_token) == during.current_id == after.current_id
    assert token_key_id(old_token) == before.current_id != during.current_id
    assert during.open(old_token, "workers.phone_e164") == PHONE
    assert during.needs_resealing(old_token) and not during.needs_resealing(new_token)
    assert after.open(new_token, "workers.phone_e164") == PHONE
    with pytest.raises(FieldKeyError, match=f"key {before.current_id}.*COACH_FIELD_ENCRYPTION"):
        after.open(old_token, "workers.phone_e164")


def test_plain_values_from_before_encryption_read_as_they_are_and_need_sealing() -> None:
    keys = FieldKeys([OLD], LOOKUP)
    assert keys.open(PHONE, "workers.phone_e164") == PHONE
    assert keys.needs_resealing(PHONE) and not keys.needs_resealing(None)


def test_the_lookup_hash_is_stable_under_one_secret_and_differs_under_another() -> None:
    keys = FieldKeys([OLD], LOOKUP)
    assert keys.lookup(PHONE) == FieldKeys([NEW], LOOKUP).lookup(PHONE)  # not tied to the key
    assert keys.lookup(PHONE) != keys.lookup("+254700000002")
    assert keys.lookup(PHONE) != FieldKeys([OLD], "another lookup secret of 32 characters").lookup(
        PHONE
    )
    assert PHONE not in keys.lookup(PHONE)


def test_unusable_key_material_is_refused() -> None:
    with pytest.raises(FieldKeyError, match="32 characters"):
        FieldKeys(["short"], LOOKUP)
    with pytest.raises(FieldKeyError, match="at least one"):
        FieldKeys([], LOOKUP)
    with pytest.raises(FieldKeyError, match="twice"):
        FieldKeys([OLD, OLD], LOOKUP)
    with pytest.raises(FieldKeyError, match="32 characters"):
        FieldKeys([OLD], "short")
