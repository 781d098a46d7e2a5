"""`LockController`: who is signed in at the window, and the lock screen in front of it.

The window starts locked whenever people can sign in here (on the set-up page at a new
computer, on the recovery page when nobody can sign in any more). Locking takes the window's
content out of the window's widget tree altogether (not just hidden: a screen reader or
another program walking the accessibility tree finds only the lock page), hides every other
window of the app (dialogs, message boxes; popups are closed) and disables the menus, the
window's shortcuts and the status bar's buttons. A window that tries to appear while locked is
hidden too, and shown again after unlocking, as are the dialogs hidden at lock time: what the
person was typing is still there.

The first sign-in of a run opens the store key (`key_opened`); later ones unlock the window
for whoever signs in ("switch user": choose another name on the lock screen). Checking a PIN
takes a fraction of a second on purpose and runs off the GUI thread; wrong tries are counted and
held off by `DeskKeys`, in the desk file, so a restart does not reset them.

The lock is view-only: the backend keeps syncing, and the live-calls panel keeps ringing
(its tray message says only how urgent the call is); the lock page says that a call is
waiting and how urgent it is, without who.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from frontdesk_app.config import Settings
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.store.desk_keys import DeskKeys, Person
from frontdesk_app.store.keyslots import WrongSecret
from frontdesk_app.store.secret_rules import weakness
from frontdesk_app.store.sign_in_tries import HeldOff
from frontdesk_app.ui.lock.curtain import Curtain
from frontdesk_app.ui.lock.idle import IdleWatcher
from frontdesk_app.ui.lock.page import LockPage
from frontdesk_app.ui.lock.stdin import Lines

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MINUTES = 5
MAX_MINUTES = 240


def _on_a_thread_now(work: Callable[[], T]) -> asyncio.Future[T]:
    """`work` (a key derivation: argon2id, a few tenths of a second) handed to a worker thread
    now, not at the awaiting coroutine's first step: while the app loads, the loop's next turn
    may be a module import of 0.3 s, and the derivation would wait behind it."""
    return asyncio.get_event_loop().run_in_executor(None, work)


def idle_timeout_ms(settings: Settings) -> int:
    """The settings' idle time in milliseconds (1 to 240 minutes; 5 if unreadable)."""
    try:
        minutes = int(settings.idle_lock_minutes)
    except (TypeError, ValueError):
        minutes = DEFAULT_MINUTES
    return max(1, min(minutes, MAX_MINUTES)) * 60_000


# The signals the app's session listens to, in the order a sign-in says them.
TOLD_TO_THE_APP = ("key_opened", "person_changed", "activity")


class Backlog:
    """What a lock says before the app listens (a sign-in while the rest of the app still
    loads), kept in order and told again, once, to the listeners `tell` is given."""

    def __init__(self, lock: LockController) -> None:
        self._lock = lock
        self._said: list[tuple[str, tuple[Any, ...]]] = []
        self._told = False
        # Bound methods (PySide6 disconnects those, not partials), one per signal.
        self._slots: dict[str, Callable[..., None]] = {
            "key_opened": self._keep_key,
            "person_changed": self._keep_person,
            "activity": self._keep_activity,
        }
        for name in TOLD_TO_THE_APP:
            getattr(lock, name).connect(self._slots[name])

    def _keep_key(self, key: str) -> None:
        self._said.append(("key_opened", (key,)))

    def _keep_person(self, person: object) -> None:
        self._said.append(("person_changed", (person,)))

    def _keep_activity(self, action: str, person_id: str) -> None:
        self._said.append(("activity", (action, person_id)))

    def tell(self, listeners: Mapping[str, Callable[..., None]]) -> None:
        if self._told:
            return
        self._told = True
        for name in TOLD_TO_THE_APP:
            getattr(self._lock, name).disconnect(self._slots[name])
        said, self._said = self._said, []
        for name, args in said:
            listeners[name](*args)


class LockController(QObject):
    """Puts sign-in and the idle lock on `window`; `install()` once the window exists.

    `require_person` False (a `--smoke` run at a computer nobody was set up at) leaves the
    window open until someone locks it."""

    locked_changed = Signal(bool)
    key_opened = Signal(str)
    person_changed = Signal(object)
    # (audit action, person id): sign_in, sign_in.failed, lock, unlock, person.added
    activity = Signal(str, str)

    def __init__(
        self,
        window: QMainWindow,
        desk: DeskKeys,
        *,
        timeout_ms: int,
        require_person: bool = True,
    ) -> None:
        super().__init__(window)
        self._window = window
        self.desk = desk
        self.require_person = require_person
        self.key: str | None = None
        self.person: Person | None = None
        self.page = LockPage()
        self.watcher = IdleWatcher(timeout_ms, self)
        self.watcher.idle.connect(self.on_watcher_idle)
        self.stack: QStackedWidget | None = None
        self.content: QWidget | None = None
        self._focus: QWidget | None = None
        self.locked = False
        self.curtain = Curtain(window, self.page)
        self._task: asyncio.Future[None] | None = None
        self._pending: tuple[str, Person] | None = None
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.timeout.connect(self.on_hold_timeout)
        self.lock_action = QAction("&Lock now", window)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(lambda _checked=False: self.lock())
        self.page.sign_in_requested.connect(self.on_page_sign_in_requested)
        self.page.set_up_requested.connect(self.on_page_set_up_requested)
        self.page.recover_requested.connect(self.on_page_recover_requested)
        self.page.code_acknowledged.connect(self.on_page_code_acknowledged)

    # --- setting up ---------------------------------------------------------------------------

    def install(self) -> None:
        """Wrap the central widget, add File → Lock now, start watching, lock at once."""
        content = self._window.takeCentralWidget()
        if content is None:
            content = QWidget()
        stack = QStackedWidget()
        stack.setObjectName("lockStack")
        stack.addWidget(content)
        stack.addWidget(self.page)
        stack.setCurrentWidget(content)
        self._window.setCentralWidget(stack)
        self.stack, self.content = stack, content
        self._window.addAction(self.lock_action)
        menus = [m for m in (a.menu() for a in self._window.menuBar().actions()) if m]
        if menus and isinstance(menus[0], QMenu):
            first = menus[0]
            if first.actions():
                first.insertAction(first.actions()[0], self.lock_action)
            else:
                first.addAction(self.lock_action)
        self.watcher.start()
        if self.require_person:
            self.lock(reason="start")

    def on_window_settings_changed(self, settings: object, _reconnect: bool = False) -> None:
        if isinstance(settings, Settings):
            self.watcher.set_timeout(idle_timeout_ms(settings))

    def key_known(self, key: str) -> None:
        """The store key was opened without a person (the keyring slot): set-up reuses it."""
        self.key = key
        if self.locked and self.page.mode == "recover" and not self.desk.people():
            self.page.show_mode("set_up")

    # --- locking ------------------------------------------------------------------------------

    def on_watcher_idle(self) -> None:
        self.lock(reason="idle")

    def lock(self, *, reason: str = "asked") -> None:
        """Take everything about patients out of the window now."""
        if self.stack is None or self.content is None or self.locked:
            return
        self.locked = True
        focused = QApplication.focusWidget()
        # Where the keyboard was, to put it back at unlock (a lock at start has none).
        self._focus = (
            focused if focused is not None and self.content.isAncestorOf(focused) else None
        )
        self.watcher.pause()
        self._show_entry_mode()
        self.curtain.draw()
        self.stack.setCurrentWidget(self.page)
        # Out of the tree, not just hidden: nothing walking the window finds patient data.
        self.stack.removeWidget(self.content)
        self.content.setParent(None)
        self.page.focus_input()
        log.info("workstation locked (%s)", reason)
        if self.person is not None and reason != "start":
            self.activity.emit("lock", self.person.id)
        self.locked_changed.emit(True)

    def _show_entry_mode(self) -> None:
        try:
            people = self.desk.people()
            has_key = self.desk.has_key()
        except FrontDeskError as exc:  # the desk file is damaged: say so, open nothing
            self.page.show_mode("sign_in")
            self.page.set_people([])
            self.page.set_busy(True, "Locked")
            self.page.set_error(exc.message)
            return
        if people:
            self.page.show_mode("sign_in")
            self.page.set_people(people, self.person.id if self.person else None)
        elif has_key and self.key is None:
            self.page.show_mode("recover")
        else:
            self.page.show_mode("set_up")

    def _release(self) -> None:
        if not self.locked or self.stack is None or self.content is None:
            return
        self.locked = False
        self.page.clear()
        self.stack.insertWidget(0, self.content)
        self.stack.setCurrentWidget(self.content)
        self.curtain.lift()
        # The keyboard back where it was, else in the content: shortcuts work at once.
        focus = self._focus if self._focus is not None and shiboken6.isValid(self._focus) else None
        if focus is None or not self.content.isAncestorOf(focus):
            self.content.setFocus(Qt.FocusReason.OtherFocusReason)
            self.content.focusNextChild()
        else:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus = None
        self.watcher.resume()
        log.info("workstation unlocked")
        self.locked_changed.emit(False)

    # --- signing in ---------------------------------------------------------------------------

    def on_page_sign_in_requested(self, person_id: str, secret: str) -> None:
        if self._busy() or self._hold.isActive() or not person_id:
            return
        self.page.set_busy(True)
        work = _on_a_thread_now(functools.partial(self.desk.sign_in, person_id, secret))
        self._task = asyncio.ensure_future(self._sign_in(person_id, work))

    def submit_sign_in(self, name: str, secret: str) -> bool:
        """Sign in as the person called `name` (as if chosen and typed on the lock page);
        False when nobody of that name can sign in here or the page is not asking."""
        match = [p for p in self.desk.people() if p.name.casefold() == name.strip().casefold()]
        if not match or not self.locked or self.page.mode != "sign_in":
            return False
        self.page.set_people(self.desk.people(), match[0].id)
        self.on_page_sign_in_requested(match[0].id, secret)
        return True

    def sign_in_from(self, lines: Lines) -> None:
        """`--sign-in-stdin`: a name and a PIN or password (`ui/lock/stdin.py`), signed in as
        if chosen and typed on the lock screen (the same wrong-try hold-off and audit): now if
        they have been read already, else as soon as they are."""

        def deliver(done: Lines) -> None:
            if not shiboken6.isValid(self):
                return
            if done.exception() is not None:
                log.warning("sign-in from standard input: nothing could be read")
            elif not self.submit_sign_in(*done.result()):
                log.warning("sign-in from standard input: nobody of that name can sign in")

        if lines.done():
            deliver(lines)
            return
        loop = asyncio.get_event_loop()

        def from_the_reader(done: Lines) -> None:
            with contextlib.suppress(RuntimeError):  # the app closed first
                loop.call_soon_threadsafe(deliver, done)

        lines.add_done_callback(from_the_reader)

    async def _sign_in(self, person_id: str, work: asyncio.Future[str]) -> None:
        try:
            key = await work
        except (WrongSecret, HeldOff) as exc:
            if isinstance(exc, WrongSecret):
                log.info("sign-in refused: %s (wrong PIN or password)", person_id)
                self.activity.emit("sign_in.failed", person_id)
            else:
                log.info("sign-in held off: %s", person_id)
            self._refuse(exc)
            return
        except (FrontDeskError, OSError) as exc:
            self._refuse(exc)
            return
        person = self.desk.person(person_id)
        if person is None or not shiboken6.isValid(self):
            return
        self._open(key, person)

    def _refuse(self, exc: Exception) -> None:
        if not shiboken6.isValid(self) or not self.locked:
            return
        self.page.clear()
        if isinstance(exc, FrontDeskError):
            self.page.set_error(exc.message)
            if exc.retry_after:
                self.page.set_busy(True, "Please wait…")
                self._hold.start(int(exc.retry_after * 1000) + 50)
                return
        else:
            self.page.set_error("The sign-in data on this computer could not be read or saved.")
        self.page.focus_input()

    def _open(self, key: str, person: Person) -> None:
        """`person` is signed in: first time this run, the store key goes to the app."""
        if self.key is None:
            self.key = key
            self.key_opened.emit(key)
        same = self.person is not None and self.person.id == person.id
        self.person = person
        log.info("signed in: %s", person.id)
        if not same:
            self.person_changed.emit(person)
        self.activity.emit("unlock" if same else "sign_in", person.id)
        self._release()

    # --- setting up and recovering ------------------------------------------------------------

    def on_page_set_up_requested(self, name: str, secret: str, repeated: str) -> None:
        if self._busy() or not self._acceptable(secret, repeated):
            return
        self.page.set_busy(True, "Setting up…")
        self._task = asyncio.ensure_future(self._set_up(self._setting_up(name, secret, None)))

    def on_page_recover_requested(self, code: str, name: str, secret: str, repeated: str) -> None:
        if self._busy() or self._hold.isActive() or not self._acceptable(secret, repeated):
            return
        self.page.set_busy(True)
        self._task = asyncio.ensure_future(self._set_up(self._setting_up(name, secret, code)))

    def _acceptable(self, secret: str, repeated: str) -> bool:
        if secret != repeated:
            self.page.set_error("The two entries differ: type the same PIN or password twice.")
            return False
        problem = weakness(secret)
        if problem is not None:
            self.page.set_error(problem)
            return False
        return True

    def _setting_up(
        self, name: str, secret: str, code: str | None
    ) -> asyncio.Future[tuple[str, Person, str]]:
        def work() -> tuple[str, Person, str]:
            key = self.desk.recover(code) if code is not None else self.key
            return self.desk.set_up(name, secret, key=key)

        return _on_a_thread_now(work)

    async def _set_up(self, work: asyncio.Future[tuple[str, Person, str]]) -> None:
        try:
            key, person, new_code = await work
        except (FrontDeskError, OSError) as exc:
            self._refuse(exc)
            return
        if not shiboken6.isValid(self):
            return
        self._pending = (key, person)
        self.activity.emit("person.added", person.id)
        self.page.show_mode("code", code=new_code)
        self.page.focus_input()

    def on_page_code_acknowledged(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._open(*pending)

    def _busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def on_hold_timeout(self) -> None:
        self._hold.stop()
        self.page.set_busy(False)
        self.page.focus_input()
