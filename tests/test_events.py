"""Event rules, one short text each (written for these tests, not taken from the seeds).

Real spaCy model. Each case states what an analyst reads in the text: the events
(type, agent, place) it reports, and events it must not report.
"""

from __future__ import annotations

import pytest

from kg.articles import parse


@pytest.fixture(scope="module")
def extractor():
    from kg.nlp import Extractor

    return Extractor()


def events_of(extractor, text: str, *, published: str = "2021-08-10") -> list:
    article = parse(text, source="t.txt", html=False, meta={"published": published})
    return list(next(extractor.extract([article])).events)


def _name(mention) -> str | None:
    return None if mention is None else mention.text


def triples(events) -> set[tuple]:
    return {(e.type, _name(e.agent), _name(e.place)) for e in events}


def test_repeated_mentions_of_one_happening_are_one_event(extractor):
    events = events_of(extractor, (
        "The Taliban attacked Ghazni city on Monday, officials said.\n\n"
        "Residents said heavy fighting was still going on in Ghazni city, and at least 12 civilians were "
        "killed in the fighting."))
    attacks = [e for e in events if e.type == "Attack"]
    assert len(attacks) == 1, attacks
    assert _name(attacks[0].agent) == "Taliban" and _name(attacks[0].place) == "Ghazni"
    assert attacks[0].date == "2021-08-09"  # the dated mention's date, not the article's


def test_a_loosely_dated_repeat_is_the_same_happening(extractor):
    events = events_of(extractor, (
        "Taliban fighters captured Farah city on Sunday, officials said.\n\n"
        "Farah is the second provincial capital to fall to the Taliban this week."), published="2021-08-10")
    captures = [e for e in events if e.type == "Capture" and _name(e.place) == "Farah"]
    assert len(captures) == 1 and captures[0].date == "2021-08-08"


def test_purposes_and_efforts_are_aims_not_happenings(extractor):
    events = events_of(extractor, (
        "The militants are battling to seize Herat city, officials said.\n\n"
        "Commandos were flown into Herat city on Monday to reinforce the garrison."))
    kinds = {e.type for e in events}
    assert "Capture" not in kinds  # "battling to seize": the battle happens, the seizure is an aim
    assert "Attack" in kinds and "Deployment" in kinds
    assert len([e for e in events if e.type == "Deployment"]) == 1  # "to reinforce" is the same deployment's aim


def test_a_counterparty_is_not_a_place(extractor):
    events = events_of(extractor, "The Taliban held talks with Pakistan in 2019, a spokesman said.")
    talks = [e for e in events if e.type == "Negotiation"]
    assert talks and all(_name(e.place) != "Pakistan" for e in talks)


def test_a_distance_is_not_where_it_happened(extractor):
    events = events_of(extractor, (
        "The Taliban captured three districts, two of them in a province 80 kilometers from the Afghan "
        "capital, Kabul."))
    captures = [e for e in events if e.type == "Capture"]
    assert captures and all(_name(e.place) != "Kabul" for e in captures)


def test_a_where_clause_takes_the_place_it_hangs_on(extractor):
    events = events_of(extractor, (
        "Troops were sent to the northern provinces of Kunduz and Baghlan, where the Taliban has captured "
        "large swaths of territory."))
    captures = [e for e in events if e.type == "Capture"]
    assert [(_name(e.agent), _name(e.place)) for e in captures] == [("Taliban", "Kunduz")]


def test_a_bare_plural_names_a_kind_of_happening(extractor):
    events = events_of(extractor, (
        "The Afghan army has relied on the United States for training and support in battles against "
        "the Taliban."))
    assert not [e for e in events if e.type == "Attack"], triples(events)


def test_people_fleeing_are_not_a_withdrawal_and_a_release_is_not_a_prison_break(extractor):
    events = events_of(extractor, (
        "About 3,000 families have fled their homes in Kunduz province, officials said.\n\n"
        "The government will free 200 Taliban prisoners next week, a spokesman said.\n\n"
        "Afghan soldiers fled across the border into Tajikistan on Monday."))
    assert [(e.type, _name(e.place)) for e in events if e.type == "Withdrawal"] == [("Withdrawal", "Tajikistan")]
    assert not [e for e in events if e.type == "PrisonBreak"]


def test_a_happening_whose_verb_is_negated_did_not_happen(extractor):
    events = events_of(extractor, (
        "Reinforcements promised by the Ministry of Defence had not arrived in Maymana by Sunday.\n\n"
        "Talks between the Taliban and the government in Doha have failed to make progress."))
    assert {e.type for e in events} == {"Negotiation"}, triples(events)


def test_a_date_in_a_coordinated_clause_is_not_the_events_date(extractor):
    events = events_of(extractor, (
        "The Taliban opened an office in Doha in 2013, and officials said the American withdrawal from "
        "Afghanistan was justified. The United States has denied it."), published="2021-07-09")
    withdrawals = [e for e in events if e.type == "Withdrawal"]
    assert withdrawals and all(e.date != "2013" for e in withdrawals)


def test_a_nationality_adjective_names_the_actor_of_a_noun_event(extractor):
    events = events_of(extractor, ("Officials in Afghanistan said the attacks led to the British invasion of "
                                   "Afghanistan, and the United Kingdom later left."), published="2021-07-09")
    assert ("Attack", "United Kingdom", "Afghanistan") in triples(events), triples(events)


@pytest.mark.parametrize(("text", "expected"), [
    ("Taliban fighters fired rockets at Kandahar airport late on Sunday.", ("Attack", "Taliban", "Kandahar airport")),
    ("Gunmen shot dead Ahmad Wali Karimi, a district governor, in Herat on Monday.",
     ("Killing", None, "Herat")),
    ("A roadside bomb killed five people in Logar province on Sunday.", ("Attack", None, "Logar")),
    ("Airstrikes were used against the militants in Helmand province on Monday.", ("Airstrike", None, "Helmand")),
])
def test_triggers_of_the_genre(extractor, text, expected):
    assert expected in triples(events_of(extractor, text)), triples(events_of(extractor, text))


def test_an_idiom_is_no_event(extractor):
    events = events_of(extractor, "The meeting took place in Kabul on Monday, and fighting took place near Herat.")
    assert not [e for e in events if e.type == "Capture"], triples(events)


def test_a_place_of_another_trigger_is_not_borrowed(extractor):
    events = events_of(extractor, "The attack on Ghazni city came as the government held talks with the Taliban.")
    assert ("Attack", None, "Ghazni") in triples(events)
    talks = [e for e in events if e.type == "Negotiation"]
    assert talks and all(e.place is None for e in talks), triples(events)


def test_an_unnamed_region_is_not_the_storys_city(extractor):
    events = events_of(extractor, (
        "The Taliban attacked Ghazni city on Monday.\n\n"
        "Taliban fighters have been gaining ground across towns in the north and western provinces."))
    gains = [e for e in events if e.type == "Capture"]
    assert [(_name(e.agent), e.place) for e in gains] == [("Taliban", None)], triples(events)
