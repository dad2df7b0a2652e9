"""What Leerkring says to the operator who installs and runs it (settings, start-up checks, doctor, backups,
database upgrades), in Dutch and English; part of the one catalogue in `bot.messages`."""

from __future__ import annotations

OPERATOR_TEXTS: dict[str, dict[str, str]] = {
    "config.slack_token": {"nl": "SLACK_BOT_TOKEN ontbreekt.", "en": "SLACK_BOT_TOKEN is not set."},
    "config.slack_app_token": {"nl": "SLACK_APP_TOKEN ontbreekt (nodig voor Socket Mode).",
                               "en": "SLACK_APP_TOKEN is not set (needed for Socket Mode)."},
    "config.slack_signing_secret": {"nl": "SLACK_SIGNING_SECRET ontbreekt (nodig voor HTTP-modus).",
                                    "en": "SLACK_SIGNING_SECRET is not set (needed for HTTP mode)."},
    "config.slack_oauth_http": {
        "nl": "SLACK_CLIENT_ID (één app voor veel werkruimtes) werkt in HTTP-modus: zet SLACK_MODE=http en "
              "SLACK_SIGNING_SECRET.",
        "en": "SLACK_CLIENT_ID (one app for many workspaces) works in HTTP mode: set SLACK_MODE=http and "
              "SLACK_SIGNING_SECRET."},
    "doctor.web": {"nl": "op {listen}; aanmelden via {issuer}", "en": "on {listen}; sign-in through {issuer}"},
    "doctor.web_links_only": {
        "nl": "op {listen}, zonder OpenID Connect: alleen eenmalige links (leerkring web --create-admin)",
        "en": "on {listen}, without OpenID Connect: one-time links only (leerkring web --create-admin)"},
    "doctor.web_oidc_unreachable": {"nl": "de identity provider antwoordt niet op {url}: {reason}",
                                    "en": "the identity provider does not answer at {url}: {reason}"},
    "doctor.web_oidc_issuer": {"nl": "de identity provider noemt zich {issuer}, verwacht {expected}",
                               "en": "the identity provider calls itself {issuer}, expected {expected}"},
    "doctor.slack_oauth": {"nl": "één app voor veel werkruimtes; elke werkruimte installeert via /slack/install",
                           "en": "one app for many workspaces; each installs it through /slack/install"},
    "config.slack_client_secret": {"nl": "SLACK_CLIENT_SECRET ontbreekt (nodig naast SLACK_CLIENT_ID).",
                                   "en": "SLACK_CLIENT_SECRET is not set (needed with SLACK_CLIENT_ID)."},
    "config.mattermost": {"nl": "MATTERMOST_URL en MATTERMOST_TOKEN zijn nodig.",
                          "en": "MATTERMOST_URL and MATTERMOST_TOKEN are required."},
    "config.invalid": {"nl": "{name}: “{value}” kan niet; verwacht: {expected}.",
                       "en": "{name}: “{value}” will not do; expected: {expected}."},
    "config.database_unreachable": {
        "nl": "De database op {address} is niet bereikbaar (DATABASE_URL): {reason}",
        "en": "Cannot reach the database at {address} (DATABASE_URL): {reason}"},
    "config.mattermost_not_member": {
        "nl": "Leerkring is geen lid van kanaal {channel}: nodig de bot uit (/invite @{bot}) en probeer het opnieuw.",
        "en": "Leerkring is not a member of channel {channel}: invite the bot (/invite @{bot}) and try again."},
    "config.no_platform": {
        "nl": "Geen chatplatform ingesteld: zet SLACK_BOT_TOKEN, MATTERMOST_URL en MATTERMOST_TOKEN, of "
              "TEAMS_APP_ID en TEAMS_APP_PASSWORD (of start `leerkring console`).",
        "en": "No chat platform configured: set SLACK_BOT_TOKEN, MATTERMOST_URL and MATTERMOST_TOKEN, or "
              "TEAMS_APP_ID and TEAMS_APP_PASSWORD (or start `leerkring console`)."},
    "config.db_newer": {
        "nl": "De database heeft schema {current}, van een nieuwere Leerkring; deze versie kent tot {head}. "
              "Installeer de nieuwere versie, of zet een back-up van deze versie terug (leerkring restore).",
        "en": "The database is at schema {current}, from a newer Leerkring; this version knows up to {head}. "
              "Install the newer version, or restore a backup made by this one (leerkring restore)."},
    "db.upgraded": {"nl": "database bijgewerkt van schema {before} naar {now}",
                    "en": "database upgraded from schema {before} to {now}"},
    "backup.done": {"nl": "Back-up geschreven naar {path}: {lessons} lessen, {rows} rijen in {tables} tabellen.",
                    "en": "Backup written to {path}: {lessons} lessons, {rows} rows in {tables} tables."},
    "backup.restored": {
        "nl": "Teruggezet uit {path}: {lessons} lessen, {rows} rijen. De index wordt bij de volgende start opgebouwd.",
        "en": "Restored from {path}: {lessons} lessons, {rows} rows. The index is rebuilt at the next start."},
    "backup.unreadable": {"nl": "{path} is geen Leerkring-back-up ({reason}).",
                          "en": "{path} is not a Leerkring backup ({reason})."},
    "backup.newer": {
        "nl": "Deze back-up komt van een nieuwere Leerkring (schema {schema}); deze versie kent tot {head}.",
        "en": "This backup comes from a newer Leerkring (schema {schema}); this version knows up to {head}."},
    "backup.not_empty": {
        "nl": "De database heeft al {lessons} lessen; gebruik --replace om ze door de back-up te vervangen.",
        "en": "The database already holds {lessons} lessons; use --replace to replace them with the backup."},
    "config.slack_refused": {"nl": "Slack weigert het token ({error}): controleer {setting}.",
                             "en": "Slack refused the token ({error}): check {setting}."},
    "config.unreachable": {"nl": "{service} is niet bereikbaar op {address} ({setting}): {reason}",
                           "en": "cannot reach {service} at {address} ({setting}): {reason}"},
    "doctor.database": {"nl": "{where}: {lessons} lessen, {questions} open vragen",
                        "en": "{where}: {lessons} lessons, {questions} open questions"},
    "doctor.database_new": {"nl": "{where}: bereikbaar, nog leeg (de tabellen komen er bij de eerste start)",
                            "en": "{where}: reachable, still empty (the tables are made at first start)"},
    "doctor.needs_upgrade": {"nl": "migraties staan nog open (leerkring db upgrade, of gewoon starten)",
                             "en": "migrations pending (leerkring db upgrade, or just start)"},
    "doctor.model": {"nl": "{id}, {dim} dimensies, geladen en getest in {seconds} s",
                     "en": "{id}, {dim} dimensions, loaded and tried in {seconds} s"},
    "doctor.index": {"nl": "{count} lessen ({structure}) in {path}; {pending} wijzigingen nog te verwerken bij start",
                     "en": "{count} lessons ({structure}) in {path}; {pending} changes to apply at start"},
    "doctor.index_missing": {"nl": "nog geen opgeslagen index in {path}: wordt bij de start opgebouwd",
                             "en": "no saved index in {path} yet: built at start"},
    "doctor.index_unreadable": {"nl": "{path} is onleesbaar ({reason}): wordt bij de start opnieuw opgebouwd",
                                "en": "{path} cannot be read ({reason}): rebuilt at start"},
    "doctor.index_no_model": {"nl": "niet te controleren zonder model", "en": "cannot be checked without the model"},
    "doctor.not_configured": {"nl": "niet ingesteld ({setting})", "en": "not configured ({setting})"},
    "doctor.missing": {"nl": "ontbreekt: {settings}", "en": "missing: {settings}"},
    "doctor.slack": {"nl": "bot {user} in werkruimte {team}, {mode}-modus",
                     "en": "bot {user} in workspace {team}, {mode} mode"},
    "doctor.mattermost": {"nl": "{url} als @{user}", "en": "{url} as @{user}"},
    "doctor.no_command_token": {
        "nl": "MATTERMOST_COMMAND_TOKEN ontbreekt: de opdracht /leerkring wordt geweigerd",
        "en": "MATTERMOST_COMMAND_TOKEN is not set: the /leerkring command will be refused"},
    "doctor.sqlite": {
        "nl": ("SQLite in {path}: bewaar die map; gebruik PostgreSQL (DATABASE_URL) op een host die zijn schijf "
               "bij herstart kwijtraakt"),
        "en": ("SQLite in {path}: keep that folder; use PostgreSQL (DATABASE_URL) on a host whose disk is lost "
               "on restart")},
    "config.teams": {"nl": "TEAMS_APP_ID en TEAMS_APP_PASSWORD zijn nodig (de Azure-botregistratie).",
                     "en": "TEAMS_APP_ID and TEAMS_APP_PASSWORD are required (the Azure bot registration)."},
    "config.teams_login": {
        "nl": "Het Microsoft-identiteitsplatform gaf geen token voor TEAMS_APP_ID en TEAMS_APP_PASSWORD ({reason}).",
        "en": "The Microsoft identity platform gave no token for TEAMS_APP_ID and TEAMS_APP_PASSWORD ({reason})."},
    "config.teams_cloud": {"nl": "TEAMS_CLOUD “{cloud}” bestaat niet; kies Public, USGov, USGovDoD of China.",
                           "en": "TEAMS_CLOUD “{cloud}” does not exist; choose Public, USGov, USGovDoD or China."},
    "config.teams_listen": {"nl": "Luisteren op {listen} (TEAMS_LISTEN) lukte niet.",
                            "en": "Could not listen on {listen} (TEAMS_LISTEN)."},
    "doctor.teams": {"nl": "app {app}; token van {login}; berichten op {listen}/api/messages",
                     "en": "app {app}; token from {login}; messages at {listen}/api/messages"},
    "config.mattermost_login": {"nl": "Inloggen bij Mattermost met MATTERMOST_TOKEN lukte niet.",
                                "en": "Logging in to Mattermost with MATTERMOST_TOKEN failed."},
    "config.model_missing": {"nl": "LEERKRING_EMBEDDING_MODEL ontbreekt.",
                             "en": "LEERKRING_EMBEDDING_MODEL is not set."},
    "config.model_not_found": {"nl": "Model “{model}” niet gevonden (downloaden staat uit).",
                               "en": "Model “{model}” not found (downloads are off)."},
    "config.extra_missing": {"nl": "Installeer de extra: pip install 'leerkring[{extra}]'.",
                             "en": "Install the extra: pip install 'leerkring[{extra}]'."},
}
