"""Pure logic: facts and their writings, the question's expected kinds (no model, no store)."""

import pytest

from clos.answer.facts import canonical_number, expected_kinds, extract_facts, fact_values, found_in
from clos.retrieve.analyzer import fold


def values(text):
    return {(f.kind, f.value) for f in extract_facts(text)}


@pytest.mark.parametrize("a, b", [("800", "800,00"), ("800 €", "800,00 €"), ("15,25€", "15.25"),
                                  ("1 500", "1500"), ("1\u00a0500,00", "1.500"), ("12,50", "12.5")])
def test_one_number_whatever_its_writing(a, b):
    assert canonical_number(a.rstrip(" €")) == canonical_number(b.rstrip(" €"))
    fact = next(iter(extract_facts(f"Montant : {a}.")))
    assert found_in(fact, fact_values(extract_facts(f"Il a reçu {b} en 2014.")), "")


def test_amounts_times_dates_durations_names_and_references():
    assert values("Le repas est facturé 3,85 €.") == {("amount", "3.85")}
    assert values("ouverte de 8 h 30 à 12h, puis à 15h30 et 14:00") == {
        ("time", "08:30"), ("time", "12:00"), ("time", "15:30"), ("time", "14:00")}
    assert values("du mardi au samedi de 9 h à 17 h") == {("time", "09:00"), ("time", "17:00")}
    assert ("date", "2014-04-24") in values("séance du 24 avril 2014")
    assert ("date", "2014-04-24") in values("séance du 24/04/2014")
    assert values("trois jours francs") == {("duration", "3 jour")}
    assert ("name", "nimes") in values("Le conseil municipal de Nîmes a créé 19 postes.")
    # « L. 2121-29 » is one reference, not the numbers 2121 and 29.
    assert values("Vu l'article L. 2121-29 du code") == {("reference", "l2121-29")}
    assert values("[1] Le taux [2]") == set()  # citation markers are not facts


def test_a_time_is_not_found_in_another_time_nor_a_number_in_a_date():
    source = "Ouverture de 8 h 30 à 12 h, le 3 mars 2015."
    have, folded = fact_values(extract_facts(source)), fold(source.lower())
    for wrong in ("à 15h30", "de 10h30 à 12h"):
        assert not all(found_in(f, have, folded) for f in extract_facts(wrong)), wrong
    assert all(found_in(f, have, folded) for f in extract_facts("dès 8h30, jusqu'à 12h00"))
    assert all(found_in(f, have, folded) for f in extract_facts("le 3 mars"))
    assert not all(found_in(f, have, folded) for f in extract_facts("prévue pour 2016"))


def test_what_a_question_asks_for():
    assert "amount" in expected_kinds("Combien coûte la cantine ?")
    assert expected_kinds("Quels sont les horaires de la déchèterie ?") == {"time"}
    assert "date" in expected_kinds("Quand le conseil s'est-il réuni ?")
    assert expected_kinds("Qui préside le conseil ?") == set()
    assert expected_kinds("Sur quelle place la fête se tient-elle ?") == {"name"}
    assert expected_kinds("Quelle association reçoit la subvention ?") == {"amount"}  # money first
    assert expected_kinds("Quel nom porte le nouveau pont ?") == {"name"}
    assert expected_kinds("Où se trouve l'accueil ?") == set()  # « au rez-de-chaussée »
    assert expected_kinds("Quelle est la date limite d'inscription ?") == {"date"}  # not a year
    assert expected_kinds("En quelle année le pont a-t-il ouvert ?") == {"date", "number"}
