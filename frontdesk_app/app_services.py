"""The services a desk's window holds: the backend the settings ask for, and what to stop
after it — the embedded store (standalone), or the FrontDeskOS API behind the offline-first
layer on the sync engine's thread (the bundled sandbox as a child process, or a server).

No Qt here; the window's side is `app.py`, which imports this module only after its first
frame is painted (SQLAlchemy, httpx and pydantic load with it).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontdesk_app.config import Settings, data_dir
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import AuthenticationFailed, FrontDeskError

if TYPE_CHECKING:
    from frontdesk_app.api import Credentials
    from frontdesk_app.sandbox.process import SandboxProcess
    from frontdesk_app.store.audit import AuditTrail
    from frontdesk_app.store.db import Store
    from frontdesk_app.sync.facade import EngineBackend

log = logging.getLogger(__name__)
PULL_WAIT = 60.0
OFFLINE_COPY_WAIT = 1.5
ENV_LABELS = {
    "bundled": "Demo clinic",
    "sandbox": "Sandbox",
    "production": "Production",
    "custom": "Custom server",
    "standalone": "Standalone",
}
Progress = Callable[[str, str], None]


class SetupNeeded(FrontDeskError):
    """The chosen API has no saved credentials (or they were refused): open the settings."""

    code = "setup_needed"
    title = "Sign-in details needed"


@dataclass
class Services:
    """The backend the window holds, and what has to be stopped after it."""

    backend: Backend
    environment: str
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The desk's own (encrypted) store, where the audit log is kept.
    store: Store | None = None

    @property
    def label(self) -> str:
        return ENV_LABELS.get(self.environment, self.environment)

    async def aclose(self) -> None:
        await self.backend.aclose()
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:
                log.exception("closing a service failed")


async def start_services(
    settings: Settings,
    *,
    db: str | None,
    progress: Progress,
    key: str | None,
    audit: AuditTrail | None = None,
    sandbox: SandboxProcess | None = None,
) -> Services:
    """Open the backend the settings ask for, the desk's stores with the store `key` (None
    only where nobody was set up yet and there is no keyring: then only the demo clinic's
    copy may open, unencrypted). Heavy modules are imported here, not above. `sandbox`: the
    bundled sandbox, already booting (the app launches it before its window)."""
    env = settings.environment
    trail = audit or audit_trail(settings)
    if env == "standalone":
        progress("Opening the clinic…", "Working on this computer only.")
        from frontdesk_app.local.backend import LocalBackend

        path = Path(db) if db else data_dir() / "standalone.sqlite"
        store_key = _required(key)
        local = await asyncio.to_thread(
            functools.partial(LocalBackend.open, path, demo=True, key=store_key, audit=trail)
        )
        return Services(local, env, store=local.store)

    from frontdesk_app.api import ApiBackend, ApiKey
    from frontdesk_app.store.sealed_secrets import use_for_credentials
    from frontdesk_app.sync.backend import OfflineFirstBackend
    from frontdesk_app.sync.engine import Engine
    from frontdesk_app.sync.facade import EngineBackend

    async def forget_vault() -> None:
        use_for_credentials(data_dir(), None)

    credentials: Credentials
    # Without a keyring the API's credentials are sealed under the store key in the desk file;
    # that vault is open while these services are, and closed with them.
    use_for_credentials(data_dir(), key)
    closers: list[Callable[[], Awaitable[None]]] = [forget_vault]
    starting: asyncio.Future[SandboxProcess] | None = None
    server: SandboxProcess | None = None
    try:
        if env == "bundled":
            progress(
                "Starting the demo clinic…",
                "The sandbox runs on this computer. The first start creates a synthetic demo "
                "clinic, which takes a few seconds.",
            )
            # Its own process: its threads and GIL are not the desk's, and a crash there is a
            # restart (the desk is offline for a moment), not a dead desk.
            from frontdesk_app.sandbox.process import bundled_sandbox

            # Launched before the window where the app could (`sandbox`), else here.
            server = (sandbox or bundled_sandbox(data_dir())).launch()
            closers.append(server.stop)
            starting = asyncio.ensure_future(server.start())
            if not server.address_known:  # it says its address once it listens
                await starting
            base_url = server.base_url
            credentials = ApiKey(server.api_key)
        else:
            base_url = _base_url(settings)
            credentials = await _credentials(settings)
    except BaseException:
        # The sandbox is stopped; the credentials' vault stays open, as Settings saves a key
        # there after `SetupNeeded` (a desk without a keyring).
        await _close_all(closers[1:], starting)
        raise
    progress("Connecting…", base_url)
    mirror = Path(db) if db else data_dir() / f"mirror-{env}.sqlite"
    # The API client, the replayer, the event stream and the puller live on the sync engine's
    # thread; the window holds the facade (see domain/threads.py).
    engine = Engine().start()

    async def open_on_engine() -> OfflineFirstBackend:
        api = ApiBackend(base_url=base_url, credentials=credentials)
        try:
            return await OfflineFirstBackend.open(mirror, api, key=mirror_key, audit=trail)
        except BaseException:
            await api.aclose()
            raise

    try:
        mirror_key = await asyncio.to_thread(_mirror_key, mirror, env, key)
        backend = await EngineBackend.open(engine, open_on_engine)
    except BaseException:
        await engine.stop()
        await _close_all(closers, starting)
        raise
    services = Services(backend, env, closers, store=backend.local.store)
    try:
        await _until_open(backend, env, progress, server, starting)
    except BaseException:  # a refusal, or the window closed meanwhile (cancelled)
        await _close_all([services.aclose], starting)
        raise
    return services


async def _until_open(
    backend: EngineBackend,
    env: str,
    progress: Progress,
    server: SandboxProcess | None,
    starting: asyncio.Future[SandboxProcess] | None,
) -> None:
    """Until the desk can open: at once on an offline copy from an earlier start (the pull
    catches up behind it, and the status bar says whether the server answers); a desk that
    never pulled waits for the clinic's schedule (and for the bundled sandbox to be up)."""
    has_copy = await backend.has_offline_copy()
    if starting is not None and server is not None:
        if not has_copy:  # a first start needs the demo clinic up (or its failure, said)
            await starting
        starting.add_done_callback(functools.partial(_unless_it_started, server))
    if not has_copy:
        progress("Fetching the clinic's schedule…", "Later starts only fetch what changed.")
    # The bundled sandbox's copy is the demo clinic as this desk left it (nobody else writes
    # there): it opens without waiting for the sandbox to boot.
    wait = (0.0 if env == "bundled" else OFFLINE_COPY_WAIT) if has_copy else PULL_WAIT
    if wait and not await backend.wait_pulled(wait, unless_down=has_copy):
        log.info("schedule not fetched within %s s; opening with the local copy", wait)
    if backend.state.detail and "sign" in backend.state.detail.lower():
        raise AuthenticationFailed(backend.state.detail)


async def _credentials(settings: Settings) -> Credentials:
    from frontdesk_app.api import ApiKey, load_credentials

    env = settings.environment
    api_key = os.environ.get("FRONTDESK_API_KEY") if env == "custom" else None
    if api_key:
        return ApiKey(api_key)
    credentials = await asyncio.to_thread(
        lambda: load_credentials(
            environment=env, auth_method=settings.auth_method, client_id=settings.client_id
        )
    )
    if credentials is None:
        raise SetupNeeded(
            "FrontDesk has no API key or OAuth client saved for this server. "
            "Enter them in Settings (Ctrl+,)."
        )
    return credentials


async def _close_all(
    closers: list[Callable[[], Awaitable[None]]], starting: asyncio.Future[Any] | None
) -> None:
    """What was opened before a failure, in reverse; then the sandbox's start, which the
    closing ended, is waited for (its outcome no longer matters)."""
    for close in reversed(closers):
        await close()
    if starting is not None:
        await asyncio.gather(starting, return_exceptions=True)


def _unless_it_started(server: SandboxProcess, starting: asyncio.Future[Any]) -> None:
    """The bundled sandbox's start, finished behind a desk already open on its copy: one that
    failed is said in the log (the status bar says the desk is offline)."""
    if starting.cancelled():
        return
    failure = starting.exception()
    if failure is not None and not server.stopping:
        log.error(
            "the bundled sandbox did not start (%s); the desk works on its offline copy",
            type(failure).__name__,
        )


def _mirror_key(path: Path, env: str, key: str | None) -> str | None:
    """The offline copy's key. Only the demo clinic's copy (synthetic data) may stay plain on
    a computer where nobody was set up and there is no keyring, so that the demo still opens
    there; it is encrypted in place as soon as the desk has a key. Real clinics' copies are
    never left plain."""
    from frontdesk_app.store.encryption import file_state

    if key is not None or env != "bundled" or file_state(path) == "encrypted":
        return _required(key)
    log.warning("no store key yet: the demo clinic's offline copy is kept unencrypted")
    return None


def _required(key: str | None) -> str:
    from frontdesk_app.store.encryption import KeyringUnavailable

    if key is None:
        raise KeyringUnavailable(
            "This computer has no password store (keyring) to keep the clinic's key in, and "
            "nobody has signed in yet. Set up the first person at the lock screen; the "
            "clinic's data opens when they sign in."
        )
    return key


def audit_trail(settings: Settings) -> AuditTrail:
    """Entries name the person logged in to this computer and the workstation."""
    from frontdesk_app.store.audit import AuditTrail, current_actor

    return AuditTrail(current_actor(settings.workstation_name))


def _base_url(settings: Settings) -> str:
    from frontdesk_app.api import InsecureBaseUrl, validate_base_url

    url = settings.base_url()
    if not url:
        raise SetupNeeded("Enter the API's address in Settings (Ctrl+,).")
    try:
        return validate_base_url(url)
    except InsecureBaseUrl as exc:
        raise SetupNeeded(str(exc)) from None
