"""Keys and sign-in as a desk lives them, the app started as its own process under each keyring
condition: nothing is lost (a booking queued offline syncs after a restart and after `kill -9`),
nobody is locked out (deleting keyring entries resets nothing; the recovery code opens the
store when nobody can sign in), and locked means locked (every start is locked; wrong PINs are
held off across restarts).

People are set up with `frontdesk people …` and sign in through `--sign-in-stdin` (a name and a
PIN on standard input, checked exactly as on the lock screen). The offline booking is made by
this test through the product's own offline-first backend on the desk's offline copy, opened
with the key a PIN opens, while the desk's server (the bundled sandbox, which runs only inside
the app) is down: the same outbox the booking dialog writes to.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.domain.clock import OFFSET_VARIABLE, Clock, system_now, use_clock
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.encryption import file_state
from frontdesk_app.store.sign_in_tries import FREE_TRIES
from frontdesk_app.sync.backend import OfflineFirstBackend
from tests.acceptance.desk import CONDITIONS, Desk, explain, kill_hard, secret_service_missing

pytestmark = pytest.mark.acceptance

ADMIN = "Dana Admin"
PIN = "604729"
WRONG = "135792"
SYNC_TIMEOUT = 180
CODE = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b")


@pytest.fixture(params=CONDITIONS)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "secret_service" and (why := secret_service_missing()):
        pytest.skip(why)
    yield Desk(tmp_path, request.param)


def set_up(desk: Desk) -> str:
    """The first administrator, from a terminal as IT does it; returns the recovery code."""
    done = desk.run("people", "set-up", "--name", ADMIN, stdin=f"{PIN}\n{PIN}\n")
    assert done.returncode == 0, explain(done)
    found = CODE.search(done.stdout)
    assert found is not None, done.stdout
    return found.group(0)


def sign_in(name: str = ADMIN, pin: str = PIN) -> str:
    return f"{name}\n{pin}\n"


def smoke_signed_in(desk: Desk, name: str = ADMIN, pin: str = PIN) -> None:
    result = desk.smoke("--sign-in-stdin", stdin=sign_in(name, pin))
    assert result.returncode == 0 and "smoke: ok" in result.stdout, explain(result)


def keyring_opens(desk: Desk) -> bool:
    """Whether the desk's keyring slot opens its store key, asked under its own keyring."""
    probe = desk.python(
        "import os\n"
        "from pathlib import Path\n"
        "from frontdesk_app.store.desk_keys import DeskKeys\n"
        "print(DeskKeys(Path(os.environ['FRONTDESK_HOME'])).keyring_key() is not None)\n"
    )
    assert probe.returncode == 0, explain(probe)
    return probe.stdout.strip().splitlines()[-1] == "True"


def desk_keys(desk: Desk) -> DeskKeys:
    return DeskKeys(desk.frontdesk_home)


def book_offline(desk: Desk) -> tuple[str, str, datetime]:
    """A booking made while the desk's server is down: it waits in the offline copy's outbox.
    Returns (patient id, provider id, start)."""
    admin = desk_keys(desk).people()[0]
    key = desk_keys(desk).sign_in(admin.id, PIN)
    mirror = desk.frontdesk_home / "mirror-bundled.sqlite"
    assert file_state(mirror) == "encrypted"

    async def book() -> tuple[str, str, datetime]:
        # Nothing listens on port 9 of this computer: the API is unreachable.
        api = ApiBackend(base_url="http://127.0.0.1:9", credentials=ApiKey("fdk_test_offline"))
        backend = await OfflineFirstBackend.open(mirror, api, key=key, follow_events=False)
        try:
            provider = (await backend.list_providers())[0]
            patient = (await backend.search_patients(None, limit=1)).data[0]
            start = await first_free_start(backend, provider.id)
            await backend.create_appointment(
                AppointmentCreate(
                    patient_id=patient.id,
                    provider_id=provider.id,
                    start_time=start,
                    duration_minutes=30,
                    type="consultation",
                )
            )
            assert backend.state.pending == 1
        finally:
            await backend.aclose()
        return patient.id, provider.id, start

    # The app processes run on the computer's clock; so does this booking.
    with use_clock(Clock.system()):
        return asyncio.run(book())


async def first_free_start(backend: OfflineFirstBackend, provider_id: str) -> datetime:
    day = system_now().astimezone(ZoneInfo("America/New_York")).date()
    for offset in range(2, 40):
        slots = await backend.provider_availability(provider_id, day + timedelta(offset), 30)
        if slots.slots:
            return slots.slots[0].start_time
    raise AssertionError("no free slot in the demo clinic's next weeks")


def on_server(desk: Desk, patient_id: str, start: datetime) -> bool:
    """The booking is in the bundled sandbox's own store (plain: synthetic data only)."""
    path = desk.frontdesk_home / "bundled-sandbox.sqlite"
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)) as db:
        rows = db.execute(
            "SELECT start_time FROM appointments WHERE patient_id = ? AND status != 'cancelled'",
            (patient_id,),
        ).fetchall()
    wanted = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return any(_as_utc(value) == wanted for (value,) in rows)


def _as_utc(value: object) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return parsed


def wait_until_on_server(
    desk: Desk, booking: tuple[str, str, datetime], name: str = ADMIN, pin: str = PIN
) -> None:
    """Start the app, sign in, wait until the booking has reached the server and the desk's
    queue is empty (as `frontdesk sync status` reads it: with the keyring slot, or the same
    name and PIN), then close it."""
    patient_id, _provider_id, start = booking
    running = desk.start("--sign-in-stdin", stdin=sign_in(name, pin))
    try:
        deadline = time.monotonic() + SYNC_TIMEOUT
        while not on_server(desk, patient_id, start):
            assert running.poll() is None, f"the app exited ({running.returncode})"
            assert time.monotonic() < deadline, "the booking made offline never reached the server"
            time.sleep(0.5)
        while pending(desk, name, pin) != 0:
            assert time.monotonic() < deadline, "the queue never emptied"
            time.sleep(0.5)
    finally:
        kill_hard(running)


def pending(desk: Desk, name: str, pin: str) -> int:
    status = desk.run("sync", "status", "--json", stdin=sign_in(name, pin))
    assert status.returncode == 0, explain(status)
    return int(json.loads(status.stdout.strip().splitlines()[-1])["pending"])


# --- nothing lost -----------------------------------------------------------------------------


def test_set_up_book_offline_quit_start_sign_in_and_the_booking_syncs(desk: Desk) -> None:
    set_up(desk)
    smoke_signed_in(desk)  # the first start: the clinic is pulled into the offline copy
    booking = book_offline(desk)
    wait_until_on_server(desk, booking)
    # Everything the app made is its user's only.
    for path in [desk.frontdesk_home, *desk.frontdesk_home.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_kill_9_with_a_queued_write_then_start_sign_in_and_it_syncs(desk: Desk) -> None:
    set_up(desk)
    smoke_signed_in(desk)
    booking = book_offline(desk)
    running = desk.start("--sign-in-stdin", stdin=f"{ADMIN}\n{WRONG}\n")
    try:
        # Nobody signed in (a wrong PIN): the write is still queued when the app dies.
        desk.wait_for_log("sign-in refused", running, timeout=240)
    finally:
        kill_hard(running)
    wait_until_on_server(desk, booking)


# --- locked means locked ----------------------------------------------------------------------


def test_every_start_is_locked_and_deleting_keyring_entries_resets_nothing(desk: Desk) -> None:
    code = set_up(desk)
    smoke_signed_in(desk)
    check_before = json.loads((desk.frontdesk_home / "desk-keys.json").read_text())["key_check"]
    running = desk.start()
    try:
        desk.wait_for_log("workstation locked (start)", running, timeout=240, count=2)
    finally:
        kill_hard(running)
    assert "workstation unlocked" not in desk.log_text().split("workstation locked (start)")[-1]

    # With a keyring, its slot opens the store without a person (syncing before sign-in).
    assert keyring_opens(desk) is (desk.condition != "none")
    deleted = desk.python(
        "import contextlib, keyring, keyring.errors\n"
        "for entry in ('store-slot', 'store-key', 'workstation-lock'):\n"
        "    with contextlib.suppress(keyring.errors.KeyringError):\n"
        "        keyring.delete_password('FrontDesk', entry)\n"
    )
    assert deleted.returncode == 0, explain(deleted)
    # Not unlocked: nothing opens without a person now, and still nobody may set up anew.
    assert keyring_opens(desk) is False
    again = desk.run("people", "set-up", "--name", "Someone Else", stdin=f"{PIN}\n{PIN}\n")
    assert again.returncode != 0 and "already" in again.stderr
    smoke_signed_in(desk)  # the same person, the same PIN, the same data
    after = json.loads((desk.frontdesk_home / "desk-keys.json").read_text())
    assert after["key_check"] == check_before
    assert [p["name"] for p in after["people"]] == [ADMIN]
    assert desk_keys(desk).recover(code)


def test_wrong_pins_are_held_off_across_restarts(desk: Desk) -> None:
    set_up(desk)
    smoke_signed_in(desk)
    for attempt in range(FREE_TRIES):
        running = desk.start("--sign-in-stdin", stdin=sign_in(pin=WRONG))
        try:
            desk.wait_for_log("sign-in refused", running, timeout=240, count=attempt + 1)
        finally:
            kill_hard(running)
    admin = desk_keys(desk).people()[0]
    last = json.loads((desk.frontdesk_home / "desk-keys.json").read_text())["tries"][admin.id]
    assert last["count"] == FREE_TRIES
    # The next start, even with the right PIN, is held off. Its clock is set back a minute
    # before the last wrong try (a clock set back does not shorten a wait either), so the
    # time this machine takes to start the app does not decide the outcome.
    held_at = datetime.fromisoformat(last["last"]) - timedelta(minutes=1)
    offset = (held_at - system_now()).total_seconds()
    desk.extra_env[OFFSET_VARIABLE] = f"{offset:.3f}"
    running = desk.start("--sign-in-stdin", stdin=sign_in())
    try:
        desk.wait_for_log("sign-in held off", running, timeout=240)
    finally:
        kill_hard(running)
    assert "signed in" not in desk.log_text().split("sign-in refused")[-1]
    status = desk.run("sync", "status", stdin=sign_in())
    if desk.condition == "none":  # no keyring slot: the terminal asks, and is held off too
        assert status.returncode != 0 and "Wait" in status.stdout, explain(status)
    del desk.extra_env[OFFSET_VARIABLE]
    with use_clock(Clock.system()):
        time.sleep(desk_keys(desk).wait_seconds(admin.id))
    smoke_signed_in(desk)  # once the wait is over, the right PIN signs in


# --- nobody locked out ------------------------------------------------------------------------


def test_the_recovery_code_opens_the_store_after_everybody_is_removed(desk: Desk) -> None:
    code = set_up(desk)
    smoke_signed_in(desk)
    booking = book_offline(desk)
    admin = desk_keys(desk).people()[0]
    removed = desk.run("people", "disable", admin.id, "--recovery-code", stdin=f"{code}\n")
    assert removed.returncode == 0, explain(removed)
    assert desk_keys(desk).people() == []
    recovered = desk.run(
        "people", "recover", "--name", "Lee Admin", stdin=f"{code.lower()}\n246813\n246813\n"
    )
    assert recovered.returncode == 0, explain(recovered)
    new_code = CODE.search(recovered.stdout)
    assert new_code is not None and new_code.group(0) != code
    # The same store, with the booking queued before everybody was removed.
    wait_until_on_server(desk, booking, "Lee Admin", "246813")
    assert file_state(desk.frontdesk_home / "mirror-bundled.sqlite") == "encrypted"
