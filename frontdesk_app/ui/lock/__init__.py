"""Sign-in and the idle lock: patient data out of the window until a person signs in.

`page` (the lock screen: sign in, set up, recover, the recovery code), `idle` (input-driven
idle timer) and `controller` (puts them on the main window). The people and the key slots
behind them are the store's (`store.desk_keys`).
"""
