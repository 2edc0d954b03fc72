"""Safety nets that run beside the NLU classifier: emergencies are answered before anything."""

from bot.safety.emergency import EmergencyMatch, detect_emergency

__all__ = ["EmergencyMatch", "detect_emergency"]
