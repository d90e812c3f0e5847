"""The xSwarm guide's schema, indexes and test users (used by setup and the local demo org)."""

from __future__ import annotations

import random
from collections.abc import Iterator

PRIMARY_LOCATION = "sjc"
"""The guide's primary location (`turso db create xswarm-users --location sjc`): the local Turso's
default location, and what setup picks there when none is asked for."""

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  phone TEXT,
  xswarm_email TEXT NOT NULL UNIQUE,
  xswarm_phone TEXT,
  subscription_tier TEXT DEFAULT 'free',
  persona TEXT DEFAULT 'hal-9000',
  wake_word TEXT DEFAULT 'hey hal',
  stripe_customer_id TEXT,
  stripe_subscription_id TEXT,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)""",
    "CREATE INDEX IF NOT EXISTS idx_users_email ON users(email)",
    "CREATE INDEX IF NOT EXISTS idx_users_xswarm_phone ON users(xswarm_phone)",
    "CREATE INDEX IF NOT EXISTS idx_users_stripe_customer ON users(stripe_customer_id)",
    """CREATE TABLE IF NOT EXISTS subscription_items (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  voice_item_id TEXT,
  sms_item_id TEXT,
  FOREIGN KEY (user_id) REFERENCES users(id)
)""",
    """CREATE TABLE IF NOT EXISTS usage (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  period_start TIMESTAMP NOT NULL,
  period_end TIMESTAMP NOT NULL,
  voice_minutes INTEGER DEFAULT 0,
  sms_messages INTEGER DEFAULT 0,
  phone_numbers INTEGER DEFAULT 0,
  FOREIGN KEY (user_id) REFERENCES users(id)
)""",
    "CREATE INDEX IF NOT EXISTS idx_usage_user_period ON usage(user_id, period_start)",
)

USER_COLUMNS = (
    "id",
    "email",
    "phone",
    "xswarm_email",
    "xswarm_phone",
    "subscription_tier",
    "persona",
    "wake_word",
    "stripe_customer_id",
    "stripe_subscription_id",
)
# Constant column names; every value is bound as a parameter.
INSERT_USER = (
    f"INSERT OR IGNORE INTO users ({', '.join(USER_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in USER_COLUMNS)})"
)
Row = tuple[str | None, ...]

# The guide's two test users.
TEST_USERS: tuple[Row, ...] = (
    ("test-123", "test@example.com", "+15551234567", "test@xswarm.ai", "+18005551001",
     "premium", "hal-9000", "hey hal", None, None),
    ("admin-456", "admin@xswarm.dev", "+15559876543", "admin@xswarm.ai", None,
     "enterprise", "hal-9000", "hey hal", None, None),
)  # fmt: skip

_FIRST = ("ada", "alan", "grace", "linus", "margaret", "ken", "barbara", "dennis", "frances",
          "edsger", "radia", "tim", "hedy", "john", "katherine", "guido", "anita", "donald")  # fmt: skip
_LAST = ("lovelace", "turing", "hopper", "torvalds", "hamilton", "thompson", "liskov",
         "ritchie", "allen", "dijkstra", "perlman", "berners-lee", "lamarr", "backus",
         "johnson", "van-rossum", "borg", "knuth")  # fmt: skip
_DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.io")
_PERSONAS = (("hal-9000", "hey hal"), ("jarvis", "hey jarvis"), ("friday", "hey friday"),
             ("kitt", "hey kitt"), ("samantha", "hey sam"))  # fmt: skip
_TIERS = ("free", "free", "free", "free", "premium", "premium", "pro", "enterprise")


def generated_users(count: int, *, seed: int = 2025) -> Iterator[Row]:
    """Realistic, deterministic users for the demo organization."""
    rng = random.Random(seed)
    for n in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        handle = f"{first}.{last}{n}"
        tier = rng.choice(_TIERS)
        persona, wake = rng.choice(_PERSONAS)
        paid = tier != "free"
        has_number = paid or rng.random() < 0.2
        yield (
            f"usr-{n:06d}",
            f"{handle}@{rng.choice(_DOMAINS)}",
            f"+1555{rng.randrange(10**7):07d}",
            f"{handle}@xswarm.ai",
            f"+1800{5_550_000 + n:07d}" if has_number else None,
            tier,
            persona,
            wake,
            f"cus_{rng.getrandbits(64):016x}" if paid else None,
            f"sub_{rng.getrandbits(64):016x}" if paid else None,
        )
