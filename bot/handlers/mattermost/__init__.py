"""The Mattermost adapter: websocket events and REST calls through mattermostautodriver."""
