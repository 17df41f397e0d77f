"""Sessions read from Redis and kept in the database: Django's ``cached_db`` engine, made
to hold when Redis does not (``SESSION_ENGINE`` when ``CACHE_URL`` names a Redis).

Every request reads its session; from Redis that costs no query (the load benchmark:
one query less on every page). The database stays the record: a session is written
there first, and read from there whenever Redis has no copy or cannot be reached.

What differs from Django's engine:

- Redis unreachable (stopped, or frozen past the cache's socket timeout) is never an
  error for the visitor: the session is read from, written to and deleted from the
  database alone, and the failure is logged. Django's engine fails the request when
  it cannot copy a session read from the database back to the cache, or look a new
  session key up while logging in.
- A copy lives :data:`CACHE_SECONDS` at most in Redis, then is read once more from the
  database. A log-out deletes the row and then the copy; if Redis could not be reached
  for the copy, it could otherwise be used again, once Redis answers, for the rest of
  the session's age (8 hours). A disabled account or a changed password are refused
  whatever the copy says (Django checks the user and the password's hash at each
  request).
"""

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

logger = logging.getLogger(__name__)

# Seconds. Re-reading a session from the database every five minutes costs nothing
# worth counting (one query per user and per five minutes of activity).
CACHE_SECONDS = 300


class SessionStore(cached_db.SessionStore):
    def _cache_seconds(self, expiry=None):
        return min(CACHE_SECONDS, self.get_expiry_age(expiry=expiry))

    def _copy_to_cache(self, data, expiry=None):
        try:
            self._cache.set(self.cache_key, data, self._cache_seconds(expiry))
        except Exception:
            logger.warning("Cache des sessions injoignable : copie non écrite", exc_info=True)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            # Not tried again in this request: a frozen Redis would cost its timeout twice.
            logger.warning("Cache des sessions injoignable : session lue en base", exc_info=True)
            reachable, data = False, None
        else:
            reachable = True
        if data is not None:
            return data
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        if reachable:
            self._copy_to_cache(data, expiry=row.expire_date)
        return data

    def exists(self, session_key):
        # Asked for each new session key (log-in): the database knows every session.
        return DatabaseStore.exists(self, session_key)

    def save(self, must_create=False):
        DatabaseStore.save(self, must_create)
        self._copy_to_cache(self._session)

    def delete(self, session_key=None):
        DatabaseStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            # The row is gone; the copy, if Redis still holds one, lapses within
            # CACHE_SECONDS.
            logger.error("Cache des sessions injoignable : copie d'une session supprimée "
                         "laissée au plus %s s", CACHE_SECONDS, exc_info=True)
