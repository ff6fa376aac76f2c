"""Refusals of sign-in and account management."""

from services.kit.errors import Conflict, TooManyRequests, Unauthorized


class BadCredentials(Unauthorized):
    code = "bad_credentials"
    title = "Wrong login or password"


class LoginThrottled(TooManyRequests):
    code = "login_throttled"
    title = "Too many failed logins"


class RefreshRejected(Unauthorized):
    code = "refresh_rejected"
    title = "Refresh token rejected"


class LoginTaken(Conflict):
    code = "login_taken"
    title = "Login already in use"
