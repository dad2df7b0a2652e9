"""Microsoft Teams: the adapter on the Teams SDK, its connector, cards, app package and runner."""
