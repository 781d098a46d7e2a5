"""Words and colours for calls: intents, sentiment, priority, collected data; no Qt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from frontdesk_app.domain.models import Sentiment, TransferPriority

INTENT_LABELS = {
    "book_appointment": "Book an appointment",
    "reschedule_appointment": "Reschedule an appointment",
    "cancel_appointment": "Cancel an appointment",
    "prescription_refill": "Prescription refill",
    "billing_question": "Billing question",
    "urgent_symptoms": "Urgent symptoms",
    "insurance_question": "Insurance question",
}

# (badge text, strong colour, soft tint) — the strong colour marks the card's edge.
PRIORITY_STYLE: dict[TransferPriority, tuple[str, str, str]] = {
    "emergency": ("⚠ EMERGENCY", "#b3261e", "#fdecea"),
    "urgent": ("▲ URGENT", "#b45309", "#fff4e0"),
    "normal": ("Normal", "#5b7083", "#ffffff"),
}

SENTIMENT_STYLE: dict[str, tuple[str, str]] = {
    "positive": ("Positive", "#17603a"),
    "neutral": ("Neutral", "#4b5b6c"),
    "negative": ("Negative", "#9a5a00"),
    "distressed": ("Distressed", "#b3261e"),
}

DISPOSITIONS: list[tuple[str, str]] = [
    ("appointment_booked", "Appointment booked"),
    ("appointment_rescheduled", "Appointment rescheduled"),
    ("appointment_cancelled", "Appointment cancelled"),
    ("prescription_handled", "Prescription handled"),
    ("information_given", "Information given"),
    ("escalated_clinical", "Escalated to clinical staff"),
    ("callback_scheduled", "Call-back arranged"),
    ("resolved", "Resolved, other"),
]

COLLECTED_LABELS = {
    "patient_name": "Name given",
    "date_of_birth": "Date of birth",
    "reason": "Reason",
    "preferred_day": "Preferred day",
    "preferred_time": "Preferred time",
    "new_patient": "New patient",
    "current_appointment_day": "Current appointment",
    "requested_day": "Requested day",
    "requested_time": "Requested time",
    "medication": "Medication",
    "pharmacy": "Pharmacy",
    "statement_amount": "Statement amount",
    "question": "Question",
    "symptom": "Symptom",
    "onset": "Since",
    "advised_emergency_services": "Told to call 911 if worse",
    "insurance_changed": "Insurance changed",
}


def intent_label(name: str) -> str:
    return INTENT_LABELS.get(name, name.replace("_", " ").capitalize())


def sentiment_text(sentiment: Sentiment) -> str:
    label, _ = SENTIMENT_STYLE.get(sentiment.label, (sentiment.label.capitalize(), ""))
    return f"{label} ({sentiment.score:+.2f})"


def sentiment_colour(sentiment: Sentiment) -> str:
    return SENTIMENT_STYLE.get(sentiment.label, ("", "#4b5b6c"))[1]


def collected_label(key: str) -> str:
    return COLLECTED_LABELS.get(key, key.replace("_", " ").capitalize())


def collected_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key == "statement_amount" and isinstance(value, int | float):
        return f"${value:,.2f}".replace(".00", "")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def waited(delta: timedelta) -> str:
    """`just now`, `waiting 3 min`."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "just now"
    return f"waiting {seconds // 60} min"
