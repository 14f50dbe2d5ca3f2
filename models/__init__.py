"""SQLModel tables and the queries that belong to them.

Importing this package registers every table on `SQLModel.metadata` (Alembic reads it).
"""
from models.attempts import JoinAttempt
from models.faq import FaqLog
from models.ledger import Report
from models.members import ChatLink, Invite, Member
from models.official import OfficialFigure
from models.outbox import Outbox
from models.processed import PendingChoice, ProcessedMessage
from models.units import Target, Unit
from models.web_access import ApiToken, WebLink, WebSession

__all__ = [
    "ApiToken", "ChatLink", "FaqLog", "Invite", "JoinAttempt", "Member", "OfficialFigure",
    "Outbox", "PendingChoice",
    "ProcessedMessage", "Report", "Target", "Unit",
    "WebLink", "WebSession",
]
