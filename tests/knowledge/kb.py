"""A small multilingual knowledge base as a brand would write it: an FAQ per language in a
common folder, a billing folder for the billing department, Markdown and plain text."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "common/faq-sv.md": """\
# Vanliga frågor

## Leveranstid
Vi skickar beställningar inom 24 timmar på vardagar. Leveransen tar normalt 2–4 arbetsdagar
inom Sverige. Du får ett spårningsnummer via sms när paketet har lämnat vårt lager.

## Returer och ångerrätt
Du har 30 dagars öppet köp. Skriv ut returetiketten från Mina sidor och lämna paketet hos
närmaste ombud. Pengarna betalas tillbaka inom 5 bankdagar efter att vi tagit emot returen.

## Skadad vara
Om varan är trasig när den kommer, fotografera skadan och kontakta kundtjänst inom 14 dagar
så skickar vi en ny utan kostnad.

## Öppettider för kundtjänst
Kundtjänst har öppet måndag till fredag 08–17. Ring 08-123 45 67 eller mejla support@acme.se.
""",
    "common/faq-de.md": """\
# Häufige Fragen

## Lieferzeit
Wir versenden Bestellungen werktags innerhalb von 24 Stunden. Die Lieferung nach Deutschland
dauert in der Regel 3–5 Werktage. Die Sendungsnummer schicken wir per E-Mail.

## Rücksendung und Widerruf
Sie können jede Bestellung innerhalb von 30 Tagen zurückschicken. Das Retourenetikett finden
Sie in Ihrem Kundenkonto. Wir erstatten den Kaufpreis innerhalb von 5 Bankarbeitstagen.

## Beschädigte Ware
Ist die Ware bei Ankunft beschädigt, fotografieren Sie den Schaden und melden Sie sich
innerhalb von 14 Tagen beim Kundendienst. Wir senden kostenlos Ersatz.
""",
    "common/faq-ru.md": """\
# Частые вопросы

## Сроки доставки
Мы отправляем заказы в течение 24 часов в рабочие дни. Доставка обычно занимает 5–7 рабочих
дней. Трек-номер посылки приходит по электронной почте.

## Возврат товара
Вы можете вернуть любой заказ в течение 30 дней. Деньги возвращаются на карту в течение
5 банковских дней после получения возврата.

## Повреждённый товар
Если товар пришёл повреждённым, сфотографируйте повреждение и напишите в службу поддержки
в течение 14 дней. Мы бесплатно отправим замену.
""",
    "common/faq-hr.txt": """\
Koliko traje dostava?
Narudžbe šaljemo unutar 24 sata radnim danom. Dostava u Hrvatsku traje 3 do 5 radnih dana.
Broj za praćenje pošiljke šaljemo e-poštom.

Kako vratiti proizvod?
Proizvod možete vratiti u roku od 30 dana. Novac vraćamo na vašu karticu u roku od 5 radnih
dana nakon što primimo povrat.

Oštećen proizvod
Ako je proizvod stigao oštećen, fotografirajte oštećenje i javite se korisničkoj podršci u
roku od 14 dana. Zamjenu šaljemo besplatno.
""",
    "common/faq-en.md": """\
# Frequently asked questions

## Delivery times
We ship orders within 24 hours on weekdays. Delivery usually takes 2–5 working days. You get a
tracking number by e-mail once the parcel has left our warehouse.

## Returns and refunds
You can return any order within 30 days. Print the return label from your account. We refund
the purchase price within 5 banking days of receiving the return.
""",
    "billing/faktura.md": """\
# Fakturor

## Betala faktura
Fakturan skickas med e-post och ska betalas inom 30 dagar. Betala till bankgiro 123-4567 och
ange OCR-numret. Vid sen betalning tillkommer en påminnelseavgift på 60 kr.

## Invoice payment
Invoices are sent by e-mail and are due within 30 days. Pay to bank giro 123-4567 with the OCR
reference. A late payment adds a reminder fee.

## Rechnung bezahlen
Die Rechnung kommt per E-Mail und ist innerhalb von 30 Tagen zu zahlen. Bei verspäteter Zahlung
berechnen wir eine Mahngebühr.
""",
    "billing/notes.bin": "not indexed: not Markdown or text",
    "billing/.draft.md": "# Hidden\nan editor's file, never indexed",
}


def write_kb(root: Path) -> Path:
    """Write FILES under `root` (common/ and billing/); returns `root`."""
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
