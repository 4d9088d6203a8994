"""Roles with more than two voices, machine voices and one-sided recordings, decided from what each voice said."""

from diarize.core import is_one_sided
from diarize.machine_voices import machine_voices
from diarize.roles import decide_roles
from models import CallDirection, NonSpeaker, Role


def test_after_a_transfer_both_agents_are_reps_and_the_caller_the_customer():
    texts = {
        "speaker_1": "thank you for calling acme my name is anna how can i help you",
        "speaker_2": "hi i have a problem with my invoice it was charged twice",
        "speaker_3": "hello my name is boris from billing i can see the double charge let me fix that",
    }
    decision = decide_roles(list(texts), texts, direction=CallDirection.inbound)
    assert decision.roles == {"speaker_1": Role.rep, "speaker_2": Role.customer, "speaker_3": Role.rep}
    assert "speaker_3 said rep cues too" in decision.rule


def test_a_customers_colleague_joins_the_customer_side():
    texts = {
        "speaker_1": "добрый день меня зовут ольга компания звонкий удобно говорить",
        "speaker_2": "да удобно я позову нашего айтишника",
        "speaker_3": "здравствуйте у нас сейчас asterisk и около тридцати операторов",
    }
    decision = decide_roles(list(texts), texts, direction=CallDirection.outbound)
    assert decision.roles == {"speaker_1": Role.rep, "speaker_2": Role.customer, "speaker_3": Role.customer}
    assert "on the customer's side" in decision.rule


def test_a_one_sided_recording_takes_its_role_from_the_cue_rule():
    customer = decide_roles(
        ["speaker_1"], {"speaker_1": "да я хотела узнать про доставку"}, direction=CallDirection.inbound, one_sided=True
    )
    assert customer.roles == {"speaker_1": Role.customer}
    rep = decide_roles(
        ["speaker_1"], {"speaker_1": "добрый день меня зовут ольга"}, direction=CallDirection.inbound, one_sided=True
    )
    assert rep.roles == {"speaker_1": Role.rep}
    assert "one-sided" in rep.rule and "one-sided" in customer.rule


def test_machine_voices_are_told_from_people():
    texts = {
        "speaker_1": "your call is important to us please stay on the line",
        "speaker_2": "the person you are calling is not available right now please leave a message after the tone",
        "speaker_3": "hi this is anna from acme just so you know this call may be recorded " + "we talk about it " * 30,
        "speaker_4": "",
    }
    found = machine_voices(list(texts), texts)
    assert found == {"speaker_1": NonSpeaker.ivr, "speaker_2": NonSpeaker.voicemail, "speaker_4": NonSpeaker.no_words}


def test_one_sided_needs_the_pauses_of_an_unrecorded_side():
    turns = [(0.0, 4.0, "a"), (7.0, 11.0, "a"), (14.5, 18.0, "a"), (21.0, 25.0, "a")]
    assert is_one_sided(turns)
    monologue = [(0.0, 10.0, "a"), (10.4, 20.0, "a"), (22.0, 30.0, "a")]
    assert not is_one_sided(monologue)
