"""Every text the bot says to users, in Dutch and English. Adapters format; this module words."""

from __future__ import annotations

from typing import Any

from bot.group_texts import GROUP_TEXTS
from bot.operator_texts import OPERATOR_TEXTS
from bot.web.texts import WEB_TEXTS

TEXTS: dict[str, dict[str, str]] = {
    # -- answers ----------------------------------------------------------------------------------
    "answer.intro": {"nl": "Dit vond ik over “{question}”:", "en": "This is what I found on “{question}”:"},
    "answer.none": {
        "nl": "Ik heb nog geen les gevonden over “{question}”. Weet jij iemand die dit heeft geprobeerd? "
              "Bewaar het verhaal als les, dan kan de volgende het vinden.",
        "en": "I haven't found a lesson about “{question}” yet. Do you know someone who tried this? "
              "Save their story as a lesson so the next person can find it.",
    },
    "answer.related": {
        "nl": "Geen directe les over “{question}”, wel verwant:",
        "en": "No direct lesson about “{question}”, but related:",
    },
    "answer.list": {"nl": "Lessen met {question} (nieuwste eerst):", "en": "Lessons with {question} (newest first):"},
    "answer.list_none": {"nl": "Er zijn (nog) geen lessen met {question}.",
                         "en": "There are no lessons with {question} (yet)."},
    "answer.withheld": {
        "nl": "{count} les(sen) uit besloten kanalen passen ook; die laat ik alleen aan jou persoonlijk zien.",
        "en": "{count} lesson(s) from private channels also match; I only show those to you personally.",
    },
    "answer.summary_one": {"nl": "1 gemeente: {parts}", "en": "1 municipality: {parts}"},
    "answer.summary": {"nl": "{count} gemeenten: {parts}", "en": "{count} municipalities: {parts}"},
    "answer.summary_lessons": {"nl": "{count} lessen: {parts}", "en": "{count} lessons: {parts}"},
    "answer.contact": {"nl": "Contact", "en": "Contact"},
    "answer.source": {"nl": "Bron", "en": "Source"},
    "answer.learned": {"nl": "Geleerd", "en": "Learned"},
    "answer.why": {"nl": "Waarom", "en": "Why"},
    "answer.conditions": {"nl": "Voorwaarden", "en": "Conditions"},
    "size.klein": {"nl": "klein", "en": "small"},
    "size.middelgroot": {"nl": "middelgroot", "en": "medium-sized"},
    "size.groot": {"nl": "groot", "en": "large"},
    "size.zeer groot": {"nl": "zeer groot", "en": "very large"},
    "age.new": {"nl": "deze maand", "en": "this month"},
    "age.months": {"nl": "{n} mnd geleden", "en": "{n} months ago"},
    "age.years": {"nl": "{n} jaar geleden", "en": "{n} years ago"},
    "answer.timeline": {"nl": "Later nagevraagd: {steps}", "en": "Asked later: {steps}"},
    "checkback.worked": {"nl": "gelukt", "en": "worked"},
    "checkback.failed": {"nl": "mislukt", "en": "failed"},
    "checkback.mixed": {"nl": "gemengd", "en": "mixed"},
    "checkback.running": {"nl": "loopt nog", "en": "still running"},
    "checkback.ask": {
        "nl": "Hoe is het afgelopen? {months} maanden geleden bewaarde je les {short_id} “{title}”, toen was de "
              "uitkomst nog niet bekend. Je antwoord komt bij de les, met de datum, zodat anderen het zien.",
        "en": "How did it end? {months} months ago you saved lesson {short_id} “{title}”, when its outcome was "
              "not known yet. Your answer is added to the lesson, dated, for others to see."},
    "checkback.thanks": {"nl": "Dank je, ik heb het bij de les gezet.", "en": "Thank you, I added it to the lesson."},
    "checkback.tell_more": {"nl": "Wil je er meer over vertellen? {p}afloop {short_id} <wat er gebeurde, en waarom>",
                            "en": "Want to tell more? {p}update {short_id} <what happened, and why>"},
    "checkback.noted": {"nl": "Dank je, je toelichting staat bij les {short_id}, met de datum.",
                        "en": "Thank you, your note is with lesson {short_id}, dated."},
    "checkback.not_asked": {"nl": "Ik heb je niet gevraagd hoe les {short_id} afliep.",
                            "en": "I did not ask you how lesson {short_id} ended."},
    "checkback.note_usage": {"nl": "Gebruik: {p}afloop <lesnummer> <wat er gebeurde, en waarom>",
                             "en": "Usage: {p}update <lesson number> <what happened, and why>"},
    "checkback.gone": {"nl": "Dit is al beantwoord, of niet aan jou gevraagd.",
                       "en": "This has been answered already, or was not asked of you."},
    "checkback.bad_outcome": {"nl": "Die uitkomst ken ik niet: {outcome}.",
                              "en": "I do not know that outcome: {outcome}."},
    "checkback.on": {"nl": "Ik vraag je na drie en zes maanden hoe je lessen zonder uitkomst zijn afgelopen.",
                     "en": "I will ask you after three and six months how your lessons without an outcome ended."},
    "checkback.off": {"nl": "Ik vraag je niet meer hoe je lessen zijn afgelopen.",
                      "en": "I will no longer ask you how your lessons ended."},
    "notices.bundle": {"nl": "📬 {count} bericht(en) sinds de vorige keer:",
                       "en": "📬 {count} notice(s) since last time:"},
    "notices.off": {"nl": "Je krijgt geen meldingen van nieuwe lessen; `open` toont wat er met je vragen is.",
                    "en": "You get no notices of new lessons; `questions` shows what became of yours."},
    "notices.now": {"nl": "Je hoort meteen van nieuwe lessen voor je vragen.",
                    "en": "You hear at once of new lessons for your questions."},
    "notices.daily": {"nl": "Je krijgt nieuwe lessen voor je vragen hooguit één keer per dag, gebundeld.",
                      "en": "You get new lessons for your questions at most once a day, bundled."},
    "notices.weekly": {"nl": "Je krijgt nieuwe lessen voor je vragen hooguit één keer per week, gebundeld.",
                       "en": "You get new lessons for your questions at most once a week, bundled."},
    "notices.usage": {"nl": "Gebruik: {p}meldingen uit|direct|dagelijks|wekelijks",
                      "en": "Usage: {p}notifications off|now|daily|weekly"},
    "answer.differs": {"nl": "Wat verschilde: {parts}", "en": "What differed: {parts}"},
    "answer.differs_conditions": {"nl": "de voorwaarden staan bij elke les", "en": "each lesson names its conditions"},
    "answer.contact_gone": {"nl": "(niet meer bereikbaar)", "en": "(no longer reachable)"},
    "answer.no_contact": {"nl": "geen contactpersoon bekend", "en": "no contact known"},
    "answer.unknown_municipality": {"nl": "organisatie onbekend", "en": "organisation unknown"},
    "outcome.worked": {"nl": "gelukt", "en": "worked"},
    "outcome.failed": {"nl": "mislukt", "en": "failed"},
    "outcome.mixed": {"nl": "gemengd", "en": "mixed"},
    "outcome.unknown": {"nl": "uitkomst onbekend", "en": "outcome unknown"},
    # -- capture ----------------------------------------------------------------------------------
    "capture.saved": {
        "nl": "Bewaard als les {short_id}: {title} ({municipality}, {outcome}). Contact: {contact}.",
        "en": "Saved as lesson {short_id}: {title} ({municipality}, {outcome}). Contact: {contact}.",
    },
    "capture.updated": {
        "nl": "Les {short_id} bijgewerkt: {title} ({municipality}, {outcome}).",
        "en": "Lesson {short_id} updated: {title} ({municipality}, {outcome}).",
    },
    "capture.long": {
        "nl": "Je les is lang ({length} tekens). Hij is in zijn geheel bewaard; antwoorden tonen een fragment.",
        "en": "Your lesson is long ({length} characters). It is kept whole; answers show an extract.",
    },
    "capture.no_municipality": {
        "nl": "Tip: zet je gemeente met “gemeente <naam>”, dan wordt die bij je lessen bewaard.",
        "en": "Tip: set your municipality with “gemeente <name>” so it is stored with your lessons.",
    },
    "capture.empty": {
        "nl": "Er staat geen tekst in. Schrijf wat er is geprobeerd, hoe het ging en waarom.",
        "en": "There is no text. Write what was tried, how it went and why.",
    },
    "capture.too_long": {
        "nl": "Die tekst is te lang ({length} tekens; maximaal {limit}). Kort hem in of verdeel hem over "
              "meerdere lessen.",
        "en": "That text is too long ({length} characters; at most {limit}). Shorten it or split it into "
              "several lessons.",
    },
    "capture.bad_outcome": {
        "nl": "“{value}” is geen uitkomst die ik ken. Gebruik gelukt, mislukt, gemengd of onbekend.",
        "en": "“{value}” is not an outcome I know. Use worked, failed, mixed or unknown.",
    },
    "capture.unknown_municipality": {
        "nl": "“{name}” ken ik niet als gemeente; ik heb het als organisatie bewaard.",
        "en": "I don't know “{name}” as a municipality; I stored it as an organisation.",
    },
    # -- people -----------------------------------------------------------------------------------
    "municipality.set": {
        "nl": "Je gemeente is nu {name} ({province}).", "en": "Your municipality is now {name} ({province})."},
    "municipality.unknown": {
        "nl": "“{name}” ken ik niet als gemeente. Bedoel je misschien: {suggestions}?",
        "en": "I don't know “{name}” as a municipality. Did you mean: {suggestions}?",
    },
    "municipality.unknown_plain": {
        "nl": "“{name}” ken ik niet als gemeente. Controleer de spelling (bijvoorbeeld “Den Haag”, “Bergen NH”).",
        "en": "I don't know “{name}” as a municipality. Check the spelling (for example “Den Haag”, "
              "“Bergen NH”).",
    },
    "municipality.show": {"nl": "Je gemeente is {name}.", "en": "Your municipality is {name}."},
    "municipality.none": {
        "nl": "Je hebt nog geen gemeente ingesteld. Gebruik “gemeente <naam>”.",
        "en": "You haven't set a municipality yet. Use “gemeente <name>”.",
    },
    # -- deleting and privacy ---------------------------------------------------------------------
    "delete.done": {"nl": "Les {short_id} is verwijderd.", "en": "Lesson {short_id} has been deleted."},
    "delete.usage": {"nl": "Gebruik: verwijder <nummer>, bijvoorbeeld “verwijder 12”.",
                     "en": "Usage: delete <number>, for example “delete 12”."},
    "error.not_found": {"nl": "Les {short_id} bestaat niet (meer).", "en": "Lesson {short_id} does not exist."},
    "error.permission": {
        "nl": "Je kunt alleen lessen verwijderen die je zelf hebt bewaard of waarvan je de contactpersoon bent.",
        "en": "You can only delete lessons you saved yourself or are the contact for.",
    },
    "forget.preview": {
        "nl": "Ik bewaar over jou: {lessons} les(sen), {questions} vraag/vragen, {feedback} beoordeling(en){profile}. "
              "Typ “vergeet export” om het allemaal te zien (JSON) en “vergeet bevestig” om alles te wissen.",
        "en": "I hold about you: {lessons} lesson(s), {questions} question(s), {feedback} rating(s){profile}. "
              "Type “forget export” to see it all (JSON) and “forget confirm” to erase it all.",
    },
    "forget.profile": {"nl": " en je profiel", "en": " and your profile"},
    "forget.done": {
        "nl": "Gewist: {lessons} les(sen), {questions} vraag/vragen, {feedback} beoordeling(en) en je profiel. "
              "{handed_over} les(sen) van anderen waarin jij het contact was, hebben nu wie ze bewaarde als contact.",
        "en": "Erased: {lessons} lesson(s), {questions} question(s), {feedback} rating(s) and your profile. "
              "{handed_over} lesson(s) of others that named you as contact now name whoever saved them.",
    },
    "mine.none": {"nl": "Je hebt nog geen lessen bewaard.", "en": "You haven't saved any lessons yet."},
    "mine.list": {"nl": "Jouw lessen:", "en": "Your lessons:"},
    "question.kept_open": {
        "nl": "Je vraag blijft open. Zodra iemand een les bewaart die erop past, hoor je het van mij.",
        "en": "Your question stays open. As soon as someone saves a lesson that fits, I'll let you know.",
    },
    "intro.message": {
        "nl": "Hoi {contact}! {asker} (gemeente {municipality}) heeft een vraag over je les {short_id} "
              "“{title}”. Ik breng jullie graag met elkaar in contact – veel succes!",
        "en": "Hi {contact}! {asker} (municipality {municipality}) has a question about your lesson {short_id} "
              "“{title}”. Happy to introduce you to each other – good luck!",
    },
    "intro.done": {"nl": "Ik heb een groepsgesprek voor jullie geopend.",
                   "en": "I've opened a group conversation for the two of you."},
    "intro.asked": {"nl": "Ik heb {contact} gevraagd of dat goed is; je hoort het van me.",
                    "en": "I have asked {contact} whether that is all right; you will hear from me."},
    "intro.asked_before": {"nl": "Dat heb ik {contact} al gevraagd; je hoort het van me zodra er antwoord is.",
                           "en": "I have asked {contact} already; you will hear from me once they answer."},
    "intro.request": {
        "nl": "Hoi! {asker} (gemeente {municipality}) wil je graag spreken over je les {short_id} “{title}”. "
              "Mag ik jullie met elkaar in contact brengen?",
        "en": "Hi! {asker} (municipality {municipality}) would like to talk with you about your lesson "
              "{short_id} “{title}”. May I put you in touch?"},
    "intro.choice.accepted": {"nl": "Ja, graag", "en": "Yes, please"},
    "intro.choice.later": {"nl": "Nu even niet", "en": "Not now"},
    "intro.choice.declined": {"nl": "Liever niet", "en": "Rather not"},
    "intro.thanks.accepted": {"nl": "Top, ik heb een groepsgesprek voor jullie geopend.",
                              "en": "Great, I have opened a group conversation for you."},
    "intro.thanks.later": {"nl": "Prima, ik laat het de ander weten; je mag later altijd nog contact opnemen.",
                           "en": "Fine, I will let them know; you can always get in touch later."},
    "intro.why_not": {"nl": "Begrepen, ik laat het de ander vriendelijk weten. Wil je zeggen waarom? Dat blijft "
                            "bij mij.",
                      "en": "Understood, I will let them know kindly. Would you say why? That stays with me."},
    "intro.reason.not_my_topic": {"nl": "niet mijn onderwerp meer", "en": "no longer my topic"},
    "intro.reason.no_time": {"nl": "geen tijd", "en": "no time"},
    "intro.reason.private": {"nl": "zeg ik liever niet", "en": "rather not say"},
    "intro.thanks.declined": {"nl": "Dank je. Je reden blijft bij mij.",
                              "en": "Thank you. Your reason stays with me."},
    "intro.accepted": {"nl": "{contact} wil graag met je praten over les {short_id}: ik heb een groepsgesprek geopend.",
                       "en": "{contact} would like to talk with you about lesson {short_id}: I opened a group "
                             "conversation."},
    "intro.accepted_apart": {
        "nl": "{contact} wil graag met je praten over les {short_id}. Jullie werken in verschillende werkruimtes: "
              "jullie kregen allebei een bericht met elkaars naam en gemeente; zoek elkaar op.",
        "en": "{contact} would like to talk with you about lesson {short_id}. You work in different workspaces: "
              "you each got a message with the other's name and municipality; look each other up."},
    "intro.accepted_personal": {
        "nl": "{contact} wil graag met je praten over les {short_id}. Een bot kan in Teams geen groepschat "
              "beginnen: jullie kregen allebei een persoonlijk bericht met elkaars naam; begin de chat met {contact}.",
        "en": "{contact} would like to talk with you about lesson {short_id}. A bot cannot start a group chat in "
              "Teams: you each got a personal message with the other's name; start the chat with {contact}."},
    "intro.not_now": {"nl": "{contact} kan nu niet over les {short_id} praten. Kijk of een andere les je verder "
                            "helpt, of probeer het later nog eens.",
                      "en": "{contact} cannot talk about lesson {short_id} now. See whether another lesson helps, "
                            "or try again later."},
    "intro.gone": {"nl": "Dit verzoek is al beantwoord of is niet voor jou.",
                   "en": "This request has been answered already, or is not yours."},
    "intro.check": {"nl": "Hebben jullie elkaar gesproken over les {short_id} “{title}”?",
                    "en": "Did you two talk about lesson {short_id} “{title}”?"},
    "intro.choice.met": {"nl": "Ja", "en": "Yes"},
    "intro.choice.not_met": {"nl": "Nee, nog niet", "en": "Not yet"},
    "intro.thanks.met": {"nl": "Dank je! Dat helpt het netwerk te zien wat werkt.",
                         "en": "Thank you! That helps the network see what works."},
    "stats.introductions": {"nl": "Introducties: {asked} gevraagd, {accepted} geaccepteerd, {met} gesproken",
                            "en": "Introductions: {asked} asked, {accepted} accepted, {met} met"},
    "intro.declined": {"nl": "Deze collega wil liever niet via mij worden voorgesteld.",
                       "en": "This colleague prefers not to be introduced through me."},
    "intro.unavailable": {"nl": "Voor deze les weet ik niemand die ik kan voorstellen.",
                          "en": "I don't know anyone I can introduce for this lesson."},
    "open.none": {"nl": "Er staan geen open vragen.", "en": "There are no open questions."},
    "open.mine": {"nl": "Jouw open vragen:", "en": "Your open questions:"},
    "open.network": {"nl": "Open vragen in het netwerk (bewaar een les met “antwoord: <nummer>” om er een te "
                           "beantwoorden):",
                     "en": "Open questions in the network (save a lesson with “answer: <number>” to answer one):"},
    "open.closed": {"nl": "Vraag {id} is gesloten.", "en": "Question {id} is closed."},
    "open.not_yours": {"nl": "Vraag {id} is niet (meer) een open vraag van jou.",
                       "en": "Question {id} is not an open question of yours."},
    "open.answered": {
        "nl": "📬 Je vroeg op {date}: “{question}”. Er is nu een les die erbij past: {short_id} “{title}” "
              "({municipality}, {outcome}). Contact: {contact}.",
        "en": "📬 On {date} you asked: “{question}”. There is now a lesson that fits: {short_id} “{title}” "
              "({municipality}, {outcome}). Contact: {contact}.",
    },
    "capture.answered": {"nl": "Deze les beantwoordt {count} open vraag/vragen; de vragenstellers krijgen bericht.",
                         "en": "This lesson answers {count} open question(s); the askers have been told."},
    "intro.on": {"nl": "Collega's kunnen je via mij voorstellen aan wie een vraag over je lessen heeft.",
                 "en": "Colleagues can be introduced to you through me when they have a question about your lessons."},
    "intro.off": {"nl": "Ik stel niemand meer aan je voor; je lessen blijven vindbaar.",
                  "en": "I won't introduce anyone to you any more; your lessons stay findable."},
    "intro.console": {"nl": "Neem contact op met {contact} over les {short_id} “{title}”{place}.",
                      "en": "Get in touch with {contact} about lesson {short_id} “{title}”{place}."},
    "contact.usage": {"nl": "Gebruik: contact overdragen <van> <naar>",
                      "en": "Usage: contact transfer <from> <to>"},
    "contact.moved": {"nl": "{count} les(sen) hebben nu {name} als contactpersoon.",
                      "en": "{count} lesson(s) now have {name} as their contact."},
    "contact.move_denied": {
        "nl": "Alleen de contactpersoon zelf kan zijn lessen overdragen, of iemand anders als die persoon weg is.",
        "en": "Only the contact can hand over their lessons, or someone else once that person has left.",
    },
    "contact.unknown": {"nl": "Ik weet niet wie “{name}” is.", "en": "I don't know who “{name}” is."},
    "contact.left": {
        "nl": "{name} is niet meer bereikbaar via dit platform. Je bewaarde les {short_id} “{title}” met {name} als "
              "contact. Wie kan het verhaal nu vertellen? Gebruik “/leerkring contact overdragen {handle} <nieuwe "
              "collega>”.",
        "en": "{name} can no longer be reached here. You saved lesson {short_id} “{title}” with {name} as the "
              "contact. Who can tell the story now? Use “/leerkring contact transfer {handle} <new colleague>”.",
    },
    "digest.title": {"nl": "📚 Leerkring-overzicht sinds {date}", "en": "📚 Leerkring digest since {date}"},
    "digest.new": {"nl": "Nieuwe lessen per thema:", "en": "New lessons by theme:"},
    "digest.open": {"nl": "Vragen die nog op een antwoord wachten:", "en": "Questions still waiting for an answer:"},
    "digest.helpful": {"nl": "Meest nuttig gevonden:", "en": "Found most helpful:"},
    "digest.no_theme": {"nl": "overig", "en": "other"},
    # -- the lesson form (labels of at most 24 characters: Mattermost's limit) ----------------------
    "form.title": {"nl": "Bewaar als les", "en": "Save as lesson"},
    "form.title_edit": {"nl": "Les bewerken", "en": "Edit lesson"},
    "form.submit": {"nl": "Bewaar", "en": "Save"},
    "form.text": {"nl": "Het verhaal", "en": "The story"},
    "form.municipality": {"nl": "Gemeente of organisatie", "en": "Municipality"},
    "form.themes": {"nl": "Thema's (met komma's)", "en": "Themes (with commas)"},
    "form.outcome": {"nl": "Uitkomst", "en": "Outcome"},
    "form.learned": {"nl": "Wat is er geleerd?", "en": "What was learned?"},
    "form.why": {"nl": "Waarom (niet) gelukt?", "en": "Why did it (not) work?"},
    "form.conditions": {"nl": "Onder welke voorwaarden?", "en": "Under which conditions?"},
    "form.contact": {"nl": "Contactpersoon", "en": "Contact person"},
    "form.cancel": {"nl": "Annuleer", "en": "Cancel"},
    "form.edit": {"nl": "Bewerken", "en": "Edit"},
    "form.undo": {"nl": "Ongedaan maken", "en": "Undo"},
    # -- buttons and fields under answers ---------------------------------------------------------
    "button.introduce": {"nl": "Breng me in contact", "en": "Introduce me"},
    "button.helpful": {"nl": "Nuttig", "en": "Helpful"},
    "button.unhelpful": {"nl": "Niet nuttig", "en": "Not helpful"},
    "button.keep_open": {"nl": "Houd mijn vraag open", "en": "Keep my question open"},
    "answer.municipality": {"nl": "Gemeente", "en": "Municipality"},
    "answer.outcome": {"nl": "Uitkomst", "en": "Outcome"},
    # -- statistics (table and chart) -------------------------------------------------------------
    "stats.lessons": {"nl": "Lessen: {count}", "en": "Lessons: {count}"},
    "stats.outcomes": {"nl": "Uitkomst", "en": "Outcome"},
    "stats.themes": {"nl": "Thema", "en": "Theme"},
    "stats.provinces": {"nl": "Provincie", "en": "Province"},
    "stats.municipalities": {"nl": "Gemeente", "en": "Municipality"},
    "stats.questions": {"nl": "Vragen: {asked} gesteld, {answered} beantwoord",
                        "en": "Questions: {asked} asked, {answered} answered"},
    "stats.gaps": {"nl": "Meest gevraagd, minst beantwoord:", "en": "Most asked, least answered:"},
    "stats.chart_lessons": {"nl": "Lessen per thema", "en": "Lessons per theme"},
    "stats.chart_questions": {"nl": "Vragen per thema", "en": "Questions per theme"},
    "stats.asked": {"nl": "gesteld", "en": "asked"},
    "stats.answered": {"nl": "beantwoord", "en": "answered"},
    "feedback.why_not": {"nl": "Dank je. Wat schortte eraan? (mag ook overslaan)",
                         "en": "Thank you. What was wrong with it? (you may skip this)"},
    "feedback.reason.irrelevant": {"nl": "niet relevant", "en": "not relevant"},
    "feedback.reason.outdated": {"nl": "verouderd", "en": "outdated"},
    "feedback.reason.incomplete": {"nl": "onvolledig", "en": "incomplete"},
    "feedback.bad_reason": {"nl": "Die reden ken ik niet: {reason}.", "en": "I do not know that reason: {reason}."},
    "stats.outdated": {"nl": "Door lezers als verouderd gemeld:", "en": "Reported as outdated by readers:"},
    "feedback.thanks": {"nl": "Dank je, dat helpt om betere antwoorden te geven.",
                        "en": "Thanks, that helps to give better answers."},
    # -- help and errors --------------------------------------------------------------------------
    "help": {
        "nl": (
            "Ik ben Leerkring: ik bewaar lessen uit de praktijk van gemeenten en zoek ze terug.\n"
            "{p}vraag <vraag>         – zoek lessen (of stel je vraag gewoon zonder commando)\n"
            "{p}les <verhaal>         – bewaar een les; #thema's, “uitkomst: gelukt/mislukt/gemengd”,\n"
            "                          “contact: <naam>”, “gemeente: <naam>”, “geleerd: …”,\n"
            "                          “waarom: …” (waarom het (niet) werkte), “voorwaarden: …”\n"
            "{p}gemeente <naam>       – stel je eigen gemeente in (zonder naam: toon hem)\n"
            "{p}mijn                  – jouw lessen\n"
            "{p}verwijder <nummer>    – verwijder een les die je zelf bewaarde\n"
            "{p}vergeet               – bekijk en wis alles wat ik over jou bewaar\n"
            "{p}open [sluit <nr>]     – open vragen (jouw en in het netwerk); sluit een eigen vraag\n"
            "{p}introducties aan|uit  – mogen collega's via mij aan jou worden voorgesteld?\n"
            "{p}terugvragen aan|uit   – mag ik na drie en zes maanden vragen hoe je lessen afliepen?\n"
            "{p}afloop <nr> <tekst>   – vertel hoe een les afliep waarnaar ik vroeg\n"
            "{p}meldingen uit|direct|dagelijks|wekelijks – hoe vaak je hoort van nieuwe lessen voor je vragen\n"
            "{p}contact <lesnummer>   – met wie je over een les kunt praten\n"
            "{p}contact overdragen <van> <naar> – geef lessen een nieuwe contactpersoon\n"
            "{p}stats                 – wat er gedeeld en gevraagd wordt, en waar kennis ontbreekt\n"
            "{p}anoniem <verhaal>     – deel zonder naam wat mislukte (een coördinator keurt het eerst goed)\n"
            "{p}sessie <datum> [tijd] – (coördinator) plan een sessie die de gedeelde mislukkingen bespreekt\n"
            "{p}kanaal [bewaren aan|uit] [antwoorden draad|kanaal] [taal nl|en|auto] – de instellingen van dit kanaal\n"
            "{p}kring …               – leerkringen: voorstel, nieuw, ja|nee <nr>, stop <nr>\n"
            "{p}meenemen <tekst>      – wat je meeneemt uit je laatste kringronde\n"
            "{p}help                  – deze uitleg\n"
            "Filters bij een vraag: gemeente=…, provincie=…, grootte=klein|middelgroot|groot|zeer groot, "
            "thema=…, uitkomst=…, of “in vergelijkbare gemeenten”"
        ),
        "en": (
            "I'm Leerkring: I keep lessons from municipal practice and find them again.\n"
            "{p}ask <question>        – search lessons (or just ask without a command)\n"
            "{p}lesson <story>        – save a lesson; #themes, “outcome: worked/failed/mixed”,\n"
            "                          “contact: <name>”, “municipality: <name>”, “learned: …”,\n"
            "                          “why: …” (why it did or did not work), “conditions: …”\n"
            "{p}municipality <name>   – set your own municipality (no name: show it)\n"
            "{p}mine                  – your lessons\n"
            "{p}delete <number>       – delete a lesson you saved\n"
            "{p}forget                – see and erase everything I hold about you\n"
            "{p}open [close <nr>]     – open questions (yours and the network's); close one of yours\n"
            "{p}introductions on|off  – may colleagues be introduced to you through me?\n"
            "{p}checkbacks on|off     – may I ask after three and six months how your lessons ended?\n"
            "{p}update <no> <text>    – tell how a lesson I asked you about ended\n"
            "{p}notifications off|now|daily|weekly – how often you hear of new lessons for your questions\n"
            "{p}contact <lesson>      – who to talk to about a lesson\n"
            "{p}contact transfer <from> <to> – give lessons a new contact\n"
            "{p}stats                 – what is shared and asked, and where knowledge is missing\n"
            "{p}anonymous <story>     – share without your name what failed (a coordinator approves it first)\n"
            "{p}session <date> [time] – (coordinator) plan a session that discusses the shared failures\n"
            "{p}channel [capture on|off] [answers thread|channel] [language nl|en|auto] – this channel's settings\n"
            "{p}circle …              – learning circles: suggest, new, yes|no <no>, stop <no>\n"
            "{p}takeaway <text>       – what you take away from your last circle round\n"
            "{p}help                  – this help\n"
            "Filters with a question: municipality=…, province=…, size=small|medium|large|very large, "
            "theme=…, outcome=…, or “in similar municipalities”"
        ),
    },
    "command.unknown": {"nl": "Dat commando ken ik niet: “{command}”. Typ {p}help voor wat ik kan.",
                        "en": "I don't know the command “{command}”. Type {p}help to see what I can do."},
    "question.empty": {"nl": "Wat wil je weten? Stel je vraag, bijvoorbeeld: “Heeft een gemeente al eens een "
                             "burgerbegroting geprobeerd?”",
                       "en": "What would you like to know? Ask, for example: “Has a municipality tried "
                             "participatory budgeting?”"},
    "filter.bad": {"nl": "Dat filter begrijp ik niet: {detail}", "en": "I don't understand that filter: {detail}"},
    "filter.bad_size": {"nl": "Dat filter begrijp ik niet: {detail} (klein, middelgroot, groot of zeer groot)",
                        "en": "I don't understand that filter: {detail} (small, medium, large or very large)"},
    "filter.bad_outcome": {"nl": "Dat filter begrijp ik niet: {detail} (gelukt, mislukt of gemengd)",
                           "en": "I don't understand that filter: {detail} (worked, failed or mixed)"},
    "filter.bad_date": {"nl": "Die datum begrijp ik niet: {detail} (bijvoorbeeld {example})",
                        "en": "I don't understand that date: {detail} (for example {example})"},
    "error.generic": {"nl": "Er ging iets mis aan mijn kant. Probeer het zo nog eens.",
                      "en": "Something went wrong on my side. Please try again in a moment."},
    "error.input": {"nl": "Dat kan ik niet gebruiken.", "en": "I can't use that."},
    "error.config": {"nl": "De bot is niet goed ingesteld; vraag de beheerder.",
                     "en": "The bot is not set up correctly; ask the administrator."},
    "console.chart": {"nl": "(grafiek opgeslagen in {path})", "en": "(chart saved to {path})"},
    "console.only_you": {"nl": "(alleen voor jou: {ids})", "en": "(only for you: {ids})"},
    "import.bad_json": {"nl": "geen geldige JSON ({detail})", "en": "invalid JSON ({detail})"},
    "import.not_object": {"nl": "geen JSON-object; elke regel moet één les zijn, {{\"text\": …}}",
                          "en": "not a JSON object; each line must be one lesson, {{\"text\": …}}"},
    "import.bad_csv": {"nl": "kapotte CSV-regel ({detail}); gelezen vanaf de volgende regel",
                       "en": "broken CSV row ({detail}); reading on from the next line"},
    "cli.import_done": {"nl": "{created} nieuw, {updated} bijgewerkt, {skipped} overgeslagen.",
                        "en": "{created} new, {updated} updated, {skipped} skipped."},
    "cli.import_line": {"nl": "  regel {number}: {reason}", "en": "  line {number}: {reason}"},
    "cli.import_columns": {"nl": "Kolommen gebruikt: {used}. Genegeerd: {ignored}.",
                           "en": "Columns used: {used}. Ignored: {ignored}."},
    "cli.import_dry": {"nl": "Proef: {count} les(sen) zouden worden geïmporteerd, {skipped} regel(s) overgeslagen; "
                             "er is niets opgeslagen.",
                       "en": "Dry run: {count} lesson(s) would be imported, {skipped} line(s) skipped; nothing was "
                             "saved."},
    "import.no_text_column": {
        "nl": "Geen kolom met het verhaal gevonden (verwacht: tekst, verhaal of text; gevonden: {found}).",
        "en": "No column with the story found (expected: text, tekst or verhaal; found: {found})."},
    "import.binary": {"nl": "{name} is geen tekstbestand: gebruik .jsonl of .csv.",
                      "en": "{name} is not a text file: use .jsonl or .csv."},
    "cli.db_ok": {"nl": "de database is bijgewerkt", "en": "database is up to date"},
    "cli.teams_manifest": {
        "nl": "App-pakket voor Teams-app {app} geschreven naar {path}: upload het in het Teams-beheercentrum "
              "(Teams-apps › Apps beheren › Nieuwe app uploaden).",
        "en": "Teams app package for app {app} written to {path}: upload it in the Teams admin center "
              "(Teams apps › Manage apps › Upload new app)."},
    "cli.backfill_done": {"nl": "{seen} berichten gelezen, {captured} lessen bewaard of bijgewerkt.",
                          "en": "{seen} messages read, {captured} lessons captured or updated."},
    "import.bad_field": {"nl": "Onbekende waarde: {detail}.", "en": "Unknown value: {detail}."},
    "import.format": {"nl": "Onbekend bestandstype “{suffix}”: gebruik .jsonl of .csv.",
                      "en": "Unknown file type “{suffix}”: use .jsonl or .csv."},
    "console.welcome": {
        "nl": "Leerkring console – {lessons} lessen. Je bent {user} in #{channel}. Typ /help, of stel een vraag. "
              "Ctrl-D stopt.",
        "en": "Leerkring console – {lessons} lessons. You are {user} in #{channel}. Type /help, or ask a "
              "question. Ctrl-D quits.",
    },
    "console.bye": {"nl": "Tot ziens!", "en": "Goodbye!"},
}

# Texts for operators (logs and CLI); English only.
LOG = {
    "index.catch_up": "index catching up: %d change(s) since revision %d",
    "event.duplicate": "event %s already handled; skipped",
}


TEXTS.update(OPERATOR_TEXTS)
TEXTS.update(GROUP_TEXTS)
TEXTS.update(WEB_TEXTS)


def t(key: str, lang: str = "nl", **params: Any) -> str:
    """The text for `key` in `lang` (falling back to Dutch), with `params` filled in."""
    entry = TEXTS.get(key) or TEXTS["error.generic"]
    template = entry.get(lang) or entry["nl"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
