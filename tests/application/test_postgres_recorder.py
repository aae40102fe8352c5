"""The ledger's PostgreSQL recorders pass the library's own recorder tests."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
)

from infrastructure.postgres_recorder import (
    BoundedAggregateRecorder,
    CommitOutcomeUnknownError,
    SettlingApplicationRecorder,
)
from infrastructure.scratch_schema import scratch_schema
from tests.conftest import POSTGRES_URL, require_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """A schema of the test's own, for the library's test case to fill."""
    require_postgres()
    with scratch_schema(POSTGRES_URL, "sg_rec") as name:
        request.instance.schema = name
        yield
        request.instance.close()


class OnOwnSchema:
    schema = ""
    datastore: PostgresDatastore | None = None

    def new_datastore(self) -> PostgresDatastore:
        url = urlsplit(POSTGRES_URL)
        self.datastore = PostgresDatastore(
            dbname=url.path.lstrip("/"),
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or getpass.getuser(),
            password=url.password or "",
            schema=self.schema,
        )
        return self.datastore

    def close(self) -> None:
        if self.datastore is not None:
            self.datastore.close()


class TestSettlingApplicationRecorder(
    OnOwnSchema, ApplicationRecorderTestCase[SettlingApplicationRecorder]
):
    def create_recorder(self) -> SettlingApplicationRecorder:
        recorder = SettlingApplicationRecorder(self.new_datastore())
        recorder.create_table()
        return recorder


class TestBoundedAggregateRecorder(OnOwnSchema, AggregateRecorderTestCase):
    def create_recorder(self) -> BoundedAggregateRecorder:
        recorder = BoundedAggregateRecorder(self.new_datastore())
        recorder.create_table()
        return recorder


class TestACommitThatGotNoConnection(OnOwnSchema):
    """Nothing was sent, so nothing may have landed: the answer is 'not
    saved' at once, not 'may or may not' after reading back in vain."""

    def test_it_is_not_called_unknown_and_nothing_is_stored(self) -> None:
        datastore = self.new_datastore()
        recorder = SettlingApplicationRecorder(datastore)
        recorder.create_table()
        datastore.pool.timeout = 0.3
        event = StoredEvent(uuid4(), 1, "sellerguard:Test", b"state")

        # The pool's only connection is busy.
        with datastore.get_connection(), pytest.raises(OperationalError) as refused:
            recorder.insert_events([event])

        assert not isinstance(refused.value, CommitOutcomeUnknownError)
        assert recorder.select_events(event.originator_id) == []
