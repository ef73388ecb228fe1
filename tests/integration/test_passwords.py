"""Passwords: the policy a new one must meet, and the slow salted hash that is all we keep."""

from __future__ import annotations

import pytest

from pathway.errors import InvalidInput
from pathway.people import passwords


def test_a_password_shorter_than_twelve_characters_is_refused_saying_so():
    with pytest.raises(InvalidInput) as refused:
        passwords.check_policy("elevenchars")
    assert "at least 12 characters" in refused.value.message
    assert refused.value.errors == {"password": [refused.value.message]}


@pytest.mark.parametrize("common", ["password1234", "Qwertyuiop12", "123456789012"])
def test_a_common_password_is_refused_whatever_its_case(common):
    with pytest.raises(InvalidInput, match="most common"):
        passwords.check_policy(common)


def test_the_shipped_list_is_small_lower_case_and_long_enough_to_matter():
    listed = passwords.common_passwords()
    assert 50 <= len(listed) <= 1000
    assert all(p == p.lower() for p in listed)
    assert all(len(p) >= passwords.MINIMUM_LENGTH for p in listed)


def test_a_password_that_is_the_username_is_refused():
    with pytest.raises(InvalidInput, match="username"):
        passwords.check_policy("Coordinator-Rhian", "coordinator-rhian")


def test_a_long_uncommon_password_is_accepted():
    passwords.check_policy("the kettle on ward seven sings", "rhian")


def test_the_hash_is_salted_scrypt_and_never_holds_the_password():
    first = passwords.hash_password("the kettle on ward seven sings")
    second = passwords.hash_password("the kettle on ward seven sings")
    assert first != second
    assert first.startswith(f"scrypt${passwords.SCRYPT_N}$")
    assert "kettle" not in first


def test_only_the_right_password_verifies():
    stored = passwords.hash_password("the kettle on ward seven sings")
    assert passwords.verify_password("the kettle on ward seven sings", stored)
    assert not passwords.verify_password("the kettle on ward seven sang", stored)
    assert not passwords.verify_password("the kettle on ward seven sings", None)
    assert not passwords.verify_password("anything", "not-a-hash")


def test_a_fingerprint_changes_when_the_password_does():
    first = passwords.hash_password("the kettle on ward seven sings")
    second = passwords.hash_password("the kettle on ward seven sings")
    assert passwords.fingerprint(first) == passwords.fingerprint(first)
    assert passwords.fingerprint(first) != passwords.fingerprint(second)
