"""What a search box searches, read the same way on every list."""

SEARCH_MAX_LENGTH = 100


def search_query(raw, max_length=SEARCH_MAX_LENGTH):
    """``raw`` (a GET parameter, maybe None) as the text to search: without NUL
    characters, which PostgreSQL refuses in any text (a server error otherwise),
    stripped, and cut rather than refused when too long (a search never fails)."""
    return (raw or "").replace("\x00", "").strip()[:max_length]
