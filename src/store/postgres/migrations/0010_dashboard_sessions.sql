-- Dashboard sessions (issue 22), in the database so that a restart logs nobody out and every
-- replica knows every session (no sticky sessions). The key is the SHA-256 of the cookie's random
-- value: the database holds no usable cookie. flash: the one message shown on the next page.
CREATE TABLE dashboard_sessions (
  key text PRIMARY KEY,
  csrf text NOT NULL,
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  flash text
);
CREATE INDEX dashboard_sessions_last_seen ON dashboard_sessions (last_seen_at);
