"""The Twilio stand-in lives in channels/ (make run uses it too); tests import it here."""

from channels.twilio_standin import StandIn, build_app, free_port, running_standin

__all__ = ["StandIn", "build_app", "free_port", "running_standin"]
