"""``sellerguard demo seed``: six weeks of a believable marketplace, via use cases."""

from __future__ import annotations

import contextlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import pypdf

from application.principals import Principal
from application.sign_in import ChallengeView
from domain.actor import Actor, ActorKind
from domain.block_list import BlockReason, Duration, Scope
from domain.errors import SellerGuardError
from domain.recovery_case import Decision, DocumentType
from domain.roles import Role, StaffRole
from domain.sign_in import Attempt, InvalidCredentialsError
from infrastructure.settings import Settings, SettingsError
from infrastructure.totp import Totp
from interface import cli_demo_risk
from interface.composition import Services, build_services, initialise

DEMO_PASSWORD = "Harbour-Lantern!58"  # noqa: S105 - published with the demo
FIRST_PASSWORD = "Quill&Meadow-2291"  # noqa: S105 - replaced during the story
STAFF_PASSWORD = "Staff-Compass!73"  # noqa: S105 - published with the demo
ALREADY_SEEDED = "the store already has data; use a fresh SELLERGUARD_DATA_DIR"
BASE = "http://127.0.0.1:8080/api/v1"
STORY_DAYS = 42  # six weeks of shops trading ...
PROLOGUE_DAYS = 98  # ... after the oldest shop's first 90-day block, lapsed by now
SHOPS = {
    "willowwick": "Willow & Wick Candles",
    "harbourtea": "Harbour Tea Co.",
    "copperleaf": "Copperleaf Cycles",
}
SUB_ACCOUNTS = {  # each name starts with its shop's
    "willowwick.ops": Role.MAIN_ADMINISTRATOR,
    "willowwick.support": Role.CUSTOMER_SERVICE_AGENT,
    "willowwick.books": Role.FINANCE_SPECIALIST,
    "harbourtea.ads": Role.ADVERTISING_MANAGER,
    "harbourtea.packing": Role.ORDER_FULFILMENT_SPECIALIST,
    "copperleaf.catalog": Role.PRODUCT_MANAGEMENT_SPECIALIST,
    "copperleaf.social": Role.MARKETING_SPECIALIST,
}
STAFF = {
    "agent.maya": StaffRole.SUPPORT_AGENT,
    "agent.tomas": StaffRole.SUPPORT_AGENT,
    "auditor.priya": StaffRole.AUDITOR,
    "admin.jonas": StaffRole.PLATFORM_ADMIN,
}
# Where people sign in from (documentation addresses; BOT and THIEF are abroad).
MAC = Attempt("203.0.113.24", "Mozilla/5.0 (Macintosh) Safari/605.1", "willow-macbook")
PHONE = Attempt("203.0.113.91", "SellerCentre/5.2 (iPhone; iOS 17.5)", "willow-iphone")
PC = Attempt("192.0.2.41", "Mozilla/5.0 (Windows NT 10.0) Edg/126.0", "harbour-pc")
LAPTOP = Attempt("192.0.2.88", "Mozilla/5.0 (X11; Linux) Firefox/127", "copper-laptop")
TABLET = Attempt("192.0.2.88", "SellerCentre/5.2 (iPad; iPadOS 17.5)", "copper-ipad")
FLOOR = Attempt("203.0.113.60", "Mozilla/5.0 (Windows NT 10.0) Chrome/126", "floor-pc")
OFFICE = Attempt("10.20.0.15", "Mozilla/5.0 (Macintosh) Chrome/126.0", "platform-hq")
BOT = Attempt("198.51.100.77", "python-requests/2.32.3", "ua-3f9a0c1e7b2d4a66")
THIEF = Attempt("198.51.100.203", "Mozilla/5.0 (Windows NT 10.0) Chrome/125", "x-77")


def _id_scan() -> bytes:
    """A one-page PDF standing in for the owner's scanned passport."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": "Passport scan"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def anonymous(device: Attempt) -> Actor:
    """A request from the device before anyone signed in."""
    return Actor(ActorKind.ANONYMOUS, None, uuid.uuid4().hex, device.ip)


def acting(who: Principal, device: Attempt) -> Actor:
    """A request from the device by a signed-in principal."""
    return who.actor(uuid.uuid4().hex, device.ip)


class DemoClock:
    """Simulated time: starts days before now, only moves forward, ends at now."""

    def __init__(self, days_before_now: float) -> None:
        self.end = datetime.now(UTC)
        self.current = self.end - timedelta(days=days_before_now)

    def now(self) -> datetime:
        """The story's present moment."""
        return self.current

    def day(self, days_before_end: float) -> None:
        """Move on to that many days before the end (never backwards)."""
        self.current = max(self.current, self.end - timedelta(days=days_before_end))

    def tick(self, minutes: float = 3) -> None:
        """Let a few minutes pass between two things people do."""
        self.current += timedelta(minutes=minutes)

    def finish(self) -> None:
        """Arrive at the real present."""
        self.current = max(self.current, datetime.now(UTC))


class Demo:
    """The cast, and what each of them can do in one line of the story."""

    def __init__(self, services: Services, clock: DemoClock) -> None:
        self.s, self.clock, self.totp = services, clock, Totp()
        self.ids: dict[str, uuid.UUID] = {}
        self.passwords = dict.fromkeys(SUB_ACCOUNTS, DEMO_PASSWORD)
        self.passwords |= dict.fromkeys(STAFF, STAFF_PASSWORD)
        self.secrets: dict[str, str] = {}
        self.operator = Actor(ActorKind.SYSTEM, "cli:demo-seed")
        self.service_key = ""

    def register(self, shop: str, password: str) -> None:
        """A shop opens on the marketplace."""
        email, actor = f"owner@{shop}.example", anonymous(MAC)
        view = self.s.sellers.register(shop, email, password, None, actor)
        self.ids[shop], self.passwords[shop] = view.id, password
        self.clock.tick()

    def sign_in(self, name: str, device: Attempt, password: str = "") -> Principal:
        """Password, then the authenticator's code when two-step is on."""
        actor, password = anonymous(device), password or self.passwords[name]
        self.clock.tick()
        outcome: Any = self.s.sign_in.login(name, password, device, actor)
        if isinstance(outcome, ChallengeView):
            code = self.totp.code_at(self.secrets[name], self.clock.now())
            challenge = outcome.challenge_id
            outcome = self.s.sign_in.complete_challenge(challenge, code, actor)
        principal: Principal = outcome.principal
        return principal

    def enable_two_step(self, name: str, device: Attempt) -> None:
        """Scan the secret into an app and confirm with its first code."""
        who = self.sign_in(name, device)
        enrolment = self.s.account_security.start_two_step(who, acting(who, device))
        self.clock.tick(1)
        code = self.totp.code_at(enrolment.secret, self.clock.now())
        self.s.account_security.confirm_two_step(who, code, acting(who, device))
        self.secrets[name] = enrolment.secret

    def hire(self, owner: Principal, device: Attempt, shop: str) -> None:
        """The owner creates the shop's sub-accounts."""
        staff = {n: r for n, r in SUB_ACCOUNTS.items() if n.startswith(f"{shop}.")}
        for name, role in staff.items():
            email, who = f"{name.split('.')[1]}@{shop}.example", acting(owner, device)
            new = (owner, name, email, role, DEMO_PASSWORD, who)
            self.ids[name] = self.s.sub_accounts.create(*new).id

    def block(self, who: Principal, buyer: str, rule: str, note: str = "") -> None:
        """Block a buyer; ``rule`` is "reason scope duration"."""
        reason, scope, duration = rule.split()
        rules = BlockReason(reason), Scope(scope), Duration(duration)
        self.s.block_lists.block(who, buyer, *rules, note, acting(who, FLOOR))
        self.clock.tick()


def prologue(d: Demo) -> None:
    """Fourteen weeks ago the oldest shop opened and blocked a refund abuser."""
    d.register("willowwick", FIRST_PASSWORD)
    owner = d.sign_in("willowwick", MAC)
    note = "Three refunds for parcels marked delivered."
    d.block(owner, "bargain_hunter_88", "malicious_refund this_id 90d", note)


def platform_and_shops(d: Demo) -> None:
    """Six weeks ago: staff, a service key, two more shops, their employees."""
    d.clock.day(STORY_DAYS)
    for name, role in STAFF.items():
        email = f"{name.split('.')[1]}@platform.example"
        d.s.platform_people.create_staff(name, email, role, STAFF_PASSWORD, d.operator)
        d.enable_two_step(name, OFFICE)
    scopes = ["blocklist:check", "authz:check"]
    key = d.s.platform_people.create_service_key("orders-service", scopes, d.operator)
    d.service_key = key.value
    d.register("harbourtea", FIRST_PASSWORD)
    d.register("copperleaf", DEMO_PASSWORD)
    d.clock.day(STORY_DAYS - 1)
    owners = {"willowwick": MAC, "harbourtea": PC, "copperleaf": LAPTOP}
    for shop, device in owners.items():
        d.hire(d.sign_in(shop, device), device, shop)


def first_weeks(d: Demo) -> None:
    """Blocks, linked buyers, a new phone, a password change, a role change."""
    d.clock.day(38)
    for name in ("willowwick.ops", "harbourtea.packing", "copperleaf.catalog"):
        d.sign_in(name, FLOOR)
    d.clock.day(35)
    ops = d.sign_in("willowwick.ops", FLOOR)
    note = "Stolen card; chargebacks on two orders."
    d.block(ops, "refund_rex", "fraudulent_order linked_ids permanent", note)
    admin = d.sign_in("admin.jonas", OFFICE)
    links = ["refund_rex_2", "rexy.returns"]
    d.s.block_lists.link("refund_rex", links, acting(admin, OFFICE))
    d.clock.day(33)
    owner = d.sign_in("willowwick", PHONE)  # a new device: the owner is alerted
    d.block(owner, "candlecritic99", "fake_review this_id 90d")
    d.clock.day(30)
    tea = d.sign_in("harbourtea", PC)
    changing = (tea, FIRST_PASSWORD, DEMO_PASSWORD, acting(tea, PC))
    d.s.account_security.change_password(*changing)
    d.passwords["harbourtea"] = DEMO_PASSWORD
    d.block(tea, "teatime_troll", "abusive_messages this_id permanent")
    d.block(tea, "leafy_larry", "suspected_scam linked_ids 90d")
    d.clock.day(27)
    ads, role = d.ids["harbourtea.ads"], Role.MARKETING_SPECIALIST
    d.s.sub_accounts.change_role(tea, ads, role, acting(tea, PC))


def attack_and_two_step(d: Demo) -> None:
    """Passwords guessed from abroad, two-step turned on, an agent's override."""
    d.clock.day(24)
    for guess in ("copperleaf2024", "Copperleaf!", "Bikes4life", "Cycles#1", "x", "y"):
        # The fifth wrong guess locks the address out; the sixth is refused.
        with contextlib.suppress(InvalidCredentialsError):
            d.sign_in("copperleaf", BOT, guess)
    d.clock.day(23)
    d.enable_two_step("copperleaf", LAPTOP)
    owner = d.sign_in("copperleaf", LAPTOP)
    note = "Asked buyers to pay outside the marketplace."
    d.block(owner, "spokes_n_deals", "other this_id permanent", note)
    d.clock.day(20)
    maya = d.sign_in("agent.maya", OFFICE)
    why = "Reviewed the messages: a complaint about a late parcel, not abuse."
    overriding = (d.ids["harbourtea"], "teatime_troll", why, acting(maya, OFFICE))
    d.s.block_lists.override(*overriding)
    d.clock.day(18)
    owner = d.sign_in("willowwick", MAC)
    books = d.ids["willowwick.books"]
    d.s.sub_accounts.deactivate(owner, books, "left the company", acting(owner, MAC))
    d.clock.day(14)
    d.sign_in("copperleaf", TABLET)  # a new device, with two-step


def takeover_and_recovery(d: Demo) -> None:
    """A stolen password; a case: freeze, passport, four eyes, reset."""
    d.clock.day(12)
    d.sign_in("willowwick", THIEF)
    d.clock.day(11)
    email, shop = "willow.owner@mailbox.example", d.ids["willowwick"]
    note = "Someone took over my shop."
    d.s.recovery.request("willowwick", email, note, anonymous(MAC))
    maya = acting(d.sign_in("agent.maya", OFFICE), OFFICE)
    case = d.s.recovery.open(shop, "takeover reported by the owner", email, maya)
    d.clock.tick(40)
    scan = _id_scan()
    upload = (case.upload_token or "", DocumentType.IDENTITY, scan, anonymous(MAC))
    document = d.s.recovery.upload(case.id, *upload)
    d.clock.day(10)
    tomas = acting(d.sign_in("agent.tomas", OFFICE), OFFICE)
    d.s.recovery.download(case.id, document.id, tomas)
    note = "Passport matches the registered owner."
    verdict = d.s.recovery.decide(case.id, Decision.APPROVE, note, tomas)
    d.clock.tick(25)
    # The demo plays the owner who followed the mailed link.
    token = d.s.recovery.links.reset_token(case.id, verdict.version).value
    resetting = (token, DEMO_PASSWORD, anonymous(MAC))
    d.s.recovery.reset(case.id, *resetting)
    d.passwords["willowwick"] = DEMO_PASSWORD
    d.sign_in("willowwick", MAC)


def recent_days(d: Demo) -> None:
    """Last days: routine sign-ins, a dormant sub-account flagged."""
    d.clock.day(2)
    d.sign_in("harbourtea.packing", FLOOR)
    d.sign_in("copperleaf", TABLET)
    d.s.sub_accounts.flag_dormant(d.ids["copperleaf"], Actor.system())
    d.clock.day(0.1)
    d.sign_in("willowwick.support", FLOOR)


RISK_1, RISK_2, RISK_3, RISK_4, RISK_5 = cli_demo_risk.batches([25, 13, 9, 3, 0.05])
SCENES = [prologue, platform_and_shops, first_weeks, RISK_1, attack_and_two_step]
SCENES += [RISK_2, takeover_and_recovery, RISK_3, RISK_4, recent_days, RISK_5]


@click.group()
def demo() -> None:
    """A demonstration store for trying SellerGuard out."""


@demo.command("seed")
def seed() -> None:
    """Fill an empty store with six weeks of a realistic marketplace."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    initialise(settings)
    clock = DemoClock(PROLOGUE_DAYS)
    services = build_services(settings, clock)
    try:
        if services.ledger.last_position():
            database = " and an empty database" if settings.uses_postgres else ""
            raise click.ClickException(ALREADY_SEEDED + database)
        click.echo(
            "Seeding six weeks of marketplace history (hashing takes a moment) ..."
        )
        d = Demo(services, clock)
        for scene in SCENES:
            scene(d)
        clock.finish()
        services.read_models.catch_up()
        # Demo people have made-up addresses: no mail of theirs is ever sent.
        withheld = services.outbox.withhold_through(services.ledger.last_position())
        click.echo(f"{withheld} demo mails marked never to be sent.")
        services.integrity.extend()
        click.echo(_summary(d, services.integrity.verify().events_verified))
    except SellerGuardError as error:  # e.g. a stricter password policy configured
        msg = f"the demo could not be seeded ({error.code}); try the default settings"
        raise click.ClickException(msg) from None
    finally:
        services.close()


def _summary(d: Demo, events: int) -> str:
    """Who can sign in, with what, and what to try first."""
    lines = [f"Done: {events} events; read models and integrity chain up to date.", ""]
    lines.append(f"Sellers (password {DEMO_PASSWORD}, their sub-accounts' too):")
    for shop, title in SHOPS.items():
        lines.append(f"  {shop:<11} {title:<22} id {d.ids[shop]}")
        subs = [f"{n} ({r})" for n, r in SUB_ACCOUNTS.items() if n.startswith(shop)]
        lines.append(f"  {'':<11} sub-accounts: {', '.join(subs)}")
        if shop in d.secrets:
            lines.append(f"  {'':<11} two-step secret: {d.secrets[shop]}")
    lines += ["", f"Staff (password {STAFF_PASSWORD}; add each secret to an app):"]
    for name, role in STAFF.items():
        lines.append(f"  {name:<14} {role:<14} two-step secret: {d.secrets[name]}")
    lines += ["", f"Service key (blocklist:check, authz:check): {d.service_key}"]
    if hasattr(d, "risk_engine"):
        lines.append(
            f"Security Center: {d.risk_engine.sent} risk-engine signals over 30 days "
            "(GET /security-center/dashboard?days=30 as a seller)"
        )
    return "\n".join([*lines, "", *_examples(d)])


def _examples(d: Demo) -> list[str]:
    """Curl commands to try against `sellerguard serve` on the same settings."""
    body = f'{{"username": "harbourtea", "password": "{DEMO_PASSWORD}"}}'
    token = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])'"  # noqa: S105
    check = f"sellers/{d.ids['willowwick']}/blocklist/check"
    return [
        "Try it with `sellerguard serve` on the same SELLERGUARD_* settings:",
        f"  TOKEN=$(curl -s -X POST {BASE}/sessions -H 'Content-Type: "
        f"application/json' -d '{body}' | {token})",
        f'  curl -s {BASE}/me/alerts -H "Authorization: Bearer $TOKEN"',
        f"  curl -s '{BASE}/{check}?buyer=rexy.returns&action=place_order' "
        f"-H 'Authorization: Bearer {d.service_key}'",
        "  sellerguard audit verify",
    ]
