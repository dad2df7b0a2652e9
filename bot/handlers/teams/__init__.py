"""Microsoft Teams: the adapter on the Teams SDK, its connector, cards, app package and runner."""

import warnings

# the SDK announces its preview features (targeted messages among them, which Leerkring uses on purpose)
# with a warning on import and on every call; the README says which previews Leerkring relies on
warnings.filterwarnings("ignore", message=r".*is in preview and may change", module=r"microsoft_teams\..*")
warnings.filterwarnings("ignore", message=r".*is in preview and may change", module=r"asyncio\..*")
