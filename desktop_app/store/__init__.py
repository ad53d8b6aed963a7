"""Qt-free durable history in SQLite.

`HistoryStore.open(AppPaths.database_file)` gives the store; see `history.py` for the API,
`schema.py` for tables and migrations, `database.py` for damage handling and backups,
`export.py` for the export formats (imported when first used: its format constants are
there) and `text.py` for titles and search snippets.
"""

from desktop_app.store.database import IntegrityCheckJob, IntegrityResult, OpenReport
from desktop_app.store.errors import (
    ImportFormatError,
    MigrationError,
    NotFoundError,
    StoreAccessError,
    StoreError,
    StoreOpenError,
    StoreTooNewError,
)
from desktop_app.store.history import HistoryStore
from desktop_app.store.models import (
    VOTE_CHOICES,
    Conversation,
    InterruptedReply,
    OpenTab,
    ReplyInfo,
    ReplyStatus,
    SearchHit,
    StoredMessage,
    TabsState,
    Totals,
    TurnResultLike,
    Vote,
    VoteColumn,
)
from desktop_app.store.schema import SCHEMA_VERSION
from desktop_app.store.text import HIT_END, HIT_START, make_title, split_snippet

__all__ = [
    "HIT_END",
    "HIT_START",
    "SCHEMA_VERSION",
    "VOTE_CHOICES",
    "Conversation",
    "HistoryStore",
    "ImportFormatError",
    "IntegrityCheckJob",
    "IntegrityResult",
    "InterruptedReply",
    "MigrationError",
    "NotFoundError",
    "OpenReport",
    "OpenTab",
    "ReplyInfo",
    "ReplyStatus",
    "SearchHit",
    "StoreAccessError",
    "StoreError",
    "StoreOpenError",
    "StoreTooNewError",
    "StoredMessage",
    "TabsState",
    "Totals",
    "TurnResultLike",
    "Vote",
    "VoteColumn",
    "make_title",
    "split_snippet",
]
