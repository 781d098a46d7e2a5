"""Synthetic AI-handled phone calls: transcript, sentiment, intent, collected data, summary.

Pure generation from a `random.Random` (a seed gives the same calls every time). It sits in
`store` so that the demo clinic can use it; `local.simulator` offers it to the backend and the
sandbox.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from frontdesk_app.domain.ids import CALL, new_id
from frontdesk_app.domain.models import (
    Call,
    Caller,
    Intent,
    Patient,
    Sentiment,
    TranscriptLine,
    TransferPriority,
)
from frontdesk_app.store.synthetic import MEDICATIONS, PHARMACIES, person_name, phone_number

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
REASONS = (
    "a persistent cough",
    "an annual physical",
    "knee pain after running",
    "a follow-up on blood pressure",
    "recurring headaches",
    "a skin rash that won't clear",
)
SYMPTOMS: tuple[tuple[str, TransferPriority], ...] = (
    ("chest tightness and shortness of breath", "emergency"),
    ("a fever of 103 that won't come down", "urgent"),
    ("a deep cut on the hand that keeps bleeding", "urgent"),
    ("sudden dizziness and blurred vision", "emergency"),
)


@dataclass(frozen=True, slots=True)
class Who:
    first: str
    last: str
    dob: str
    phone: str
    patient_id: str | None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True, slots=True)
class Script:
    """One scenario's lines and what the assistant gathered from them."""

    intent: str
    sentiment: tuple[str, float]
    lines: list[tuple[str, str]]
    collected: dict[str, Any]
    summary: str
    priority: TransferPriority


def _book(rng: random.Random, who: Who) -> Script:
    reason, day = rng.choice(REASONS), rng.choice(WEEKDAYS)
    part = rng.choice(("morning", "afternoon"))
    new = who.patient_id is None
    return Script(
        intent="book_appointment",
        sentiment=("positive", round(rng.uniform(0.55, 0.85), 2)),
        lines=[
            (
                "ai",
                "Thank you for calling. This is the clinic's virtual assistant. How can I help?",
            ),
            ("caller", f"Hi, I'd like to make an appointment for {reason}."),
            ("ai", "Of course. Can I have your full name and date of birth?"),
            ("caller", f"It's {who.name}, born {who.dob}."),
            ("ai", "Thank you. Do you have a preferred day or time?"),
            ("caller", f"{day} {part} would be best, if there's anything."),
            ("ai", "Let me connect you with the front desk to confirm the exact time."),
        ],
        collected={
            "patient_name": who.name,
            "date_of_birth": who.dob,
            "reason": reason,
            "preferred_day": day,
            "preferred_time": part,
            "new_patient": new,
        },
        summary=f"Wants an appointment for {reason}; prefers {day} {part}."
        + (" New patient." if new else ""),
        priority="normal",
    )


def _reschedule(rng: random.Random, who: Who) -> Script:
    old_day, new_day = rng.sample(WEEKDAYS, 2)
    return Script(
        intent="reschedule_appointment",
        sentiment=("neutral", round(rng.uniform(-0.1, 0.3), 2)),
        lines=[
            ("ai", "Thank you for calling. How can I help you today?"),
            ("caller", f"I need to move my appointment on {old_day}, something came up at work."),
            ("ai", "I can help with that. May I have your name and date of birth?"),
            ("caller", f"{who.name}, {who.dob}."),
            ("ai", "Thanks. Which day would suit you instead?"),
            ("caller", f"Any time on {new_day} afternoon."),
            ("ai", "I'll pass this to the front desk so they can find you a slot."),
        ],
        collected={
            "patient_name": who.name,
            "date_of_birth": who.dob,
            "current_appointment_day": old_day,
            "requested_day": new_day,
            "requested_time": "afternoon",
        },
        summary=f"Asks to move the {old_day} appointment to {new_day} afternoon.",
        priority="normal",
    )


def _refill(rng: random.Random, who: Who) -> Script:
    medication = rng.choice(MEDICATIONS)
    pharmacy = rng.choice(PHARMACIES)[0]
    return Script(
        intent="prescription_refill",
        sentiment=("neutral", round(rng.uniform(0.0, 0.4), 2)),
        lines=[
            ("ai", "Thank you for calling. What can I do for you?"),
            ("caller", f"I'm almost out of my {medication} and need a refill."),
            ("ai", "I can check on that. Your name and date of birth, please?"),
            ("caller", f"{who.name}, {who.dob}."),
            ("ai", "Which pharmacy should we send it to?"),
            ("caller", f"{pharmacy}, the usual one."),
            ("ai", "Thank you. I'm transferring you so someone can confirm the refill."),
        ],
        collected={
            "patient_name": who.name,
            "date_of_birth": who.dob,
            "medication": medication,
            "pharmacy": pharmacy,
        },
        summary=f"Refill request for {medication}, to {pharmacy}.",
        priority="normal",
    )


def _billing(rng: random.Random, who: Who) -> Script:
    amount = rng.choice((45, 120, 260, 385))
    return Script(
        intent="billing_question",
        sentiment=("negative", round(rng.uniform(-0.7, -0.3), 2)),
        lines=[
            ("ai", "Thank you for calling. How can I help?"),
            ("caller", f"I got a bill for ${amount} and I thought my insurance covered the visit."),
            ("ai", "I'm sorry for the confusion. Can I have your name and date of birth?"),
            ("caller", f"{who.name}, {who.dob}. This is the second time this has happened."),
            ("ai", "I understand. Let me get someone from billing who can look into it."),
        ],
        collected={
            "patient_name": who.name,
            "date_of_birth": who.dob,
            "statement_amount": amount,
            "question": "expected insurance to cover the visit",
        },
        summary=f"Disputes a ${amount} statement; believes insurance should have paid.",
        priority="normal",
    )


def _urgent(rng: random.Random, who: Who) -> Script:
    symptom, priority = rng.choice(SYMPTOMS)
    onset = rng.choice(("about an hour ago", "since this morning", "twenty minutes ago"))
    return Script(
        intent="urgent_symptoms",
        sentiment=("distressed", round(rng.uniform(-0.95, -0.7), 2)),
        lines=[
            ("ai", "Thank you for calling. How can I help?"),
            ("caller", f"I've had {symptom} {onset} and I'm scared."),
            ("ai", "I'm sorry you're going through this. If it gets worse, call 911 right away."),
            ("ai", "Can you tell me your name?"),
            ("caller", f"{who.name}."),
            ("ai", "Thank you. I'm connecting you to a member of staff right now."),
        ],
        collected={
            "patient_name": who.name,
            "symptom": symptom,
            "onset": onset,
            "advised_emergency_services": True,
        },
        summary=f"Reports {symptom} ({onset}); advised to call 911 if worse.",
        priority=priority,
    )


def _insurance(rng: random.Random, who: Who) -> Script:
    return Script(
        intent="insurance_question",
        sentiment=("neutral", round(rng.uniform(-0.1, 0.2), 2)),
        lines=[
            ("ai", "Thank you for calling. How can I help?"),
            ("caller", "I changed jobs and have new insurance. Do you take it?"),
            ("ai", "I can check. What is your name and date of birth?"),
            ("caller", f"{who.name}, {who.dob}."),
            ("ai", "Thanks. I'll transfer you so the front desk can verify the new plan."),
        ],
        collected={
            "patient_name": who.name,
            "date_of_birth": who.dob,
            "insurance_changed": True,
        },
        summary="New insurance after a job change; wants to know if the clinic is in network.",
        priority="normal",
    )


SCENARIOS: dict[str, Callable[[random.Random, Who], Script]] = {
    "book_appointment": _book,
    "reschedule_appointment": _reschedule,
    "prescription_refill": _refill,
    "billing_question": _billing,
    "urgent_symptoms": _urgent,
    "insurance_question": _insurance,
}
# Most calls are routine; an urgent one now and then.
_WEIGHTS = (30, 20, 20, 10, 8, 12)


def _who(rng: random.Random, patient: Patient | None) -> Who:
    if patient is not None:
        return Who(
            patient.first_name,
            patient.last_name,
            patient.date_of_birth.isoformat(),
            patient.phone,
            patient.id,
        )
    first, last = person_name(rng)
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    return Who(first, last, born.isoformat(), phone_number(rng), None)


def generate_call(
    rng: random.Random,
    *,
    now: datetime,
    patient: Patient | None = None,
    scenario: str | None = None,
) -> tuple[Call, TransferPriority]:
    """A new `ai_handling` call whose last line was spoken at `now`, and its fitting priority.

    `scenario` is one of `SCENARIOS` (random when None); `patient` is the caller, or None for
    someone the clinic does not know yet.
    """
    name = scenario or rng.choices(list(SCENARIOS), weights=_WEIGHTS)[0]
    who = _who(rng, patient)
    script = SCENARIOS[name](rng, who)
    gaps = [rng.randint(4, 14) for _ in script.lines]
    started = now - timedelta(seconds=sum(gaps))
    at = started
    transcript: list[TranscriptLine] = []
    for (speaker, text), gap in zip(script.lines, gaps, strict=True):
        at += timedelta(seconds=gap)
        transcript.append(TranscriptLine(at=at, speaker=speaker, text=text))
    label, score = script.sentiment
    call = Call(
        id=new_id(CALL),
        status="ai_handling",
        caller=Caller(phone=who.phone, name=who.name, patient_id=who.patient_id),
        started_at=started,
        intent=Intent(name=script.intent, confidence=round(rng.uniform(0.72, 0.98), 2)),
        sentiment=Sentiment(label=label, score=score),
        transcript=transcript,
        collected_data=script.collected,
        summary=script.summary,
    )
    return call, script.priority
