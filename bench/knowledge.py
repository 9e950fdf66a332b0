"""The knowledge index: build time for ~500 passages and search latency (target < 5 ms).

Writes a knowledge base of Markdown and plain-text files in the seven languages (FAQ sections
about delivery, returns, invoices, opening hours, damaged goods, per product line) into a
temporary folder, then prints:
- the first build (scikit-learn's import included, as at a process's start) and a rebuild
  (what a changed file costs a running process), with passages and files indexed;
- a check of the folders when nothing changed (what the watch costs every few seconds);
- p50/p99/max of `search` over customer-like queries in each language, with a department and
  the customer's language, as a draft will search: wall time, and the thread's CPU time (on a
  busy machine the wall time's tail is mostly waiting for a core, not searching).

Usage: python -m bench.knowledge [--products 12] [--searches 3000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from chatops.drafting import LANGUAGES
from chatops.knowledge import Folder, Knowledge
from chatops.knowledge.watch import signature

TOPICS: dict[str, list[tuple[str, str, str]]] = {
    # language: (heading, body, a customer's question) per topic; {p} is the product line
    "sv": [
        (
            "Leveranstid för {p}",
            "Vi skickar {p} inom 24 timmar. Leveransen tar 2–4 arbetsdagar "
            "och du får ett spårningsnummer via sms.",
            "när kommer min {p}",
        ),
        (
            "Returnera {p}",
            "Du har 30 dagars öppet köp på {p}. Skriv ut returetiketten och lämna "
            "paketet hos ombudet; pengarna kommer inom 5 bankdagar.",
            "hur returnerar jag {p}",
        ),
        (
            "Faktura för {p}",
            "Fakturan för {p} skickas med e-post och betalas inom 30 dagar till bankgiro 123-4567.",
            "fakturan för {p} stämmer inte",
        ),
        (
            "Trasig {p}",
            "Är {p} trasig vid leverans? Fotografera skadan och kontakta kundtjänst "
            "inom 14 dagar så skickar vi en ny.",
            "min {p} kom trasig",
        ),
    ],
    "no": [
        (
            "Leveringstid for {p}",
            "Vi sender {p} innen 24 timer. Leveransen tar 2–5 virkedager, "
            "og du får sporingsnummer på SMS.",
            "når kommer {p} min",
        ),
        (
            "Retur av {p}",
            "Du har 30 dagers angrerett på {p}. Skriv ut returlappen; pengene "
            "kommer tilbake innen 5 bankdager.",
            "hvordan returnerer jeg {p}",
        ),
        (
            "Faktura for {p}",
            "Fakturaen for {p} sendes på e-post og skal betales innen 30 dager.",
            "fakturaen for {p} er feil",
        ),
    ],
    "da": [
        (
            "Leveringstid for {p}",
            "Vi sender {p} inden for 24 timer. Leveringen tager 2–4 "
            "hverdage, og du får et sporingsnummer på sms.",
            "hvornår kommer min {p}",
        ),
        (
            "Returnering af {p}",
            "Du har 30 dages fortrydelsesret på {p}. Pengene kommer retur inden for 5 bankdage.",
            "hvordan returnerer jeg {p}",
        ),
        (
            "Faktura for {p}",
            "Fakturaen for {p} sendes på e-mail og betales inden for 30 dage.",
            "fakturaen for {p} er forkert",
        ),
    ],
    "de": [
        (
            "Lieferzeit für {p}",
            "Wir versenden {p} innerhalb von 24 Stunden. Die Lieferung "
            "dauert 3–5 Werktage, die Sendungsnummer kommt per E-Mail.",
            "wann kommt mein {p}",
        ),
        (
            "Rücksendung von {p}",
            "Sie können {p} innerhalb von 30 Tagen zurückschicken. Wir "
            "erstatten den Kaufpreis innerhalb von 5 Bankarbeitstagen.",
            "{p} zurückschicken",
        ),
        (
            "Rechnung für {p}",
            "Die Rechnung für {p} kommt per E-Mail und ist in 30 Tagen fällig.",
            "Rechnung für {p} ist falsch",
        ),
        (
            "Beschädigte {p}",
            "Ist {p} beschädigt angekommen, fotografieren Sie den Schaden; wir "
            "senden kostenlos Ersatz.",
            "{p} beschädigt angekommen",
        ),
    ],
    "hr": [
        (
            "Dostava za {p}",
            "{p} šaljemo unutar 24 sata. Dostava traje 3 do 5 radnih dana, a "
            "broj za praćenje šaljemo e-poštom.",
            "kada stiže moj {p}",
        ),
        (
            "Povrat za {p}",
            "{p} možete vratiti u roku od 30 dana. Novac vraćamo u roku od 5 radnih dana.",
            "kako vratiti {p}",
        ),
        (
            "Račun za {p}",
            "Račun za {p} šaljemo e-poštom i plaća se u roku od 30 dana.",
            "račun za {p} nije točan",
        ),
    ],
    "ru": [
        (
            "Доставка {p}",
            "Мы отправляем {p} в течение 24 часов. Доставка занимает 5–7 рабочих "
            "дней, трек-номер приходит по почте.",
            "когда придёт мой {p}",
        ),
        (
            "Возврат {p}",
            "Вы можете вернуть {p} в течение 30 дней. Деньги возвращаются за 5 банковских дней.",
            "как вернуть {p}",
        ),
        (
            "Счёт за {p}",
            "Счёт за {p} приходит по электронной почте, оплата в течение 30 дней.",
            "неправильный счёт за {p}",
        ),
    ],
    "en": [
        (
            "Delivery of {p}",
            "We ship {p} within 24 hours. Delivery takes 2–5 working days and "
            "the tracking number comes by e-mail.",
            "when will my {p} arrive",
        ),
        (
            "Returning {p}",
            "You can return {p} within 30 days; we refund the price within 5 banking days.",
            "how do I return the {p}",
        ),
        (
            "Invoice for {p}",
            "The invoice for {p} is sent by e-mail and is due in 30 days.",
            "the invoice for my {p} is wrong",
        ),
        (
            "Damaged {p}",
            "If {p} arrives damaged, take a photo and contact us within 14 days; "
            "we send a new one free of charge.",
            "my {p} arrived damaged",
        ),
    ],
}

PRODUCTS = [
    "jacket",
    "boots",
    "tent",
    "backpack",
    "sleeping bag",
    "stove",
    "headlamp",
    "gloves",
    "rain trousers",
    "fleece",
    "water bottle",
    "hiking poles",
    "kayak",
    "bike helmet",
    "ski wax",
    "compass",
    "cap",
    "socks",
    "thermos",
    "hammock",
]


def write_kb(root: Path, products: int) -> tuple[list[Folder], list[tuple[str, str]]]:
    """One file per language and product line (Markdown, Croatian as plain text), half of the
    product lines in a billing folder; returns the folders and (language, query) pairs."""
    folders = [
        Folder("kb/common", root / "common"),
        Folder("kb/billing", root / "billing", "billing"),
    ]
    queries = []
    for number, product in enumerate(PRODUCTS[:products]):
        where = root / ("billing" if number % 2 else "common")
        where.mkdir(parents=True, exist_ok=True)
        for language, topics in TOPICS.items():
            if language == "hr":
                text = "\n\n".join(
                    f"{head.format(p=product)}\n{body.format(p=product)}"
                    for head, body, _ in topics
                )
                (where / f"{product}-{language}.txt").write_text(text, encoding="utf-8")
            else:
                text = f"# {product}\n\n" + "\n\n".join(
                    f"## {head.format(p=product)}\n{body.format(p=product)}"
                    for head, body, _ in topics
                )
                (where / f"{product}-{language}.md").write_text(text, encoding="utf-8")
            queries += [(language, question.format(p=product)) for _, _, question in topics]
    return folders, queries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_timings(wall: list[float], cpu: list[float]) -> None:
    """p50/p99/max of a search's wall time and of its thread's CPU time, in ms."""
    for name, timings in (("wall", wall), ("CPU", cpu)):
        print(
            f"  {name:4}  p50 {percentile(timings, 0.5):.2f} ms, "
            f"p99 {percentile(timings, 0.99):.2f} ms, max {max(timings):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=20, help="product lines (≤ 20)")
    parser.add_argument("--searches", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders, queries = write_kb(Path(tmp), min(args.products, len(PRODUCTS)))
        kb = Knowledge(folders, LANGUAGES)
        started = time.perf_counter()
        kb.refresh()
        first = time.perf_counter() - started
        files = sum(len(state.files) for state in kb.index.folders)
        print(f"indexed {len(kb.index.passages)} passages from {files} files")
        print(f"first build (import included): {first * 1000:8.1f} ms")
        for path in Path(tmp).rglob("*-en.md"):
            path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            break
        started = time.perf_counter()
        assert kb.refresh(), "a changed file must rebuild"
        print(f"rebuild after a change:        {(time.perf_counter() - started) * 1000:8.1f} ms")
        checks = []
        for _ in range(20):
            started = time.perf_counter()
            signature(folders)
            checks.append(time.perf_counter() - started)
        print(f"check with nothing changed:    {statistics.median(checks) * 1000:8.2f} ms")

        rng = random.Random(7)
        wall: list[float] = []
        cpu: list[float] = []
        found = 0
        for _ in range(args.searches):
            language, query = rng.choice(queries)
            department = rng.choice(["billing", "social"])
            started, started_cpu = time.perf_counter(), time.thread_time()
            hits = kb.index.search(query, department=department, language=language, k=3)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            found += bool(hits) and hits[0].passage.language == language
        print(f"search ({args.searches} queries in 7 languages, a department, k=3; target < 5 ms):")
        print_timings(wall, cpu)
        print(f"top hit in the query's language: {found / args.searches:.1%}")


if __name__ == "__main__":
    main()
