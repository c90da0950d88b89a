"""The page's port, checked before `run` or `demo` starts anything: one line in our words when it is taken.

A speaker (or a demo) asked to serve its page on a port another program holds refuses to start and
says which port, where that port came from and how to change it (`--port`, the web.port setting),
rather than run on without the page: the service alone would only log "running without it" (the
right thing for a port lost later, not for one that was never free), and the demo then ran on with
exit status 0 and no page a newcomer could open.
"""

from __future__ import annotations

from moodspeaker.config import Config


def web_port_problem(config: Config, port_option: int | None, *, setting_hint: str) -> str | None:
    """Why the page cannot listen, in one line naming what changes the port; None when it can.

    `port_option` is --port (None: not given); `setting_hint` says how this command changes web.port
    (`moodspeaker config set web.port=N` for the speaker, the demo's own settings file for the demo).
    A failure other than "in use" is left to the service, which reports it and carries on.
    """
    from moodspeaker.system.listen import check_port_free, in_use

    port = config.web.port if port_option is None else port_option
    if not config.web.enabled or port == 0:
        return None
    try:
        check_port_free(config.web.host, port)
    except OSError as exc:
        if not in_use(exc):
            return None
        where = "given with --port" if port_option is not None else "the web.port setting"
        return (
            f"port {port} for the web page ({where}) is already in use by another program; stop it, or "
            f"choose another port with --port N or {setting_hint} (--no-web: no page)"
        )
    return None
