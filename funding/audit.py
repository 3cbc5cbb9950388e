"""The audit trail of applications: the one function that writes ``TransitionLog`` rows.

Called inside the transaction of the state change it records (a tamper-evident hash chain will
be added here later, so nothing else may create ``TransitionLog`` rows).
"""

from .models import Application, TransitionLog


def record(application: Application, *, transition: str, from_state: str, to_state: str, by, comment: str = "",
           ) -> TransitionLog:
    return TransitionLog.objects.create(
        application=application, transition=transition, from_state=from_state, to_state=to_state,
        by=by if getattr(by, "pk", None) else None, comment=comment or "",
    )
