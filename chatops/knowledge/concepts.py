"""What customers ask a shop about, as concepts shared by the seven languages answered.

A customer rarely uses the knowledge base's words: "the handle came off" is about damaged goods,
"a reporter from the local paper" about press enquiries, "kad stiže narudžba?" about delivery
times. Each concept below lists the word beginnings (lower case, accents folded as
`chatops.knowledge.fold` folds them)
that speak of it in sv, no, da, de, hr, ru and en. A passage is about the concepts its heading
names; a query speaks of those any of its words name; the share of the query's concepts a
passage is about is one of the three opinions a search adds (`chatops.knowledge.index`), so a
passage and a query about the same thing meet even with no word in common.

The lists are written by topic, as a support team would sort its mail (delivery, tracking,
returns, damage, refunds, invoices, double charges, logging in, outages, opening hours,
personal data, press), for any shop's knowledge base: they name no product, place or brand. A
beginning of six letters or more also matches inside a compound word ("liefer" in
"Paketlieferung"); shorter ones only at the start of a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from chatops.knowledge.fold import fold

CONCEPTS: dict[str, dict[str, str]] = {
    "delivery": {
        "en": "deliver, shipping, shipped, dispatch, late , delay, waiting, still not, "
        "not arrived, hasn't arrived, hasnt arrived, shown up, show up, turned up, where is my, "
        "where's my, wheres my, how long, when will, when would",
        "sv": "leverans, levereras, leverera, frakt, forsen, vantat, vantar, vanta , drojer, droj, "
        "inte kommit, inte fatt, nar kommer, var ar min, hur lang tid, skulle komma",
        "no": "levering, leveranse, levere, frakt, forsink, venter, ventet, ikke kommet, "
        "ikke fatt, nar kommer, hvor er, hvor blir, hvor lang tid",
        "da": "levering, levere, fragt, forsink, venter, ventet, ikke kommet, ikke faet, hvornar, "
        "hvor er, hvor bliver, hvor lang tid",
        "de": "liefer, versand, versend, verschick, verspat, warte, gewartet, unterwegs, zustell, "
        "nicht angekommen, noch nicht, wann kommt, wo bleibt, wo ist mein, wie lange",
        "hr": "dostav, isporu, kasn, cekam, cekati, nije stig, nije dosl, jos nije, kada stize, "
        "kad stize, gdje je, gdje mi je, koliko traje, koliko dugo",
        "ru": "доставк, достав, задерж, опазд, жду, ждем, ждать, не пришл, не пришел, не доставил, "
        "еще нет, когда придет, когда будет, где мой, где моя, где посылка, где заказ, "
        "сколько идет, сколько ждать",
    },
    "tracking": {
        "en": "track, courier, carrier, scan, not moved, hasn't moved, hasnt moved",
        "sv": "spar, sparning, transportor, inte rort sig, star still",
        "no": "spor, transportor, ikke flyttet seg, star stille",
        "da": "spor, fragtfirma, ikke flyttet sig, star stille",
        "de": "sendungsnummer, sendungsverfolg, verfolg, kurier, zusteller, bewegt sich nicht",
        "hr": "pracen, pratit, kurir, dostavna sluzba, ne mice",
        "ru": "трек, отслеж, курьер, не двигается, стоит на месте",
    },
    "return": {
        "en": "return, send back, sent back, send it back, exchange, swap, change my mind, regret",
        "sv": "retur, byta, byte, angra, angrat, oppet kop, skicka tillbaka, lamna tillbaka, "
        "ombyte",
        "no": "retur, bytte, angrer, angrerett, sende tilbake, sendte tilbake, levere tilbake",
        "da": "retur, bytte, fortryd, sende tilbage, sendte tilbage",
        "de": "rucksend, rucksch, zuruckschick, zurucksend, zuruckgeb, umtausch, widerruf, retoure",
        "hr": "povrat, vratit, vratim, vratio, zamijen, zamjen",
        "ru": "возврат, вернуть, обмен, обменя, сдать",
    },
    "damage": {
        "en": "damag, broke, crack, snapp, scratch, dent , dented, stain, torn , tore , shatter, "
        "smash, defect, faulty, missing part, missing a part, wobbl, leak, bent , ripped, chipped, "
        "came off, come off, fell off, fell apart",
        "sv": "trasig, sonder, skad, spruck, sprick, krossa, repa , repor, repig, flack, buckl, "
        "defekt, saknades, vinglig, glapp, lossnat, lossnade, gick av",
        "no": "odelagt, odelagd, knust, knekk, riper, ripe , flekk, skade, sprekk, i stykker, "
        "defekt, vakl, gikk i stykker, gikk av, falt av, losnet",
        "da": "i stykker, odelagt, knaek, revne, ridse, plet, bule, vakl, defekt, skade, skadet, "
        "gik af, faldt af",
        "de": "beschadig, kaputt, zerbroch, gebroch, gerissen, kratz, fleck, delle, wackel, "
        "fehlte, mangelhaft, riss , defekt, schaden, zerkratzt, abgebrochen, abgefallen",
        "hr": "ostecen, ostecenj, pokvar, slom, puknu, napuk, ogreb, mrlj, razbi, nedostaje, "
        "klimav, otpao, otpala, otpadn",
        "ru": "поврежд, сломан, сломал, слома, трещин, треснул, царапин, разбит, брак, дефект, "
        "пятн, вмятин, не хватает, шата, порван, отвалил, отломал, отпал",
    },
    "wrong": {
        "en": "wrong, not what i ordered, mix up, mixed up, mixup",
        "sv": "fel vara, fel storlek, fel farg, fel produkt, felaktig vara",
        "no": "feil vare, feil storrelse, feil farge, feil produkt",
        "da": "forkert, forkerte",
        "de": "falsch, vertausch, anderen artikel",
        "hr": "pogresn, krivi proizvod, kriva velicina",
        "ru": "не тот, не та , не то , не того, не ту , перепута",
    },
    "refund": {
        "en": "refund, money back, reimburs, credited, credit note",
        "sv": "aterbetal, pengarna, pengar tillbaka, ersatt",
        "no": "refusjon, pengene, tilbakebetal, penger tilbake",
        "da": "refusion, pengene, tilbagebetal, penge tilbage",
        "de": "erstatt, geld zuruck, ruckerstatt, gutschrift, mein geld",
        "hr": "povrat novca, novac, novca, refundac",
        "ru": "деньг, возмест, вернули, возврат денег",
    },
    "invoice": {
        "en": "invoice, bill , billing, reference number, reminder fee, payment slip, due date",
        "sv": "faktur, bankgiro, ocr, paminnelse",
        "no": "faktur, kid nummer, kidnummer, purring, giro",
        "da": "faktur, girokort, rykker, betalingsfrist",
        "de": "rechnung, mahnung, verwendungszweck, uberweis, zahlungserinnerung, zahlungsfrist",
        "hr": "racun, uplatnic, opomen, poziv na broj",
        "ru": "счет, квитанц, напомин, реквизит",
    },
    "charged": {
        "en": "charged, charging, charge , twice, double, two times, debited, deducted, paid twice",
        "sv": "dragit, dragits, dubbel, tva ganger, reserverat, debiterad",
        "no": "trukket, trakk, belastet, to ganger, dobbelt, dobbel",
        "da": "traekket, trukket, haevet, to gange, dobbelt, debiteret",
        "de": "abgebucht, doppelt, zweimal, belastet, abbuchung",
        "hr": "naplat, skinul, dvaput, dva puta, dvostruk, terec",
        "ru": "списал, списан, снял, сняли, дважды, два раза, двойн",
    },
    "login": {
        "en": "log in, login, logged, logging, sign in, password, account, locked out, "
        "log me out, logs me out",
        "sv": "logga in, inlogg, losenord, konto, utloggad, loggar ut, loggas ut",
        "no": "logge inn, logget, logger meg ut, passord, konto, innlogg",
        "da": "logge ind, log ind, logget, adgangskode, kodeord, konto",
        "de": "einlogg, anmeld, passwort, ausgeloggt, abgemeldet, konto",
        "hr": "prijav, lozink, odjav, korisnicki racun, profil",
        "ru": "войти, вход, логин, парол, аккаунт, учетн, выкидывает, разлогин, личный кабинет",
    },
    "outage": {
        "en": "down , is down, not loading, won't load, wont load, doesn't load, doesnt load, "
        "not working, crash, error, timing out, times out, time out, timeout, blank, "
        "white screen, freez, froze, hangs, hanging, spinning, spinner, keeps loading, "
        "checkout, status, outage",
        "sv": "ligger nere, nere , laddar inte, laddas inte, laddar bara, fungerar inte, "
        "funkar inte, krasch, hanger sig, felkod, felmeddelande, kassan, snurr, vit skarm, "
        "tom sida, storning",
        "no": "nede , laster ikke, virker ikke, fungerer ikke, krasj, henger, dod , "
        "feilmelding, hvit skjerm",
        "da": "nede , indlaeser ikke, loader ikke, virker ikke, fungerer ikke, crasher, haenger, "
        "dod , fejlmeddelelse, fejlkode, hvid skaerm",
        "de": "ladt nicht, laedt nicht, ladt , geht nicht, funktioniert nicht, absturz, "
        "sturzt ab, hangt, fehlermeldung, fehlercode, weisser bildschirm, weisse seite, "
        "leere seite, storung, ausfall, nicht erreichbar",
        "hr": "ne radi, ne ucitava, ucitav, rusi, srusi, zamrz, blokir, ne otvara, pada , "
        "bijeli ekran",
        "ru": "не работает, не грузит, грузит, загруж, виснет, завис, вылета, сбой, упал, лежит, "
        "не открывается, белый экран",
    },
    "hours": {
        "en": "opening hours, opening times, open on, open until, are you open, "
        "when do you open, when do you close, closing time, what time",
        "sv": "oppettid, oppet pa, har ni oppet, stanger, stangt",
        "no": "apningstid, apent, apen pa, stenger, stengt",
        "da": "abningstid, aben , abent, lukker, lukket",
        "de": "offnungszeit, geoffnet, offen , schliess, geschlossen",
        "hr": "radno vrijeme, radite li, otvoren, zatvoren",
        "ru": "часы работы, во сколько, открыт, закрыва, работаете",
    },
    "privacy": {
        "en": "personal data, my data, privacy, gdpr, my address, phone number, card number, "
        "card details, delete my, public comment",
        "sv": "personuppgift, min adress, mina uppgifter, kortnummer, kortuppgift, radera",
        "no": "personopplysning, adressen min, kortnummer, slett",
        "da": "personoplysning, min adresse, kortnummer, slet ",
        "de": "personliche daten, meine daten, datenschutz, kartennummer, losch, adresse",
        "hr": "osobni podac, osobne podatk, podatk, adres, broj kartice, obris",
        "ru": "персональн, мои данные, данных, адрес, номер карты, удалит",
    },
    "press": {
        "en": "journalist, reporter, press, media, newspaper, magazine, editor, newsroom, "
        "producer, correspondent, interview, article, statement, comment on, on air, podcast, "
        "broadcast, tv , radio",
        "sv": "tidning, redaktion, redaktor, en artikel, artikeln, intervju, reportage, "
        "kommentera, uttalande",
        "no": "avis, redaksjon, kommentere, intervju, reportasje, uttalelse",
        "da": "avis, redaktion, kommentere, interview, reportage, udtalelse",
        "de": "zeitung, zeitschrift, redakt, stellungnahme, interview, bericht, presse",
        "hr": "novinar, novin, redakcij, urednik, clanak, intervju, izjav, komentar, medij, emisij",
        "ru": "журналист, редакц, корреспондент, интервью, статья, статью, сми , комментар, газет, "
        "издани, пресс, продюсер, эфир",
    },
}
"""Concept -> language -> the word beginnings that speak of it, comma separated (folded, lower
case). A beginning matches at the start of a word; one with a space inside is a phrase, one
ending in a space a whole word ("dent " is not "dentist"). Every language lists its own words,
but a beginning matches in any language's text: customers mix them."""

WORD = re.compile(r"[^\W\d_]{2,}|\d+")
"""A word: two letters or more, or a number (apostrophes and hyphens split words)."""
LONG = 6
"""A beginning at least this long also matches inside a word (compounds)."""


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per concept: short beginnings at a word's start, long ones anywhere."""
    compiled = []
    for name, languages in CONCEPTS.items():
        beginnings = {_entry(b) for text in languages.values() for b in text.split(",")}
        plain = sorted(beginnings - {"", " "}, key=len, reverse=True)
        short = "|".join(re.escape(b) for b in plain if len(b) < LONG or " " in b)
        long = "|".join(re.escape(b) for b in plain if len(b) >= LONG and " " not in b)
        either = [f"\\b(?:{short})"] if short else []
        either += [f"(?:{long})"] if long else []
        compiled.append((name, re.compile("|".join(either))))
    return tuple(compiled)


def _entry(beginning: str) -> str:
    """A beginning as the words of a text are matched: folded, split as `WORD` splits."""
    found = " ".join(WORD.findall(fold(beginning.lower())))
    return f"{found} " if beginning.endswith(" ") else found


def concepts_of(folded: Sequence[str]) -> list[str]:
    """The concepts of a text given as its words, lower case and folded."""
    joined = " ".join(folded) + " "
    return [name for name, pattern in _patterns() if pattern.search(joined)]
