"""The contract: `LocalBackend` and `ApiBackend` → sandbox give the same answers and refusals.

One scenario walks every `Backend` operation — reads, writes, and the refusals of API.md
(slot taken, provider not working, invalid state, validation with its fields, not found, payer
down) — and records what came back. It runs against each backend on its own fresh copy of the
same demo clinic, with the same fixed clock and the same simulator seed, and the transcripts
must be equal: the same objects field for field, the same error codes and field names. Ids
the servers generate at random are compared by the order they first appear in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pydantic
import pytest
import pytest_asyncio

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, PossibleDuplicate
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    EligibilityRequest,
    Insurance,
    Patient,
    PatientCreate,
    SimulatedCallRequest,
    TransferCompletion,
    TransferRequest,
)
from frontdesk_app.domain.series import (
    SeriesCancel,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesReschedule,
    SeriesRule,
)
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.domain.waitlist import WaitlistRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_data import build_demo_clinic
from tests.integration.api.support import Identifiers, assert_clean_logs

pytestmark = pytest.mark.integration

T = TypeVar("T")
NY = ZoneInfo("America/New_York")
# The clinic's "now" on both sides: Monday 2 March 2026, 09:00 in New York.
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
DAY = date(2026, 3, 10)  # a Tuesday a week later, inside the demo's booked fortnight
SATURDAY = date(2026, 3, 14)
DEMO_SEED = 7
SIMULATOR_SEED = 11
# Ids a server makes up; compared by order of first appearance, not by value.
GENERATED = re.compile(r"\b(apt|xfr|call|evt|elig|ntf|pat)_[a-z0-9]{6,}\b")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY).astimezone(UTC)


def _dump(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        # A cursor is opaque: only whether there is another page is part of the contract.
        return {k: (bool(v) if k == "next_cursor" else _dump(v)) for k, v in value.items()}
    return value


class Transcript:
    """What each step answered: the object, or the refusal's class, code and field names."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, Any]] = []

    async def run(self, label: str, call: Awaitable[T]) -> T | None:
        try:
            result = await call
        except FrontDeskError as exc:
            refusal = {
                "refused": type(exc).__name__,
                "code": exc.code,
                "fields": sorted(e.field for e in exc.errors),
            }
            self.entries.append((label, refusal))
            return None
        self.entries.append((label, _dump(result)))
        return result

    async def ok(self, label: str, call: Awaitable[T]) -> T:
        result = await self.run(label, call)
        assert result is not None, f"{label} was refused: {self.entries[-1][1]}"
        return result

    def order_last(self, key: Callable[[Any], Any]) -> None:
        """Sort the last answer (a list) where the backend orders by a random id on ties."""
        label, answer = self.entries[-1]
        if isinstance(answer, list):
            self.entries[-1] = (label, sorted(answer, key=key))

    def normalised(self) -> list[tuple[str, Any]]:
        text = json.dumps(self.entries)
        names: dict[str, str] = {}

        def name(match: re.Match[str]) -> str:
            return names.setdefault(match.group(0), f"{match.group(1)}#{len(names) + 1}")

        result: list[tuple[str, Any]] = [tuple(e) for e in json.loads(GENERATED.sub(name, text))]
        return result


def transfer_key(transfer: dict[str, Any]) -> tuple[str, ...]:
    # Transfers made at the same (frozen) instant are ordered by their random ids.
    call = transfer.get("call") or {}
    return (transfer["transferred_at"], transfer["status"], str(call.get("caller")))


async def register_patients(t: Transcript, b: Backend, known: Patient) -> Patient:
    """`POST /v1/patients`: registered, refused field by field, flagged as a likely duplicate
    (same name and birth date, or same phone) with the candidates' ids, registered anyway."""
    new = PatientCreate(
        first_name="Marisol",
        last_name="Quintero-Vale",
        date_of_birth=date(1991, 7, 14),
        phone="(555) 019-8842",
        email="marisol.qv@example.org",
        address="12 Orchard Lane, Springfield",
        insurance=Insurance(payer_id=(known.insurance or FALLBACK).payer_id, member_id="mq-774411"),
    )
    created = await t.ok("register a patient", b.create_patient(new))
    await t.run("get the new patient", b.get_patient(created.id))
    await t.run("find the new patient", b.search_patients("Quintero"))
    bad = new.model_copy(
        update={
            "first_name": " ",
            "date_of_birth": date(2031, 1, 1),
            "phone": "12",
            "email": "not-an-address",
            "insurance": Insurance(payer_id="payer_nope", member_id="?"),
        }
    )
    await t.run("register, invalid fields", b.create_patient(bad))
    for label, twin in (
        ("register, same name and birth date", new.model_copy(update={"phone": "555 777 1234"})),
        (
            "register, same phone",
            new.model_copy(update={"first_name": "Ana", "date_of_birth": date(1990, 1, 1)}),
        ),
        (
            "register, an existing patient's phone",
            new.model_copy(
                update={"first_name": "Ana", "last_name": "Lopez", "phone": known.phone}
            ),
        ),
    ):
        try:
            await b.create_patient(twin)
        except PossibleDuplicate as exc:
            found = {"refused": "PossibleDuplicate", "code": exc.code}
            t.entries.append((label, {**found, "candidates": list(exc.candidate_ids)}))
        else:
            t.entries.append((label, "registered without a question"))
    twin = new.model_copy(update={"phone": "555 777 1234", "allow_duplicate": True})
    await t.ok("register anyway", b.create_patient(twin))
    return created


FALLBACK = Insurance(payer_id="payer_none", member_id="none")
DESK = "Dana Reyes"


async def check_in(
    t: Transcript, b: Backend, appointment_id: str, start: datetime, end: datetime
) -> None:
    """Visits: the flow of the day's states, its refusals, and the day's list."""

    def to(state: Any, room: str | None = None) -> VisitChange:
        return VisitChange(state=state, room=room, by=DESK)

    await t.run("visit before arrival", b.get_visit(appointment_id))
    await t.run("no-show before the start", b.change_visit(appointment_id, to("no_show")))
    await t.ok("arrived", b.change_visit(appointment_id, to("arrived")))
    await t.run("arrived twice", b.change_visit(appointment_id, to("arrived")))
    await t.ok("in room 3", b.change_visit(appointment_id, to("in_room", "3")))
    await t.run("visit of an unknown appointment", b.get_visit("apt_000000000000"))
    await t.run("no-show once arrived", b.change_visit(appointment_id, to("no_show")))
    [visit] = await t.ok("the day's visits", b.list_visits(start, end))
    assert (visit.state, visit.room) == ("in_room", "3")
    assert [(step.state, step.by) for step in visit.history] == [
        ("arrived", DESK),
        ("in_room", DESK),
    ]


async def waitlist(
    t: Transcript, b: Backend, patient_id: str, provider_id: str, slot: datetime
) -> None:
    """The waitlist: saves (repeatable), refusals, booking an entry into a freed slot once."""
    wish = WaitlistRequest(
        patient_id=patient_id,
        provider_id=provider_id,
        type="consultation",
        duration_minutes=30,
        weekdays=[DAY.weekday()],
        day_parts=["morning", "afternoon"],
        earliest=TODAY,
        notes="contract test",
    )
    await t.ok("waitlist: add", b.save_waitlist_entry("wl_contract0001", wish))
    await t.ok("waitlist: the same save again", b.save_waitlist_entry("wl_contract0001", wish))
    await t.run("waitlist: an id of another kind", b.save_waitlist_entry("apt_x1", wish))
    backwards = wish.model_copy(update={"earliest": DAY, "latest": TODAY})
    await t.run("waitlist: latest before earliest", b.save_waitlist_entry("wl_bad", backwards))
    stranger = wish.model_copy(update={"patient_id": "pat_000000000000"})
    await t.run("waitlist: unknown patient", b.save_waitlist_entry("wl_bad", stranger))
    other = wish.model_copy(update={"provider_id": None, "duration_minutes": 45})
    await t.ok("waitlist: add another", b.save_waitlist_entry("wl_contract0002", other))
    listed = await t.ok("waitlist: list", b.list_waitlist())
    assert [e.id for e in listed if e.id.startswith("wl_contract")] == [
        "wl_contract0001",
        "wl_contract0002",
    ]
    gone = other.model_copy(update={"status": "removed"})
    await t.ok("waitlist: remove", b.save_waitlist_entry("wl_contract0002", gone))
    booking = AppointmentCreate(
        patient_id=patient_id,
        provider_id=provider_id,
        start_time=slot,
        duration_minutes=30,
        type="consultation",
        waitlist_entry_id="wl_contract0001",
    )
    await t.ok("waitlist: book into the freed slot", b.create_appointment(booking))
    again = booking.model_copy(update={"start_time": slot + timedelta(hours=2)})
    await t.run("waitlist: book the entry twice", b.create_appointment(again))
    removed = booking.model_copy(update={"waitlist_entry_id": "wl_contract0002"})
    await t.run("waitlist: book a removed entry", b.create_appointment(removed))
    entry = await t.ok("waitlist: the booked entry", b.get_waitlist_entry("wl_contract0001"))
    assert entry.status == "booked" and entry.appointment_id is not None
    await t.run("waitlist: change a booked entry", b.save_waitlist_entry("wl_contract0001", wish))
    await t.run("waitlist: unknown entry", b.get_waitlist_entry("wl_none"))
    await t.run("waitlist: all", b.list_waitlist(None))


async def series(
    t: Transcript, b: Backend, patient_id: str, provider_id: str, first: datetime
) -> None:
    """Recurring series: the check, booked as one unit (all or none), cancelled in parts."""
    weekly = SeriesRule(every_weeks=1, weekdays=[first.astimezone(NY).weekday()], count=4)
    asked = SeriesCheckRequest(
        patient_id=patient_id,
        provider_id=provider_id,
        start_time=first,
        duration_minutes=30,
        type="follow-up",
        rule=weekly,
    )
    checked = await t.ok("series: check", b.check_series(asked))
    starts = [
        o.start_time if o.bookable else o.alternatives[0]
        for o in checked.occurrences
        if o.bookable or o.alternatives
    ]
    book = SeriesCreate(
        patient_id=patient_id,
        provider_id=provider_id,
        duration_minutes=30,
        type="follow-up",
        notes="physio block",
        rule=weekly,
        starts=starts,
    )
    never = SeriesRule(every_weeks=0, weekdays=[], count=4)
    await t.run(
        "series: a rule that cannot be", b.check_series(asked.model_copy(update={"rule": never}))
    )
    await t.run("series: an id of another kind", b.save_series("apt_series", book))
    clash = book.model_copy(update={"starts": [*starts, at(SATURDAY, 10)]})
    await t.run("series: one start does not fit", b.save_series("ser_contract0002", clash))
    await t.run("series: nothing was booked", b.get_series("ser_contract0002"))
    booked = await t.ok("series: book", b.save_series("ser_contract0001", book))
    assert len(booked.appointments) == len(starts) >= 3
    await t.ok("series: the same booking again", b.save_series("ser_contract0001", book))
    other = book.model_copy(update={"starts": starts[:2]})
    await t.run("series: another series under its id", b.save_series("ser_contract0001", other))
    second = booked.appointments[1].start_time
    later = SeriesReschedule(scope="following", from_start=second, new_time=time(16, 30))
    moved = await t.ok(
        "series: move this and the following", b.reschedule_series("ser_contract0001", later)
    )
    assert len(moved.rescheduled) == len(starts) - 1
    outside = SeriesReschedule(scope="all", new_time=time(3, 0))
    await t.run(
        "series: move them all out of hours", b.reschedule_series("ser_contract0001", outside)
    )
    third = booked.appointments[2].start_time
    following = SeriesCancel(scope="following", from_start=third, reason_code="patient_request")
    await t.ok(
        "series: cancel this and the following", b.cancel_series("ser_contract0001", following)
    )
    await t.run(
        "series: following without a start",
        b.cancel_series("ser_contract0001", SeriesCancel(scope="following")),
    )
    await t.ok(
        "series: cancel the rest", b.cancel_series("ser_contract0001", SeriesCancel(scope="all"))
    )
    await t.run(
        "series: nothing left", b.cancel_series("ser_contract0001", SeriesCancel(scope="all"))
    )
    shown = await t.ok("series: get", b.get_series("ser_contract0001"))
    assert all(a.status == "cancelled" and a.series_id == shown.id for a in shown.appointments)


async def scenario(b: Backend) -> Transcript:
    t = Transcript()

    # --- the directory --------------------------------------------------------------------
    providers = await t.ok("list providers", b.list_providers())
    prov, other = providers[1], providers[2]
    await t.run("get provider", b.get_provider(prov.id))
    await t.run("get unknown provider", b.get_provider("prov_000000000000"))
    free = await t.ok("availability", b.provider_availability(prov.id, DAY, 30))
    await t.run("availability on a day off", b.provider_availability(prov.id, SATURDAY, 30))
    await t.run("availability, bad duration", b.provider_availability(prov.id, DAY, 2))
    await t.run("availability, unknown", b.provider_availability("prov_000000000000", DAY, 30))
    page = await t.ok("patients, page 1", b.search_patients(limit=7))
    await t.run("patients, page 2", b.search_patients(limit=7, cursor=page.next_cursor))
    patient, neighbour = page.data[0], page.data[1]
    await t.run("search by name", b.search_patients(patient.last_name[:4]))
    await t.run("search by phone", b.search_patients(patient.phone))
    await t.run("search by birth date", b.search_patients(patient.date_of_birth.isoformat()))
    await t.run("search, no match", b.search_patients("Zzyzx"))
    await t.run("get patient", b.get_patient(patient.id))
    await t.run("get unknown patient", b.get_patient("pat_000000000000"))
    payers = await t.ok("list payers", b.list_payers())

    # --- appointments ---------------------------------------------------------------------
    def booking(start: datetime, **change: Any) -> AppointmentCreate:
        fields: dict[str, Any] = {
            "patient_id": patient.id,
            "provider_id": prov.id,
            "start_time": start,
            "duration_minutes": 30,
            "type": "consultation",
            "notes": "contract test",
        }
        return AppointmentCreate(**{**fields, **change})

    first, later, last = free.slots[0], free.slots[4], free.slots[8]
    apt = await t.ok(
        "create", b.create_appointment(booking(first.start_time), idempotency_key="k1")
    )
    await t.run(
        "create, slot taken",
        b.create_appointment(booking(first.start_time, patient_id=neighbour.id)),
    )
    await t.run(
        "create, patient already booked",
        b.create_appointment(booking(first.start_time, provider_id=other.id)),
    )
    await t.run("create, provider not working", b.create_appointment(booking(at(DAY, 3))))
    await t.run("create, on a day off", b.create_appointment(booking(at(SATURDAY, 10))))
    await t.run(
        "create, too short", b.create_appointment(booking(last.start_time, duration_minutes=3))
    )
    await t.run(
        "create, too long", b.create_appointment(booking(last.start_time, duration_minutes=481))
    )
    await t.run("create, bad type", b.create_appointment(booking(last.start_time, type="spa")))
    await t.run("create, in the past", b.create_appointment(booking(NOW - timedelta(days=1))))
    await t.run(
        "create, unknown patient",
        b.create_appointment(booking(last.start_time, patient_id="pat_000000000000")),
    )
    await t.run(
        "create, unknown provider",
        b.create_appointment(booking(last.start_time, provider_id="prov_000000000000")),
    )
    await t.run("get appointment", b.get_appointment(apt.id))
    await t.run("get unknown appointment", b.get_appointment("apt_000000000000"))
    day_start, day_end = at(DAY, 0), at(DAY + timedelta(days=1), 0)
    await check_in(t, b, apt.id, day_start, day_end)
    await t.run(
        "list the provider's day",
        b.list_appointments(AppointmentQuery(provider_id=prov.id, start=day_start, end=day_end)),
    )
    mine = await t.ok(
        "list the patient's, page 1",
        b.list_appointments(AppointmentQuery(patient_id=patient.id, limit=2)),
    )
    if mine.next_cursor:
        await t.run(
            "list the patient's, page 2",
            b.list_appointments(
                AppointmentQuery(patient_id=patient.id, limit=2, cursor=mine.next_cursor)
            ),
        )
    await t.run(
        "list cancelled ones", b.list_appointments(AppointmentQuery(status="cancelled", limit=5))
    )
    await t.run(
        "reschedule",
        b.reschedule_appointment(
            apt.id,
            AppointmentReschedule(new_start_time=later.start_time, reason="patient asked"),
            idempotency_key="k2",
        ),
    )
    await t.ok(
        "create another",
        b.create_appointment(booking(last.start_time, patient_id=neighbour.id, type="follow-up")),
    )
    await t.run(
        "reschedule onto a taken slot",
        b.reschedule_appointment(apt.id, AppointmentReschedule(new_start_time=last.start_time)),
    )
    await t.run(
        "reschedule, too long",
        b.reschedule_appointment(
            apt.id,
            AppointmentReschedule(new_start_time=later.start_time, new_duration_minutes=600),
        ),
    )
    await t.run(
        "reschedule into the past",
        b.reschedule_appointment(apt.id, AppointmentReschedule(new_start_time=NOW - timedelta(1))),
    )
    await t.run(
        "cancel",
        b.cancel_appointment(apt.id, AppointmentCancel(reason_code="patient_request")),
    )
    await t.run("cancel again", b.cancel_appointment(apt.id, AppointmentCancel()))
    await waitlist(t, b, page.data[2].id, prov.id, later.start_time)
    await series(t, b, page.data[3].id, prov.id, at(DAY, 16))
    await t.run(
        "reschedule a cancelled one",
        b.reschedule_appointment(apt.id, AppointmentReschedule(new_start_time=later.start_time)),
    )
    await t.run("cancel unknown", b.cancel_appointment("apt_000000000000", AppointmentCancel()))
    notes = await t.ok("notifications", b.list_notifications(appointment_id=apt.id))
    t.entries[-1] = ("notifications", _dump(sorted(notes, key=lambda n: (n.kind, n.recipient))))

    # --- eligibility and prescriptions ----------------------------------------------------
    up = {p.id for p in payers if p.available}
    insured = next(p for p in page.data if p.insurance and p.insurance.payer_id in up)
    stranded = next(p for p in page.data if p.insurance and p.insurance.payer_id not in up)
    assert insured.insurance is not None and stranded.insurance is not None

    def check(who: Any, **change: Any) -> EligibilityRequest:
        fields = {
            "patient_id": who.id,
            "payer_id": who.insurance.payer_id,
            "member_id": who.insurance.member_id,
            "date_of_service": DAY,
            "service_codes": ["99213", "97110"],
        }
        return EligibilityRequest(**{**fields, **change})

    await t.run("eligibility", b.check_eligibility(check(insured)))
    await t.run("eligibility, payer down", b.check_eligibility(check(stranded)))
    await t.run("eligibility, wrong member", b.check_eligibility(check(insured, member_id="X1")))
    await t.run(
        "eligibility, unknown payer",
        b.check_eligibility(check(insured, payer_id="payer_nowhere")),
    )
    # Every answer given is history (newest first; these share one instant), refusals are not.
    await t.run("eligibility history", b.list_eligibility_checks(insured.id))
    await t.run("eligibility history, newest", b.list_eligibility_checks(insured.id, limit=1))
    await t.run("eligibility history, payer down", b.list_eligibility_checks(stranded.id))
    await t.run("eligibility history, nobody", b.list_eligibility_checks("pat_000000000000"))
    await t.run("eligibility history, bad limit", b.list_eligibility_checks(insured.id, limit=0))
    scripts = await t.ok("prescriptions", b.list_prescriptions(patient.id, limit=2))
    if scripts.next_cursor:
        await t.run(
            "prescriptions, page 2",
            b.list_prescriptions(patient.id, limit=2, cursor=scripts.next_cursor),
        )
    await t.run("get prescription", b.get_prescription(scripts.data[0].id))
    await t.run("get unknown prescription", b.get_prescription("rx_000000000000"))

    # --- calls, agents and transfers ------------------------------------------------------
    calls = await t.ok("list calls", b.list_calls())
    await t.run("list AI-handled calls", b.list_calls("ai_handling"))
    await t.run("get call", b.get_call(calls[0].id))
    await t.run("get unknown call", b.get_call("call_000000000000"))
    agents = await t.ok("list agents", b.list_agents())
    handover = await t.ok(
        "transfer",
        b.transfer_call(
            calls[0].id, TransferRequest(priority="urgent", context_summary="Wants Tuesday")
        ),
    )
    assert handover.agent is not None
    await t.run("transfer again", b.transfer_call(calls[0].id, TransferRequest()))
    await t.run(
        "transfer to a named agent",
        b.transfer_call(calls[1].id, TransferRequest(target_agent_id=agents[-1].id)),
    )
    await t.run(
        "transfer to an unknown agent",
        b.transfer_call(calls[2].id, TransferRequest(target_agent_id="agt_nobody")),
    )
    await t.run("transfers of the agent", b.list_transfers(agent_id=handover.agent.id))
    t.order_last(transfer_key)
    await t.run("accept", b.accept_transfer(handover.transfer_id, handover.agent.id))
    await t.run("accept again", b.accept_transfer(handover.transfer_id, handover.agent.id))
    done = TransferCompletion(disposition="resolved", notes="Moved to Tuesday")
    await t.run("complete", b.complete_transfer(handover.transfer_id, done))
    await t.run("complete again", b.complete_transfer(handover.transfer_id, done))
    await t.run("complete unknown", b.complete_transfer("xfr_000000000000", done))
    for agent in agents:
        await t.run(f"agent {agent.id} busy", b.set_agent_status(agent.id, "busy"))
    await t.run("unknown agent", b.set_agent_status("agt_nobody", "away"))
    await t.run("simulate a call", b.simulate_call(SimulatedCallRequest()))
    await t.run(
        "simulate a transferred call, nobody free",
        b.simulate_call(SimulatedCallRequest(transfer=True, priority="emergency")),
    )
    await t.run("queued transfers", b.list_transfers(status="queued"))
    t.order_last(transfer_key)
    await t.run("all transfers", b.list_transfers())
    t.order_last(transfer_key)

    # --- registering patients (last: the call simulator picks among the patients) --------
    newcomer = await register_patients(t, b, patient)
    await t.run(
        "create for the new patient",
        b.create_appointment(
            booking(
                free.slots[-1].start_time,
                patient_id=newcomer.id,
                type="new-patient",
                duration_minutes=30,
            )
        ),
    )

    # --- the event log --------------------------------------------------------------------
    await t.run("events", b.list_events(after=0, limit=1000))
    await t.run("events, a window", b.list_events(after=3, limit=2))
    return t


def fresh_demo_store(directory: Path) -> Path:
    """A new demo clinic, built with the same seed and `today` for every side."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.sqlite"
    with Store.open(path) as store:
        build_demo_clinic(store, seed=DEMO_SEED, today=TODAY, now=NOW)
    return path


def local_backend(path: Path) -> LocalBackend:
    """The clinic with its clock stopped at NOW and a seeded call simulator."""
    return LocalBackend(Store.open(path), clock=lambda: NOW, rng=random.Random(SIMULATOR_SEED))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Transcript:
    """The scenario on a LocalBackend of its own: what every implementation must answer."""
    path = fresh_demo_store(tmp_path_factory.mktemp("reference"))

    async def run() -> Transcript:
        backend = local_backend(path)
        try:
            return await scenario(backend)
        finally:
            await backend.aclose()

    return asyncio.run(run())


@pytest_asyncio.fixture(params=["LocalBackend", "ApiBackend->sandbox"])
async def backend_under_test(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Backend, Path]]:
    path = fresh_demo_store(tmp_path)
    if request.param == "LocalBackend":
        local = local_backend(path)
        yield local, path
        await local.aclose()
        return
    # The sandbox serves the same kind of LocalBackend: same clock, same simulator seed.
    factory: Callable[[], Backend] = lambda: local_backend(path)  # noqa: E731
    with SandboxServer(path, demo=False, backend_factory=factory) as server:
        async with ApiBackend(base_url=server.base_url, credentials=ApiKey(server.api_key)) as api:
            yield api, path


@pytest.mark.asyncio
async def test_backends_agree(
    backend_under_test: tuple[Backend, Path],
    reference: Transcript,
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend, store_path = backend_under_test
    caplog.set_level(logging.DEBUG)
    got = (await scenario(backend)).normalised()
    expected = reference.normalised()
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (label, answer), (_, wanted) in zip(got, expected, strict=True):
        assert answer == wanted, f"{label}: the backends disagree"
    # The scenario is only worth something if it met the refusals it is about.
    codes = {a.get("code") for _, a in expected if isinstance(a, dict) and "refused" in a}
    assert codes >= {
        "not_found",
        "slot_unavailable",
        "provider_unavailable",
        "invalid_state",
        "validation_failed",
        "payer_unavailable",
        "possible_duplicate",
    }
    answers = dict(expected)
    assert {label: answers[label].get("code") for label in WAITLIST_REFUSALS} == WAITLIST_REFUSALS
    assert {label: answers[label].get("code") for label in SERIES_REFUSALS} == SERIES_REFUSALS
    assert_clean_logs(caplog, Identifiers.from_stores([store_path]))


SERIES_REFUSALS = {
    "series: a rule that cannot be": "validation_failed",
    "series: an id of another kind": "validation_failed",
    "series: one start does not fit": "provider_unavailable",
    "series: nothing was booked": "not_found",
    "series: another series under its id": "invalid_state",
    "series: following without a start": "validation_failed",
    "series: nothing left": "invalid_state",
    "series: move them all out of hours": "provider_unavailable",
}
WAITLIST_REFUSALS = {
    "waitlist: an id of another kind": "validation_failed",
    "waitlist: latest before earliest": "validation_failed",
    "waitlist: unknown patient": "not_found",
    "waitlist: book the entry twice": "invalid_state",
    "waitlist: book a removed entry": "invalid_state",
    "waitlist: change a booked entry": "invalid_state",
    "waitlist: unknown entry": "not_found",
}
