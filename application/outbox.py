"""The outbox: mails owed to account owners, and the step that sends them.

The projection notes each mail an event causes (recipient role, text, link
kind), never an address or a token. The dispatcher, one step of the log
follower that every serving process runs, fills both in from the aggregates
and the link key when it sends, then moves its tracking position.
"""

from __future__ import annotations

import logging
import time
from itertools import groupby
from typing import Any
from uuid import UUID

from application.invitations import InvitationLinks
from application.ledger import Ledger
from application.notices import (
    CONTACT,
    INVITATION,
    OBJECTION,
    RESET,
    UPLOAD,
    Notices,
    recovery_notices,
)
from application.ports import Notifier
from application.read_models import Change, Item, Put, ViewStore
from application.recovery_links import RecoveryLinks
from domain.recovery_case import RecoveryCase
from domain.sign_in import SignInAccount

logger = logging.getLogger(__name__)

OUTBOX = "outbox"
ALL = "all"
BATCH = 500
LEASE = 60  # seconds one process may send before another may take over


class Outbox:
    """The mails each event causes, in log order."""

    name = "outbox"
    views = (OUTBOX,)

    def __init__(self, *more: tuple[tuple[str, ...], Notices]) -> None:
        recovery_topics = (
            RecoveryCase.Opened.TOPIC,
            RecoveryCase.DocumentReceived.TOPIC,
            RecoveryCase.Decided.TOPIC,
            RecoveryCase.Objected.TOPIC,
            RecoveryCase.Closed.TOPIC,
        )
        self.sources = [(recovery_topics, recovery_notices), *more]
        self.topics = tuple(t for topics, _ in self.sources for t in topics)

    def changes(self, event: Any, position: int) -> list[Change]:
        notices = [n for _, notices_of in self.sources for n in notices_of(event)]
        case = isinstance(event, RecoveryCase.Event)
        return [
            Put(
                OUTBOX,
                ALL,
                f"{position:020d}.{n}",
                {
                    "recipient": notice.recipient,
                    "subject": notice.subject,
                    "body": notice.body,
                    "link": notice.link,
                    "link_subject": notice.link_subject,
                    "case_id": str(event.originator_id) if case else None,
                    "account_id": None if case else str(event.originator_id),
                    "version": event.originator_version,
                },
            )
            for n, notice in enumerate(notices)
        ]


class OutboxDispatcher:
    """Sends the outbox's mails, each at least once across crashes."""

    TRACKING = "outbox_dispatch"
    LEASE = "outbox_dispatch_lease"

    def __init__(
        self,
        views: ViewStore,
        ledger: Ledger,
        notifier: Notifier | None,
        links: RecoveryLinks,
        invitations: InvitationLinks | None = None,
    ) -> None:
        self.views = views
        self.ledger = ledger
        self.notifier = notifier
        self.links = links
        self.invitations = invitations

    def dispatch(self) -> int:
        """Send every mail not yet sent; returns how many were sent.

        One process at a time sends (a lease in the view store), so several
        workers do not mail the same message twice. Without a relay
        configured nothing is sent and nothing is dropped: the mails wait
        here until there is one.
        """
        if self.notifier is None:
            return 0
        held, now = self.views.position(self.LEASE), int(time.time())
        if held > now or not self.views.apply(self.LEASE, held, now + LEASE, []):
            return 0  # another process is sending
        try:
            return self._send_pending()
        finally:
            self.views.apply(self.LEASE, now + LEASE, now, [])

    def withhold_through(self, position: int) -> int:
        """Mark every mail of the log up to ``position`` as never to be sent.

        For a store filled with demo data: its people's addresses are made
        up, and its weeks-old notices must not reach anyone, whatever relay
        is configured later. Returns how many mails already noted were
        withheld (the outbox read model may note the rest later; they are
        withheld all the same).
        """
        while True:
            sent_upto = self.views.position(self.TRACKING)
            if sent_upto >= position:
                return 0
            pending = self._pending(sent_upto)
            withheld = sum(1 for item in pending if _position(item) <= position)
            if self.views.apply(self.TRACKING, sent_upto, position, []):
                logger.info(
                    "outbox: mails up to position %d withheld (%d noted so far)",
                    position,
                    withheld,
                )
                return withheld

    def backlog(self) -> int:
        """How many mails are noted and not yet sent (with or without a relay)."""
        return len(self._pending(self.views.position(self.TRACKING)))

    def _send_pending(self) -> int:
        sent_upto = self.views.position(self.TRACKING)
        pending = sorted(self._pending(sent_upto), key=lambda i: i.item_id)
        sent = 0
        for position, group in groupby(pending, key=_position):
            for item in group:
                sent += self._send(item.data)
            if not self.views.apply(self.TRACKING, sent_upto, position, []):
                return sent  # another process sent the rest meanwhile
            sent_upto = position
        return sent

    def _pending(self, sent_upto: int) -> list[Item]:
        """Every mail put after that position (read newest first, in pages)."""
        pending: dict[str, Item] = {}
        before = None
        while True:
            page = self.views.items(OUTBOX, ALL, limit=BATCH, before=before)
            fresh = [i for i in page if i.position > sent_upto]
            if not {i.item_id for i in fresh} - set(pending):
                return list(pending.values())
            pending.update((i.item_id, i) for i in fresh)
            if len(page) < BATCH or page[-1].position <= sent_upto:
                return list(pending.values())
            # One event's mails share a position: read that position again.
            before = page[-1].position + 1

    def _send(self, data: dict[str, Any]) -> int:
        to = self._address(data)
        if not to:
            logger.warning("outbox: no address for a %s mail", data.get("recipient"))
            return 0
        body = data["body"]
        link = self._link(data)
        if link:
            body = f"{body}\n\n{link}\n"
        assert self.notifier is not None  # noqa: S101 - checked by dispatch
        self.notifier.send(to, data["subject"], body)
        return 1

    def _address(self, data: dict[str, Any]) -> str:
        account_id = data.get("account_id")
        if data.get("case_id"):
            case = self.ledger.find(UUID(data["case_id"]), RecoveryCase)
            if case is None:
                return ""
            if data.get("recipient", CONTACT) == CONTACT:
                return case.contact_email
            account_id = str(case.account_id)
        if not account_id:
            return ""
        account = self.ledger.find(UUID(account_id), SignInAccount)
        return account.email if account else ""

    def _link(self, data: dict[str, Any]) -> str | None:
        kind, case_id = data.get("link"), data.get("case_id")
        if kind == INVITATION and self.invitations and data.get("link_subject"):
            account = UUID(str(data["account_id"]))
            return self.invitations.link(account, str(data["link_subject"]))
        if kind is None or case_id is None:
            return None
        case = UUID(case_id)
        if kind == UPLOAD:
            return self.links.upload_link(case)
        if kind == RESET:
            return self.links.reset_link(case, int(data["version"]))
        if kind == OBJECTION:
            return self.links.objection_link(case)
        return None


def _position(item: Item) -> int:
    return int(item.item_id.split(".")[0])
