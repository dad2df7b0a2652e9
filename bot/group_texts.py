"""What the bot says about failures shared anonymously, their sessions, learning circles and open questions
a colleague might answer, in Dutch and English (merged into `bot.messages.TEXTS`)."""

from __future__ import annotations

GROUP_TEXTS: dict[str, dict[str, str]] = {
    # -- failure patterns (a fixed list; docs/learning.md explains each) ---------------------------
    "pattern.mandate": {"nl": "te breed mandaat", "en": "too broad a mandate"},
    "pattern.audience": {"nl": "verkeerde doelgroep bereikt", "en": "reached the wrong people"},
    "pattern.late": {"nl": "te laat betrokken", "en": "involved too late"},
    "pattern.feedback": {"nl": "geen terugkoppeling", "en": "no feedback to participants"},
    "pattern.expectations": {"nl": "onduidelijke verwachtingen", "en": "unclear expectations"},
    "pattern.capacity": {"nl": "te weinig tijd of menskracht", "en": "too little time or staff"},
    "pattern.politics": {"nl": "politieke koerswijziging", "en": "a political change of course"},
    "pattern.other": {"nl": "anders", "en": "other"},
    # -- failures shared anonymously -------------------------------------------------------------
    "failure.usage": {
        "nl": "Gebruik: {p}anoniem <wat er mislukte en waarom> [patroon=<patroon>] [volgen=ja]\n"
              "Patronen: {patterns}. Met volgen=ja onthoud ik wie je bent, alleen om je te laten weten wat "
              "ermee gebeurt; verder niemand.",
        "en": "Usage: {p}anonymous <what failed and why> [pattern=<pattern>] [followup=yes]\n"
              "Patterns: {patterns}. With followup=yes I remember who you are, only to tell you what happens "
              "to it; nobody else does.",
    },
    "failure.not_here": {"nl": "Deel een mislukking in het kanaal waar ze besproken mag worden, niet in een "
                               "privébericht.",
                         "en": "Share a failure in the channel where it may be discussed, not in a direct message."},
    "failure.bad_pattern": {"nl": "Dat patroon ken ik niet: {pattern}. Kies uit: {patterns}.",
                            "en": "I don't know that pattern: {pattern}. Choose from: {patterns}."},
    "failure.no_coordinator": {
        "nl": "Er is geen coördinator die dit kanaal kan zien, dus niemand kan je verhaal goedkeuren. Vraag de "
              "beheerder om LEERKRING_COORDINATORS in te stellen. Ik heb niets bewaard.",
        "en": "No coordinator can see this channel, so nobody can approve your story. Ask the administrator to "
              "set LEERKRING_COORDINATORS. I kept nothing.",
    },
    "failure.received": {
        "nl": "Dank je. Je verhaal (nr. {id}) gaat zonder je naam naar een coördinator; pas na goedkeuring "
              "verschijnt het in #{channel}.",
        "en": "Thank you. Your story (no. {id}) goes to a coordinator without your name; it appears in "
              "#{channel} only once approved.",
    },
    "failure.kept_anonymous": {"nl": "Wie je bent, bewaar ik niet.", "en": "I do not keep who you are."},
    "failure.kept_for_followup": {
        "nl": "Ik onthoud wie je bent alleen om je te laten weten wat ermee gebeurt; `vergeet` wist dat.",
        "en": "I remember who you are only to tell you what happens to it; `forget` erases that.",
    },
    "failure.which_pattern": {"nl": "Welk patroon past het best?", "en": "Which pattern fits best?"},
    "failure.pattern_set": {"nl": "Genoteerd: {pattern}.", "en": "Noted: {pattern}."},
    "failure.review": {
        "nl": "Een mislukking is anoniem gedeeld voor #{channel} (nr. {id}, patroon: {pattern}):\n{text}\n"
              "Goedkeuren plaatst het zonder naam in het kanaal; of typ {p}anoniem goedkeuren {id} / "
              "{p}anoniem afwijzen {id}.",
        "en": "A failure was shared anonymously for #{channel} (no. {id}, pattern: {pattern}):\n{text}\n"
              "Approving posts it in the channel without a name; or type {p}anonymous approve {id} / "
              "{p}anonymous reject {id}.",
    },
    "failure.approve": {"nl": "Goedkeuren", "en": "Approve"},
    "failure.reject": {"nl": "Afwijzen", "en": "Reject"},
    "failure.post": {
        "nl": "🕯️ Een collega deelt anoniem wat mislukte (patroon: {pattern}):\n{text}\nWat herken je? Reageer "
              "in de draad; wat je ervan leert kun je als les bewaren.",
        "en": "🕯️ A colleague shares anonymously what failed (pattern: {pattern}):\n{text}\nWhat do you "
              "recognise? Reply in the thread; what you learn from it can be saved as a lesson.",
    },
    "failure.approved": {"nl": "Geplaatst in #{channel} als les {short_id}, zonder naam.",
                         "en": "Posted in #{channel} as lesson {short_id}, without a name."},
    "failure.rejected": {"nl": "Niet geplaatst; het verhaal is gewist.",
                         "en": "Not posted; the story is erased."},
    "failure.decided": {"nl": "Hierover is al beslist.", "en": "This has been decided already."},
    "failure.told_approved": {
        "nl": "Je anoniem gedeelde verhaal (nr. {id}) staat nu in #{channel}, zonder je naam.",
        "en": "The story you shared anonymously (no. {id}) is now in #{channel}, without your name.",
    },
    "failure.told_rejected": {
        "nl": "Je anoniem gedeelde verhaal (nr. {id}) is niet geplaatst; ik heb het gewist.",
        "en": "The story you shared anonymously (no. {id}) was not posted; I erased it.",
    },
    "failure.told_session": {
        "nl": "Je anoniem gedeelde verhaal (nr. {id}) wordt besproken in de sessie “{title}” in #{channel}.",
        "en": "The story you shared anonymously (no. {id}) is discussed in the session “{title}” in #{channel}.",
    },
    "failure.pending_none": {"nl": "Er wachten geen anoniem gedeelde verhalen.",
                             "en": "No stories shared anonymously are waiting."},
    "failure.pending": {"nl": "Wachten op goedkeuring:", "en": "Waiting for approval:"},
    "failure.coordinators_only": {"nl": "Dat kan alleen een coördinator.", "en": "Only a coordinator can do that."},
    "failure.unknown": {"nl": "Verhaal nr. {id} bestaat niet of is niet van dit platform.",
                        "en": "Story no. {id} does not exist or is not on this platform."},
    "failure.anonymous": {"nl": "anoniem", "en": "anonymous"},
    # -- sessions ----------------------------------------------------------------------------------
    "session.usage": {
        "nl": "Gebruik: {p}sessie <datum> [tijd] [titel], bijvoorbeeld {p}sessie 2027-01-15 14:00 Wat mislukte "
              "dit kwartaal. Zonder datum: de geplande sessies in dit kanaal.",
        "en": "Usage: {p}session <date> [time] [title], for example {p}session 2027-01-15 14:00 What failed this "
              "quarter. Without a date: the sessions planned in this channel.",
    },
    "session.bad_date": {"nl": "Die datum begrijp ik niet: {text}. Schrijf bijvoorbeeld 2027-01-15 14:00.",
                         "en": "I don't understand that date: {text}. Write for example 2027-01-15 14:00."},
    "session.past": {"nl": "Die datum is al voorbij.", "en": "That date has passed."},
    "session.default_title": {"nl": "Wat mislukte er, en waarom?", "en": "What failed, and why?"},
    "session.planned": {"nl": "Sessie nr. {id} “{title}” gepland op {when} in #{channel}.",
                        "en": "Session no. {id} “{title}” planned for {when} in #{channel}."},
    "session.announce": {
        "nl": "📅 {when}: sessie “{title}”. Wat mislukte er bij jou? Deel het vooraf zonder naam met "
              "{p}anoniem …; ik verzamel de verhalen voor de bespreking.",
        "en": "📅 {when}: session “{title}”. What failed for you? Share it beforehand without a name with "
              "{p}anonymous …; I collect the stories for the discussion.",
    },
    "session.none": {"nl": "Er is geen sessie gepland in dit kanaal.", "en": "No session is planned in this channel."},
    "session.list": {"nl": "Gepland in dit kanaal:", "en": "Planned in this channel:"},
    "session.post": {
        "nl": "🕯️ Sessie “{title}”: {count} anoniem gedeelde mislukking(en) van deze periode. Bespreek ze in "
              "deze draad; bewaar wat je leert als les (met een emoji of “@leerkring bewaar”), dan wijst die "
              "les terug naar deze sessie.",
        "en": "🕯️ Session “{title}”: {count} failure(s) shared anonymously this period. Discuss them in this "
              "thread; save what you learn as a lesson (with an emoji or “@leerkring save”) and that lesson "
              "points back to this session.",
    },
    "session.item": {"nl": "{n}. ({pattern}) {text}", "en": "{n}. ({pattern}) {text}"},
    "session.empty": {"nl": "Niemand deelde deze periode een mislukking. Wie begint?",
                      "en": "Nobody shared a failure this period. Who starts?"},
    "channel.capture_off": {
        "nl": "In dit kanaal worden geen lessen bewaard: de leden zetten het uit ({p}kanaal bewaren aan zet het "
              "weer aan).",
        "en": "Lessons are not saved in this channel: its members switched it off ({p}channel capture on switches it "
              "back on)."},
    "channel.only_in_channel": {"nl": "Kanaalinstellingen gelden voor een kanaal: typ dit in het kanaal zelf.",
                                "en": "Channel settings belong to a channel: type this in the channel itself."},
    "channel.usage": {
        "nl": "Gebruik: {p}kanaal (toont de instellingen), {p}kanaal bewaren aan|uit, {p}kanaal antwoorden "
              "draad|kanaal, {p}kanaal taal nl|en|auto",
        "en": "Usage: {p}channel (shows the settings), {p}channel capture on|off, {p}channel answers thread|channel, "
              "{p}channel language nl|en|auto"},
    "channel.settings": {
        "nl": "Dit kanaal: lessen bewaren {capture}; antwoorden {threads}; taal {language}. Wijzigen: {p}kanaal "
              "bewaren aan|uit, {p}kanaal antwoorden draad|kanaal, {p}kanaal taal nl|en|auto.",
        "en": "This channel: saving lessons {capture}; answers {threads}; language {language}. To change: "
              "{p}channel capture on|off, {p}channel answers thread|channel, {p}channel language nl|en|auto."},
    "channel.changed": {"nl": "{name} wijzigde de instellingen van dit kanaal.",
                        "en": "{name} changed this channel's settings."},
    "channel.capture.True": {"nl": "aan", "en": "on"},
    "channel.capture.False": {"nl": "uit", "en": "off"},
    "channel.threads.True": {"nl": "in een draad onder de vraag", "en": "in a thread under the question"},
    "channel.threads.False": {"nl": "bovenaan in het kanaal", "en": "at the top of the channel"},
    "channel.language.auto": {"nl": "die van de vraag", "en": "that of the question"},
    "channel.language.nl": {"nl": "Nederlands", "en": "Dutch"},
    "channel.language.en": {"nl": "Engels", "en": "English"},
    "workspace.admins_only": {"nl": "Alleen een beheerder van deze werkruimte kan dat wijzigen.",
                              "en": "Only an admin of this workspace can change that."},
    "workspace.usage": {
        "nl": "Gebruik: {p}werkruimte (toont de instellingen), {p}werkruimte delen aan|uit, {p}werkruimte "
              "verwijderen bewaren|wissen",
        "en": "Usage: {p}workspace (shows the settings), {p}workspace sharing on|off, {p}workspace uninstall "
              "keep|erase"},
    "workspace.settings": {
        "nl": "Deze werkruimte: {sharing}. Als Leerkring hier verwijderd wordt, gaan de lessen uit besloten "
              "kanalen altijd mee; de openbare lessen {keep}. Wijzigen (beheerders): {p}werkruimte delen aan|uit, "
              "{p}werkruimte verwijderen bewaren|wissen.",
        "en": "This workspace: {sharing}. If Leerkring is uninstalled here, the lessons from private channels always "
              "go; the public lessons {keep}. To change (admins): {p}workspace sharing on|off, {p}workspace "
              "uninstall keep|erase."},
    "workspace.sharing.True": {"nl": "openbare lessen worden gedeeld met het hele netwerk",
                               "en": "public lessons are shared with the whole network"},
    "workspace.sharing.False": {"nl": "lessen blijven binnen deze werkruimte",
                                "en": "lessons stay within this workspace"},
    "workspace.keep.True": {"nl": "blijven in het netwerk", "en": "stay in the network"},
    "workspace.keep.False": {"nl": "worden dan ook gewist", "en": "are erased as well"},
    "answer.outdated": {
        "nl": "⚠️ Verouderd: een coördinator markeerde deze les als verouderd; vraag na of ze nog klopt.",
        "en": "⚠️ Outdated: a coordinator marked this lesson as outdated; check whether it still holds."},
    "answer.also_sources": {"nl": "Ook verteld in: {sources}", "en": "Also told in: {sources}"},
    "answer.session": {"nl": "Uit de sessie “{title}” van {date}", "en": "From the session “{title}” of {date}"},
    # -- learning circles ------------------------------------------------------------------------
    "circle.usage": {
        "nl": "Gebruik (coördinator): {p}kring voorstel [thema=…] [grootte=…] – wie past bij elkaar\n"
              "{p}kring nieuw \"<naam>\" leden=<4 tot 8 personen, met komma's> [elke=<dagen>] "
              "[vragen=\"<vraag 1>; <vraag 2>\"] [start=<datum>]\n"
              "{p}kring stop <nr>. Leden: {p}kring (je kringen), {p}kring ja|nee <nr>, {p}meenemen <tekst>.",
        "en": "Usage (coordinator): {p}circle suggest [theme=…] [size=…] – who fits together\n"
              "{p}circle new \"<name>\" members=<4 to 8 people, comma-separated> [every=<days>] "
              "[questions=\"<question 1>; <question 2>\"] [start=<date>]\n"
              "{p}circle stop <no>. Members: {p}circle (your circles), {p}circle yes|no <no>, {p}takeaway <text>.",
    },
    "circle.size": {"nl": "Een kring heeft 4 tot 8 mensen; je noemde er {count}.",
                    "en": "A circle has 4 to 8 people; you named {count}."},
    "circle.unknown_person": {"nl": "Die persoon ken ik niet: {name}.", "en": "I don't know that person: {name}."},
    "circle.suggest_none": {"nl": "Ik vind nog niemand die past (mensen met een gemeente en lessen over het thema).",
                            "en": "I find nobody who fits yet (people with a municipality and lessons on the theme)."},
    "circle.suggest": {"nl": "Voorstel voor een kring ({what}):", "en": "Suggestion for a circle ({what}):"},
    "circle.suggest_line": {"nl": "  {name} ({municipality}, {size}; {lessons} les(sen) over {themes})",
                            "en": "  {name} ({municipality}, {size}; {lessons} lesson(s) on {themes})"},
    "circle.created": {
        "nl": "Kring nr. {id} “{name}” gemaakt: elke {every} dagen, eerste ronde {when}. Ik nodig {count} "
              "mensen uit.",
        "en": "Circle no. {id} “{name}” created: every {every} days, first round {when}. I am inviting {count} "
              "people.",
    },
    "circle.invite": {
        "nl": "Je bent uitgenodigd voor de leerkring “{name}” (nr. {id}) met {others}: elke {every} dagen "
              "brengt één van jullie een casus in, vanaf {when}. Doe je mee?",
        "en": "You are invited to the learning circle “{name}” (no. {id}) with {others}: every {every} days one "
              "of you brings a case, from {when}. Will you join?",
    },
    "circle.join": {"nl": "Ik doe mee", "en": "I'll join"},
    "circle.decline": {"nl": "Liever niet", "en": "Not for me"},
    "circle.joined": {"nl": "Welkom in “{name}”. Ik laat je voor elke ronde weten wie de casus inbrengt.",
                      "en": "Welcome to “{name}”. Before each round I'll tell you who brings the case."},
    "circle.declined": {"nl": "Jammer, maar prima. Je krijgt geen berichten van “{name}”.",
                        "en": "A pity, but fine. You get no messages from “{name}”."},
    "circle.answered": {"nl": "Dit is al beantwoord, of niet aan jou gevraagd.",
                        "en": "This was answered already, or not asked of you."},
    "circle.reminder": {
        "nl": "Leerkring “{name}”, ronde {round} op {when}: {presenter} brengt de casus in. De vraag: {question}",
        "en": "Learning circle “{name}”, round {round} on {when}: {presenter} brings the case. The question: "
              "{question}",
    },
    "circle.your_turn": {"nl": "Jij brengt deze keer de casus in.", "en": "You bring the case this time."},
    "circle.ask_takeaway": {
        "nl": "Leerkring “{name}”, ronde {round}: wat neem je mee? Antwoord met {p}meenemen <wat je meeneemt>; "
              "het wordt een les van de kring, die alleen de leden zien.",
        "en": "Learning circle “{name}”, round {round}: what do you take away? Answer with {p}takeaway <what you "
              "take away>; it becomes a lesson of the circle that only its members see.",
    },
    "circle.no_round": {"nl": "Je hebt nog geen kringronde gehad om iets uit mee te nemen.",
                        "en": "You have not had a circle round to take something away from yet."},
    "circle.takeaway_saved": {"nl": "Bewaard als les {short_id} van de kring “{name}” (alleen de leden zien hem).",
                              "en": "Saved as lesson {short_id} of the circle “{name}” (only its members see it)."},
    "circle.takeaway_title": {"nl": "{name}, ronde {round}: {text}", "en": "{name}, round {round}: {text}"},
    "circle.none": {"nl": "Je zit (nog) in geen kring.", "en": "You are not in a circle (yet)."},
    "circle.list": {"nl": "Kringen:", "en": "Circles:"},
    "circle.line": {"nl": "  nr. {id} “{name}”: {joined} lid/leden, elke {every} dagen",
                    "en": "  no. {id} “{name}”: {joined} member(s), every {every} days"},
    "circle.stopped": {"nl": "Kring nr. {id} is gestopt.", "en": "Circle no. {id} has stopped."},
    "circle.unknown": {"nl": "Kring nr. {id} bestaat niet (meer).", "en": "Circle no. {id} does not exist (any more)."},
    "stats.failure_patterns": {"nl": "Anoniem gedeelde mislukkingen per patroon",
                               "en": "Failures shared anonymously, by pattern"},
    "stats.circles": {"nl": "Leerkringen: {circles}, met {members} deelnemer(s); {rounds} ronde(s) gehouden.",
                      "en": "Learning circles: {circles}, with {members} member(s); {rounds} round(s) held."},
    # -- open questions a colleague might answer ---------------------------------------------------
    "open.might_answer": {
        "nl": "Een collega vroeg in #{channel}: “{question}”. Ik vond geen directe les, maar jouw les {short_id} "
              "“{title}” komt in de buurt. Weet jij meer? Reageer daar{link}, of bewaar je ervaring als les.",
        "en": "A colleague asked in #{channel}: “{question}”. I found no direct lesson, but your lesson {short_id} "
              "“{title}” comes close. Do you know more? Reply there{link}, or save your experience as a lesson.",
    },
}
