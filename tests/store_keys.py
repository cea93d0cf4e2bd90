"""Field keys for tests that open a store by URL alone (a private SQLite file or PostgreSQL
database), where no settings, and so no COACH_HOME with drawn keys, are at hand."""

from coaching.field_crypto import FieldKeys

TEST_KEY = "test field encryption key, not a secret of any installation"
TEST_LOOKUP_SECRET = "test field lookup secret, not a secret of any installation"
TEST_FIELD_KEYS = FieldKeys([TEST_KEY], TEST_LOOKUP_SECRET)

# The same keys as settings read them: tests whose stores outlive one COACH_HOME (the API tests'
# shared PostgreSQL database) must all seal and open with one set.
TEST_KEY_ENVIRONMENT = {
    "COACH_FIELD_ENCRYPTION_KEYS": f'["{TEST_KEY}"]',
    "COACH_FIELD_LOOKUP_SECRET": TEST_LOOKUP_SECRET,
}
