"""Sign-in and the idle lock: patient data out of the window until a person signs in.

`page` (the lock screen: sign in, set up, recover, the recovery code), `idle` (input-driven
idle timer), `curtain` (other windows, menus and the tray while locked), `controller` (puts
them on the main window) and `session` (the store key and the audit of what people do, for
the app). The people and the key slots behind them are the store's (`store.desk_keys`).
"""
