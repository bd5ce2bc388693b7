"""Asset keys, groups and check names as constants: renaming one is a visible, reviewed change."""

RECEIVED = "received_submissions"
PARSED = "parsed_returns"
VALIDATED = "validated_returns"
PUBLISHED = "published_tables"
RELEASE = "release"

GROUP_RECEIVED = "received"
GROUP_PARSED = "parsed"
GROUP_VALIDATED = "validated"
GROUP_WAREHOUSE = "warehouse"
GROUP_RELEASE = "release"

SUITE_CHECKS = {suite: f"{suite}_suite" for suite in ("cover", "activities", "prisons", "outcomes")}
CHECK_PRIMARY_KEYS = "published_primary_keys_unique"
CHECK_NOT_EMPTY = "published_tables_not_empty"
