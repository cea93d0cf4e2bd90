"""The warehouse speaks the domain's vocabulary: its copies of domain constants stay equal."""

import csv
import re
from pathlib import Path

from coaching.domain import OPT_OUT_KEYWORDS, STATUS_RANK, MessageStatus
from coaching.notifications import KIND_RULES

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_status_ranks_seed_is_the_domain_ranking() -> None:
    with (DBT / "seeds" / "message_status_ranks.csv").open() as handle:
        seed = {row["status"]: row for row in csv.DictReader(handle)}
    for status, row in seed.items():
        assert int(row["status_rank"]) == STATUS_RANK[MessageStatus(status)]
        assert (row["is_failure"] == "true") == (status in ("failed", "undelivered"))
    assert set(seed) == {s.value for s in STATUS_RANK if s is not MessageStatus.RECEIVED}


def test_opt_out_keywords_macro_is_the_domain_list() -> None:
    macro = (DBT / "macros" / "opt_out_keywords.sql").read_text()
    assert set(re.findall(r"'([A-Z]+)'", macro)) == OPT_OUT_KEYWORDS


def test_notification_kinds_seed_is_the_domain_rules() -> None:
    with (DBT / "seeds" / "notification_kinds.csv").open() as handle:
        seed = {row["kind"]: row for row in csv.DictReader(handle)}
    assert set(seed) == {kind.value for kind in KIND_RULES}
    for kind, rule in KIND_RULES.items():
        row = seed[kind]
        assert (row["subject_type"], row["severity"], row["recipient"]) == (
            rule.subject_type,
            rule.severity,
            rule.recipient,
        )
        assert (float(row["threshold"]) if row["threshold"] else None) == rule.threshold
