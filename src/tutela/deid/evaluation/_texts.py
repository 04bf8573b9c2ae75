"""The six message styles and the sentences they are made of.

Templates are strings with `{slot}` holes. A slot is a labelled value (`{email}`), a hard
negative (`{order}`), or more template text (`{body}`, `{greeting}`) filled in turn; the builder
records each value's offsets as it is appended.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from tutela.deid.evaluation._model import Builder, Sample
from tutela.deid.evaluation._values import Person, Values

STYLES = ("support_ticket", "crm_note", "chat_line", "email", "form_dump", "log_line")

_SLOT = re.compile(r"\{(\w+)\}")

# Sentences about one kind of personal value each; a body draws several, weighted.
_SENTENCES: dict[str, tuple[str, ...]] = {
    "name": (
        "My partner {other} is also on the account.",
        "Please speak to {other_titled} in accounts.",
        "{other} will collect the parcel for me.",
        "I spoke to your colleague {agent} yesterday.",
        "The account is in the name of {name}.",
    ),
    "email": (
        "My email is {email}.",
        "Please send the receipt to {email}.",
        "I no longer use {email}, please update it.",
        "Reply to {email} instead of this address.",
        "The confirmation went to {email} but I never got it.",
    ),
    "phone": (
        "You can reach me on {phone}.",
        "Please call me back at {phone}.",
        "My new number is {phone}.",
        "Call {phone} after 6pm.",
        "Best number to reach me: {phone}.",
    ),
    "card": (
        "I paid with card {card}.",
        "Card number {card} was charged twice.",
        "Please cancel the card {card} on file.",
        "The payment with {card} was declined.",
    ),
    "iban": (
        "Please refund to IBAN {iban}.",
        "My bank account is {iban}.",
        "The direct debit should come from {iban} from now on.",
    ),
    "natid": (
        "My {natid_label} is {natid}.",
        "For verification, {natid_label}: {natid}.",
        "You asked for my {natid_label}, it is {natid}.",
        "ID for the check: {natid}.",
    ),
    "ip": (
        "The login from {ip} was not me.",
        "I was connected from {ip} when it happened.",
        "Our office IP is {ip}, please whitelist it.",
    ),
    "url": (
        "My profile is at {url}.",
        "See {url} for the screenshot.",
        "The broken link is {url} if that helps.",
    ),
    "date": (
        "My date of birth is {date}.",
        "I was born on {date}.",
        "Date of birth: {date}.",
        "I opened the account on {date}.",
    ),
    "address": (
        "Please ship to {address}.",
        "I moved to {address}.",
        "My billing address is {address}.",
        "Please send it to:\n{address_ml}\n",
    ),
    "location": (
        "I'm currently in {city}.",
        "I'm travelling to {city} next week.",
        "The parcel is stuck in {city}.",
        "We moved from {country} to {city} last year.",
    ),
}
_WEIGHTS = {
    "name": 1.0, "email": 1.0, "phone": 1.3, "card": 1.3, "iban": 1.1, "natid": 3.0, "ip": 1.0,
    "url": 0.8, "date": 1.0, "address": 1.5, "location": 1.0,
}  # fmt: skip
_NEGATIVE_SENTENCES = (
    "This is about order {order}.",
    "Order {order} never arrived.",
    "Invoice {invoice} shows the wrong amount.",
    "The tracking number {tracking} shows no movement.",
    "The terminal printed reference {badcard} on the slip.",
    "Transaction ID {badcard}.",
    "I'm on app version {version}.",
    "Since the update to {version} it crashes.",
    "I was charged {price} instead of {price}.",
    "The total was {price}.",
    "Error reference: {uuid}.",
    "It failed at {ts} again.",
)
_SUBJECTS = (
    "Refund not received", "Card charged twice", "Change of address", "Cannot log in",
    "Parcel missing", "Update my details", "Delete my account", "Wrong invoice",
)  # fmt: skip

_FRAMES: dict[str, tuple[str, ...]] = {
    "support_ticket": (
        "Ticket {ticket} - {subject}\nFrom: {name} <{email}>\n\n{body}",
        "[{ticket}] {subject}\nCustomer: {titled_full}\nPhone: {phone}\n\n{body}\n\nPlease advise.",
        "Subject: {subject} (order {order})\nRequester: {email}\n{body}",
        "#{ticket} opened {ts} by {name}: {body}",
        "Ticket {ticket} - identity check\n"
        "Customer: {titled_full}, {natid_label} {natid}\n\n{body}",
    ),
    "crm_note": (
        "Note ({agent}): spoke to {titled_last}. {body}",
        "Call summary - {name} called about invoice {invoice}. {body} Agent: {agent_first}.",
        "{agent_first}: customer {name} confirmed the following. {body}",
        "Follow-up for {titled_full}, order {order}: {body} Next step: call back on {phone}.",
        "KYC ({agent_first}): {name} sent {natid_label} {natid} and date of birth {date}. {body}",
    ),
    "chat_line": (
        "[{ts}] {first}: {sentence}",
        "{ts} <{first}> {sentence}",
        "{agent_first} (agent): Hi {first}, {negative_lc}",
        "{first}: hi, {sentence_lc}",
    ),
    "email": (
        "{greeting}\n\n{body}\n\n{signoff}\n{agent}\nCustomer Care",
        "{greeting_generic}\n\n{body}\n\n{signoff}\n{name}",
        "{greeting_generic}\n\n{body}\n\n{signoff}\n{titled_full}\n{phone}\n{address_ml}",
        "{greeting}\n\n{body}\n\n{signoff}\n{agent}\n{agent_email}",
    ),
    "log_line": (
        "{ts} INFO  auth: login ok user={email} ip={ip} session={uuid}",
        "{ts} WARN  payments: card declined card={card} amount={price} order={order}",
        '{ts} GET /v1/orders/{order} 200 referer="{url}" ip={ip} ua="shop-app/{version}"',
        "{ts} ERROR mailer: bounce for {email} (message {uuid})",
        '{ts} DEBUG crm: updated contact name="{name}" phone={phone}',
        "{ts} INFO  kyc: verified id={natid} dob={date} request={uuid}",
        "{ts} INFO  sepa: mandate created iban={iban} invoice={invoice}",
        '{ts} INFO  shipping: label printed tracking={tracking} to="{address}"',
        "{ts} WARN  fraud: txn {badcard} flagged from {ip} ({city})",
        "{ts} INFO  shop-app {version} started, build {uuid}",
    ),
}

_NATID_LABELS = {
    "en_US": ("SSN", "social security number", "Social Security No."),
    "en_GB": ("National Insurance number", "NI number", "NINO"),
    "de_DE": ("Steuer-ID", "Steueridentifikationsnummer", "tax ID"),
    "fr_FR": ("NIR", "numéro de sécurité sociale", "social security number"),
    "es_ES": ("NIF", "DNI", "DNI/NIE"),
    "it_IT": ("codice fiscale", "CF", "tax code"),
    "nl_NL": ("BSN", "burgerservicenummer", "citizen service number"),
}
# Greeting the customer by name ({dear} agrees with the customer's gender), greeting nobody in
# particular, and signing off — per language.
_GREETINGS = {
    "en": ("{dear} {titled_last},", "Hi {first},", "Hello {name},", "{dear} {titled_full},"),
    "de": ("{dear} {titled_last},", "Hallo {first},", "Guten Tag {titled_full},"),
    "fr": ("{dear} {titled_last},", "Bonjour {titled_last},", "Bonjour {first},"),
    "es": ("{dear} {titled_last}:", "Hola {first},", "Buenos días, {titled_full}:"),
    "it": ("{dear} {titled_last},", "Ciao {first},", "Buongiorno {titled_full},"),
    "nl": ("{dear} {titled_last},", "Beste {first},", "Hallo {name},"),
}
_DEAR = {  # (female, male)
    "en": ("Dear", "Dear"), "de": ("Sehr geehrte", "Sehr geehrter"), "fr": ("Chère", "Cher"),
    "es": ("Estimada", "Estimado"), "it": ("Gentile", "Gentile"), "nl": ("Geachte", "Geachte"),
}  # fmt: skip
_GENERIC_GREETINGS = {
    "en": ("Hello,", "Hi there,", "Dear Sir or Madam,", "Hi {agent_first},"),
    "de": ("Sehr geehrte Damen und Herren,", "Hallo,", "Hallo {agent_first},"),
    "fr": ("Bonjour,", "Madame, Monsieur,", "Bonjour {agent_first},"),
    "es": ("Hola,", "Buenos días:", "Hola {agent_first},"),
    "it": ("Buongiorno,", "Salve,", "Ciao {agent_first},"),
    "nl": ("Hallo,", "Geachte heer/mevrouw,", "Beste {agent_first},"),
}
_SIGNOFFS = {
    "en": ("Best regards,", "Kind regards,", "Thanks,", "Cheers,"),
    "de": ("Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße"),
    "fr": ("Cordialement,", "Bien à vous,", "Merci,"),
    "es": ("Saludos,", "Un saludo,", "Atentamente,"),
    "it": ("Cordiali saluti,", "Distinti saluti,", "Grazie,"),
    "nl": ("Met vriendelijke groet,", "Groeten,", "Hartelijke groet,"),
}
# Form labels: (key, template of the value).
_FORM_FIELDS = (
    ("email", "{email}"), ("phone", "{phone}"), ("address", "{address}"), ("dob", "{date}"),
    ("iban", "{iban}"), ("card", "{card}"), ("natid", "{natid}"), ("ip", "{ip}"),
    ("website", "{url}"), ("city", "{city}"), ("order", "{order}"), ("invoice", "{invoice}"),
    ("amount", "{price}"), ("tracking", "{tracking}"), ("submitted", "{ts}"),
    ("request", "{uuid}"), ("reference", "{badcard}"), ("app", "{version}"),
)  # fmt: skip
_FORM_LABELS = {
    "en": {"name": "Name", "email": "Email", "phone": "Phone", "address": "Address",
           "dob": "Date of birth", "iban": "IBAN", "card": "Card number", "ip": "IP",
           "website": "Website", "city": "City", "order": "Order no.", "invoice": "Invoice",
           "amount": "Amount", "tracking": "Tracking", "submitted": "Submitted",
           "request": "Request ID", "reference": "Reference", "app": "App version"},
    "de": {"name": "Name", "email": "E-Mail", "phone": "Telefon", "address": "Anschrift",
           "dob": "Geburtsdatum", "iban": "IBAN", "card": "Kreditkarte", "ip": "IP-Adresse",
           "website": "Webseite", "city": "Ort", "order": "Bestellnr.", "invoice": "Rechnung",
           "amount": "Betrag", "tracking": "Sendungsnummer", "submitted": "Eingegangen",
           "request": "Vorgang", "reference": "Referenz", "app": "App-Version"},
    "fr": {"name": "Nom", "email": "Courriel", "phone": "Téléphone", "address": "Adresse",
           "dob": "Date de naissance", "iban": "IBAN", "card": "Carte", "ip": "Adresse IP",
           "website": "Site web", "city": "Ville", "order": "Commande", "invoice": "Facture",
           "amount": "Montant", "tracking": "Suivi", "submitted": "Reçu le",
           "request": "Demande", "reference": "Référence", "app": "Version de l'app"},
    "es": {"name": "Nombre", "email": "Correo", "phone": "Teléfono", "address": "Dirección",
           "dob": "Fecha de nacimiento", "iban": "IBAN", "card": "Tarjeta", "ip": "IP",
           "website": "Web", "city": "Ciudad", "order": "Pedido", "invoice": "Factura",
           "amount": "Importe", "tracking": "Seguimiento", "submitted": "Recibido",
           "request": "Solicitud", "reference": "Referencia", "app": "Versión"},
    "it": {"name": "Nome", "email": "Email", "phone": "Telefono", "address": "Indirizzo",
           "dob": "Data di nascita", "iban": "IBAN", "card": "Carta", "ip": "IP",
           "website": "Sito", "city": "Città", "order": "Ordine", "invoice": "Fattura",
           "amount": "Importo", "tracking": "Tracking", "submitted": "Ricevuto",
           "request": "Richiesta", "reference": "Riferimento", "app": "Versione app"},
    "nl": {"name": "Naam", "email": "E-mail", "phone": "Telefoon", "address": "Adres",
           "dob": "Geboortedatum", "iban": "IBAN", "card": "Creditcard", "ip": "IP-adres",
           "website": "Website", "city": "Plaats", "order": "Bestelnummer", "invoice": "Factuur",
           "amount": "Bedrag", "tracking": "Track & trace", "submitted": "Ontvangen",
           "request": "Verzoek", "reference": "Referentie", "app": "App-versie"},
}  # fmt: skip
_FORM_SEPARATORS = ("\n", "\n", "\n", " | ", "; ", "\t")


@dataclass
class _Message:
    """One message being written: its values, people and the builder it goes into."""

    values: Values
    rng: random.Random
    builder: Builder
    customer: Person
    agent: Person
    other: Person

    @property
    def lang(self) -> str:
        return self.values.lang

    def fill(self, template: str) -> None:
        at = 0
        for match in _SLOT.finditer(template):
            self.builder.text(template[at : match.start()])
            self.slot(match.group(1))
            at = match.end()
        self.builder.text(template[at:])

    def slot(self, name: str) -> None:
        v, b = self.values, self.builder
        if (person := _PEOPLE.get(name)) is not None:
            self._person(*person)
        elif (entity_maker := _ENTITIES.get(name)) is not None:
            entity, maker = entity_maker
            b.value(entity, maker(v))
        elif (negative := _NEGATIVES.get(name)) is not None:
            kind, maker = negative
            b.value(kind, maker(v), negative=True)
        elif name == "email":
            b.value("EMAIL_ADDRESS", v.email(self.customer))
        elif name == "agent_email":
            b.value("EMAIL_ADDRESS", v.email(self.agent))
        elif name == "natid":
            b.value(*v.national_id())
        else:
            self.fill(self._template(name))

    def _person(self, which: str, form: str) -> None:
        person = getattr(self, which)
        b = self.builder
        if form == "full":
            b.value("PERSON", person.full)
        elif form == "first":
            b.value("PERSON", person.first)
        else:  # titled: the title is not part of the name's span
            b.text(person.title + " ")
            b.value("PERSON", person.last if form == "titled_last" else person.full)

    def _template(self, name: str) -> str:
        if name == "body":
            return self.body(self.rng.randint(1, 4))
        if name.startswith(("sentence", "negative")):
            negative = name.startswith("negative") or self.rng.random() >= 0.8
            text = self.negative() if negative else self.body(1, negatives=False)
            return _lower_first(text) if name.endswith("_lc") else text
        if name == "dear":
            return _DEAR[self.lang][0 if self.customer.female else 1]
        options = {
            "subject": _SUBJECTS,
            "greeting": _GREETINGS[self.lang],
            "greeting_generic": _GENERIC_GREETINGS[self.lang],
            "signoff": _SIGNOFFS[self.lang],
            "natid_label": _NATID_LABELS[self.values.locale],
        }
        if name not in options:
            raise KeyError(f"unknown slot {{{name}}}")
        return self.rng.choice(options[name])

    def body(self, sentences: int, *, negatives: bool = True) -> str:
        topics = self.rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()), k=sentences)
        parts = [self.rng.choice(_SENTENCES[t]) for t in topics]
        if negatives:
            parts += [self.negative() for _ in range(self.rng.choice((0, 1, 1, 2)))]
            self.rng.shuffle(parts)
        return " ".join(parts).replace("\n ", "\n")

    def negative(self) -> str:
        return self.rng.choice(_NEGATIVE_SENTENCES)

    def form(self) -> str:
        labels = _FORM_LABELS[self.lang]
        fields = self.rng.sample(_FORM_FIELDS, self.rng.randint(3, 8))
        if ("natid", "{natid}") not in fields and self.rng.random() < 0.5:
            fields.insert(self.rng.randint(0, len(fields)), ("natid", "{natid}"))
        sep = self.rng.choice(_FORM_SEPARATORS)
        colon = " : " if self.lang == "fr" else ": "
        name = self.rng.choice(("{name}", "{name}", "{titled_full}"))
        lines = [f"{labels['name']}{colon}{name}"]
        for key, value in fields:
            label = (
                self.rng.choice(_NATID_LABELS[self.values.locale])
                if key == "natid"
                else labels[key]
            )
            lines.append(f"{label}{colon}{value}")
        return sep.join(lines)


def _lower_first(text: str) -> str:
    # Only a template's own first letter: a slot at the start stays as it is.
    return text if text.startswith("{") else text[:1].lower() + text[1:]


Maker = Callable[[Values], str]

_PEOPLE = {
    "name": ("customer", "full"), "first": ("customer", "first"),
    "titled_last": ("customer", "titled_last"), "titled_full": ("customer", "titled_full"),
    "agent": ("agent", "full"), "agent_first": ("agent", "first"),
    "other": ("other", "full"), "other_titled": ("other", "titled_last"),
}  # fmt: skip
_ENTITIES: dict[str, tuple[str, Maker]] = {
    "phone": ("PHONE_NUMBER", Values.phone),
    "card": ("CREDIT_CARD", lambda v: v.card()),
    "iban": ("IBAN_CODE", Values.iban),
    "ip": ("IP_ADDRESS", Values.ip),
    "url": ("URL", Values.url),
    "date": ("DATE_TIME", Values.date),
    "address": ("STREET_ADDRESS", lambda v: v.address(multiline=False)),
    "address_ml": ("STREET_ADDRESS", lambda v: v.address(multiline=True)),
    "city": ("LOCATION", Values.city),
    "country": ("LOCATION", Values.country),
}
_NEGATIVES: dict[str, tuple[str, Maker]] = {
    "order": ("ORDER_NUMBER", Values.order_number),
    "invoice": ("INVOICE_ID", Values.invoice_id),
    "ticket": ("TICKET_ID", Values.ticket_id),
    "tracking": ("TRACKING_ID", Values.tracking_id),
    "badcard": ("NON_LUHN_16", Values.non_luhn_16),
    "version": ("VERSION", Values.version),
    "price": ("PRICE", Values.price),
    "ts": ("LOG_TIMESTAMP", Values.log_timestamp),
    "uuid": ("UUID", Values.uuid),
}
NEGATIVE_KINDS = tuple(kind for kind, _ in _NEGATIVES.values())


def compose(style: str, values: Values, rng: random.Random) -> Sample:
    """One message of `style` with values from `values`."""
    message = _Message(values, rng, Builder(), values.person(), values.person(), values.person())
    message.fill(message.form() if style == "form_dump" else rng.choice(_FRAMES[style]))
    return message.builder.build(locale=values.locale, style=style)
