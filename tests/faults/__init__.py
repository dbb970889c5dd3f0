"""The fault suite (issue #14): each fault reproduced as a user meets it — the real Discord and Telegram
clients in front of the loopback stand-ins, the real ask pipeline over the Atlas index, and a
``redis-server`` the test starts, kills, pauses and restarts. The README lists the scenarios.
"""
