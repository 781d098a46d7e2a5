"""`DeskSession`: the store key and the person at the window, for the app's runner.

The store key comes from the keyring slot at once where there is one, else from the first
sign-in (or set-up) on the lock screen; after that the keyring slot is put back if its entry
was deleted. What people do at the window (sign-in, lock, people added, patients and calls
looked at) goes into the audit log with the person signed in; entries made before the store
is open wait for it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.store.audit import AuditTrail, SignedIn, record_now
from frontdesk_app.store.db import Store
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.key_prompt import unattended_key
from frontdesk_app.ui.lock.controller import TOLD_TO_THE_APP, Backlog, LockController
from frontdesk_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)
Unrecorded = tuple[str, str | None, str | None, SignedIn | None]


class DeskSession:
    """Owned by the app's runner; `store()` gives the open store (or None)."""

    def __init__(
        self,
        window: MainWindow,
        desk: DeskKeys,
        lock: LockController | None,
        trail: AuditTrail,
        *,
        store: Callable[[], Store | None],
        reopen: Callable[[], None],
        backlog: Backlog | None = None,
    ) -> None:
        self.window = window
        self.desk = desk
        self.lock = lock
        self.trail = trail
        self.key: str | None = None
        self._store = store
        self._reopen = reopen
        self._opened: asyncio.Future[str] = asyncio.get_event_loop().create_future()
        self._background: set[asyncio.Future[None]] = set()
        self._unrecorded: list[Unrecorded] = []
        listeners: dict[str, Callable[..., None]] = {
            "key_opened": self._on_key_opened,
            "person_changed": self._on_person_changed,
            "activity": self._on_lock_activity,
        }
        if lock is not None:
            for name in TOLD_TO_THE_APP:
                getattr(lock, name).connect(listeners[name])
        if backlog is not None:  # a sign-in before this session listened: heard now, in order
            backlog.tell(listeners)

    # --- the store key ------------------------------------------------------------------------

    async def store_key(self, environment: str) -> str | None:
        """The store key: from the keyring slot at once where there is one, else when a
        person signs in (or is set up) on the lock screen.

        At a computer nobody was set up at yet the stores open behind the set-up page: with
        a new key kept in the keyring where there is one; without one only the demo clinic
        opens (its copy stays plain until the first person is set up, then is encrypted)."""
        if self.key is not None:
            return self.key
        fresh = await asyncio.to_thread(lambda: not self.desk.has_key() and not self.desk.people())
        key = await asyncio.to_thread(unattended_key, self.desk, create=fresh)
        if key is not None:
            self.key = key
            if self.lock is not None:
                self.lock.key_known(key)
            return key
        if self.lock is None or (fresh and environment == "bundled"):
            return None
        self.window.set_starting(
            "Waiting for somebody to sign in…",
            "The clinic's data on this computer opens when a person signs in.",
        )
        self.key = await self._opened
        return self.key

    def _on_key_opened(self, key: str) -> None:
        if not self._opened.done():
            self._opened.set_result(key)
        self._spawn(self._after_key_opened(key))

    async def _after_key_opened(self, key: str) -> None:
        # The keyring slot is back after its entry was deleted (or the keyring came later).
        try:
            await asyncio.to_thread(self.desk.add_keyring_slot, key)
        except (FrontDeskError, OSError) as exc:
            log.warning("could not put a slot in the keyring: %s", type(exc).__name__)
        store = self._store()
        if self.key is None and store is not None and not store.encrypted:
            self.key = key
            self._reopen()

    # --- the audit log of what people do at the window ----------------------------------------

    def record(
        self,
        action: str,
        *,
        patient_id: str | None = None,
        object_id: str | None = None,
        person: SignedIn | None = None,
    ) -> None:
        """An audit entry (kept until the store opens when it is not open yet)."""
        store = self._store()
        if store is None:
            self._unrecorded.append((action, patient_id, object_id, person))
            return
        work = functools.partial(
            record_now,
            self.trail,
            store,
            action,
            patient_id=patient_id,
            object_id=object_id,
            person=person,
        )
        self._spawn(self._record(work, action))

    def store_opened(self) -> None:
        """Write what waited for the store."""
        waiting, self._unrecorded = self._unrecorded, []
        for action, patient_id, object_id, person in waiting:
            self.record(action, patient_id=patient_id, object_id=object_id, person=person)

    async def _record(self, work: Callable[[], None], action: str) -> None:
        try:
            await asyncio.to_thread(work)
        except Exception as exc:
            log.error("could not record %s in the audit log: %s", action, type(exc).__name__)

    def record_view(self, action: str, patient_id: str | None, object_id: str | None) -> None:
        self.record(action, patient_id=patient_id, object_id=object_id)

    def _on_person_changed(self, person: Any) -> None:
        self.trail.person = SignedIn(person.id, person.name) if person is not None else None

    def _on_lock_activity(self, action: str, person_id: str) -> None:
        if action in ("sign_in", "lock", "unlock"):
            who = self.desk.person(person_id)
            person = SignedIn(who.id, who.name) if who is not None else None
            self.record(action, object_id=person_id, person=person)
        else:  # a failed try (nobody is known to be there), a person added at set-up
            self.record(action, object_id=person_id)

    # --- people -------------------------------------------------------------------------------

    def open_people(self) -> None:
        """File → People at this desk…: an administrator adds, resets and disables people."""
        person = self.lock.person if self.lock is not None else None
        key = self.lock.key if self.lock is not None else None
        if person is None or key is None or not person.is_admin:
            self.window.message.show_message(
                "Only an administrator manages people",
                "Sign in as one of this computer's administrators.",
                level="info",
            )
            return
        from frontdesk_app.ui.people_dialog import PeopleDialog

        dialog = PeopleDialog(self.desk, key, me=person, parent=self.window)
        dialog.activity.connect(lambda action, who: self.record(action, object_id=who))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
