"""The composition root: the one place where the object graph is wired."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from application.access import AccessChecks
from application.account_lookup import AccountDirectory, AccountLookup
from application.account_security import AccountSecurity
from application.accounts import username_of
from application.audit import Audit
from application.audit_index import AuditIndexer
from application.block_lists import ActiveBlocks, BlockLists, BlockLookup
from application.credentials import Credentials
from application.follower_watch import FollowerWatch, lag_check
from application.idempotency import Idempotency
from application.inactivity_sweep import InactivitySweep
from application.invitations import InvitationLinks, Invitations, invitation_of
from application.ledger import Ledger
from application.log_follower import LogFollower, Step
from application.login_names import LoginNames
from application.merkle_log import MerkleLog
from application.notices import (
    INVITATION_TOPICS,
    PASSKEY_TOPICS,
    PAYOUT_TOPICS,
    invitation_notices,
    passkey_notices,
    payout_notices,
)
from application.outbox import Outbox, OutboxDispatcher
from application.passkey_sign_in import PasskeySignIn
from application.passkeys import Passkeys
from application.payouts import Payouts
from application.platform_directory import PlatformDirectory, PlatformRoster
from application.platform_people import PlatformPeople
from application.portfolios import Portfolios
from application.ports import Clock
from application.read_models import ReadModels, ViewStore
from application.readiness import Readiness, ReadinessCheck
from application.recovery import Recovery
from application.recovery_links import RecoveryLinks
from application.recovery_requests import RecoveryRequestQueue
from application.recovery_views import RecoveryQueues
from application.security_center import SecurityCenter
from application.security_center_views import SecurityCenterViews
from application.security_counts import SecurityCounts
from application.security_dashboard import SecurityDashboard
from application.security_views import Alerts, LoginHistory
from application.sellers import Sellers
from application.store_activity import ActivityLedger, StoreActivity, StoreDirectory
from application.store_inspection import StoreInspection
from application.sub_accounts import SubAccounts
from domain.password_policy import PasswordPolicy
from infrastructure import store_format
from infrastructure.argon2_hasher import Argon2Hasher
from infrastructure.audit_store import open_audit_store
from infrastructure.clock import SystemClock
from infrastructure.database import Database, ledger_infrastructure, open_database
from infrastructure.document_inspection import DocumentInspector
from infrastructure.document_vault import PostgresVault, open_vault
from infrastructure.event_histories import StoredHistories
from infrastructure.event_store import ledger_env
from infrastructure.idempotency_store import open_idempotency_store
from infrastructure.integrity_signer import Ed25519Signer
from infrastructure.keys import (
    cipher_keys,
    ensure_keys,
    idempotency_digest_key,
    link_key,
    username_namespace,
)
from infrastructure.leader_lock import open_leader_lock
from infrastructure.link_keys import HmacLinkKeys
from infrastructure.notifier import open_notifier
from infrastructure.prometheus_metrics import PrometheusMetrics
from infrastructure.settings import Settings
from infrastructure.totp import Totp
from infrastructure.tree_store import open_tree_store
from infrastructure.view_store import open_view_store
from infrastructure.webauthn_ceremonies import WebAuthnCeremonies

SWEEP_EVERY = 3600.0  # seconds between inactivity sweeps
IDEMPOTENCY_PURGE_EVERY = 3600.0  # seconds between purges of expired keys
OUTBOX_EVERY = 1.0  # seconds between outbox dispatches (a relay may be slow)


@dataclass
class Services:
    """Everything the interface calls, built once per process."""

    settings: Settings
    clock: Clock
    ledger: Ledger
    views: ViewStore
    read_models: ReadModels
    sellers: Sellers
    sign_in: PasskeySignIn
    account_security: AccountSecurity
    sub_accounts: SubAccounts
    invitations: Invitations
    access: AccessChecks
    platform_people: PlatformPeople
    platform_roster: PlatformRoster
    block_lists: BlockLists
    recovery: Recovery
    outbox: OutboxDispatcher
    payouts: Payouts
    integrity: MerkleLog
    audit: Audit
    security_center: SecurityCenter
    security_dashboard: SecurityDashboard
    follower: LogFollower
    store_activity: ActivityLedger
    sweep: InactivitySweep
    inspection: StoreInspection
    portfolios: Portfolios
    passkeys: Passkeys
    account_lookup: AccountLookup
    metrics: PrometheusMetrics
    watch: FollowerWatch
    idempotency: Idempotency
    readiness: Readiness
    # The process's PostgreSQL pool, shared by every store (None on SQLite).
    database: Database | None = None

    def close(self) -> None:
        """Stop following the log; release the stores' connections."""
        self.follower.stop()
        self.ledger.close()
        self.idempotency.records.close()
        self.views.close()  # type: ignore[attr-defined]
        self.integrity.close()
        self.audit.store.close()
        self.readiness.close()
        if self.database is not None:
            self.database.close()


EXTENSION = "sellerguard"


def services() -> Services:
    """The services of the app serving this request (``app.extensions``)."""
    found: Services = current_app.extensions[EXTENSION]
    return found


def initialise(
    settings: Settings, progress: store_format.Progress | None = None
) -> list[str]:
    """Create the data directory, the missing keys and the tables; idempotent.

    A store written by an earlier version is migrated first (its records
    re-sealed in place), reporting ``progress(done, total)``.
    """
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)  # also one made before, by hand or an old version
    created = [str(path) for path in ensure_keys(settings)]
    store_format.migrate(settings, cipher_keys(settings), progress or _quiet)
    services = build_services(settings, create_tables=True)
    services.views.create_tables()  # type: ignore[attr-defined]
    services.integrity.store.create_tables()  # type: ignore[attr-defined]
    services.audit.store.create_tables()
    services.idempotency.records.create_tables()  # type: ignore[attr-defined]
    if isinstance(services.recovery.vault, PostgresVault):
        services.recovery.vault.create_tables()
    services.close()
    return created


def _quiet(done: int, total: int) -> None:
    """No progress to show."""


def build_services(
    settings: Settings, clock: Clock | None = None, *, create_tables: bool = False
) -> Services:
    """Wire the application and its adapters for these settings."""
    keys = cipher_keys(settings)
    store_format.check(settings)
    namespace = username_namespace(keys[0])
    # One PostgreSQL pool per process, shared by every store (None on SQLite).
    database = open_database(settings) if settings.uses_postgres else None
    ledger = Ledger(
        env=ledger_env(settings, keys, create_tables=create_tables),
        histories=StoredHistories(),
        infrastructure=ledger_infrastructure(database) if database else None,
    )
    views = open_view_store(settings, database)
    hasher = Argon2Hasher(settings.argon2_parameters(), settings.argon2_profile)
    credentials = Credentials(
        PasswordPolicy(min_length=settings.password_min_length), hasher
    )
    authenticator = Totp()
    clock = clock or SystemClock()
    names = LoginNames(ledger, namespace)
    link_keys = HmacLinkKeys(link_key(keys[0]))
    links = RecoveryLinks(link_keys, settings.reset_url)
    invitation_links = InvitationLinks(link_keys, settings.invitation_url)
    directory = AccountDirectory(lambda email: link_keys.derive("account-email", email))
    stores = StoreDirectory(ledger)  # which store each account belongs to
    read_models = ReadModels(
        ledger,
        views,
        [
            LoginHistory(),
            Alerts(lambda account_id: username_of(ledger, account_id)),
            BlockLookup(),
            RecoveryQueues(),
            RecoveryRequestQueue(),
            Outbox(
                (PAYOUT_TOPICS, payout_notices),
                (PASSKEY_TOPICS, passkey_notices),
                (INVITATION_TOPICS, invitation_notices(invitation_of(ledger))),
            ),
            SecurityCenterViews(ledger),
            StoreActivity(stores.store_of, stores.learn),
            directory,
            PlatformDirectory(),
        ],
    )
    store_activity = ActivityLedger(views)
    vault = open_vault(settings, database)
    integrity = MerkleLog(
        ledger,
        open_tree_store(settings, database),
        Ed25519Signer(settings.signing_key_file),
        clock,
    )
    audit = Audit(
        ledger,
        AuditIndexer(ledger, open_audit_store(settings, database)),
        clock,
        names,
    )
    outbox = OutboxDispatcher(
        views,
        ledger,
        open_notifier(settings.smtp_url, settings.mail_from),
        links,
        invitation_links,
    )
    sweep = InactivitySweep(ledger, store_activity, read_models, clock)
    follower = LogFollower(
        follower_steps(read_models, audit, integrity, outbox),
        open_leader_lock(settings),
    )
    metrics = PrometheusMetrics()
    counts = SecurityCounts(ledger, views, metrics)
    follower.add(Step(counts.name, counts.run_step), after="read_models")
    watch = FollowerWatch(ledger, read_models, audit.indexer, integrity, outbox, clock)
    metrics.watch(watch.state)
    follower.watch = watch.heartbeat
    # The inactivity policy counts days: once an hour, by the leading process.
    follower.add(Step("inactivity_sweep", sweep.run_step, every=SWEEP_EVERY))
    idempotency = Idempotency(
        open_idempotency_store(settings, views, idempotency_digest_key(keys[0])),
        clock,
    )
    follower.add(
        Step("idempotency_purge", idempotency.purge, every=IDEMPOTENCY_PURGE_EVERY)
    )
    payouts = Payouts(ledger, clock, settings.payout_hold)
    webauthn = WebAuthnCeremonies(settings.webauthn_rp_id, settings.webauthn_origin)
    return Services(
        settings=settings,
        clock=clock,
        ledger=ledger,
        views=views,
        read_models=read_models,
        sellers=Sellers(names, credentials, clock),
        sign_in=PasskeySignIn(names, hasher, authenticator, clock, webauthn),
        account_security=AccountSecurity(
            ledger, credentials, authenticator, clock, webauthn
        ),
        sub_accounts=SubAccounts(names, credentials, clock, invitation_links),
        invitations=Invitations(ledger, credentials, invitation_links, clock),
        access=AccessChecks(ledger),
        platform_people=PlatformPeople(names, credentials, clock),
        platform_roster=PlatformRoster(ledger, views, read_models, audit),
        block_lists=BlockLists(ledger, ActiveBlocks(ledger, views), clock),
        recovery=Recovery(
            names, credentials, vault, clock, links, inspector=DocumentInspector()
        ),
        payouts=payouts,
        outbox=outbox,
        integrity=integrity,
        audit=audit,
        security_center=SecurityCenter(ledger, views, read_models, clock),
        security_dashboard=SecurityDashboard(
            ledger, views, read_models, clock, payouts=payouts
        ),
        follower=follower,
        store_activity=store_activity,
        sweep=sweep,
        inspection=StoreInspection(
            ledger, views, read_models, store_activity, clock, payouts=payouts
        ),
        portfolios=Portfolios(ledger, namespace, clock),
        readiness=Readiness(
            [store_check(ledger, database), lag_check(watch, settings.ready_max_lag)]
        ),
        database=database,
        passkeys=Passkeys(ledger, webauthn, clock),
        account_lookup=AccountLookup(names, views, read_models, directory, audit),
        idempotency=idempotency,
        metrics=metrics,
        watch=watch,
    )


def store_check(ledger: Ledger, database: Database | None) -> ReadinessCheck:
    """Ready when the event store answers: a connection of the pool that
    answers a query (PostgreSQL), or the log's newest position (SQLite)."""
    if database is not None:
        return ReadinessCheck("event_store", database.ping)
    return ReadinessCheck("event_store", lambda _: ledger.last_position())


def follower_steps(
    read_models: ReadModels,
    audit: Audit,
    integrity: MerkleLog,
    outbox: OutboxDispatcher,
) -> list[Step]:
    """What the log follower does, in this order (others add theirs by name)."""
    return [
        Step("read_models", read_models.catch_up),
        Step("audit_index", audit.indexer.catch_up),
        Step("tree", integrity.extend),  # the Merkle tree and its checkpoints
        Step("outbox", outbox.dispatch, every=OUTBOX_EVERY),
    ]
